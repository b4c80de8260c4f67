"""SmartPay rewards service: on-chain loyalty points, offers chosen by a bandit, redemption through an exchange."""
