"""What the rewards domain refuses. InvalidRewardEvent: the event can never be applied (-> DLQ with the reason)."""


class InvalidRewardEvent(ValueError):
    """An event the ledger can never apply as it is (the consumer fails it; the redrive policy DLQs it)."""


class InsufficientPoints(ValueError):
    def __init__(self, wanted: int, balance: int):
        super().__init__(f"{wanted} points wanted, the balance is {balance}")
        self.wanted, self.balance = wanted, balance


class AccountNotFound(LookupError):
    """No rewards account of this customer for this merchant (another merchant's customer included)."""


class WalletNotLinked(LookupError):
    """The customer has no linked wallet (redeem needs one)."""


class WalletAlreadyLinked(ValueError):
    """The customer already has another wallet linked (a relink would strand the minted tokens)."""

    def __init__(self, wallet: str):
        super().__init__(f"another wallet ({wallet}) is already linked to this customer")
        self.wallet = wallet


class ChallengeMismatch(ValueError):
    """The challenge was issued for another customer of the merchant."""
