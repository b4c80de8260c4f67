"""Fixtures shared by the tests of every package (moto server, AWS clients), and one Hypothesis profile:
derandomized (the same examples on every run, so CI is reproducible; a new failure is found by raising
max_examples locally, e.g. HYPOTHESIS_PROFILE=explore), no deadline (this machine is shared and noisy),
no example database in the work tree."""

import os

from hypothesis import settings

pytest_plugins = ["smartpay_shared.testing.fixtures"]

settings.register_profile("smartpay", derandomize=True, deadline=None, database=None)
settings.register_profile("explore", deadline=None, database=None, max_examples=1000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "smartpay"))
