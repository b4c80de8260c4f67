"""Test support: event builders and the real local servers (localstripe, the Amazon Pay sandbox)."""
