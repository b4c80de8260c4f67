"""A second transaction generator, written apart from the feature code (it imports nothing of smartpay_fraud).

Design: the simulator of Le Borgne, Siblini, Lebichot and Bontempi, "Reproducible Machine Learning for Credit
Card Fraud Detection - Practical Handbook" (2022, chapter 3), re-implemented from its description; the mechanisms
are theirs, not ours, and are documented in services/fraud/SECOND_GENERATOR.md. In short:

- customers at random points of a 100 x 100 square, each with a mean amount U(5, 100) (std = mean / 2) and a mean
  of U(0, 4) payments a day; terminals at random points; a customer pays only at terminals within radius 5;
- each day a Poisson number of payments, at a time ~ N(12 h, 20,000 s) within the day, amount ~ N(mean, std)
  (negative draws redrawn as their absolute value), a terminal drawn uniformly from the customer's;
- fraud scenario 1: every payment above 220 is fraud (a rule any model should find);
- fraud scenario 2 (compromised terminals): each day 2 terminals are drawn; every payment at them during the
  next 28 days is fraud;
- fraud scenario 3 (compromised cards): each day 3 customers are drawn; during the next 14 days a third of their
  payments are fraud with the amount multiplied by 5;
- a fraud label becomes known 7 days after the payment (the handbook's feedback delay) plus U(0, 2) days.

Output: one merchant's terminal-level export, as a merchant would hand it to `smartpay fraud train --data`:
transaction_id, timestamp (UTC ISO), customer_id, terminal_id, amount (major units, 2 decimals), is_fraud,
label_known_at (empty for legitimate payments), fraud_scenario. No merchant, card, device or IP columns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

START = pd.Timestamp("2026-04-01T00:00:00Z")
SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class SimulatorConfig:
    customers: int = 1_500
    terminals: int = 3_000
    days: int = 63
    radius: float = 5.0
    seed: int = 0
    compromised_terminals_per_day: int = 2
    compromised_customers_per_day: int = 3


def simulate(cfg: SimulatorConfig = SimulatorConfig()) -> pd.DataFrame:
    rng = np.random.default_rng(cfg.seed)
    cust_xy = rng.uniform(0, 100, (cfg.customers, 2))
    mean_amount = rng.uniform(5, 100, cfg.customers)
    std_amount = mean_amount / 2
    per_day = rng.uniform(0, 4, cfg.customers)
    term_xy = rng.uniform(0, 100, (cfg.terminals, 2))
    reachable = [np.flatnonzero(((term_xy - xy) ** 2).sum(axis=1) < cfg.radius ** 2) for xy in cust_xy]

    cols: dict[str, list] = {"customer": [], "terminal": [], "seconds": [], "amount": []}
    for c in range(cfg.customers):
        if not len(reachable[c]):
            continue
        for day in range(cfg.days):
            for _ in range(rng.poisson(per_day[c])):
                second = int(rng.normal(SECONDS_PER_DAY / 2, 20_000))
                if not 0 < second < SECONDS_PER_DAY:
                    continue
                amount = abs(rng.normal(mean_amount[c], std_amount[c]))
                cols["customer"].append(c)
                cols["terminal"].append(int(rng.choice(reachable[c])))
                cols["seconds"].append(day * SECONDS_PER_DAY + second)
                cols["amount"].append(round(amount, 2))
    df = pd.DataFrame(cols).sort_values("seconds", kind="stable").reset_index(drop=True)
    df["fraud"] = 0
    df["scenario"] = 0

    df.loc[df.amount > 220, ["fraud", "scenario"]] = (1, 1)
    day = df.seconds // SECONDS_PER_DAY
    for d in range(cfg.days):
        for t in rng.choice(cfg.terminals, cfg.compromised_terminals_per_day, replace=False):
            hit = (df.terminal == t) & (day >= d) & (day < d + 28)
            df.loc[hit, ["fraud", "scenario"]] = (1, 2)
        for c in rng.choice(cfg.customers, cfg.compromised_customers_per_day, replace=False):
            window = np.flatnonzero(((df.customer == c) & (day >= d) & (day < d + 14)).to_numpy())
            picked = window[rng.random(len(window)) < 1 / 3]
            df.loc[picked, "amount"] = (df.loc[picked, "amount"] * 5).round(2)
            df.loc[picked, ["fraud", "scenario"]] = (1, 3)

    ts = START + pd.to_timedelta(df.seconds, unit="s")
    delay = pd.to_timedelta(7 * SECONDS_PER_DAY + rng.uniform(0, 2 * SECONDS_PER_DAY, len(df)), unit="s")
    known = (ts + delay).where(df.fraud == 1)
    return pd.DataFrame({
        "transaction_id": [f"hb_{i:07d}" for i in range(len(df))],
        "timestamp": ts.dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "customer_id": [f"C{c:05d}" for c in df.customer],
        "terminal_id": [f"T{t:05d}" for t in df.terminal],
        "amount": df.amount.to_numpy(),
        "is_fraud": df.fraud.to_numpy(),
        "label_known_at": known.dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "fraud_scenario": df.scenario.to_numpy(),
    })
