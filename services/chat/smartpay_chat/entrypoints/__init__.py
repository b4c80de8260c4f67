"""Lambda handlers (API and queue consumer): thin."""
