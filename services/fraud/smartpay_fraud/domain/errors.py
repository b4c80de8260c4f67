"""Domain errors: each one says what was wrong in words a caller can act on."""


class FraudError(Exception):
    """Base class of the fraud service's own errors."""


class FieldError(FraudError, ValueError):
    """Input that can never be used as it is, naming its field."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class InvalidTransaction(FieldError):
    """The transaction can never be scored as it is (bad currency, absurd amount, raw card number)."""


class ModelNotAvailable(FraudError, RuntimeError):
    """No usable model version: the service refuses to score rather than invent a score."""


class FeatureStoreUnavailable(FraudError, RuntimeError):
    """The online feature store (Redis) could not be read or updated."""


class DatasetError(FraudError, ValueError):
    """A training file lacks required columns or holds values that cannot be used."""


class InvalidLabel(FieldError):
    """A fraud label that can never be placed as it is (known before its payment happened, in the future)."""


class UnknownPayment(FraudError, LookupError):
    """The merchant has no payment of this id that the fraud service scored (or it is past the state's TTL)."""
