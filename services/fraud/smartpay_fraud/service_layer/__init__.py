"""Use cases wiring domain logic to ports."""
