"""A merchant's side for tests, the demo and the bench: a receiver that verifies every delivery."""
