"""The offer catalogue and the customer features (pure functions of a history)."""

from datetime import UTC, datetime, timedelta

import pytest

from smartpay_rewards.offers.catalogue import NO_OFFER, Category, Offer, default_catalogue
from smartpay_rewards.offers.features import NEVER_DAYS, category_of, customer_features
from smartpay_rewards.offers.history import CustomerHistory, OfferShown, Purchase

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def days_ago(d: float) -> datetime:
    return NOW - timedelta(days=d)


def test_catalogue_is_no_offer_then_every_multiplier_category_duration():
    catalogue = default_catalogue()
    assert catalogue.offers[0] == NO_OFFER and catalogue.ids[0] == "none"
    assert len(catalogue) == 1 + 2 * len(Category) * 2
    assert len(set(catalogue.ids)) == len(catalogue)
    offer = catalogue.by_id("3x-grocery-7d")
    assert (offer.multiplier, offer.category, offer.duration_days) == (3, Category.GROCERY, 7)
    assert offer.describe() == "3x points at grocery merchants for 7 days"
    assert offer.bonus_points(100.0, points_per_unit=1.0) == 200.0 and NO_OFFER.bonus_points(100.0, 1.0) == 0.0
    with pytest.raises(KeyError):
        catalogue.index("5x-grocery-7d")


@pytest.mark.parametrize("args", [(5, Category.DINING, 7), (2, None, 7), (2, Category.FUEL, 10), (1, Category.FUEL, 0)])
def test_an_offer_outside_the_typed_set_is_refused(args):
    with pytest.raises(ValueError):
        Offer(*args)


@pytest.mark.parametrize("name, expected", [("Supermarket", "grocery"), ("5411", "grocery"), ("restaurant", "dining"),
                                            ("gas_station", "fuel"), ("hotel", "travel"), ("electronics", "other"),
                                            (None, "other"), ("", "other")])
def test_merchant_categories_map_to_offer_categories(name, expected):
    assert category_of(name) == expected


def test_rfm_shares_and_offer_fatigue_from_a_history():
    history = CustomerHistory(
        purchases=(Purchase(days_ago(100), 500.0, "grocery"),  # older than 90 days: recency only if latest
                   Purchase(days_ago(40), 60.0, "supermarket"),
                   Purchase(days_ago(10), 30.0, "restaurant"),
                   Purchase(days_ago(2.5), 10.0, "electronics"),
                   Purchase(NOW + timedelta(days=1), 999.0, "grocery")),  # after now: ignored
        offers=(OfferShown(days_ago(45), "2x-dining-7d"), OfferShown(days_ago(20), "3x-fuel-14d"),
                OfferShown(days_ago(5), "none")))  # a decision to show nothing is not an offer
    f = customer_features(history, NOW)
    assert f.recency_days == pytest.approx(2.5)
    assert (f.frequency_30d, f.frequency_90d) == (2, 3)
    assert f.monetary_90d == pytest.approx(100.0)
    assert f.category_share["grocery"] == pytest.approx(0.6)
    assert f.category_share["dining"] == pytest.approx(0.3) and f.category_share["other"] == pytest.approx(0.1)
    assert f.top_category == "grocery"
    assert f.days_since_offer == pytest.approx(20) and f.offers_30d == 1 and f.last_offer_category == "fuel"
    assert f.affinity(Offer(2, Category.DINING, 7)) == pytest.approx(0.3) and f.affinity(NO_OFFER) == 0.0
    mapping = f.as_mapping()
    assert mapping["share_grocery"] == 0.6 and mapping["last_offer_category"] == "fuel"
    assert len(f.vector()) == 6 + 2 * 5


def test_an_empty_history_is_a_customer_never_seen():
    f = customer_features(CustomerHistory(), NOW)
    assert f.recency_days == NEVER_DAYS and f.days_since_offer == NEVER_DAYS
    assert f.monetary_90d == 0 and f.top_category is None and set(f.category_share.values()) == {0.0}


def test_naive_times_and_bad_amounts_are_refused():
    with pytest.raises(ValueError):
        customer_features(CustomerHistory(), datetime(2026, 6, 1))
    with pytest.raises(ValueError):
        Purchase(datetime(2026, 6, 1), 1.0)
    with pytest.raises(ValueError):
        Purchase(NOW, -1.0)
    with pytest.raises(ValueError):
        Purchase(NOW, float("nan"))
