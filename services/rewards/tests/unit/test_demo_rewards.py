"""The demo's rewards check (smartpay_rewards.demo): expected points per customer from payment views, and a
statement agreeing only when balance, debt, earned and clawed back all match; `show` over a session answering
as the gateway does (a pending ledger first, then the applied one). The on-chain part (smartpay_rewards.demo_chain):
which customer links a wallet, when minted points agree, when a redemption agrees on ledger, chain and wallet, when
reconcile is clean, and what its tables show."""

from smartpay_rewards import demo


def view(pid, customer, captured, refunded=0, currency="USD"):
    return {"payment_id": pid, "customer_id": customer, "currency": currency, "captured_amount": captured,
            "refunded_amount": refunded}


PAYMENTS = [view("pay_1", "cus_a", 2000), view("pay_2", "cus_a", 1000, 500), view("pay_3", "cus_b", 0),
            view("pay_4", "cus_c", 2150, 2150)]


def test_expected_balances_per_customer():
    got = demo.expected_balances(PAYMENTS, "1.5")
    assert got["cus_a"] == {"earned": 45, "clawed": 7, "balance": 38, "payments": 2, "refunded": 500}
    assert got["cus_c"] == {"earned": 32, "clawed": 32, "balance": 0, "payments": 1, "refunded": 2150}
    assert "cus_b" not in got                                    # nothing captured: no account expected


def statement(balance, earned, clawed, debt=0):
    return {"balance": balance, "debt": debt, "totals": {"earned": earned, "clawed_back": clawed},
            "offers": {"status": "ok", "propensity": 1 / 17, "active": []},
            "history": [{"seq": 2, "kind": "clawback", "points": -clawed, "balance_after": balance,
                         "detail": "refunded"}, {"seq": 1, "kind": "earn", "points": earned,
                                                 "balance_after": earned, "detail": "earned"}]}


def test_a_statement_agrees_only_on_every_total():
    e = {"earned": 45, "clawed": 7, "balance": 38}
    assert demo._agrees(e, statement(38, 45, 7))
    assert not demo._agrees(e, statement(38, 45, 7, debt=1))
    assert not demo._agrees(e, statement(45, 45, 0))
    assert not demo._agrees(e, None)
    assert demo._agrees({"earned": 0, "clawed": 0, "balance": 0}, None)


def test_the_offer_cell_names_the_offer_and_its_propensity():
    shown = {"status": "ok", "propensity": 0.0588, "active": [{"title": "3x points on grocery for 7 days"}]}
    assert demo.offer_cell(shown) == "3x points on grocery for 7 days (p=0.059)"
    assert demo.offer_cell({"status": "ok", "propensity": 1 / 17, "active": []}) == "no offer (p=0.059)"
    assert demo.offer_cell({"status": "not_configured", "active": []}) == "not_configured"


class Response:
    def __init__(self, status, body):
        self.status_code, self._body = status, body

    def json(self):
        return self._body


class Gateway:
    """GET /payments/{id} and GET /rewards/{customer}: the ledger applies the events after `lag` rounds."""

    def __init__(self, lag):
        self.rounds, self.lag = 0, lag
        self.payments = {p["payment_id"]: p for p in PAYMENTS}

    def get(self, url, timeout):
        tail = url.rsplit("/", 2)
        if tail[1] == "payments":
            if tail[2] == "pay_1":
                self.rounds += 1
            return Response(200, self.payments[tail[2]])
        if self.rounds <= self.lag:
            return Response(404, {})
        return Response(200, {"cus_a": statement(38, 45, 7), "cus_c": statement(0, 32, 32)}[tail[2]])


def test_show_waits_for_the_ledger_and_passes_when_it_agrees():
    printed = []
    assert demo.show(Gateway(lag=2), "http://gw", [p["payment_id"] for p in PAYMENTS], "1.5", printed.append,
                     timeout=30)
    assert any(getattr(p, "title", "") and "clawing" in p.title for p in printed)


def test_show_fails_when_the_ledger_never_agrees():
    printed = []
    assert not demo.show(Gateway(lag=10**6), "http://gw", ["pay_1", "pay_2"], "1.5", printed.append, timeout=0)
    assert "disagree" in printed[-1]


# --- the on-chain part (smartpay_rewards.demo_chain): its rules, on readings written here ---------------------

from smartpay_rewards import demo_chain  # noqa: E402
from smartpay_rewards.demo_chain import Holdings  # noqa: E402


def rendered(table) -> str:
    from rich.console import Console

    console = Console(width=250, record=True)
    console.print(table)
    return console.export_text()


def test_holdings_read_a_statement_and_say_what_the_chain_should_hold():
    h = Holdings.of({"balance": 30, "debt": 0, "totals": {"earned": 45, "clawed_back": 7, "redeemed": 8,
                                                          "minted": 38}}, on_chain=30)
    assert (h.balance, h.entitled, h.minted, h.redeemed, h.expected_on_chain, h.on_chain) == (30, 38, 38, 8, 30, 30)


def test_the_customer_picked_has_the_most_points_and_no_debt():
    s = {"cus_a": statement(38, 45, 7), "cus_b": statement(90, 90, 0, debt=3), "cus_c": statement(38, 40, 2),
         "cus_d": None, "cus_e": statement(1, 1, 0)}
    assert demo_chain.pick_customer(s) == "cus_a"                    # 38 ties with cus_c: the first id
    assert demo_chain.pick_customer({"cus_e": statement(1, 1, 0), "cus_d": None}) is None
    assert [demo_chain.points_to_redeem(b) for b in (2, 3, 77)] == [1, 1, 38]


def test_minted_agrees_only_when_the_ledger_minted_everything_and_the_wallet_holds_it():
    assert demo_chain.minted_problems(Holdings(38, 0, 45, 7, 0, 38, 38)) == []
    not_yet = demo_chain.minted_problems(Holdings(38, 0, 45, 7, 0, 0, 0))
    assert len(not_yet) == 1 and "0 minted" in not_yet[0] and "entitled to 38" in not_yet[0]
    ledger_only = demo_chain.minted_problems(Holdings(38, 0, 45, 7, 0, 38, 0))   # the marker without the tokens
    assert len(ledger_only) == 1 and "holds 0 points on chain" in ledger_only[0]
    doubled = demo_chain.minted_problems(Holdings(38, 0, 45, 7, 0, 38, 76))
    assert len(doubled) == 1 and "expects 38" in doubled[0]


BEFORE = Holdings(38, 0, 45, 7, 0, 38, 38)
SETTLED = {"redemption_id": "q_1", "status": "settled", "points": 19, "quoted_out": 1_880_000, "min_out": 1_842_400,
           "amount_out": 1_880_000, "reference": "5sig", "reason": None, "fee_lamports": 15_000, "venue": "pool"}


def test_a_redemption_agrees_when_ledger_chain_and_wallet_moved_together():
    after = Holdings(19, 0, 45, 7, 19, 38, 19)
    assert demo_chain.redeemed_problems(BEFORE, after, 19, SETTLED, 1_880_000) == []


def test_a_redemption_disagrees_on_each_side_that_did_not_move():
    after = Holdings(19, 0, 45, 7, 19, 38, 19)
    short_paid = demo_chain.redeemed_problems(BEFORE, after, 19, SETTLED, 1_000_000)
    assert len(short_paid) == 1 and "received 1000000 lamports" in short_paid[0]
    below_min = demo_chain.redeemed_problems(BEFORE, after, 19, {**SETTLED, "amount_out": 5}, 5)
    assert len(below_min) == 1 and "below the quote's minimum" in below_min[0]
    chain_still = Holdings(19, 0, 45, 7, 19, 38, 38)                 # the ledger debited, the tokens never moved
    assert any("on chain 38 -> 38" in p for p in demo_chain.redeemed_problems(BEFORE, chain_still, 19, SETTLED,
                                                                              1_880_000))
    ledger_still = Holdings(38, 0, 45, 7, 0, 38, 19)                 # the tokens moved, the ledger never knew
    problems = demo_chain.redeemed_problems(BEFORE, ledger_still, 19, SETTLED, 1_880_000)
    assert any("ledger balance 38 -> 38" in p for p in problems) and any("expects 38" in p for p in problems)
    refused = demo_chain.redeemed_problems(BEFORE, BEFORE, 19, {**SETTLED, "status": "refused",
                                                                "reason": "rejected", "detail": "no approval"}, 0)
    assert refused == ["redemption refused: rejected no approval"]


def test_reconcile_passes_only_on_a_clean_report_and_exit_zero():
    clean = ('{"ok": true, "wallets_checked": 2, "expected_supply": 1000038, "on_chain_supply": 1000038, '
             '"mismatches": []}')
    assert demo_chain.reconcile_problems(0, clean) == []
    assert demo_chain.reconcile_problems(1, clean) == ["reconcile not ok (exit 1)"]
    short = ('{"ok": false, "wallets_checked": 2, "expected_supply": 1000038, "on_chain_supply": 1000019, '
             '"mismatches": [{"wallet": "W1", "expected": 19, "on_chain": 0, "kind": "short"}]}')
    assert demo_chain.reconcile_problems(1, short) == ["W1: ledger 19, chain 0 (short)",
                                                       "supply: ledger 1000038, chain 1000019"]
    assert "no JSON report" in demo_chain.reconcile_problems(1, "Traceback ...")[0]


def test_the_tables_show_the_readings_the_verdicts_and_the_settlement():
    after = Holdings(19, 0, 45, 7, 19, 38, 38)
    text = rendered(demo_chain.holdings_table("cus_a", "Wa11et", [
        ("just linked", Holdings(38, 0, 45, 7, 0, 0, 0), None), ("minted", BEFORE, []),
        ("after redeeming 19", after, ["on chain 38 -> 38"])]))
    lines = {line.split("│")[1].strip(): line for line in text.splitlines() if line.count("│") > 3}
    assert "not checked" in lines["just linked"] and "agree" in lines["minted"]
    assert "DIFFERS" in lines["after redeeming 19"] and "Wa11et" in text
    shown = rendered(demo_chain.redemption_table(SETTLED, 200, 1_880_000))
    assert "19 points -> 1880000 lamports (0.00188 SOL)" in shown and "min 1842400 at 200 bps" in shown
    assert "settled: 1880000 lamports paid out; transaction 5sig; fee 15000" in shown
    assert "rose by 1880000 (0.00188 SOL)" in shown
    assert demo_chain.sol(10**9) == "1 SOL" and demo_chain.sol(0) == "0 SOL"
