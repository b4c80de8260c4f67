"""Wire the adapters once per cold start. Tests call `build` with their own settings and clients.

The ports other parts of issue #20 implement (service_layer/ports.py) are wired here: `offer_policy`
defaults to the loud OffersNotConfigured placeholder until smartpay_rewards.offers provides one."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from smartpay_shared import aws

from smartpay_rewards.adapters.dynamodb import DynamoUnitOfWork
from smartpay_rewards.config import RewardsSettings, rewards_settings
from smartpay_rewards.domain.points import EarnRates
from smartpay_rewards.service_layer.ledger import UowFactory
from smartpay_rewards.service_layer.placeholders import OffersNotConfigured
from smartpay_rewards.service_layer.ports import OfferPolicy


@dataclass
class Rewards:
    uow: UowFactory
    rates: EarnRates
    offer_policy: OfferPolicy


def build(settings: RewardsSettings, *, dynamodb: Any, offer_policy: OfferPolicy | None = None) -> Rewards:
    return Rewards(uow=lambda: DynamoUnitOfWork(dynamodb, settings.ledger_table, settings.accounts_table),
                   rates=settings.earn_rates(), offer_policy=offer_policy or OffersNotConfigured())


@cache
def service() -> Rewards:
    return build(rewards_settings(), dynamodb=aws.client("dynamodb"))
