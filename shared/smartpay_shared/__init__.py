"""SmartPay's own library: the event contract, the bus, the worker runtime and the local stack."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("smartpay-shared")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0"
