"""SmartPay routing service."""
