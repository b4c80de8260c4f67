"""Test support shared by every package's tests: a real moto server and a bus event listener."""

from smartpay_shared.testing.events import to_bus_event
from smartpay_shared.testing.listener import EventListener
from smartpay_shared.testing.moto import MotoServer, free_port

__all__ = ["EventListener", "MotoServer", "free_port", "to_bus_event"]
