"""What the use cases refuse; the API maps each to a problem (RFC 9457)."""


class WebhooksError(Exception):
    pass


class EndpointNotFound(WebhooksError):
    """No such endpoint for this merchant (another merchant's endpoint is not found either)."""


class DeliveryNotFound(WebhooksError):
    pass


class InvalidEndpoint(WebhooksError):
    def __init__(self, field: str, reason: str):
        super().__init__(reason)
        self.field = field
        self.reason = reason


class TooManyEndpoints(WebhooksError):
    pass
