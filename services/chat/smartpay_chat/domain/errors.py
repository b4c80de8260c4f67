"""Domain errors of the chat indexer; each one fails the queue record with its message as the reason."""

from __future__ import annotations


class InvalidPayment(ValueError):
    """The event's payment cannot become a document (inconsistent amounts, times...): never retried into success."""


class CardNumberFound(InvalidPayment):
    """A field holds something that looks like a full card number. The message names the field only."""

    def __init__(self, field: str):
        super().__init__(f"refused to index: field {field!r} contains a card-number-like digit run "
                         "(13-19 digits, Luhn-valid); only card_last4 may be indexed")
        self.field = field


class IndexUnavailable(RuntimeError):
    """The index engine cannot be reached or opened (the record is retried)."""


class PlannerUnavailable(RuntimeError):
    """The language model behind an LLM planner cannot be reached (the API answers 503 with a retry hint)."""
