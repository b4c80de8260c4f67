"""Per-feature contributions (XGBoost pred_contribs, log-odds) -> the top reasons in plain words."""

from __future__ import annotations

import math

from smartpay_fraud.domain.decision import Reason

_TEXT = {
    "card_count_1h": "{v:.0f} payments on this card in the last hour",
    "card_count_24h": "{v:.0f} payments on this card in the last 24 hours",
    "card_count_7d": "{v:.0f} payments on this card in the last 7 days",
    "card_sum_1h": "{m:,.2f} spent on this card in the last hour",
    "card_sum_24h": "{m:,.2f} spent on this card in the last 24 hours",
    "card_sum_7d": "{m:,.2f} spent on this card in the last 7 days",
    "card_distinct_devices_7d": "card used from {v:.0f} different devices in 7 days",
    "card_distinct_countries_7d": "card used in {v:.0f} different countries in 7 days",
    "card_distinct_ips_24h": "card used from {v:.0f} different IP addresses in 24 hours",
    "customer_count_24h": "{v:.0f} payments by this customer in 24 hours",
    "customer_distinct_cards_7d": "customer used {v:.0f} different cards in 7 days",
    "device_count_24h": "{v:.0f} payments from this device in 24 hours",
    "device_distinct_cards_24h": "{v:.0f} different cards on this device in 24 hours",
    "device_distinct_cards_7d": "{v:.0f} different cards on this device in 7 days",
    "ip_count_1h": "{v:.0f} payments from this IP address in the last hour",
    "ip_distinct_cards_24h": "{v:.0f} different cards from this IP address in 24 hours",
    "merchant_count_1h": "{v:.0f} payments at this merchant in the last hour",
    "merchant_count_24h": "{v:.0f} payments at this merchant in 24 hours",
    "merchant_distinct_cards_1h": "{v:.0f} different cards at this merchant in the last hour",
    "card_device_count_30d": "{v:.0f} payments with this card on this device in 30 days",
    "card_country_count_30d": "{v:.0f} payments with this card in this country in 30 days",
    "amount_log": "amount of {m:,.2f}",
    "hour_of_day": "paid at {v:02.0f}:00 UTC",
    "amount_to_card_mean_7d": "amount is {v:.1f}x this card's recent average",
    "card_device_is_new": "first payment with this card on this device",
    "card_country_is_new": "first payment with this card in this country",
    "graph_device_fraud_rate": "{p:.0f}% of past payments from this device were fraud",
    "graph_ip_fraud_rate": "{p:.0f}% of past payments from this IP address were fraud",
    "graph_card_fraud_count": "{v:.0f} past fraudulent payments on this card",
    "graph_component_fraud_rate": "linked (shared cards/devices/IPs) to a group with {p:.1f}% past fraud",
    "graph_component_size": "linked to a group of {v:.0f} cards, devices and IPs",
    "graph_device_cards": "{v:.0f} cards seen on this device before",
    "graph_known_nodes": "{v:.0f} of this payment's card, device and IP seen before",
    "sage_card_score": "graph model rates this card's neighbourhood {p:.0f}% risky",
    "sage_device_score": "graph model rates this device's neighbourhood {p:.0f}% risky",
    "sage_ip_score": "graph model rates this IP's neighbourhood {p:.0f}% risky",
}
_NEW = {"card_device_is_new": "known card/device pair", "card_country_is_new": "card already used in this country"}
_UNSEEN = {
    "graph_device_fraud_rate": "device never seen before", "graph_ip_fraud_rate": "IP address never seen before",
    "graph_card_fraud_count": "card never seen before", "graph_device_cards": "device never seen before",
    "graph_component_fraud_rate": "not linked to any known card, device or IP address",
    "graph_component_size": "not linked to any known card, device or IP address",
    "sage_card_score": "card never seen before", "sage_device_score": "device never seen before",
    "sage_ip_score": "IP address never seen before",
}
_SINGULAR = (("1 payments", "1 payment"), ("1 different cards", "1 card"), ("1 different merchants", "1 merchant"),
             ("1 different devices", "1 device"), ("1 different countries", "1 country"),
             ("1 different IP addresses", "1 IP address"), ("1 cards", "1 card"),
             ("1 past fraudulent payments", "1 past fraudulent payment"))


def describe(feature: str, value: float, minor_unit_exponent: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return _UNSEEN.get(feature, f"{feature.replace('_', ' ')} unknown")
    if feature in _NEW and value == 0:
        return _NEW[feature]
    template = _TEXT.get(feature)
    if template is None:
        return f"{feature.replace('_', ' ')} = {value:g}"
    major = (math.expm1(value) if feature == "amount_log" else value) / 10 ** minor_unit_exponent
    text = template.format(v=value, m=major, p=value * 100)
    if value == 1:
        for plural, singular in _SINGULAR:
            text = text.replace(plural, singular)
    return text


def top_reasons(names: list[str], values: list[float], contributions: list[float], k: int = 3,
                minor_unit_exponent: int = 2) -> list[Reason]:
    """The k features pushing the score up the most (positive contributions only)."""
    ranked = sorted(range(len(names)), key=lambda i: contributions[i], reverse=True)
    return [Reason(names[i], round(float(contributions[i]), 4), describe(names[i], values[i], minor_unit_exponent))
            for i in ranked[:k] if contributions[i] > 0]
