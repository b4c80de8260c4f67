"""On-chain points: the platform's SPL points mint, wallet linking by signed challenge, batched minting with
crash-safe idempotency, refund offsets (or a Token-2022 permanent-delegate burn) and reconciliation."""
