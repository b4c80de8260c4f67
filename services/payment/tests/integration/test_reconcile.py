"""`smartpay payment reconcile` on a real moto server with the real connectors (localstripe, the Amazon
Pay sandbox, LiteSVM): each finding kind is created for real at the gateway, detected from the
gateway's own ledger, and (where safe) fixed with --fix; a second run then finds nothing."""

import json
import time
import uuid
from datetime import timedelta

import pytest
from pydantic import SecretStr
import requests
import stripe
from typer.testing import CliRunner

from smartpay_payment import bootstrap
from smartpay_payment.adapters.gateways import amazon_pay_signing as signing
from smartpay_payment.adapters.gateways.amazon_pay_gateway import AmazonPayGateway
from smartpay_payment.domain.charges import GatewayError
from smartpay_payment.service_layer.ports import Gateway
from smartpay_payment.adapters.gateways.faults import FaultInjectingGateway, FaultPlan
from smartpay_payment.adapters.gateways.solana_cluster import LiteSvmCluster
from smartpay_payment.adapters.gateways.solana_gateway import SandboxWallets, SolanaGateway
from smartpay_payment.adapters.gateways.stripe_gateway import StripeGateway
from smartpay_payment.domain.model import State
from smartpay_payment.entrypoints import cli
from smartpay_payment.adapters.ledgers.amazon_pay import AmazonPaySandboxLedger
from smartpay_payment.adapters.ledgers.solana import SolanaLedger
from smartpay_payment.adapters.ledgers.stripe import StripeLedger
from smartpay_payment.service_layer.reconcile import Reconciler, reconcile
from smartpay_payment.testing.servers import amazon_checkout_session
from smartpay_shared.events import payloads as p
from smartpay_shared.events.envelope import Producer, new_envelope

pytestmark = pytest.mark.integration
MERCHANT = "m_recon"


class TimeoutAfterSuccess(Gateway):
    """The gateway takes the money, then the answer is lost, and so is every status read after it."""

    def __init__(self, inner: Gateway):
        self.inner, self.name = inner, inner.name

    def authorize(self, request):
        self.inner.authorize(request)
        raise GatewayError("timeout", "answer lost after success", retriable=True, gateway=self.name)

    def status(self, request):
        raise GatewayError("timeout", "gateway unreachable", retriable=True, gateway=self.name)

    def capture(self, *a):
        return self.inner.capture(*a)

    def refund(self, *a):
        return self.inner.refund(*a)

    def void(self, *a):
        return self.inner.void(*a)


class World:
    def __init__(self, service, gateways, localstripe, amazon, clock, settings):
        self.service, self.saga, self.gateways = service, service.saga, gateways
        self.clock, self.settings = clock, settings
        self.stripe = stripe.StripeClient("sk_test_local", base_addresses={"api": localstripe.url})
        self.amazon_url = amazon.url
        self.ledgers = {"stripe": StripeLedger("sk_test_local", localstripe.url),
                        "amazon_pay": AmazonPaySandboxLedger(amazon.url),
                        "solana": SolanaLedger(gateways["solana"])}

    def method(self, gateway):
        if gateway == "stripe":
            return "card", self.stripe.v1.payment_methods.create(params={"type": "card", "card": {
                "number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}}).id
        if gateway == "amazon_pay":
            return "amazon_pay", amazon_checkout_session(self.amazon_url)
        name = f"sol_{uuid.uuid4().hex[:8]}"
        solana = self.gateways["solana"]
        solana.fund_token(solana.wallets.customer(name).pubkey(), 10**9)
        return "solana_wallet", name

    def pay(self, gateway, amount=1250):
        kind, token = self.method(gateway)
        body = {"amount": amount, "currency": "USD", "customer_id": "c_r", "country": "US", "metadata": {},
                "payment_method": {"type": kind, "token": token}}
        status, response = self.service.pay(MERCHANT, body, uuid.uuid4().hex)
        assert status == 202, response
        return response["payment_id"]

    def deliver(self, data):
        self.saga.handle(new_envelope(data, producer=Producer(service="routing", version="0.1.0"),
                                      correlation_id=data.payment_id))

    def fraud(self, pid, amount=1250):
        self.deliver(p.FraudAssessed(payment_id=pid, merchant_id=MERCHANT, score=0.1, decision="approve",
                                     model_version="m", threshold_version="t",
                                     payment=p.PaymentContext(amount=amount, currency="USD", method="card")))

    def route(self, pid, gateway, attempt=1):
        self.deliver(p.RouteSelected(payment_id=pid, merchant_id=MERCHANT, attempt=attempt, gateway=gateway,
                                     propensity=1.0, policy_version="v", explanation="test"))

    def captured(self, gateway, amount=1250):
        pid = self.pay(gateway, amount)
        self.fraud(pid, amount)
        self.route(pid, gateway)
        assert self.record(pid).state == State.CAPTURED
        return pid

    def record(self, pid):
        return self.saga.store.repo.get(pid).payment

    def second_stripe_capture(self, payment):
        """A retry without the idempotency key: a second intent for the same attempt reference, captured."""
        duplicate = self.stripe.v1.payment_intents.create(params={
            "amount": 1250, "currency": "usd", "payment_method": payment.payment_method.token,
            "capture_method": "manual", "confirm": True,
            "metadata": {"smartpay_reference": payment.reference(), "smartpay_merchant": MERCHANT}})
        self.stripe.v1.payment_intents.capture(duplicate.id)
        return duplicate

    def run(self, fix=False, unknown_since=None):
        """The sandboxes live for the whole session: other tests' charges are not this table's."""
        return Reconciler(self.saga, self.ledgers, grace=timedelta(seconds=30)).run(
            fix=fix, unknown_since=unknown_since)


@pytest.fixture(scope="module")
def amazon_key(amazon_sandbox):
    """A merchant key pair registered with the sandbox (it verifies AMZN-PAY-RSASSA-PSS-V2 signatures)."""
    private, public = signing.generate_key_pair()
    key_id = signing.sandbox_public_key_id(public)
    response = requests.post(f"{amazon_sandbox.url}/__sandbox/keys", json={"publicKeyId": key_id, "publicKey": public},
                             timeout=5)
    assert response.status_code == 201
    return key_id, private


@pytest.fixture
def gateways(localstripe_server, amazon_sandbox, amazon_key):
    cluster = LiteSvmCluster()
    solana = SolanaGateway(cluster, SandboxWallets(f"rc-{uuid.uuid4().hex[:6]}"))
    cluster.airdrop(solana.operator.pubkey(), 100 * 10**9)
    return {"stripe": StripeGateway("sk_test_local", localstripe_server.url, 5),
            "amazon_pay": AmazonPayGateway(amazon_sandbox.url, *amazon_key, timeout_seconds=5), "solana": solana}


@pytest.fixture
def w(service, gateways, localstripe_server, amazon_sandbox, clock, settings):
    return World(service, gateways, localstripe_server, amazon_sandbox, clock, settings)


def kinds(report):
    return sorted((f.payment_id, f.kind) for f in report.findings)


def test_payments_that_agree_with_their_gateways_give_no_findings(w):
    pids = [w.captured(g) for g in ("stripe", "amazon_pay", "solana")]
    refunded = pids[0]
    assert w.service.refund(MERCHANT, refunded, 500, "requested_by_customer", uuid.uuid4().hex)[0] in (200, 202)
    assert w.service.dispute(MERCHANT, refunded, None, "fraudulent", None)[0] == 201  # a chargeback of the rest
    assert w.service.dispute(MERCHANT, pids[1], None, "product_not_received", None)[0] == 201
    report = w.run()  # a dispute moves no money in our ledger: captured and refunded still agree
    assert report.findings == [] and report.errors == [] and report.checked == 3
    assert report.in_flight == 0 and set(report.gateway_charges) == {"stripe", "amazon_pay", "solana"}


def test_a_payment_never_terminal_past_its_deadline_is_lost_and_left_to_the_sweeper(w):
    pid = w.pay("stripe")
    w.fraud(pid)
    assert w.run().findings == [] and w.run().in_flight == 1  # inside its deadline: in flight
    w.clock.now += timedelta(seconds=w.settings.saga_deadline_seconds + 31)
    report = w.run(fix=True)
    assert kinds(report) == [(pid, "lost")]
    assert not report.findings[0].fixed and report.findings[0].state == "FRAUD_CHECKED"
    assert w.record(pid).state == State.FRAUD_CHECKED  # --fix never touches a lost saga


def test_a_hold_left_by_a_timeout_after_success_is_an_orphan_and_fix_voids_it(w):
    pid = w.pay("stripe")
    w.fraud(pid)
    real = w.saga.gateways["stripe"]
    w.saga.gateways["stripe"] = TimeoutAfterSuccess(real)
    try:
        w.route(pid, "stripe")  # authorized at Stripe, the saga saw a timeout and asked for another route
    finally:
        w.saga.gateways["stripe"] = real
    assert w.record(pid).state == State.REROUTING
    w.deliver(p.RouteUnavailable(payment_id=pid, merchant_id=MERCHANT, attempt=2, code="no_eligible_gateway",
                                 reason="no other gateway takes this card"))
    assert w.record(pid).state == State.FAILED

    report = w.run(fix=True)
    assert kinds(report) == [(pid, "orphan_charge")]
    finding = report.findings[0]
    assert finding.fixed and "voided" in finding.fix and finding.gateway == "stripe"
    intent = w.stripe.v1.payment_intents.retrieve(finding.gateway_reference)
    assert intent.status == "canceled"
    assert w.run(fix=True).findings == []  # idempotent: nothing left


def test_a_transfer_landing_after_the_saga_failed_is_an_orphan_and_fix_refunds_it_on_chain(w):
    pid = w.pay("solana")
    w.fraud(pid)
    real = w.saga.gateways["solana"]
    w.saga.gateways["solana"] = FaultInjectingGateway(real, FaultPlan(script=["timeout"]))
    try:
        w.route(pid, "solana")  # the request timed out before reaching the cluster...
    finally:
        w.saga.gateways["solana"] = real
    w.deliver(p.RouteUnavailable(payment_id=pid, merchant_id=MERCHANT, attempt=2, code="no_eligible_gateway",
                                 reason="none left"))
    payment = w.record(pid)
    assert payment.state == State.FAILED and payment.captured_amount == 0
    # ...and lands late: the same attempt's transfer is on chain after the saga gave up.
    w.gateways["solana"].authorize(w.saga.charge_request(payment.model_copy(update={"attempt": 1})))

    report = w.run()
    assert kinds(report) == [(pid, "orphan_charge")] and not report.findings[0].fixed
    fixed = w.run(fix=True)
    assert fixed.findings[0].fixed and "refunded 1250" in fixed.findings[0].fix
    after = w.record(pid)
    assert after.state == State.FAILED and after.captured_amount == 1250 and after.refunded_amount == 1250
    assert w.gateways["solana"].receipt_exists(f"{pid}-r1")  # the refund transfer is on chain
    assert reconcile(w.saga, after).ok
    assert w.run(fix=True).findings == []


def test_a_second_capture_for_the_same_payment_is_a_double_charge_and_fix_refunds_the_extra(w):
    pid = w.captured("stripe")
    payment = w.record(pid)
    duplicate = w.second_stripe_capture(payment)

    report = w.run(fix=True)
    assert kinds(report) == [(pid, "double_charged")]
    finding = report.findings[0]
    assert finding.gateway_reference == duplicate.id and finding.amount == 1250 and finding.fixed
    refunds = w.stripe.v1.refunds.list(params={"payment_intent": duplicate.id}).data
    assert sum(r.amount for r in refunds) == 1250
    after = w.record(pid)
    assert after.state == State.CAPTURED and after.captured_amount == 2500 and after.refunded_amount == 1250
    assert w.run(fix=True).findings == []


def test_an_out_of_band_refund_is_an_amount_mismatch_that_fix_does_not_touch(w):
    pid = w.captured("amazon_pay")
    payment = w.record(pid)
    w.gateways["amazon_pay"].refund(payment.gateway_reference, 400, "dashboard-refund-1")  # not through SmartPay

    report = w.run(fix=True)
    assert kinds(report) == [(pid, "amount_mismatch")]
    finding = report.findings[0]
    assert not finding.fixed and finding.amount == 400 and "refunded 400" in finding.detail
    assert w.record(pid).refunded_amount == 0


def test_a_charge_of_a_payment_the_table_lacks_is_an_orphan_voided_at_the_gateway(w):
    w.captured("stripe")
    time.sleep(1.1)  # Stripe's `created` is whole seconds: every earlier test's charge is older than `since`
    since = int(time.time())
    ghost = f"pay_ghost{uuid.uuid4().hex[:10]}-1"
    _, token = w.method("stripe")
    intent = w.stripe.v1.payment_intents.create(params={
        "amount": 990, "currency": "usd", "payment_method": token, "capture_method": "manual", "confirm": True,
        "metadata": {"smartpay_reference": ghost, "smartpay_merchant": MERCHANT}})

    assert w.run().findings == []  # not asked for: no finding
    report = w.run(fix=True, unknown_since=since)
    assert kinds(report) == [(ghost.rsplit("-", 1)[0], "orphan_charge")]
    assert report.findings[0].fixed and "no payment record" in report.findings[0].fix
    assert w.stripe.v1.payment_intents.retrieve(intent.id).status == "canceled"
    assert w.run(unknown_since=since).findings == []


def test_the_cli_prints_a_table_writes_json_and_exits_1_until_fixed(w, monkeypatch, tmp_path, localstripe_server,
                                                                     amazon_sandbox):
    pid = w.captured("stripe")
    payment = w.record(pid)
    w.second_stripe_capture(payment)
    settings = w.settings.model_copy(update={"stripe_api_base": localstripe_server.url,
                                             "stripe_api_key": SecretStr("sk_test_local"),
                                             "amazon_pay_endpoint": amazon_sandbox.url})
    monkeypatch.setattr(bootstrap, "service", lambda: w.service)
    monkeypatch.setattr("smartpay_payment.config.payment_settings", lambda: settings)
    runner = CliRunner()

    found = runner.invoke(cli.app, ["reconcile", "--unknown-since", "off", "--json", str(tmp_path / "r.json")])
    assert found.exit_code == 1, found.output
    assert "double_charged" in found.output and pid in found.output
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["summary"]["double_charged"] == {"found": 1, "fixed": 0, "unresolved": 1}

    fixed = runner.invoke(cli.app, ["reconcile", "--unknown-since", "off", "--fix", "--json", "-"])
    assert fixed.exit_code == 0, fixed.output
    assert json.loads(fixed.output)["summary"]["double_charged"] == {"found": 1, "fixed": 1, "unresolved": 0}
    clean = runner.invoke(cli.app, ["reconcile", "--unknown-since", "off"])
    assert clean.exit_code == 0 and "double_charged 0" in clean.output
