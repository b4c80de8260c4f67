"""fraud_world: an independent synthetic card-payment world with labelled (and mislabelled) fraud.

Provenance (added when it was copied into SmartPay, issue #16, standard 8; nothing below this note was changed in
substance): written by a separate helper session that never read SmartPay's fraud feature, model, training or
generator code - only the CSV file schema in docs/fraud.md. Copied from /work/blind/fraud_world.py unchanged
except for lint/imports. It was NOT tuned on: the first protocol run on it (services/fraud/evaluation/
protocol_fraud_world_seed7.json, docs/fraud.md) is the held-out figure; nothing in the features or the model was
changed before it.

Written without reading any SmartPay fraud/feature/generator code; only the CSV schema of docs/fraud.md.
numpy + pandas only.  ``generate(seed, n_customers, days)`` returns one row per payment, ordered by time:

    transaction_id, timestamp, card_id, customer_id, merchant_id, terminal_id, amount (integer minor units of
    `currency`), currency, country, device_id, ip_address, merchant_category, is_fraud, label_known_at

`country` is where the payment was made from: the merchant's country for card-present payments, the
IP-geolocated country for card-not-present (CNP) ones.  `device_id` / `ip_address` are empty for card-present
payments and merchant-initiated (recurring) charges.  `is_fraud` is the label *as the payments company would
have it*: true fraud that nobody ever reported is 0, friendly-fraud disputes on genuine payments are 1.
`label_known_at` is set on every row with is_fraud = 1 and may lie after the last payment of the file
(chargebacks still in flight at the data cut).  The ground truth (true fraud flag and mechanism per
transaction_id) is kept in ``df.attrs["truth"]`` (also returned by ``generate_with_truth``); it is not a column.

World (defaults: 2000 customers, 63 days from Mon 2025-10-06, ~150k payments)
--------------------------------------------------------------------------------
* 12 countries (10 home countries for customers, PT and RO mainly as travel / cash-out destinations), own
  currency and fixed UTC offset; ~1000 merchants in 21 categories, each with 1..~40 terminals
  (e-commerce merchants have 1-3 "channels"), lognormal popularity; global online merchants (US/IE/NL/GB)
  sell to every country.
* Customers: home country, activity rate (lognormal), income level, online affinity, car owner or not,
  commuter (public-transport taps twice per working day), gamer, night-shift workers (hours shifted ~9 h),
  1-2 cards, 1-3 devices, a home broadband IP (re-leased every 1-3 weeks) and a mobile carrier (CGNAT:
  shared addresses), 0-4 subscriptions billed on a fixed day of month by the merchant (no device/IP).
* Seasonality: per-category hour-of-day profiles in local time, weekday/weekend mix (restaurants, clothing and
  DIY up at weekends, coffee down), paydays (last working day of month in Europe, 1st/15th in the US: more and
  larger spending for 3 days, a little less just before), Black Friday / Cyber Monday (online retail,
  electronics, clothing, gift cards x2.5-3, x1.4 in that week).
* Each customer has 3 favourite merchants per category (80 % of visits) and a usual terminal there.

Legitimate behaviour that looks odd (never fraud, unless hit by friendly-fraud mislabelling)
* travel: ~7 % of customers take a 3-9 day trip abroad: home card-present spending stops, payments appear in
  the destination country at hotels/restaurants/transit at local hours, CNP from hotel wifi (foreign IP) or
  roaming (home IP); flight booked online 5-45 days before.
* new device: ~12 % of customers switch phone mid-period (new device_id from then on).
* households: ~10 % of customers share a home IP and a family tablet with another customer.
* big one-off purchases: ~4 % of customers make one 700-3500 EUR purchase (electronics, jewellery, travel,
  furniture), half of them online, a third of those from a brand-new device.
* commuter transit taps: many tiny near-identical card-present payments, twice a day.
* recurring subscriptions at 02:00-06:00 UTC with no device, night-shift workers, gamers buying at night.

Fraud mechanisms (share = typical share of TRUE fraud rows at the defaults; varies with seed)
--------------------------------------------------------------------------------
1. card_testing (~20 %): a bot tests stolen card numbers with tiny amounts (0-5 units) at a weak
   digital-goods merchant: campaigns of 10-40 cards, 1-3 attempts each, seconds to minutes apart, from a few
   devices and rotating data-centre IPs abroad.  Label: the acquirer spots 45 % of campaigns as a BIN attack
   and labels every attempt 0.5-4 days later (those cards are reissued); otherwise ~40 % of tested cards are
   cashed out later (mechanism 2) and their test rows are labelled with that chargeback in 70 % of cases;
   the rest of the tests are never labelled.
2. cnp_cashout (~30 %, 20-36 %): card-not-present fraud with cards compromised by a data breach at a popular online
   retailer (cards used there in a 3-week window; 55 % are cashed out 3-35 days later), by the testing bot
   (mechanism 1) or by phishing/malware (random victims).  1-8 purchases within hours: electronics, gift
   cards, digital goods, crypto, flights; growing amounts (median ~200 EUR), new or ring-shared devices,
   foreign hosting / residential-proxy IPs, fraudster's clock (cross-border spike at the victim's night).
   Label: cardholder chargeback, 90 % of episodes, 0.5-60 days (median ~5) after the last payment, ~6 % of
   rows never disputed; card reissued at the label time.
3. skimmed_terminal (~10 %, 5-14 %): a skimmer / POS malware on one busy grocery/fuel/convenience terminal for
   10-16 days; 60 % of the cards read there are cloned and used card-present in a burst 8-30 days later, in
   another country (70 %) or at home: 2-5 payments within hours at electronics, jewellery, clothing, grocery.
   Label: 95 %, quickly (issuer alert on foreign use / cardholder), median ~3 days.
4. lost_stolen (~10 %): wallet stolen (evenings, commutes); the thief taps the card contactless under the
   local contactless limit at 2-9 nearby merchants within a few hours until the owner notices (median ~8 h).
   Label: 97 % at the report time (+0-6 h); card blocked.
5. merchant_collusion (~10 %): a bust-out merchant (electronics / travel / online retail in PL, RO, GB or ES)
   is onboarded mid-period, builds cover with a trickle of genuine local payments and a few fraudulent ones,
   then for 5-12 days keys 10-30 stolen cards a day (round amounts, nights, one device and IP of its own,
   cardholders from every country) and vanishes.  Label: per-payment chargebacks, 85 %, 7-90 days (median
   ~25) after the payment, many after the end of the file.
6. triangulation (~10 %): a fake web shop takes real buyers' orders and fulfils them at genuine big online
   retailers with stolen cards: ordinary-looking amounts (median ~75 EUR) at normal hours, IP a residential
   proxy in the cardholder's own country, but a handful of ring devices reused across many cards all period
   long, 1-3 orders per card spread over days.  Label slow: 70 %, 10-90 days (median ~28).
7. family_fraud (~10 %): a child buys in-app items with a parent's stored card on the family device at the
   home IP (known device, known IP): 3-25 price-point purchases (0.99..99.99) at gaming / digital-goods
   merchants over 1-10 days, afternoons and evenings.  Label: the parent disputes 55 % of episodes, 3-50 days
   after the last one, 90 % of the rows of a disputed episode.
Label noise: friendly_fraud - genuine CNP payments (subscriptions, travel, digital goods, big one-offs most
often) disputed as fraud by the cardholder 7-90 days later: is_fraud = 1 for a legit row (~4-6 % of
labelled rows).  About 25-30 % of true fraud rows are never labelled (is_fraud = 0), mostly card tests.
Overall true fraud ~1-1.4 % of rows, labelled (is_fraud) rate ~0.8-1.1 %.
"""
from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

START = pd.Timestamp("2025-10-06T00:00:00Z")
DAY = 86400.0
HOUR = 3600.0

COUNTRIES = ["GB", "DE", "FR", "NL", "ES", "IT", "IE", "PL", "SE", "US", "PT", "RO"]
HOME_W = np.array([0.25, 0.15, 0.12, 0.07, 0.08, 0.08, 0.04, 0.06, 0.05, 0.10, 0.0, 0.0])
TZ = np.array([0, 1, 1, 1, 1, 1, 0, 1, 1, -5, 0, 2], dtype=float)
CUR = ["GBP", "EUR", "EUR", "EUR", "EUR", "EUR", "EUR", "PLN", "SEK", "USD", "EUR", "RON"]
FX = {"EUR": 1.0, "GBP": 0.86, "USD": 1.08, "PLN": 4.30, "SEK": 11.30, "RON": 4.97}
# contactless limit in EUR-equivalent
CTLESS_EUR = np.array([116, 50, 50, 50, 50, 50, 50, 70, 40, 93, 50, 60], dtype=float)
TRANSIT_FARE = np.array([2.80, 3.30, 2.15, 3.40, 1.50, 2.20, 2.30, 4.40, 39.0, 2.90, 1.85, 3.00])  # local major
NC = len(COUNTRIES)
CIDX = {c: i for i, c in enumerate(COUNTRIES)}

# ISP /16 prefixes per country: three broadband, one mobile carrier (CGNAT)
IP_PREFIX = {
    "GB": ["81.2", "86.139", "92.40", "82.132"], "DE": ["84.150", "91.64", "217.232", "80.187"],
    "FR": ["90.12", "86.244", "82.64", "37.171"], "NL": ["84.104", "62.195", "77.167", "31.187"],
    "ES": ["83.41", "88.27", "79.153", "37.133"], "IT": ["79.20", "93.46", "151.38", "5.90"],
    "IE": ["86.40", "89.101", "78.152", "37.228"], "PL": ["83.24", "89.64", "178.37", "31.60"],
    "SE": ["83.250", "90.224", "78.72", "46.194"], "US": ["73.12", "98.210", "24.56", "172.58"],
    "PT": ["85.240", "89.152", "2.80", "188.250"], "RO": ["86.120", "89.36", "5.12", "188.24"],
}
HOSTING = [("NL", "185.107"), ("DE", "88.198"), ("US", "104.248"), ("RO", "89.38"), ("US", "45.79"),
           ("GB", "178.62"), ("FR", "51.15"), ("PL", "193.42")]

# name, cnp, median EUR, sigma, base share, hour profile, weekend multiplier, terminals lambda, n per country
CATS = [
    ("grocery", 0, 32, 0.75, 0.19, "day", 1.35, 4, 6),
    ("convenience", 0, 9, 0.70, 0.08, "all", 1.10, 1, 6),
    ("fuel", 0, 55, 0.35, 0.06, "day", 0.90, 3, 4),
    ("restaurant", 0, 36, 0.60, 0.08, "meal", 1.60, 1, 12),
    ("coffee", 0, 4.5, 0.40, 0.08, "morning", 0.70, 1, 6),
    ("pharmacy", 0, 17, 0.70, 0.03, "day", 0.60, 1, 3),
    ("clothing", 0, 55, 0.70, 0.035, "shop", 1.80, 2, 5),
    ("electronics", 0, 110, 1.00, 0.012, "shop", 1.50, 3, 3),
    ("home_garden", 0, 40, 0.90, 0.02, "shop", 1.90, 3, 3),
    ("online_retail", 1, 42, 0.90, 0.12, "evening", 1.10, 1, 4),
    ("digital_goods", 1, 7, 0.80, 0.05, "late", 1.20, 1, 3),
    ("gaming", 1, 11, 0.80, 0.025, "late", 1.40, 1, 2),
    ("food_delivery", 1, 27, 0.40, 0.05, "dinner", 1.50, 1, 2),
    ("ride_hailing", 1, 15, 0.60, 0.04, "night", 1.40, 1, 1),
    ("travel", 1, 180, 0.80, 0.006, "day", 0.90, 1, 2),
    ("gift_cards", 1, 40, 0.50, 0.006, "evening", 1.20, 1, 1),
    ("jewelry", 0, 250, 0.90, 0.002, "shop", 1.60, 0.5, 2),
    ("crypto_exchange", 1, 150, 1.10, 0.003, "late", 1.30, 1, 1),
    ("hotel", 0, 110, 0.50, 0.0, "all", 1.0, 1, 5),
    ("transit", 0, 2.6, 0.20, 0.0, "all", 1.0, 40, 1),
    ("subscriptions", 1, 12, 0.60, 0.0, "all", 1.0, 1, 2),
]
K = len(CATS)
KIDX = {c[0]: i for i, c in enumerate(CATS)}
CAT_CNP = np.array([c[1] for c in CATS], dtype=bool)
CAT_MED = np.array([c[2] for c in CATS], dtype=float)
CAT_SIG = np.array([c[3] for c in CATS], dtype=float)
CAT_SHARE = np.array([c[4] for c in CATS], dtype=float)
CAT_WE = np.array([c[6] for c in CATS], dtype=float)
GLOBAL_N = {"online_retail": 4, "digital_goods": 4, "gaming": 3, "travel": 3, "gift_cards": 2,
            "crypto_exchange": 3, "subscriptions": 6, "food_delivery": 0}
GLOBAL_HOME = ["US", "IE", "NL", "GB"]

MECHS = ["legit", "card_testing", "cnp_cashout", "skimmed_terminal", "lost_stolen", "merchant_collusion",
         "triangulation", "family_fraud", "friendly_fraud"]
MIDX = {m: i for i, m in enumerate(MECHS)}


def _hour_profiles():
    h = np.arange(24)

    def b(mu, sd, w):
        d = np.abs(h - mu)
        d = np.minimum(d, 24 - d)
        return w * np.exp(-0.5 * (d / sd) ** 2)

    p = {
        "day": 0.006 + b(11, 2, 1) + b(17, 2.5, 1.2),
        "all": 0.03 + b(8, 1.5, .6) + b(13, 2, .8) + b(18, 2.5, 1) + b(22, 1.5, .4),
        "meal": 0.01 + b(12.5, 1, 1) + b(20, 1.5, 1.3),
        "morning": 0.01 + b(8, 1.2, 1.5) + b(14, 2, .4),
        "shop": 0.01 + b(15, 3, 1),
        "evening": 0.04 + b(12.5, 1, .4) + b(21, 2, 1),
        "late": 0.03 + b(22, 2.5, 1) + b(16, 2, .3),
        "dinner": 0.01 + b(19.5, 1.3, 1) + b(12.5, 1, .4),
        "night": 0.03 + b(8, 1, .4) + b(18, 1.5, .5) + b(23.5, 2, 1),
    }
    return {k: v / v.sum() for k, v in p.items()}


HOURP = _hour_profiles()


def _tokens(rng, prefix, n, nhex=10):
    vals = rng.integers(0, 16 ** nhex, size=int(n * 1.05) + 16, dtype=np.int64)
    vals = pd.unique(vals)[:n]
    assert len(vals) == n
    return np.array([f"{prefix}{v:0{nhex}x}" for v in vals], dtype=object)


class _Rows:
    """Column store of internal rows."""
    COLS = ("ts", "cust", "card", "merch", "term", "amount", "device", "ip", "country", "mech", "truth",
            "label_ts")

    def __init__(self):
        self.parts = []

    def add(self, **kw):
        n = len(kw["ts"])
        if n == 0:
            return
        part = {}
        for c in self.COLS:
            v = kw.get(c)
            if v is None:
                v = {"device": "", "ip": "", "label_ts": np.nan, "truth": 0, "mech": 0}[c]
            if np.ndim(v) == 0:
                v = np.full(n, v, dtype=object if isinstance(v, str) else None)
            part[c] = np.asarray(v)
        self.parts.append(part)

    def concat(self):
        return {c: np.concatenate([p[c] for p in self.parts]) for c in self.COLS}


class _World:
    def __init__(self, seed, n_customers, days):
        self.seed, self.N, self.D = seed, n_customers, days
        ss = np.random.SeedSequence(seed)
        s_world, s_legit, s_odd, s_fraud, s_label, s_ids = ss.spawn(6)
        self.rng_w = np.random.default_rng(s_world)
        self.rng_l = np.random.default_rng(s_legit)
        self.rng_o = np.random.default_rng(s_odd)
        self.rng_f = np.random.default_rng(s_fraud)
        self.rng_lab = np.random.default_rng(s_label)
        self.rng_id = np.random.default_rng(s_ids)
        self.scale = n_customers / 2000.0 * days / 63.0
        self.rows = _Rows()
        self.blocks = {}  # card index -> earliest block ts
        self._build_calendar()
        self._build_merchants()
        self._build_customers()

    # ------------------------------------------------------------------ world
    def _build_calendar(self):
        D = self.D
        dates = pd.date_range(START, periods=D, freq="D")
        self.dow = dates.day_of_week.values
        self.weekend = self.dow >= 5
        # paydays: Europe last working day of month; US 1st and 15th
        eu_pay = np.zeros(D, bool)
        us_pay = np.zeros(D, bool)
        ext = pd.date_range(START - pd.Timedelta(days=40), periods=D + 80, freq="D")
        for y, m in sorted({(d.year, d.month) for d in ext}):
            last = pd.Timestamp(year=y, month=m, day=1, tz="UTC") + pd.offsets.MonthEnd(0)
            while last.day_of_week >= 5:
                last -= pd.Timedelta(days=1)
            for pd_day, arr in ((last, eu_pay), (pd.Timestamp(year=y, month=m, day=1, tz="UTC"), us_pay),
                                (pd.Timestamp(year=y, month=m, day=15, tz="UTC"), us_pay)):
                for k in range(0, 3):
                    i = (pd_day - START).days + k
                    if 0 <= i < D:
                        arr[i] = True
        # pay factor per (country, day)
        self.payf = np.ones((NC, D))
        for ci, c in enumerate(COUNTRIES):
            pay = us_pay if c == "US" else eu_pay
            self.payf[ci, pay] = 1.25
        self.payamt = np.where(self.payf > 1, 1.1, 1.0)
        # black friday / cyber monday
        self.catday = np.ones((D, K))
        self.catday[self.weekend] *= CAT_WE
        bf = (pd.Timestamp("2025-11-28", tz="UTC") - START).days
        cm = bf + 3
        for k in ("online_retail", "electronics", "clothing", "gift_cards"):
            ki = KIDX[k]
            for d in range(bf - 4, cm + 1):
                if 0 <= d < D:
                    self.catday[d, ki] *= 1.4
            for d in (bf, cm):
                if 0 <= d < D:
                    self.catday[d, ki] *= 2.0 if k != "clothing" else 1.8

    def _build_merchants(self):
        r = self.rng_w
        rows = []
        for ci, c in enumerate(COUNTRIES):
            sf = 0.6 + 6 * HOME_W[ci]
            for ki, cat in enumerate(CATS):
                n = max(1, int(round(cat[8] * sf)))
                if cat[0] in ("crypto_exchange", "transit"):
                    n = 1
                if cat[0] == "subscriptions":
                    n = 2
                for _ in range(n):
                    rows.append((ci, ki, 0))
        for name, n in GLOBAL_N.items():
            for j in range(n):
                rows.append((CIDX[GLOBAL_HOME[j % 4]], KIDX[name], 1))
        m = np.array(rows)
        self.m_country, self.m_cat, self.m_global = m[:, 0], m[:, 1], m[:, 2].astype(bool)
        M = len(m)
        self.m_pop = r.lognormal(0, 1.0, M)
        self.m_pop[self.m_global] *= 3.0
        lam = np.array([c[7] for c in CATS])[self.m_cat]
        nterm = np.where(CAT_CNP[self.m_cat], 1 + r.binomial(2, 0.4, M), 1 + r.poisson(lam))
        nterm[self.m_cat == KIDX["transit"]] = 40
        self.m_nterm = nterm
        self.m_tstart = np.concatenate([[0], np.cumsum(nterm)[:-1]])
        self.m_tok = _tokens(r, "m_", M)
        self.t_tok = _tokens(r, "t_", int(nterm.sum()))
        self.m_cur = np.array([CUR[c] for c in self.m_country], dtype=object)
        self.m_fx = np.array([FX[c] for c in self.m_cur])
        # pools: (country, cat) -> merchant idx (local); cnp pools include global merchants
        self.pool = {}
        for ci in range(NC):
            for ki in range(K):
                loc = np.flatnonzero((self.m_country == ci) & (self.m_cat == ki) & ~self.m_global)
                if CAT_CNP[ki]:
                    glo = np.flatnonzero((self.m_cat == ki) & self.m_global)
                    loc = np.concatenate([loc, glo])
                w = self.m_pop[loc].copy()
                self.pool[(ci, ki)] = (loc, w / w.sum() if len(loc) else w)

    def add_merchant(self, ci, ki, nterm):
        """A merchant created mid-period (bust-out)."""
        r = self.rng_w
        mi = len(self.m_cat)
        self.m_country = np.append(self.m_country, ci)
        self.m_cat = np.append(self.m_cat, ki)
        self.m_global = np.append(self.m_global, False)
        self.m_pop = np.append(self.m_pop, 1.0)
        self.m_tstart = np.append(self.m_tstart, len(self.t_tok))
        self.m_nterm = np.append(self.m_nterm, nterm)
        self.t_tok = np.concatenate([self.t_tok, _tokens(r, "t_", nterm)])
        self.m_tok = np.append(self.m_tok, _tokens(r, "m_", 1))
        self.m_cur = np.append(self.m_cur, CUR[ci])
        self.m_fx = np.append(self.m_fx, FX[CUR[ci]])
        return mi

    def _build_customers(self):
        r, N = self.rng_w, self.N
        self.c_home = r.choice(NC, size=N, p=HOME_W / HOME_W.sum())
        self.c_rate = r.lognormal(np.log(0.80), 0.5, N)
        self.c_income = r.lognormal(0, 0.35, N)
        self.c_online = r.beta(2, 2, N)
        self.c_car = r.random(N) < 0.7
        self.c_commuter = r.random(N) < 0.22
        self.c_gamer = r.random(N) < 0.2
        self.c_shift = np.where(r.random(N) < 0.06, 9, 0)
        pref = CAT_SHARE[None, :] * r.gamma(2.0, 0.5, (N, K))
        pref[:, CAT_CNP] *= (0.4 + 1.2 * self.c_online)[:, None]
        pref[:, KIDX["gaming"]] *= np.where(self.c_gamer, 4.0, 0.3)
        pref[:, KIDX["fuel"]] *= self.c_car
        pref[self.c_home == CIDX["US"], KIDX["crypto_exchange"]] *= 1.5
        self.pref = pref
        # cards
        self.c_ncard = np.where(r.random(N) < 0.25, 2, 1)
        self.c_cstart = np.concatenate([[0], np.cumsum(self.c_ncard)[:-1]])
        self.card_cust = np.repeat(np.arange(N), self.c_ncard)
        self.card_tok = _tokens(r, "card_", len(self.card_cust), 12)
        self.c_tok = _tokens(r, "u_", N)
        # devices: slot 0 phone, 1 laptop, 2 tablet
        self.c_ndev = 1 + r.binomial(2, 0.45, N)
        self.dev = _tokens(r, "d_", N * 3, 12).reshape(N, 3)
        self.c_isp = r.integers(0, 3, N)
        self.c_ipc = r.integers(0, 256, N)
        self.c_ipd = r.integers(2, 254, N)
        self.c_ipperiod = r.integers(7, 22, N)
        # households share home IP and tablet
        self.c_household = np.full(N, -1)
        for ci in range(NC):
            idx = np.flatnonzero(self.c_home == ci)
            sel = idx[r.random(len(idx)) < 0.10]
            for a, b in zip(sel[0::2], sel[1::2]):
                self.c_household[a], self.c_household[b] = b, a
                self.c_isp[b], self.c_ipc[b], self.c_ipd[b] = self.c_isp[a], self.c_ipc[a], self.c_ipd[a]
                self.c_ipperiod[b] = self.c_ipperiod[a]
                self.dev[b, 2] = self.dev[a, 2]
                self.c_ndev[a] = self.c_ndev[b] = 3
        # new device mid-period
        self.c_newdev_ts = np.where(r.random(N) < 0.12, r.uniform(2, self.D - 2, N) * DAY, np.inf)
        self.c_newdev = _tokens(r, "d_", N, 12)
        # favourites per (customer, category)
        self.fav = np.zeros((N, K, 3), dtype=np.int64)
        for ci in range(NC):
            cs = np.flatnonzero(self.c_home == ci)
            if len(cs) == 0:
                continue
            for ki in range(K):
                loc, w = self.pool[(ci, ki)]
                self.fav[cs, ki, :] = r.choice(loc, size=(len(cs), 3), p=w)
        # trips
        self.trip = {}
        for c in np.flatnonzero(r.random(N) < 0.07):
            if self.D < 12:
                break
            start = int(r.integers(3, self.D - 8))
            length = int(r.integers(3, 10))
            w = np.array([.12, .1, .12, .05, .18, .14, .04, .03, .03, .07, .09, .03])
            w[self.c_home[c]] = 0
            dest = int(r.choice(NC, p=w / w.sum()))
            self.trip[int(c)] = (start, min(self.D, start + length), dest)

    # ---------------------------------------------------------------- helpers
    def home_ip(self, c, day):
        c = np.asarray(c)
        day = np.asarray(day)
        pre = np.array([IP_PREFIX[COUNTRIES[h]][k] for h, k in zip(self.c_home[c], self.c_isp[c])], dtype=object)
        epoch = (day + c % 7) // self.c_ipperiod[c]
        d4 = (self.c_ipd[c] + epoch * 37) % 252 + 2
        return np.array([f"{p}.{a}.{b}" for p, a, b in zip(pre, self.c_ipc[c], d4)], dtype=object)

    def mobile_ip(self, country_idx, r):
        country_idx = np.asarray(country_idx)
        n = len(country_idx)
        a = r.integers(0, 64, n)
        b = r.integers(1, 255, n)
        return np.array([f"{IP_PREFIX[COUNTRIES[ci]][3]}.{x}.{y}" for ci, x, y in zip(country_idx, a, b)],
                        dtype=object)

    def resi_ip(self, country_idx, r):
        country_idx = np.asarray(country_idx)
        n = len(country_idx)
        k = r.integers(0, 3, n)
        a = r.integers(0, 256, n)
        b = r.integers(2, 254, n)
        return np.array([f"{IP_PREFIX[COUNTRIES[ci]][kk]}.{x}.{y}" for ci, kk, x, y in zip(country_idx, k, a, b)],
                        dtype=object)

    def amount_minor(self, eur, merch, r, pretty=None):
        """EUR amount -> integer minor units of the merchant currency."""
        major = np.asarray(eur, float) * self.m_fx[merch]
        out = np.round(major * 100).astype(np.int64)
        if pretty is not None:
            p = np.asarray(pretty, bool) & (r.random(len(out)) < 0.5)
            out[p] = np.maximum(99, np.ceil(major[p]).astype(np.int64) * 100 - 1)
        return np.maximum(out, 0)

    def pick_merchant(self, ci, ki, r, n=None):
        loc, w = self.pool[(int(ci), int(ki))]
        return r.choice(loc, size=n, p=w)

    def term_of(self, merch, cust, r, p_usual=0.75):
        merch = np.asarray(merch)
        cust = np.asarray(cust)
        nt = self.m_nterm[merch]
        usual = (cust * 7919 + merch * 104729) % nt
        rnd = (r.random(len(merch)) * nt).astype(np.int64)
        return self.m_tstart[merch] + np.where(r.random(len(merch)) < p_usual, usual, rnd)

    def local_ts(self, day, hour_float, ci):
        return (np.asarray(day) * 24.0 + np.asarray(hour_float) - TZ[np.asarray(ci)]) * HOUR

    def block(self, card, ts):
        if np.isfinite(ts):
            card = int(card)
            self.blocks[card] = min(self.blocks.get(card, np.inf), float(ts))

    # ------------------------------------------------------------------ legit
    def gen_legit(self):
        r, N, D = self.rng_l, self.N, self.D
        # expected count per (customer, day)
        core = CAT_SHARE > 0
        prefc = self.pref * core
        base = prefc.sum(1)
        mult = (prefc @ self.catday.T) / base[:, None]          # N x D
        lam = self.c_rate[:, None] * mult * self.payf[self.c_home]
        lam *= np.where(self.weekend, 1.05, 1.0)[None, :]
        cnt = r.poisson(lam)
        cust, day = np.nonzero(cnt)
        rep = cnt[cust, day]
        cust = np.repeat(cust, rep)
        day = np.repeat(day, rep)
        n = len(cust)
        # category
        p = prefc[cust] * self.catday[day]
        cdf = np.cumsum(p, 1)
        u = r.random(n) * cdf[:, -1]
        cat = (cdf < u[:, None]).sum(1)
        cat = np.minimum(cat, K - 1)
        # hour (local)
        hour = np.zeros(n)
        for ki in np.unique(cat):
            sel = cat == ki
            hour[sel] = r.choice(24, size=sel.sum(), p=HOURP[CATS[ki][5]])
        hour = (hour + self.c_shift[cust]) % 24 + r.random(n)
        home = self.c_home[cust]
        ts = self.local_ts(day, hour, home) + r.random(n)
        # merchant
        merch = np.zeros(n, dtype=np.int64)
        favpick = r.random(n) < 0.8
        slot = r.choice(3, size=n, p=[0.6, 0.28, 0.12])
        merch[favpick] = self.fav[cust[favpick], cat[favpick], slot[favpick]]
        key = home * K + cat
        nf = np.flatnonzero(~favpick)
        order = nf[np.argsort(key[nf], kind="stable")]
        ks, starts = np.unique(key[order], return_index=True)
        bounds = list(starts) + [len(order)]
        for j, kk in enumerate(ks):
            idx = order[bounds[j]:bounds[j + 1]]
            merch[idx] = self.pick_merchant(kk // K, kk % K, r, len(idx))
        term = self.term_of(merch, cust, r)
        # amount
        eur = CAT_MED[cat] * np.exp(CAT_SIG[cat] * r.standard_normal(n)) * self.c_income[cust] \
            * self.payamt[home, day]
        pretty = np.isin(cat, [KIDX[k] for k in ("clothing", "online_retail", "electronics", "digital_goods",
                                                  "gaming", "home_garden")])
        amount = self.amount_minor(eur, merch, r, pretty)
        # card
        card = self.c_cstart[cust] + np.where((self.c_ncard[cust] == 2) &
                                              (r.random(n) < np.where(CAT_CNP[cat], 0.5, 0.3)), 1, 0)
        self.rows.add(ts=ts, cust=cust, card=card, merch=merch, term=term, amount=amount,
                      country=np.array(COUNTRIES, dtype=object)[self.m_country[merch]])
        self._commuters()
        self._subscriptions()
        self._big_oneoffs()

    def _commuters(self):
        r, D = self.rng_l, self.D
        cs = np.flatnonzero(self.c_commuter)
        wd = np.flatnonzero(~self.weekend)
        cust = np.repeat(cs, len(wd))
        day = np.tile(wd, len(cs))
        keep = r.random(len(cust)) < 0.85
        cust, day = cust[keep], day[keep]
        n = len(cust)
        home = self.c_home[cust]
        tm = np.array([np.flatnonzero((self.m_cat == KIDX["transit"]) & (self.m_country == ci))[0]
                       for ci in range(NC)])
        merch = tm[home]
        out = []
        for leg, (mu, sd) in enumerate(((8.0, 0.6), (17.8, 0.9))):
            hour = mu + sd * r.standard_normal(n)
            ts = self.local_ts(day, hour, home)
            station = (cust * (31 + leg * 17) + leg * 11) % 40
            st = np.where(r.random(n) < 0.9, station, r.integers(0, 40, n))
            term = self.m_tstart[merch] + st
            fare = TRANSIT_FARE[home] * np.where(r.random(n) < 0.15, 0.6, 1.0)
            amount = np.round(fare * 100).astype(np.int64)
            card = self.c_cstart[cust]
            self.rows.add(ts=ts, cust=cust, card=card, merch=merch, term=term, amount=amount,
                          country=np.array(COUNTRIES, dtype=object)[home])

    def _subscriptions(self):
        r, N, D = self.rng_l, self.N, self.D
        ki = KIDX["subscriptions"]
        nsub = np.minimum(r.poisson(1.4, N), 4)
        dates = pd.date_range(START, periods=D, freq="D")
        dom = dates.day.values
        for c in range(N):
            for _ in range(nsub[c]):
                m = self.pick_merchant(self.c_home[c], ki, r)
                bill = int(r.integers(1, 29))
                price_eur = float(r.choice([4.99, 7.99, 9.99, 12.99, 14.99, 19.99, 29.99, 44.0]))
                days = np.flatnonzero(dom == bill)
                if len(days) == 0:
                    continue
                ts = days * DAY + r.uniform(2, 6, len(days)) * HOUR
                amt = int(round(price_eur * self.m_fx[m] * 100))
                self.rows.add(ts=ts, cust=np.full(len(days), c), card=np.full(len(days), self.c_cstart[c]),
                              merch=np.full(len(days), m), term=np.full(len(days), self.m_tstart[m]),
                              amount=np.full(len(days), amt), country=COUNTRIES[self.m_country[m]],
                              device="-", ip="-")  # '-' = merchant-initiated, blanked later

    def _big_oneoffs(self):
        r, N, D = self.rng_o, self.N, self.D
        for c in np.flatnonzero(r.random(N) < 0.04):
            online = r.random() < 0.5
            ki = KIDX[r.choice(["online_retail", "travel"])] if online else \
                KIDX[r.choice(["electronics", "jewelry", "home_garden"])]
            m = self.pick_merchant(self.c_home[c], ki, r)
            day = int(r.integers(0, D))
            ts = self.local_ts(day, r.uniform(10, 21), self.c_home[c])
            eur = r.uniform(700, 3500)
            amt = self.amount_minor([eur], [m], r)
            dev = self.c_newdev[c] if online and r.random() < 0.33 else None
            if dev is not None:
                # a brand-new device (e.g. bought the laptop, ordering accessories / first use)
                dev = _tokens(r, "d_", 1, 12)[0]
            self.rows.add(ts=[ts], cust=[c], card=[self.c_cstart[c]], merch=[m],
                          term=self.term_of([m], [c], r), amount=amt,
                          country=[COUNTRIES[self.m_country[m]]],
                          device=[dev if dev else ""], ip=[""], mech=[MIDX["legit"]], truth=[0],
                          label_ts=[-1.0])  # -1 marks big one-off (for friendly-fraud odds)

    def apply_trips(self, R):
        """Replace home card-present spending during trips by spending abroad."""
        r = self.rng_o
        drop = np.zeros(len(R["ts"]), bool)
        is_cp = ~CAT_CNP[self.m_cat[R["merch"]]]
        add = _Rows()
        for c, (d0, d1, dest) in sorted(self.trip.items()):
            sel = (R["cust"] == c) & (R["ts"] >= d0 * DAY) & (R["ts"] < d1 * DAY)
            drop |= sel & is_cp & (r.random(len(sel)) < 0.92)
            # CNP during the trip: roaming (home mobile IP) or hotel wifi (dest IP) -> mark country
            cnp_sel = np.flatnonzero(sel & ~is_cp)
            wifi = cnp_sel[r.random(len(cnp_sel)) < 0.5]
            R["ip"][wifi] = self.resi_ip(np.full(len(wifi), dest), r)
            R["country"][wifi] = COUNTRIES[dest]
            # flight booking
            bd = d0 - int(r.integers(5, 46))
            card = self.c_cstart[c]
            if bd >= 0:
                m = self.pick_merchant(self.c_home[c], KIDX["travel"], r)
                add.add(ts=[self.local_ts(bd, r.uniform(9, 23), self.c_home[c])], cust=[c], card=[card],
                        merch=[m], term=[self.m_tstart[m]], amount=self.amount_minor([r.uniform(150, 900)], [m], r),
                        country=[COUNTRIES[self.c_home[c]]])
            for d in range(d0, d1):
                k = int(r.integers(2, 7))
                cats = r.choice(["restaurant", "coffee", "transit", "convenience", "grocery", "clothing",
                                 "restaurant", "ride_hailing"], size=k)
                for cat in cats:
                    ki = KIDX[cat]
                    m = self.pick_merchant(dest, ki, r)
                    hour = r.choice(24, p=HOURP[CATS[ki][5]]) + r.random()
                    eur = CAT_MED[ki] * np.exp(CAT_SIG[ki] * r.standard_normal()) * self.c_income[c] * 1.2
                    dev, ip, ctry = "", "", COUNTRIES[dest]
                    if CAT_CNP[ki]:
                        dev = self.dev[c, 0]
                        ip = self.mobile_ip([self.c_home[c]], r)[0]
                        ctry = COUNTRIES[self.c_home[c]]
                    add.add(ts=[self.local_ts(d, hour, dest)], cust=[c], card=[card], merch=[m],
                            term=self.term_of([m], [c], r, 0.0), amount=self.amount_minor([eur], [m], r),
                            country=[ctry], device=[dev], ip=[ip])
            if d1 - 1 > d0:
                m = self.pick_merchant(dest, KIDX["hotel"], r)
                eur = r.uniform(80, 180) * (d1 - d0) * self.c_income[c]
                add.add(ts=[self.local_ts(d1 - 1, r.uniform(8, 11.5), dest)], cust=[c], card=[card], merch=[m],
                        term=self.term_of([m], [c], r, 0.0), amount=self.amount_minor([eur], [m], r),
                        country=[COUNTRIES[dest]])
        for k in R:
            R[k] = R[k][~drop]
        if add.parts:
            A = add.concat()
            for k in R:
                R[k] = np.concatenate([R[k], A[k].astype(R[k].dtype) if k not in ("device", "ip", "country")
                                       else A[k]])
        return R

    def assign_cnp_identity(self, R):
        """device / IP for customer-initiated CNP legit rows that have none yet."""
        r = self.rng_l
        cnp = CAT_CNP[self.m_cat[R["merch"]]]
        need = np.flatnonzero(cnp & (R["mech"] == 0) & (R["device"] != "-") &
                              ((R["device"] == "") | (R["ip"] == "")))
        cust = R["cust"][need]
        day = (R["ts"][need] // DAY).astype(np.int64)
        nd = self.c_ndev[cust]
        slot = np.where(r.random(len(need)) < 0.7, 0, (r.random(len(need)) * nd).astype(np.int64))
        dev = self.dev[cust, slot]
        switched = (slot == 0) & (R["ts"][need] >= self.c_newdev_ts[cust])
        dev[switched] = self.c_newdev[cust[switched]]
        home = r.random(len(need)) < np.where(slot == 0, 0.45, 0.9)
        ip = np.where(home, self.home_ip(cust, day), self.mobile_ip(self.c_home[cust], r))
        has_dev = R["device"][need] != ""
        has_ip = R["ip"][need] != ""
        R["device"][need] = np.where(has_dev, R["device"][need], dev)
        R["country"][need] = np.where(has_ip, R["country"][need],
                                      np.array(COUNTRIES, dtype=object)[self.c_home[cust]])
        R["ip"][need] = np.where(has_ip, R["ip"][need], ip)
        # merchant-initiated: blank
        mi = R["device"] == "-"
        R["device"][mi] = ""
        R["ip"][mi] = ""
        return R

    # ------------------------------------------------------------------ fraud
    def lognormal_days(self, median, sd, lo, hi, n=None):
        r = self.rng_lab
        return np.clip(median * np.exp(sd * r.standard_normal(n)), lo, hi) * DAY

    def ring_device(self, r, k):
        return _tokens(r, "d_", k, 12)

    def hosting_ip(self, r, n):
        idx = r.integers(0, len(HOSTING), n)
        a = r.integers(0, 256, n)
        b = r.integers(2, 254, n)
        return (np.array([HOSTING[i][0] for i in idx], dtype=object),
                np.array([f"{HOSTING[i][1]}.{x}.{y}" for i, x, y in zip(idx, a, b)], dtype=object))

    def add_fraud(self, mech, ts, card, merch, eur=None, amount=None, device="", ip="", country=None,
                  label_ts=np.nan, term=None, r=None):
        r = r or self.rng_f
        ts = np.atleast_1d(np.asarray(ts, float))
        n = len(ts)
        card = np.broadcast_to(np.asarray(card), (n,)).astype(np.int64)
        merch = np.broadcast_to(np.asarray(merch), (n,)).astype(np.int64)
        cust = self.card_cust[card]
        if amount is None:
            amount = self.amount_minor(np.broadcast_to(eur, (n,)), merch, r)
        if term is None:
            term = self.term_of(merch, cust, r, 0.0)
        if country is None:
            country = np.array(COUNTRIES, dtype=object)[self.m_country[merch]]
        self.rows.add(ts=ts, cust=cust, card=card, merch=merch, term=term, amount=amount,
                      device=np.broadcast_to(np.asarray(device, dtype=object), (n,)).copy(),
                      ip=np.broadcast_to(np.asarray(ip, dtype=object), (n,)).copy(),
                      country=np.broadcast_to(np.asarray(country, dtype=object), (n,)).copy(),
                      mech=MIDX[mech], truth=1, label_ts=np.broadcast_to(np.asarray(label_ts, float), (n,)).copy())

    def label_rows(self, n, p_episode, miss, when):
        """label times for n rows of one episode (nan = never labelled)."""
        r = self.rng_lab
        if r.random() >= p_episode:
            return np.full(n, np.nan)
        lab = np.full(n, float(when))
        lab[r.random(n) < miss] = np.nan
        return lab

    def gen_fraud(self, R):
        self.cashout_queue = []  # (card, earliest start ts, test label decision)
        self._card_testing()
        self._breach(R)
        self._skimming(R)
        self._cnp_cashout()
        self._lost_stolen()
        self._collusion()
        self._triangulation()
        self._family()

    def _random_cards(self, n, r):
        cust = r.integers(0, self.N, n)
        return self.c_cstart[cust] + np.where(self.c_ncard[cust] == 2, r.integers(0, 2, n), 0)

    def _card_testing(self):
        r, D = self.rng_f, self.D
        n_camp = max(1, int(round(D / 8.0 * self.N / 2000.0)) + int(r.integers(-1, 2)))
        self.n_camp = n_camp
        testm = np.flatnonzero((self.m_cat == KIDX["digital_goods"]) & ~self.m_global)
        weak = r.choice(testm, size=3, replace=False)  # a few weak merchants get hit repeatedly
        for _ in range(n_camp):
            m = int(r.choice(weak))
            t = r.uniform(0.5, D - 1) * DAY
            cards = self._random_cards(int(r.integers(10, 41)), r)
            cards = np.unique(cards)
            r.shuffle(cards)
            devs = self.ring_device(r, int(r.integers(1, 4)))
            ipc, ipp = self.hosting_ip(r, int(r.integers(3, 15)))
            detected = r.random() < 0.45
            rows_ts, rows_card = [], []
            for cd in cards:
                for _a in range(int(r.integers(1, 4))):
                    t += r.exponential(40.0)
                    rows_ts.append(t)
                    rows_card.append(cd)
            rows_ts, rows_card = np.array(rows_ts), np.array(rows_card)
            n = len(rows_ts)
            amt_major = r.choice([0, 0.01, 0.5, 1, 1, 1, 1.99, 2, 5], size=n) + \
                np.where(r.random(n) < 0.3, r.integers(0, 100, n) / 100.0, 0)
            amount = np.round(amt_major * 100).astype(np.int64)
            k = r.integers(0, len(ipp), n)
            if detected:
                lab = np.full(n, rows_ts.max() + self.lognormal_days(1.5, 0.5, 0.5, 4))
                for cd in np.unique(rows_card):
                    self.block(cd, lab[0])
                self.add_fraud("card_testing", rows_ts, rows_card, m, amount=amount,
                               device=r.choice(devs, n), ip=ipp[k], country=ipc[k], label_ts=lab)
            else:
                rowid0 = len(self.rows.parts)
                self.add_fraud("card_testing", rows_ts, rows_card, m, amount=amount,
                               device=r.choice(devs, n), ip=ipp[k], country=ipc[k], label_ts=np.nan)
                for cd in np.unique(rows_card):
                    if r.random() < 0.4:
                        last = rows_ts[rows_card == cd].max()
                        self.cashout_queue.append((int(cd), last + r.uniform(0.25, 6) * DAY,
                                                   (rowid0, int(cd))))

    def _breach(self, R):
        r, D = self.rng_f, self.D
        # a popular online retailer in a big market is breached for ~3 weeks
        cand = np.flatnonzero((self.m_cat == KIDX["online_retail"]) & ~self.m_global &
                              np.isin(self.m_country, [CIDX["GB"], CIDX["DE"], CIDX["FR"]]))
        counts = np.bincount(R["merch"], minlength=len(self.m_cat))[cand]
        m = cand[np.argmax(counts)]
        w0 = r.uniform(0, max(1, D * 0.35)) * DAY
        w1 = w0 + 21 * DAY
        sel = (R["merch"] == m) & (R["ts"] >= w0) & (R["ts"] < w1)
        cards = np.unique(R["card"][sel])
        self.breach_info = (self.m_tok[m], len(cards))
        for cd in cards:
            if r.random() < 0.55:
                tfirst = R["ts"][sel & (R["card"] == cd)].min()
                self.cashout_queue.append((int(cd), max(w1, tfirst) + r.uniform(3, 35) * DAY, None))

    def _cnp_cashout(self):
        r, D = self.rng_f, self.D
        # phishing / malware victims
        n_ph = r.poisson(0.006 * self.N * D / 63.0 * 2)
        for cd in self._random_cards(n_ph, r):
            self.cashout_queue.append((int(cd), r.uniform(0, D) * DAY, None))
        ring_devs = self.ring_device(r, 6)
        cats = [KIDX[k] for k in ("online_retail", "gift_cards", "digital_goods", "crypto_exchange", "travel")]
        cat_p = np.array([0.4, 0.2, 0.12, 0.15, 0.13])
        for cd, t0, test_ref in self.cashout_queue:
            if t0 >= D * DAY:
                continue
            c = self.card_cust[cd]
            home = self.c_home[c]
            n = min(8, 1 + r.geometric(0.35))
            # fraudster clock: start in his evening / night (UTC+2 ring or UTC-5 ring)
            ts = t0 + np.cumsum(r.exponential(2 * HOUR, n))
            ts = ts[ts < D * DAY]
            if len(ts) == 0:
                continue
            n = len(ts)
            dev = r.choice(ring_devs) if r.random() < 0.4 else self.ring_device(r, 1)[0]
            mode = r.random()
            if mode < 0.5:
                ctry, ip = self.hosting_ip(r, 1)
                ctry, ip = ctry[0], ip[0]
            elif mode < 0.8:
                ctry, ip = COUNTRIES[home], self.resi_ip([home], r)[0]
            else:
                fc = int(r.choice([CIDX["RO"], CIDX["US"], CIDX["PL"], CIDX["NL"]]))
                ctry, ip = COUNTRIES[fc], self.resi_ip([fc], r)[0]
            ks = r.choice(cats, size=n, p=cat_p)
            merch = np.array([self.pick_merchant(home, k, r) for k in ks])
            eur = 200 * np.exp(0.7 * r.standard_normal(n)) * np.linspace(0.6, 1.4, n)
            gc = ks == KIDX["gift_cards"]
            eur[gc] = r.choice([50, 100, 100, 200, 250], size=gc.sum())
            lab = self.label_rows(n, 0.90, 0.06, ts.max() + self.lognormal_days(5, 0.8, 0.5, 60))
            if np.isfinite(lab).any():
                self.block(cd, np.nanmin(lab))
            self.add_fraud("cnp_cashout", ts, cd, merch, eur=eur, device=dev, ip=ip, country=ctry, label_ts=lab)
            if test_ref is not None and np.isfinite(lab).any() and r.random() < 0.7:
                part = self.rows.parts[test_ref[0]]
                sel = part["card"] == test_ref[1]
                part["label_ts"][sel] = np.nanmin(lab)

    def _skimming(self, R):
        r, D = self.rng_f, self.D
        n_ev = max(1, int(round(D / 40.0 * self.N / 2000.0)))
        cp_cats = [KIDX[k] for k in ("grocery", "fuel", "convenience")]
        for e in range(n_ev):
            w0 = r.uniform(0, max(1, D * 0.45)) * DAY
            w1 = w0 + r.uniform(10, 16) * DAY
            win = (R["ts"] >= w0) & (R["ts"] < w1) & np.isin(self.m_cat[R["merch"]], cp_cats)
            terms, cnts = np.unique(R["term"][win], return_counts=True)
            if len(terms) == 0:
                continue
            top = terms[np.argsort(-cnts, kind="stable")[:12]]
            t = int(r.choice(top))
            cards = np.unique(R["card"][win & (R["term"] == t)])
            cash_day = w1 + r.uniform(8, 30) * DAY
            away = r.random() < 0.7
            dest = int(r.choice([CIDX["RO"], CIDX["ES"], CIDX["IT"], CIDX["US"], CIDX["PL"], CIDX["PT"]]))
            for cd in cards:
                if r.random() >= 0.6:
                    continue
                c = self.card_cust[cd]
                ci = dest if away and dest != self.c_home[c] else self.c_home[c]
                t0 = cash_day + r.uniform(0, 4) * DAY
                n = int(r.integers(2, 6))
                ts = t0 + np.cumsum(r.exponential(1.2 * HOUR, n))
                ts = ts[ts < D * DAY]
                if len(ts) == 0:
                    continue
                n = len(ts)
                ks = r.choice([KIDX[k] for k in ("electronics", "jewelry", "clothing", "grocery", "convenience")],
                              size=n, p=[0.35, 0.15, 0.2, 0.15, 0.15])
                merch = np.array([self.pick_merchant(ci, k, r) for k in ks])
                eur = 180 * np.exp(0.6 * r.standard_normal(n))
                lab = self.label_rows(n, 0.95, 0.03, ts.max() + self.lognormal_days(3, 0.7, 0.3, 30))
                if np.isfinite(lab).any():
                    self.block(cd, np.nanmin(lab))
                self.add_fraud("skimmed_terminal", ts, cd, merch, eur=eur, label_ts=lab)

    def _lost_stolen(self):
        r, D = self.rng_f, self.D
        n_ep = r.poisson(0.022 * self.N * D / 63.0)
        cats = [KIDX[k] for k in ("convenience", "grocery", "fuel", "clothing", "electronics", "restaurant",
                                  "pharmacy")]
        for c in r.integers(0, self.N, n_ep):
            cd = self.c_cstart[c]
            home = self.c_home[c]
            day = r.uniform(0, D - 0.5)
            hour = r.choice([r.uniform(17, 24), r.uniform(7, 10), r.uniform(11, 17)], p=None)
            theft = self.local_ts(int(day), hour, home)
            notice = theft + np.clip(8 * np.exp(0.9 * r.standard_normal()), 1, 30) * HOUR
            n = int(r.integers(2, 10))
            ts = theft + r.uniform(10, 90) * 60 + np.cumsum(r.exponential(30 * 60, n))
            ts = ts[(ts < notice) & (ts < D * DAY) & (ts >= 0)]
            if len(ts) == 0:
                continue
            n = len(ts)
            ks = r.choice(cats, size=n)
            merch = np.array([self.pick_merchant(home, k, r) for k in ks])
            eur = CTLESS_EUR[home] * r.uniform(0.4, 0.98, n)
            lab = self.label_rows(n, 0.97, 0.0, notice + r.uniform(0, 6) * HOUR)
            self.block(cd, notice)
            self.add_fraud("lost_stolen", ts, cd, merch, eur=eur, label_ts=lab)

    def _collusion(self):
        r, D = self.rng_f, self.D
        n_m = max(1, int(round(D / 50.0 * self.N / 2000.0 + r.random() - 0.5)))
        for _ in range(n_m):
            ci = int(r.choice([CIDX["PL"], CIDX["RO"], CIDX["GB"], CIDX["ES"]]))
            ki = KIDX[r.choice(["electronics", "travel", "online_retail"])]
            m = self.add_merchant(ci, ki, int(r.integers(1, 3)))
            onboard = int(r.integers(3, max(4, D - 28)))
            cover = int(r.integers(8, 18))
            bust = int(r.integers(5, 13))
            dev = self.ring_device(r, 2)
            ipc, ip = self.hosting_ip(r, 1)
            own_ip = self.resi_ip([ci], r)[0]
            locals_ = np.flatnonzero(self.c_home == ci)
            if len(locals_) == 0:
                locals_ = np.arange(self.N)
            for d in range(onboard, min(D, onboard + cover + bust)):
                # cover: genuine local customers
                nl = r.poisson(2.0 if d < onboard + cover else 1.0)
                if nl:
                    cs = r.choice(locals_, nl)
                    ts = self.local_ts(d, r.uniform(9, 20, nl), ci)
                    eur = 60 * np.exp(0.6 * r.standard_normal(nl))
                    cnp = CAT_CNP[ki]
                    self.rows.add(ts=ts, cust=cs, card=self.c_cstart[cs], merch=np.full(nl, m),
                                  term=self.m_tstart[m] + r.integers(0, self.m_nterm[m], nl),
                                  amount=self.amount_minor(eur, np.full(nl, m), r),
                                  country=np.array(COUNTRIES, dtype=object)[self.c_home[cs]] if cnp else COUNTRIES[ci],
                                  device=self.dev[cs, 0] if cnp else "",
                                  ip=self.home_ip(cs, np.full(nl, d)) if cnp else "")
                nf = r.poisson(1.0 if d < onboard + cover else r.uniform(10, 30))
                if nf == 0:
                    continue
                cards = self._random_cards(nf, r)
                hours = np.where(r.random(nf) < 0.7, r.uniform(-3, 5, nf), r.uniform(5, 24, nf))
                ts = np.sort(self.local_ts(d, hours, ci))
                ts = ts[(ts >= 0) & (ts < D * DAY)]
                cards = cards[:len(ts)]
                if len(ts) == 0:
                    continue
                # some cards hit twice
                rep = r.random(len(ts)) < 0.25
                ts = np.concatenate([ts, ts[rep] + r.uniform(600, 7200, rep.sum())])
                cards = np.concatenate([cards, cards[rep]])
                keep = ts < D * DAY
                ts, cards = ts[keep], cards[keep]
                n = len(ts)
                major = r.choice([99, 149, 199, 249, 299, 399, 499, 750, 1000], n)
                amount = (major * 100 * (1 if self.m_cur[m] in ("EUR", "GBP", "USD") else 4)).astype(np.int64)
                lab = np.where(self.rng_lab.random(n) < 0.85, ts + self.lognormal_days(25, 0.5, 7, 90, n), np.nan)
                for cd, lt in zip(cards, lab):
                    self.block(cd, lt)
                self.add_fraud("merchant_collusion", ts, cards, m, amount=amount,
                               device=r.choice(dev, n), ip=own_ip, country=COUNTRIES[ci], label_ts=lab,
                               term=self.m_tstart[m] + r.integers(0, self.m_nterm[m], n))

    def _triangulation(self):
        r, D = self.rng_f, self.D
        devs = self.ring_device(r, 5)
        cats = [KIDX[k] for k in ("online_retail", "online_retail", "online_retail", "gift_cards")]
        pool_cards = self._random_cards(int(90 * self.scale) + 5, r)
        t = r.uniform(0, 3) * DAY
        while True:
            t += r.exponential(DAY / (4.5 * self.N / 2000.0))
            if t >= D * DAY:
                break
            cd = int(r.choice(pool_cards))
            c = self.card_cust[cd]
            home = self.c_home[c]
            # shop operates on the cardholder's local day/evening
            d = int(t // DAY)
            ts = self.local_ts(d, r.choice(24, p=HOURP["evening"]) + r.random(), home)
            if ts < 0 or ts >= D * DAY:
                continue
            m = self.pick_merchant(home, int(r.choice(cats)), r)
            eur = 75 * np.exp(0.5 * r.standard_normal())
            lab = ts + self.lognormal_days(28, 0.5, 10, 90) if self.rng_lab.random() < 0.7 else np.nan
            self.block(cd, lab)
            self.add_fraud("triangulation", [ts], cd, m, eur=[eur], device=r.choice(devs),
                           ip=self.resi_ip([home], r)[0], country=COUNTRIES[home], label_ts=[lab])

    def _family(self):
        r, D = self.rng_f, self.D
        n_ep = r.poisson(0.009 * self.N * D / 63.0)
        prices = np.array([0.99, 1.99, 4.99, 4.99, 9.99, 9.99, 19.99, 49.99, 99.99])
        for c in r.integers(0, self.N, n_ep):
            cd = self.c_cstart[c]
            home = self.c_home[c]
            d0 = int(r.integers(0, D))
            span = int(r.integers(1, 11))
            n = int(r.integers(3, 26))
            days = d0 + r.integers(0, span, n)
            hrs = r.uniform(15, 22.5, n)
            ts = np.sort(self.local_ts(days, hrs, home))
            ts = ts[(ts >= 0) & (ts < D * DAY)]
            if len(ts) == 0:
                continue
            n = len(ts)
            ks = r.choice([KIDX["gaming"], KIDX["digital_goods"]], size=n, p=[0.75, 0.25])
            m1 = self.pick_merchant(home, KIDX["gaming"], r)
            merch = np.where(ks == KIDX["gaming"], m1, self.pick_merchant(home, KIDX["digital_goods"], r))
            amount = np.round(r.choice(prices, n) * 100).astype(np.int64)
            amount = np.round(amount * np.where(self.m_cur[merch] == "SEK", 10, 1)
                              * np.where(self.m_cur[merch] == "PLN", 4, 1)).astype(np.int64)
            dev = self.dev[c, 2] if self.c_ndev[c] >= 3 else self.dev[c, 0]
            lab = self.label_rows(n, 0.55, 0.10, ts.max() + self.lognormal_days(12, 0.6, 3, 50))
            if np.isfinite(lab).any():
                self.block(cd, np.nanmin(lab))
            self.add_fraud("family_fraud", ts, cd, merch, amount=amount, device=dev,
                           ip=self.home_ip([c], [int(ts[0] // DAY)])[0], country=COUNTRIES[home], label_ts=lab)

    # ------------------------------------------------------------ finishing
    def friendly(self, R):
        r = self.rng_lab
        legit = R["truth"] == 0
        cat = self.m_cat[R["merch"]]
        p = np.zeros(len(cat))
        for k, v in (("digital_goods", 0.002), ("online_retail", 0.0015), ("travel", 0.012),
                     ("subscriptions", 0.006), ("gaming", 0.002), ("food_delivery", 0.001),
                     ("gift_cards", 0.004), ("crypto_exchange", 0.004), ("clothing", 0.0005)):
            p[cat == KIDX[k]] = v
        big = R["label_ts"] == -1.0
        p[big] = 0.06
        R["label_ts"][big] = np.nan
        hit = legit & (r.random(len(p)) < p)
        R["mech"][hit] = MIDX["friendly_fraud"]
        R["label_ts"][hit] = R["ts"][hit] + self.lognormal_days(30, 0.5, 7, 90, hit.sum())
        return R


def _build(seed=7, n_customers=2000, days=63):
    W = _World(seed, n_customers, days)
    W.gen_legit()
    R = W.rows.concat()
    R["device"] = R["device"].astype(object)
    R["ip"] = R["ip"].astype(object)
    R["country"] = R["country"].astype(object)
    R = W.apply_trips(R)
    R = W.assign_cnp_identity(R)
    W.rows = _Rows()
    W.gen_fraud(R)
    F = W.rows.concat()
    for k in R:
        R[k] = np.concatenate([R[k], F[k].astype(R[k].dtype)])
    R["label_ts"] = R["label_ts"].astype(float)
    # keep inside the window
    keep = (R["ts"] >= 0) & (R["ts"] < days * DAY)
    R = {k: v[keep] for k, v in R.items()}
    R = W.friendly(R)
    # card blocks: fraud after the block is declined (dropped); genuine use moves to the reissued card
    card_str = W.card_tok[R["card"]].astype(object)
    if W.blocks:
        bc = np.array(sorted(W.blocks))
        bt = np.array([W.blocks[c] for c in bc])
        new_tok = _tokens(W.rng_id, "card_", len(bc), 12)
        pos = np.searchsorted(bc, R["card"])
        pos = np.minimum(pos, len(bc) - 1)
        hasb = bc[pos] == R["card"]
        after = hasb & (R["ts"] > bt[pos])
        drop = after & (R["truth"] == 1)
        moved = after & (R["truth"] == 0)
        card_str[moved] = new_tok[pos[moved]]
        keep = ~drop
        R = {k: v[keep] for k, v in R.items()}
        card_str = card_str[keep]
    order = np.lexsort((R["cust"], R["ts"]))
    R = {k: v[order] for k, v in R.items()}
    card_str = card_str[order]
    n = len(order)
    epoch0 = int(START.timestamp())
    ts = pd.to_datetime(np.floor(R["ts"]).astype(np.int64) + epoch0, unit="s", utc=True)
    labelled = np.isfinite(R["label_ts"])
    lab_ts = np.maximum(R["label_ts"], R["ts"] + 60)
    lab_str = np.full(n, "", dtype=object)
    if labelled.any():
        lab_str[labelled] = pd.to_datetime(np.floor(lab_ts[labelled]).astype(np.int64) + epoch0, unit="s",
                                           utc=True).strftime("%Y-%m-%dT%H:%M:%SZ").values
    df = pd.DataFrame({
        "transaction_id": _tokens(W.rng_id, "tx_", n, 14),
        "timestamp": ts.strftime("%Y-%m-%dT%H:%M:%SZ").values,
        "card_id": card_str,
        "customer_id": W.c_tok[R["cust"]],
        "merchant_id": W.m_tok[R["merch"]],
        "terminal_id": W.t_tok[R["term"]],
        "amount": R["amount"].astype(np.int64),
        "currency": W.m_cur[R["merch"]],
        "country": R["country"],
        "device_id": R["device"],
        "ip_address": R["ip"],
        "merchant_category": np.array([c[0] for c in CATS], dtype=object)[W.m_cat[R["merch"]]],
        "is_fraud": labelled.astype(np.int64),
        "label_known_at": lab_str,
    })
    truth = pd.DataFrame({"transaction_id": df["transaction_id"].values,
                          "true_fraud": R["truth"].astype(np.int64),
                          "mechanism": np.array(MECHS, dtype=object)[R["mech"]]})
    return df, truth


def generate_with_truth(seed: int = 7, n_customers: int = 2000, days: int = 63):
    """(schema DataFrame, truth DataFrame[transaction_id, true_fraud, mechanism])."""
    return _build(seed, n_customers, days)


def generate(seed: int = 7, n_customers: int = 2000, days: int = 63) -> pd.DataFrame:
    df, truth = _build(seed, n_customers, days)
    df.attrs["truth"] = truth
    return df


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("path")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--customers", type=int, default=2000)
    ap.add_argument("--days", type=int, default=63)
    ap.add_argument("--truth", help="also write transaction_id,true_fraud,mechanism here")
    a = ap.parse_args()
    t0 = time.time()
    df, truth = generate_with_truth(a.seed, a.customers, a.days)
    gen_s = time.time() - t0
    df.to_csv(a.path, index=False)
    if a.truth:
        truth.to_csv(a.truth, index=False)
    print(f"rows: {len(df)}  (generated in {gen_s:.1f}s)")
    print(f"labelled fraud rate (is_fraud): {df['is_fraud'].mean():.4%}  ({int(df['is_fraud'].sum())} rows)")
    print(f"true fraud rate: {truth['true_fraud'].mean():.4%}  ({int(truth['true_fraud'].sum())} rows)")
    t = truth.assign(is_fraud=df["is_fraud"].values)
    tab = t[t["mechanism"] != "legit"].groupby("mechanism").agg(rows=("is_fraud", "size"),
                                                                labelled=("is_fraud", "sum"))
    tf = int(truth["true_fraud"].sum())
    tab["share_of_true_fraud"] = (tab["rows"] / tf).where(tab.index != "friendly_fraud")
    print("fraud rows per mechanism:")
    print(tab.to_string(float_format=lambda x: f"{x:.1%}"))
