"""SmartPay webhooks service: signed, retried, replayable notifications of payment outcomes to merchants."""
