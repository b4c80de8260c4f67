"""SmartPay fraud service."""
