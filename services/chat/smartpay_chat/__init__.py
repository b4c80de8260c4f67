"""SmartPay chat service."""
