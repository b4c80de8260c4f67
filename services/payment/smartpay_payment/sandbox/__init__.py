"""Local sandboxes of providers that ship no emulator (clearly not the real services)."""
