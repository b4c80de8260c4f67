"""Pure logic: event types, signing, backoff, URL safety, endpoint and delivery records."""
