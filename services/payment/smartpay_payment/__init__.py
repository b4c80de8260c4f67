"""SmartPay payment service."""
