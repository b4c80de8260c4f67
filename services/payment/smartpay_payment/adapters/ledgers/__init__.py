"""Gateway ledgers (the GatewayLedger port): each gateway's own record of charges, for the ledger check
and reconciliation. `probe` reads attempt by attempt (any gateway); the others list what their gateway
can list (Stripe, the Amazon Pay sandbox) or add what only that gateway can prove (Solana receipts)."""
