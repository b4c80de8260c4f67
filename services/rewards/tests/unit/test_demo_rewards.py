"""The demo's rewards check (smartpay_rewards.demo): expected points per customer from payment views, and a
statement agreeing only when balance, debt, earned and clawed back all match; `show` over a session answering
as the gateway does (a pending ledger first, then the applied one)."""

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
