"""Seeded synthetic transactions: customers with cards, devices and IPs, merchants with a category and a
country, legitimate behaviour and five fraud patterns; time-ordered, 1-3 % fraud."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from smartpay_fraud.domain.features import DAY, HOUR

CATEGORIES = {  # category -> median amount in cents
    "grocery": 4_000, "restaurants": 3_500, "fuel": 6_000, "fashion": 8_000, "pharmacy": 2_500,
    "electronics": 25_000, "travel": 45_000, "digital_goods": 1_500, "gaming": 2_000, "jewelry": 60_000,
}
HOME_COUNTRIES = ["DE", "FR", "ES", "IT", "NL", "PL", "GB", "US"]
FAR_COUNTRIES = ["BR", "VN", "ID", "NG", "PH", "TH"]
CURRENCY = {"GB": "GBP", "US": "USD"}
PATTERNS = ("card_testing", "account_takeover", "compromised_merchant", "fraud_ring", "amount_anomaly",
            "friendly_fraud", "compromised_terminal")
START = pd.Timestamp("2026-01-01T00:00:00Z")
# Legit spending follows the day: most payments between 08:00 and 22:00.
_HOUR_WEIGHTS = np.array([1, 1, 1, 1, 1, 2, 3, 5, 7, 8, 8, 8, 9, 8, 8, 8, 8, 9, 9, 9, 8, 6, 4, 2], float)


@dataclass(frozen=True)
class GeneratorConfig:
    customers: int = 3_000
    days: int = 30
    seed: int = 7
    payments_per_day: float = 0.6  # mean per customer
    compromised_terminals: int = -1  # -1: one per 40 merchants (at least 1); 0: none


def generate(config: GeneratorConfig = GeneratorConfig()) -> pd.DataFrame:
    return _Generator(config).run()


class _Generator:
    def __init__(self, cfg: GeneratorConfig):
        self.cfg = cfg
        self.rng = np.random.default_rng(cfg.seed)
        self.rows: list[dict] = []
        self.span_ms = cfg.days * DAY
        self._fresh = 0

    def fresh(self, kind: str) -> str:
        self._fresh += 1
        return f"{kind}_x{self._fresh:06d}"

    def run(self) -> pd.DataFrame:
        rng, n = self.rng, self.cfg.customers
        n_merchants = max(30, n // 20)
        cats = list(CATEGORIES)
        self.m_cat = rng.choice(cats, n_merchants)
        self.m_country = rng.choice(HOME_COUNTRIES, n_merchants, p=[.25, .15, .1, .1, .1, .1, .1, .1])
        self.home = rng.choice(HOME_COUNTRIES, n, p=[.25, .15, .1, .1, .1, .1, .1, .1])
        self.cards = [[f"card_{c:06d}"] + ([f"card_{c:06d}b"] if rng.random() < .2 else []) for c in range(n)]
        self.devices = [[f"dev_{c:06d}"] + ([f"dev_{c:06d}b"] if rng.random() < .3 else []) for c in range(n)]
        shared_ips = [f"10.200.0.{i}" for i in range(20)]  # carrier NAT: many customers, one address
        self.ips = [shared_ips[rng.integers(20)] if rng.random() < .1 else f"10.{c // 65536}.{c // 256 % 256}.{c % 256}"
                    for c in range(n)]
        self.spend = rng.lognormal(0, .35, n)
        self.favourites = [rng.choice(n_merchants, rng.integers(3, 9), replace=False) for _ in range(n)]
        self._legit()
        self._card_testing(max(2, n // 120))
        self._account_takeover(max(2, n // 200))
        self._compromised_merchants(max(1, n_merchants // 60))
        self._fraud_rings(max(1, n // 400))
        self._amount_anomalies(max(2, n // 150))
        df = pd.DataFrame(self.rows)
        df = df.sort_values("ts", kind="stable").reset_index(drop=True)
        df.insert(0, "transaction_id", [f"txn_{i:08d}" for i in range(len(df))])
        df.insert(1, "timestamp", pd.to_datetime(df.pop("ts"), unit="ms", utc=True).astype("datetime64[ms, UTC]"))
        df["merchant_country"] = self.m_country[df["merchant_idx"]]
        df["merchant_category"] = self.m_cat[df["merchant_idx"]]
        df["merchant_id"] = [f"m_{i:04d}" for i in df.pop("merchant_idx")]
        df["currency"] = [CURRENCY.get(c, "EUR") for c in df["merchant_country"]]
        # Terminals, the compromised-terminal scenario and label delays draw from their own stream: the payments
        # above are the same with or without them.
        after = np.random.default_rng([self.cfg.seed, 16])
        df["terminal_id"] = _terminals(df, after)
        k = self.cfg.compromised_terminals if self.cfg.compromised_terminals >= 0 else max(1, n_merchants // 40)
        _compromise_terminals(df, k, after, self.cfg.days)
        df["label_known_at"] = _label_times(df, after)
        cols = ["transaction_id", "timestamp", "customer_id", "card_id", "device_id", "ip_address", "country",
                "merchant_id", "terminal_id", "merchant_category", "merchant_country", "amount", "currency",
                "is_fraud", "fraud_pattern", "label_known_at"]
        return df[cols]

    def _time(self, size=None) -> np.ndarray:
        day = self.rng.integers(0, self.cfg.days, size)
        hour = self.rng.choice(24, size, p=_HOUR_WEIGHTS / _HOUR_WEIGHTS.sum())
        return day * DAY + hour * HOUR + self.rng.integers(0, HOUR, size)

    def _amount(self, merchant: int, factor: float = 1.0) -> int:
        median = CATEGORIES[self.m_cat[merchant]] * factor
        return max(50, int(self.rng.lognormal(np.log(median), .6)))

    def _add(self, ts, customer, card, device, ip, country, merchant, amount, pattern=""):
        self.rows.append({"ts": int(START.value // 1_000_000 + min(max(ts, 0), self.span_ms - 1)),
                          "customer_id": customer, "card_id": card, "device_id": device, "ip_address": ip,
                          "country": country, "merchant_idx": int(merchant), "amount": int(amount),
                          "is_fraud": int(bool(pattern)), "fraud_pattern": pattern})

    def _legit(self):
        rng, n = self.rng, self.cfg.customers
        rates = rng.lognormal(np.log(self.cfg.payments_per_day), .5, n)
        counts = rng.poisson(rates * self.cfg.days)
        # Legit noise the model must not mistake for fraud: new phones, holidays far away, big one-off
        # purchases, bursts of small payments (transit, in-app), friendly-fraud chargebacks.
        for c in range(n):
            times = np.sort(self._time(counts[c]))
            switch = self.rng.integers(self.span_ms) if rng.random() < .15 else None
            new_device, trip = self.fresh("dev"), None
            if rng.random() < .04:
                start = int(rng.integers(self.span_ms))
                trip = (start, start + int(rng.integers(2, 8)) * DAY, rng.choice(HOME_COUNTRIES + FAR_COUNTRIES),
                        self.fresh("ip"))
            for t in times:
                fav = self.favourites[c]
                m = fav[rng.integers(len(fav))] if rng.random() < .85 else rng.integers(len(self.m_cat))
                device = new_device if switch is not None and t > switch else rng.choice(self.devices[c])
                country, ip = self.home[c], self.ips[c]
                if trip and trip[0] <= t < trip[1]:
                    country, ip = trip[2], trip[3]
                amount = self._amount(m, self.spend[c] * (rng.uniform(4, 12) if rng.random() < .01 else 1))
                label = "friendly_fraud" if rng.random() < .0005 else ""
                self._add(t, f"cus_{c:06d}", rng.choice(self.cards[c]), device, ip, country, m, amount, label)
                if rng.random() < .01:  # a burst of small payments at one merchant
                    for _ in range(rng.integers(3, 8)):
                        t += int(rng.integers(30_000, 10 * 60_000))
                        self._add(t, f"cus_{c:06d}", rng.choice(self.cards[c]), device, ip, country, m,
                                  rng.integers(100, 600))

    def _victim(self) -> int:
        return int(self.rng.integers(self.cfg.customers))

    def _merchants_of(self, category: str) -> np.ndarray:
        found = np.flatnonzero(self.m_cat == category)
        return found if len(found) else np.arange(len(self.m_cat))

    def _card_testing(self, k: int):
        rng = self.rng
        for _ in range(k):
            c, t = self._victim(), self._time()
            card, device, ip = rng.choice(self.cards[c]), self.fresh("dev"), self.fresh("ip")
            targets = rng.choice(self._merchants_of(rng.choice(["digital_goods", "gaming"])), rng.integers(1, 3))
            country = rng.choice(FAR_COUNTRIES) if rng.random() < .5 else self.home[c]
            pace = int(rng.choice([60_000, 5 * 60_000, 20 * 60_000]))
            for _ in range(rng.integers(4, 20)):
                t += int(rng.integers(5_000, pace))
                self._add(t, f"cus_{c:06d}", card, device, ip, country, rng.choice(targets),
                          rng.integers(50, 300), "card_testing")

    def _account_takeover(self, k: int):
        rng = self.rng
        for _ in range(k):
            c, t = self._victim(), self._time()
            device, ip = self.fresh("dev"), self.fresh("ip")
            country = rng.choice(FAR_COUNTRIES) if rng.random() < .6 else self.home[c]
            for _ in range(rng.integers(2, 6)):
                t += int(rng.integers(5 * 60_000, 6 * HOUR))
                m = rng.choice(self._merchants_of(rng.choice(["electronics", "jewelry", "travel", "fashion"])))
                self._add(t, f"cus_{c:06d}", rng.choice(self.cards[c]), device, ip, country, m,
                          self._amount(m, rng.uniform(1, 3)), "account_takeover")

    def _compromised_merchants(self, k: int):
        # Cards seen at a breached merchant are cashed out days later by one crew (a few devices).
        rng = self.rng
        legit = pd.DataFrame(self.rows)
        for _ in range(k):
            m = int(rng.integers(len(self.m_cat)))
            crew_devices = [self.fresh("dev") for _ in range(3)]
            crew_ips = [self.fresh("ip") for _ in range(2)]
            breach_end = int(self.span_ms * rng.uniform(.2, .6))
            seen = legit[(legit.merchant_idx == m) & (legit.ts - START.value // 1_000_000 < breach_end)]
            for _, row in seen.drop_duplicates("card_id").iterrows():
                if rng.random() > .25:
                    continue
                t = breach_end + int(rng.integers(DAY, 10 * DAY))
                for _ in range(rng.integers(1, 4)):
                    t += int(rng.integers(10 * 60_000, 6 * HOUR))
                    target = rng.choice(self._merchants_of(rng.choice(["electronics", "fashion", "jewelry"])))
                    self._add(t, row.customer_id, row.card_id, rng.choice(crew_devices), rng.choice(crew_ips),
                              row.country, target, self._amount(target, rng.uniform(.8, 2)), "compromised_merchant")

    def _fraud_rings(self, k: int):
        rng = self.rng
        for _ in range(k):
            devices = [self.fresh("dev") for _ in range(rng.integers(2, 5))]
            ips = [self.fresh("ip") for _ in range(rng.integers(2, 4))]
            country = rng.choice(HOME_COUNTRIES)
            for _ in range(rng.integers(8, 20)):
                card, customer = self.fresh("card"), self.fresh("cus")
                t = int(rng.integers(0, self.span_ms))
                for _ in range(rng.integers(2, 7)):
                    t += int(rng.integers(HOUR, 3 * DAY))
                    m = int(rng.integers(len(self.m_cat)))
                    self._add(t, customer, card, rng.choice(devices), rng.choice(ips), country, m,
                              self._amount(m, rng.uniform(.8, 1.6)), "fraud_ring")

    def _amount_anomalies(self, k: int):
        rng = self.rng
        for _ in range(k):
            c = self._victim()
            m = rng.choice(self._merchants_of(rng.choice(["jewelry", "electronics", "travel"])))
            self._add(self._time(), f"cus_{c:06d}", rng.choice(self.cards[c]), rng.choice(self.devices[c]),
                      self.ips[c], self.home[c], m, self._amount(m, rng.uniform(5, 20) * self.spend[c]),
                      "amount_anomaly")


def _terminals(df: pd.DataFrame, rng: np.random.Generator) -> list[str]:
    """Every merchant runs 1-6 terminals (stores, tills); a payment happens at one of its merchant's."""
    merchants = df["merchant_id"].unique()
    sizes = dict(zip(merchants, rng.integers(1, 7, len(merchants)), strict=True))
    picks = rng.random(len(df))
    return [f"{m}_t{int(p * sizes[m])}" for m, p in zip(df["merchant_id"], picks, strict=True)]


def _compromise_terminals(df: pd.DataFrame, k: int, rng: np.random.Generator, days: int) -> None:
    """A skimmed terminal: for 10-20 days from a random day, 60 % of its payments are fraud (cloned cards used
    there); nothing in the payment itself looks unusual, only the terminal's labelled past (known days later)
    gives it away."""
    terminals = df.loc[df["is_fraud"] == 0, "terminal_id"].value_counts()
    busy = terminals[terminals >= 30].index.to_numpy()
    if not len(busy) or k <= 0:
        return
    ts = ((df["timestamp"] - START) // pd.Timedelta(milliseconds=1)).to_numpy()
    t0 = 0
    for terminal in rng.choice(busy, min(k, len(busy)), replace=False):
        start = t0 + int(rng.integers(0, max(1, days - 10))) * DAY
        end = start + int(rng.integers(10, 21)) * DAY
        rows = np.flatnonzero((df["terminal_id"].to_numpy() == terminal) & (ts >= start) & (ts < end)
                              & (df["is_fraud"].to_numpy() == 0))
        hit = rows[rng.random(len(rows)) < .6]
        df.loc[hit, "is_fraud"] = 1
        df.loc[hit, "fraud_pattern"] = "compromised_terminal"


def _label_times(df: pd.DataFrame, rng: np.random.Generator) -> pd.Series:
    """When each fraud label became known: a cardholder's report or a chargeback 1-14 days after the payment
    (card testing: 0.5-3 days, the issuer sees it first), friendly fraud 20-40 days; NaT for legitimate rows."""
    n = len(df)
    delay = rng.uniform(1, 14, n) * DAY
    pattern = df["fraud_pattern"].to_numpy()
    delay = np.where(pattern == "card_testing", rng.uniform(.5, 3, n) * DAY, delay)
    delay = np.where(pattern == "friendly_fraud", rng.uniform(20, 40, n) * DAY, delay)
    known = df["timestamp"] + pd.to_timedelta(delay.astype(np.int64), unit="ms")
    return known.where(df["is_fraud"] == 1)
