"""Lambda handlers (API, event consumer, deliverer) and the CLI: thin."""
