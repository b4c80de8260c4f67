"""Test support shared by every package's tests: a real moto server, a bus event listener and a
merchant user's verified claims."""

from smartpay_shared.testing.claims import merchant_claims
from smartpay_shared.testing.events import to_bus_event
from smartpay_shared.testing.listener import EventListener
from smartpay_shared.testing.moto import MotoServer, free_port

__all__ = ["EventListener", "MotoServer", "free_port", "merchant_claims", "to_bus_event"]
