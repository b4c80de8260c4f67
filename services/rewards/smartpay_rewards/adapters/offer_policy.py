"""The ledger's OfferPolicy port over smartpay_rewards.offers: the contextual bandit picks the offer a
customer sees, and every choice is logged (OfferDecisionLog) with its propensity for off-policy evaluation.

- The model: `BanditOfferPolicy.from_checkpoint(log, model)` loads a Vowpal Wabbit checkpoint (bytes or a
  file path; version `offers-vw-<sha256 of the bytes, 12 hex>`, as `VowpalOfferPolicy.checkpoint_now` names
  it). Without a checkpoint the policy is `UniformOfferPolicy` (version `uniform-v1`): every action offered,
  no offer included, alike. That is the logging policy the first data come from (docs/rewards-offers.md); an
  untrained VW model would instead pick its first action ("none") most of the time and log little worth
  learning from.
- The actions: only those the merchant's category allows (`Catalogue.for_category`: "no offer" and the 4
  offers of that category, 1/5 each under the uniform policy), since the ledger pays an offer's bonus only at
  a merchant of its category. The probabilities are over those actions, and the decision logs them (its
  `actions` and `probabilities`) so that OPE and training read the choice as it was made. A merchant without
  a category is never asked about (ledger.statement shows `not_configured`); a context without one is
  answered the same way here, logging nothing.
- The context: `customer_features` over a CustomerHistory built from the ledger entries the OfferContext
  carries (earn entries as purchases, net of what refunds clawed back) and the customer's earlier decisions
  read from the log (fatigue: offers in the last 30 days, the last offer's category).
- One decision stands while it is active: an offer until it expires (its duration in days), "no offer" for
  NO_OFFER_HOLD. Until then the customer is shown the same decision with its logged propensity and nothing
  new is logged, so a customer reloading the page neither re-rolls the dice (which would make the logged
  propensities wrong) nor adds rows. Two first statements at once: the decision log's `claim` (a write
  conditioned on the decision it replaces) lets one draw win; the other shows the winner's and logs nothing.

Limits: the earn entries the features read do not carry the merchant's category (the payment record does),
so every purchase counts as "other" and the category-share features are 0; the history is the page the API
read (its `limit` newest entries)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from smartpay_rewards.offers import policy as offers
from smartpay_rewards.offers.policy import checkpoint_version
from smartpay_rewards.offers.catalogue import DURATIONS_DAYS, Catalogue, Offer as CatalogueOffer, default_catalogue
from smartpay_rewards.offers.features import HORIZON_DAYS, customer_features
from smartpay_rewards.offers.history import CustomerHistory, OfferShown
from smartpay_rewards.offers.outcome import purchases_from
from smartpay_rewards.service_layer.decision_log import DecisionRecord, OfferDecisionLog
from smartpay_rewards.service_layer.ledger import NO_MERCHANT_CATEGORY
from smartpay_rewards.service_layer.ports import Offer, OfferContext, OfferDecision, OfferPolicy

NO_OFFER_HOLD = timedelta(days=min(DURATIONS_DAYS))   # "no offer" stands as long as the shortest offer would
DECISIONS_LOOKBACK = timedelta(days=HORIZON_DAYS)     # earlier decisions read for the features
DECISIONS_READ = 100
UNIFORM_VERSION = "uniform-v1"


def port_offer(offer: CatalogueOffer, decided_at: datetime, decision_id: str) -> Offer | None:
    """The catalogue's offer as the API shows it; None for "no offer"."""
    if not offer.is_offer:
        return None
    title = offer.describe()
    return Offer(offer_id=offer.offer_id, title=title[0].upper() + title[1:], multiplier=str(offer.multiplier),
                 expires_at=decided_at + timedelta(days=offer.duration_days),
                 attributes={"category": str(offer.category), "duration_days": str(offer.duration_days),
                             "decision_id": decision_id})


class BanditOfferPolicy(OfferPolicy):
    def __init__(self, log: OfferDecisionLog, policy: offers.OfferPolicy | None = None, *, seed: int | None = None):
        self.log = log
        self.policy = policy or offers.UniformOfferPolicy(default_catalogue(), version=UNIFORM_VERSION)
        self._chooser = offers.Chooser(self.policy, seed=seed)

    @classmethod
    def from_checkpoint(cls, log: OfferDecisionLog, model: bytes | str | Path | None, *,
                        catalogue: Catalogue | None = None, seed: int | None = None) -> BanditOfferPolicy:
        """A VW checkpoint (bytes, or the path of a file holding them; its exploration is the one it was
        trained with), or None: the uniform policy."""
        catalogue = catalogue or default_catalogue()
        if model is None:
            return cls(log, offers.UniformOfferPolicy(catalogue, version=UNIFORM_VERSION), seed=seed)
        data = model if isinstance(model, bytes) else Path(model).read_bytes()
        if not data:
            raise ValueError("the offer model checkpoint is empty")
        return cls(log, offers.VowpalOfferPolicy(catalogue, model=data, checkpoint=checkpoint_version(data)),
                   seed=seed)

    @property
    def catalogue(self) -> Catalogue:
        return self.policy.catalogue

    def choose(self, context: OfferContext) -> OfferDecision:
        if context.category is None:
            return OfferDecision(offer=None, propensity=1.0, policy_version="not_configured", configured=False,
                                 detail=NO_MERCHANT_CATEGORY)
        now = context.now
        allowed = self.catalogue.for_category(context.category)
        past = self.log.recent(context.merchant_id, context.customer_id, since=now - DECISIONS_LOOKBACK,
                               limit=DECISIONS_READ)
        standing = self._standing(past, now, allowed)
        if standing is not None:
            return self._shown(standing)
        history = CustomerHistory(purchases_from(context.recent),
                                  tuple(OfferShown(d.at, d.action) for d in past if d.at <= now))
        choice = self._chooser.choose(customer_features(history, now), customer_id=context.customer_id, at=now,
                                      actions=allowed)
        d = choice.decision
        record = DecisionRecord(context.merchant_id, context.customer_id, d.decision_id, now, d.policy_version,
                                d.action, d.propensity, d.actions, d.probabilities, d.context)
        latest = next((p for p in past if p.at <= now), None)
        shown = self.log.claim(record, latest.decision_id if latest else None)
        # Only the winner's decision is logged; the loser appends it too (kept once by its id), so that a
        # winner that stopped between its claim and its append still leaves the decision shown in the log.
        self.log.append(shown)
        return self._shown(shown)

    def _standing(self, past: list[DecisionRecord], now: datetime, allowed: Catalogue) -> DecisionRecord | None:
        """The newest decision, while it is still active and its offer one the merchant's category allows (an
        operator who changed the category lapses an offer of the old one: it could no longer pay)."""
        latest = next((d for d in past if d.at <= now), None)
        if latest is None or latest.action not in allowed.ids:
            return None
        offer = self.catalogue.by_id(latest.action)
        hold = timedelta(days=offer.duration_days) if offer.is_offer else NO_OFFER_HOLD
        return latest if now < latest.at + hold else None

    def _shown(self, record: DecisionRecord) -> OfferDecision:
        offer = port_offer(self.catalogue.by_id(record.action), record.at, record.decision_id)
        return OfferDecision(offer=offer, propensity=record.propensity, policy_version=record.policy_version)
