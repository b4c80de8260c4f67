"""Pure domain logic: no SDKs, no environment."""
