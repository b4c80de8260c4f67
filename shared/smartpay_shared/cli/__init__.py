"""The `smartpay` operator CLI."""
