"""Fixtures shared by the tests of every package (moto server, AWS clients)."""

pytest_plugins = ["smartpay_shared.testing.fixtures"]
