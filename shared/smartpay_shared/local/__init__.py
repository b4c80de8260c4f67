"""The local stack: stand-ins for what AWS runs around the Lambda handlers (HTTP gateway, workers)."""
