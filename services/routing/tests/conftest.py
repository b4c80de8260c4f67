import pytest

from smartpay_routing.bootstrap import load_catalog
from smartpay_routing.config import DEFAULT_CATALOG
from smartpay_routing.domain.model import RouteContext


@pytest.fixture(scope="session")
def catalog():
    return load_catalog(DEFAULT_CATALOG)


@pytest.fixture
def ctx():
    def make(**overrides) -> RouteContext:
        fields = dict(merchant_id="m_acme", amount=5000, currency="EUR", method="card", country="DE",
                      merchant_category="retail", risk_score=0.1, hour=12)
        fields.update(overrides)
        return RouteContext(**fields)

    return make
