"""A seeded, non-stationary gateway environment and the routers compared on it (benchmark and tests)."""
