"""The saga end to end inside the payment service, on a real moto server (DynamoDB + EventBridge +
an SQS listener) with the real connectors: localstripe, the Amazon Pay sandbox, LiteSVM. Events enter
through the real queue consumer as SQS records. Every test checks the ledger (gateway == record)."""

import json
import os
import threading
import uuid
from collections import Counter
from datetime import timedelta

import pytest
import stripe

from smartpay_payment import bootstrap
from smartpay_payment.domain.charges import GatewayError
from smartpay_payment.adapters.gateways.faults import FaultInjectingGateway, FaultPlan
from smartpay_payment.domain.model import State
from smartpay_payment.service_layer.reconcile import reconcile
from smartpay_payment.service_layer.charging import CHARGE_LEASE
from smartpay_payment.service_layer.sweeper import sweep
from smartpay_payment.testing.servers import amazon_card_on_file, amazon_checkout_session, stripe_card
from smartpay_payment.testing.stack import sqs_event
from smartpay_shared.events import payloads as p
from smartpay_shared.events.envelope import Producer, new_envelope
from smartpay_shared.runtime.consumer import QueueConsumer
from smartpay_shared.runtime.lambda_context import LocalLambdaContext
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

pytestmark = pytest.mark.integration
BUS = "smartpay-test-bus"  # conftest's
SUBSCRIPTIONS = ("payment.requested", "fraud.assessed", "route.selected", "route.unavailable", "payment.indexed")


class Harness:
    def __init__(self, service, listener, gateways, localstripe, amazon):
        self.service, self.listener, self.gateways = service, listener, gateways
        self.localstripe, self.amazon = localstripe, amazon
        self.consumer = QueueConsumer({t: service.saga.handle for t in SUBSCRIPTIONS}, logger=Logger("test"))

    def token(self, gateway):
        if gateway == "stripe":
            client = stripe.StripeClient("sk_test_local", base_addresses={"api": self.localstripe.url})
            return "card", client.v1.payment_methods.create(params={"type": "card", "card": {
                "number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}}).id
        if gateway == "amazon_pay":
            return "amazon_pay", amazon_checkout_session(self.amazon.url)
        name = f"sol_{uuid.uuid4().hex[:8]}"
        solana = self.gateways["solana"]
        solana.fund_token(solana.wallets.customer(name).pubkey(), 1_000_000_000)
        return "solana_wallet", name

    def vaulted_card(self):
        """A card kept once in the vault with a token on Stripe and one on Amazon Pay."""
        tokens = {"stripe": stripe_card(self.localstripe.url), "amazon_pay": amazon_card_on_file(self.amazon.url)}
        return self.service.vault.enroll("m_acme", "c_1", tokens).vault_id

    def pay(self, gateway="stripe", amount=1250, key=None, method=None, vault_id=None, metadata=None):
        kind, token = ("card", None) if vault_id else (method or self.token(gateway))
        reference = {"vault_id": vault_id} if vault_id else {"token": token, "last4": "4242" if kind == "card" else None}
        body = {"amount": amount, "currency": "USD", "customer_id": "c_1", "country": "US", "metadata": metadata or {},
                "payment_method": {"type": kind, **reference, "brand": None}, "device_id": None, "ip_address": None,
                "merchant_category": None}
        status, response = self.service.pay("m_acme", body, key or uuid.uuid4().hex)
        assert status == 202
        return response["payment_id"]

    def deliver(self, *data, producer="routing"):
        envelopes = [new_envelope(d, producer=Producer(service=producer, version="0.1.0"),
                                  correlation_id=d.payment_id) for d in data]
        return self.deliver_envelopes(*envelopes)

    def deliver_envelopes(self, *envelopes):
        return self.deliver_event(sqs_event(*envelopes))

    def deliver_event(self, event):
        """The failed message ids (Powertools raises when the whole batch failed: all are retried)."""
        try:
            return self.consumer(event, LocalLambdaContext("payment"))["batchItemFailures"]
        except BatchProcessingError:
            return [{"itemIdentifier": r["messageId"]} for r in event["Records"]]

    def fraud(self, pid, decision="approve"):
        return p.FraudAssessed(payment_id=pid, merchant_id="m_acme", score=0.9 if decision == "decline" else 0.1,
                               decision=decision, model_version="m", threshold_version="t",
                               payment=p.PaymentContext(amount=1250, currency="USD", method="card"))

    def route(self, pid, gateway="stripe", attempt=1):
        return p.RouteSelected(payment_id=pid, merchant_id="m_acme", attempt=attempt, gateway=gateway,
                               propensity=0.6, policy_version="v1", explanation=f"{gateway} is healthy")

    def record(self, pid):
        return self.service.saga.store.repo.get(pid).payment

    def types(self, pid, until):
        def done(events):
            return until in [e["detail-type"] for e in events if e["detail"]["data"]["payment_id"] == pid]
        events = self.listener.wait_for(done, timeout=15)
        return [e["detail-type"] for e in events if e["detail"]["data"]["payment_id"] == pid]

    def balanced(self, pid, charges):
        """The ledger check: gateways hold exactly what the record says, in `charges` charges."""
        check = reconcile(self.service.saga, self.record(pid))
        assert check.ok and check.charges == charges, check
        return check

    def ledger(self, pid, attempt=None):
        """Charges minus refunds as the gateway holds them, against the record."""
        payment = self.record(pid)
        if payment.gateway is None:
            return None
        request = self.service.saga.charge_request(payment.model_copy(update={"attempt": attempt or payment.attempt}))
        found = self.gateways[payment.gateway].status(request)
        return found


@pytest.fixture
def h(service, listener, gateways, localstripe_server, amazon_sandbox):
    return Harness(service, listener, gateways, localstripe_server, amazon_sandbox)


@pytest.mark.parametrize("gateway", ["stripe", "amazon_pay", "solana"])
def test_happy_path_on_each_gateway(h, gateway):
    pid = h.pay(gateway)
    assert h.deliver(h.fraud(pid)) == []
    assert h.deliver(h.route(pid, gateway)) == []
    payment = h.record(pid)
    assert payment.state == State.CAPTURED and payment.captured_amount == 1250
    types = h.types(pid, "payment.completed")
    assert types.count("payment.captured") == 1 and "payment.authorized" in types and "payment.requested" in types
    found = h.ledger(pid)
    assert (found.status, found.captured_amount) == ("captured", payment.captured_amount)
    h.deliver(p.PaymentIndexed(payment_id=pid, merchant_id="m_acme", index="payments", document_version=5),
              producer="chat")
    assert h.record(pid).state == State.INDEXED
    h.balanced(pid, charges=1)


def test_solana_ledger_moves_tokens_once(h):
    method = h.token("solana")
    solana = h.gateways["solana"]
    customer = solana.wallets.customer(method[1]).pubkey()
    before = solana.token_balance(customer)
    pid = h.pay("solana", method=method)
    h.deliver(h.fraud(pid))
    h.deliver(h.route(pid, "solana"))
    h.deliver(h.route(pid, "solana"))  # duplicate delivery
    assert before - solana.token_balance(customer) == 1250 * 10**4


def test_fraud_decline_ends_the_saga_and_a_late_route_is_a_no_op(h):
    pid = h.pay()
    h.deliver(h.fraud(pid, "decline"))
    assert h.record(pid).state == State.FRAUD_DECLINED
    types = h.types(pid, "payment.completed")
    assert "payment.declined" in types
    assert h.deliver(h.route(pid)) == []
    assert h.record(pid).state == State.FRAUD_DECLINED and h.ledger(pid) is None
    h.balanced(pid, charges=0)


def test_retriable_failure_falls_back_to_the_next_gateway(h):
    h.service.saga.gateways["stripe"] = FaultInjectingGateway(h.gateways["stripe"], FaultPlan(script=["5xx"]))
    pid = h.pay(vault_id=h.vaulted_card())  # one card: a Stripe PaymentMethod and an Amazon Pay card on file
    h.deliver(h.fraud(pid))
    h.deliver(h.route(pid, "stripe"))
    payment = h.record(pid)
    assert payment.state == State.REROUTING and payment.attempt == 2
    h.types(pid, "route.requested")
    asked = [e for e in h.listener.seen if e["detail-type"] == "route.requested"][-1]["detail"]["data"]
    assert asked["attempt"] == 2 and asked["excluded_gateways"] == ["stripe"]
    h.deliver(h.route(pid, "amazon_pay", attempt=2))
    payment = h.record(pid)
    assert payment.state == State.CAPTURED and payment.tried_gateways == ["stripe", "amazon_pay"]
    assert [a.outcome for a in payment.attempts] == ["failed", "captured"]
    assert h.ledger(pid).captured_amount == 1250
    assert h.gateways["stripe"].status(h.service.saga.charge_request(payment.model_copy(update={"attempt": 1}))) \
        is None
    h.balanced(pid, charges=1)


def test_attempts_are_bounded_then_the_saga_fails(h, settings):
    h.service.saga.max_attempts = 1
    h.service.saga.gateways["stripe"] = FaultInjectingGateway(h.gateways["stripe"], FaultPlan(timeout_rate=1.0))
    pid = h.pay()
    h.deliver(h.fraud(pid))
    h.deliver(h.route(pid))
    assert h.record(pid).state == State.FAILED
    completed = [e for e in h.listener.wait_for(lambda ev: any(
        e["detail-type"] == "payment.completed" and e["detail"]["data"]["payment_id"] == pid for e in ev))
        if e["detail-type"] == "payment.completed"][-1]
    assert completed["detail"]["data"]["status"] == "failed"


def test_gateway_decline_is_final(h):
    client = stripe.StripeClient("sk_test_local", base_addresses={"api": h.localstripe.url})
    pm = client.v1.payment_methods.create(params={"type": "card", "card": {
        "number": "4000000000000341", "exp_month": 12, "exp_year": 2030, "cvc": "123"}}).id
    pid = h.pay(method=("card", pm))
    h.deliver(h.fraud(pid))
    h.deliver(h.route(pid))
    payment = h.record(pid)
    assert payment.state == State.DECLINED and payment.decline_code == "card_declined"
    assert "payment.declined" in h.types(pid, "payment.completed")


def test_route_unavailable_fails_the_saga(h):
    pid = h.pay()
    h.deliver(h.fraud(pid))
    h.deliver(p.RouteUnavailable(payment_id=pid, merchant_id="m_acme", attempt=1, code="no_eligible_gateway",
                                 reason="none left"))
    assert h.record(pid).state == State.FAILED
    assert "payment.failed" in h.types(pid, "payment.completed")


def test_duplicate_events_charge_once(h):
    pid = h.pay()
    fraud = h.fraud(pid)
    route = new_envelope(h.route(pid), producer=Producer(service="routing", version="0.1.0"), correlation_id=pid)
    h.deliver(fraud)
    h.deliver(fraud)
    h.deliver_envelopes(route, route)  # the same event twice in one batch
    h.deliver_envelopes(route)
    payment = h.record(pid)
    assert payment.state == State.CAPTURED and payment.version == 5
    assert h.types(pid, "payment.completed").count("payment.captured") == 1
    client = stripe.StripeClient("sk_test_local", base_addresses={"api": h.localstripe.url})
    mine = {i.id for i in client.v1.payment_intents.list(params={"limit": 100}).auto_paging_iter()
            if i.metadata.to_dict().get("smartpay_reference", "").startswith(pid)}
    assert len(mine) == 1
    h.balanced(pid, charges=1)


class WorkerKilled(BaseException):
    """Stands for the process dying right after the gateway call (not an Exception: nothing catches it)."""


class DiesAfterAuthorize(FaultInjectingGateway):
    def authorize(self, request):
        self.inner.authorize(request)
        raise WorkerKilled()


@pytest.mark.parametrize("gateway", ["stripe", "solana"])
def test_worker_killed_mid_charge_then_redelivered_charges_once(h, gateway, clock):
    pid = h.pay(gateway)
    h.deliver(h.fraud(pid))
    real = h.service.saga.gateways[gateway]
    h.service.saga.gateways[gateway] = DiesAfterAuthorize(real, FaultPlan())
    with pytest.raises(WorkerKilled):
        h.service.saga.handle(new_envelope(h.route(pid, gateway), producer=Producer(service="routing",
                                                                                  version="0.1.0"),
                                           correlation_id=pid))
    assert h.record(pid).state == State.ROUTED
    h.service.saga.gateways[gateway] = real  # the restarted worker
    # Within the dead worker's claim the redelivery backs off: no gateway call, the queue retries.
    assert len(h.deliver(h.route(pid, gateway))) == 1 and h.record(pid).state == State.ROUTED
    clock.now += CHARGE_LEASE + timedelta(seconds=1)  # the lease ends: the next delivery takes over
    assert h.deliver(h.route(pid, gateway)) == []
    payment = h.record(pid)
    assert payment.state == State.CAPTURED
    assert h.ledger(pid).captured_amount == 1250
    h.balanced(pid, charges=1)


def test_sweeper_resumes_a_charge_and_fails_a_stalled_saga(h, clock):
    charged = h.pay()
    h.deliver(h.fraud(charged))
    real = h.service.saga.gateways["stripe"]
    h.service.saga.gateways["stripe"] = DiesAfterAuthorize(real, FaultPlan())
    with pytest.raises(WorkerKilled):
        h.service.saga.handle(new_envelope(h.route(charged), producer=Producer(service="routing", version="0.1.0"),
                                           correlation_id=charged))
    h.service.saga.gateways["stripe"] = real
    stalled = h.pay()
    h.deliver(h.fraud(stalled))
    clock.now += timedelta(seconds=61)  # past the saga deadline and the dead worker's charge claim
    report = sweep(h.service.saga, outbox_grace=timedelta(seconds=5), now=clock())
    assert (report.resumed, report.failed) == (1, 1)
    assert h.record(charged).state == State.CAPTURED and h.ledger(charged).captured_amount == 1250
    assert h.record(stalled).state == State.FAILED and h.record(stalled).decline_code == "saga_timeout"
    assert h.deliver(h.route(stalled)) == []  # the late route: a no-op, nothing charged
    assert h.ledger(stalled) is None
    h.balanced(charged, charges=1)
    h.balanced(stalled, charges=0)


class SweptDuringCharge(FaultInjectingGateway):
    """The sweeper fails the saga while the gateway call is in flight."""

    def __init__(self, inner, saga):
        super().__init__(inner, FaultPlan())
        self.saga = saga

    def authorize(self, request):
        payment = self.saga.store.repo.get(request.reference.rsplit("-", 1)[0]).payment
        self.saga.fail_saga(payment, None, "saga_timeout", "swept")
        return self.inner.authorize(request)


def test_a_charge_that_lands_on_a_failed_saga_is_refunded(h):
    pid = h.pay("solana")
    h.deliver(h.fraud(pid))
    real = h.service.saga.gateways["solana"]
    h.service.saga.gateways["solana"] = SweptDuringCharge(real, h.service.saga)
    h.deliver(h.route(pid, "solana"))
    payment = h.record(pid)
    assert payment.state == State.FAILED
    assert (payment.captured_amount, payment.refunded_amount) == (1250, 1250)
    h.service.saga.gateways["solana"] = real
    merchant = real.wallets.merchant("m_acme").pubkey()
    assert real.token_balance(merchant) == 0  # charged, then compensated: nothing kept
    check = h.balanced(pid, charges=1)
    assert (check.gateway_captured, check.gateway_refunded) == (1250, 1250)


def test_partial_then_full_refund_matches_the_gateway(h):
    pid = h.pay("amazon_pay")
    h.deliver(h.fraud(pid))
    h.deliver(h.route(pid, "amazon_pay"))
    status, body = h.service.refund("m_acme", pid, 250, "partial", key="r-1")
    assert status == 200 and body["payment"]["status"] == "partially_refunded"
    assert h.service.refund("m_acme", pid, 250, "partial", key="r-1") == (status, body)  # replay: no 2nd refund
    status, body = h.service.refund("m_acme", pid, None, "rest")
    assert body["amount"] == 1000 and body["payment"]["status"] == "refunded"
    found = h.ledger(pid)
    assert (found.captured_amount, found.refunded_amount) == (1250, h.record(pid).refunded_amount) == (1250, 1250)
    assert "payment.refunded" in h.types(pid, "payment.completed")
    h.balanced(pid, charges=1)


def test_a_route_before_the_fraud_result_is_kept_and_charged_with_it_not_redelivered(h):
    pid = h.pay()
    route = h.route(pid)
    assert h.deliver(route) == []  # kept on the record: nothing goes back to the queue
    assert h.record(pid).state == State.REQUESTED and h.ledger(pid) is None
    assert h.deliver(h.fraud(pid)) == []  # the fraud result records the kept route and charges it
    payment = h.record(pid)
    assert payment.state == State.CAPTURED and [t.state for t in payment.timeline] == [
        "REQUESTED", "FRAUD_CHECKED", "ROUTED", "AUTHORIZED", "CAPTURED"]
    assert h.deliver(route) == [] and h.deliver(h.fraud(pid)) == []  # late duplicates: no-ops
    h.balanced(pid, charges=1)


def test_poison_and_foreign_merchant_events_fail_their_record(h):
    pid = h.pay()
    bad = h.route(pid).model_copy(update={"merchant_id": "m_other"})
    assert len(h.deliver(bad)) == 1
    poison = sqs_event(new_envelope(h.fraud(pid), producer=Producer(service="fraud", version="0.1.0"),
                                    correlation_id=pid))
    body = json.loads(poison["Records"][0]["body"])
    body["detail"]["data"]["score"] = "high"
    poison["Records"][0]["body"] = json.dumps(body)
    assert len(h.deliver_event(poison)) == 1
    assert h.record(pid).state == State.REQUESTED


class TimesOutAfterCharging(FaultInjectingGateway):
    """The provider charged, but its answer never arrived: the outcome is unknown to the caller."""

    def authorize(self, request):
        self.inner.authorize(request)
        raise GatewayError("timeout", "read timed out", retriable=True, gateway=self.name)


def test_a_timeout_after_the_charge_is_not_rerouted(h):
    pid = h.pay("amazon_pay")
    h.deliver(h.fraud(pid))
    real = h.service.saga.gateways["amazon_pay"]
    h.service.saga.gateways["amazon_pay"] = TimesOutAfterCharging(real, FaultPlan())
    h.deliver(h.route(pid, "amazon_pay"))
    payment = h.record(pid)
    assert payment.state == State.CAPTURED and payment.attempt == 1  # found at the gateway, not rerouted
    assert h.ledger(pid).captured_amount == 1250
    h.balanced(pid, charges=1)


class FailsAfterCharging(FaultInjectingGateway):
    """The provider took the authorization, then the next call of the same step answered 503 (Amazon Pay:
    the checkout session completed, the charge read failed; seen in `make demo` with error_rate 0.2)."""

    def authorize(self, request):
        self.inner.authorize(request)
        raise GatewayError("gateway_5xx", "503 on the charge read", retriable=True, gateway=self.name)


def test_a_5xx_after_the_authorization_is_read_back_not_rerouted(h):
    pid = h.pay("amazon_pay")
    h.deliver(h.fraud(pid))
    h.service.saga.gateways["amazon_pay"] = FailsAfterCharging(h.gateways["amazon_pay"], FaultPlan())
    h.deliver(h.route(pid, "amazon_pay"))
    payment = h.record(pid)
    assert payment.state == State.CAPTURED and payment.attempt == 1
    h.balanced(pid, charges=1)


def test_a_refund_the_gateway_could_not_take_is_retried_by_the_sweeper(h, clock):
    pid = h.pay("stripe")
    h.deliver(h.fraud(pid))
    h.deliver(h.route(pid))
    real = h.service.saga.gateways["stripe"]
    h.service.saga.gateways["stripe"] = FaultInjectingGateway(real, FaultPlan(
        operations=frozenset({"refund"}), script=["5xx"]))
    status, body = h.service.refund("m_acme", pid, 500, "customer asked")
    assert status == 202 and body["status"] == "pending"
    assert h.record(pid).refundable_amount == 750  # reserved: a concurrent refund cannot overdraw
    report = sweep(h.service.saga, outbox_grace=timedelta(seconds=1), now=clock() + timedelta(seconds=5))
    assert report.refunds_retried == 1
    payment = h.record(pid)
    assert payment.state == State.PARTIALLY_REFUNDED and payment.refunded_amount == 500
    assert h.ledger(pid).refunded_amount == 500
    sweep(h.service.saga, outbox_grace=timedelta(seconds=1), now=clock() + timedelta(seconds=10))
    assert h.ledger(pid).refunded_amount == 500  # swept again: no second refund
    h.balanced(pid, charges=1)


def test_a_route_to_a_disabled_gateway_asks_for_another(h):
    del h.service.saga.gateways["solana"]
    pid = h.pay("stripe")
    h.deliver(h.fraud(pid))
    assert h.deliver(h.route(pid, "solana")) == []
    payment = h.record(pid)
    assert payment.state == State.REROUTING and payment.attempts[-1].code == "gateway_disabled"
    h.deliver(h.route(pid, "stripe", attempt=2))
    assert h.record(pid).state == State.CAPTURED


def test_solana_refunds_are_reconciled_from_the_chain(h):
    pid = h.pay("solana")
    h.deliver(h.fraud(pid))
    h.deliver(h.route(pid, "solana"))
    h.service.refund("m_acme", pid, 300, "partial")
    check = h.balanced(pid, charges=1)
    assert (check.gateway_captured, check.gateway_refunded) == (1250, 300)


class CountsCharges(FaultInjectingGateway):
    """Counts the authorize calls that reach the gateway, by payment reference (a test-side tally beside
    the emulator's own records, which the ledger check reads)."""

    def __init__(self, inner):
        super().__init__(inner, FaultPlan())
        self.calls: Counter = Counter()
        self._lock = threading.Lock()

    def authorize(self, request):
        with self._lock:
            self.calls[request.reference] += 1
        return self.inner.authorize(request)

    def __getattr__(self, name):  # the test helpers' own calls (funding a wallet, a card) go through
        return getattr(self.inner, name)


RACE_ROUNDS = int(os.environ.get("SMARTPAY_RACE_ROUNDS", "50"))
RACERS = 10


@pytest.mark.parametrize("gateway", ["stripe", "amazon_pay", "solana"])
def test_concurrent_redeliveries_race_to_one_charge(h, gateway):
    """Claim before charge (issue #14, item 2): 10 concurrent deliveries of one route.selected, 50
    rounds: exactly one authorize call per attempt reaches the gateway, and the emulator holds exactly
    one charge (localstripe and the Solana VM have no idempotency to fall back on)."""
    counting = CountsCharges(h.service.saga.gateways[gateway])
    h.service.saga.gateways[gateway] = counting
    for _ in range(RACE_ROUNDS):
        pid = h.pay(gateway)
        h.deliver(h.fraud(pid))
        route = new_envelope(h.route(pid, gateway), producer=Producer(service="routing", version="0.1.0"),
                             correlation_id=pid)
        barrier = threading.Barrier(RACERS)

        def racer():
            barrier.wait()
            h.deliver_envelopes(route)  # a duplicate backs off (its record fails back to the queue) or is a no-op

        threads = [threading.Thread(target=racer) for _ in range(RACERS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert h.record(pid).state == State.CAPTURED  # the claimant finished; the others only backed off
        assert counting.calls[f"{pid}-1"] == 1, counting.calls[f"{pid}-1"]
        h.balanced(pid, charges=1)
        if gateway == "stripe":  # not even a duplicate intent voided afterwards: one intent, succeeded
            client = stripe.StripeClient("sk_test_local", base_addresses={"api": h.localstripe.url})
            statuses = [i.status for i in client.v1.payment_intents.list(params={"limit": 100}).auto_paging_iter()
                        if i.metadata.to_dict().get("smartpay_reference") == f"{pid}-1"]
            assert statuses == ["succeeded"], statuses
    assert sum(counting.calls.values()) == RACE_ROUNDS


def test_a_fault_directive_fails_stripe_and_the_vaulted_card_is_captured_on_amazon_pay(h):
    h.service.saga.fault_injection = True
    pid = h.pay(vault_id=h.vaulted_card(), metadata={"smartpay_fault": "stripe:5xx"})
    h.deliver(h.fraud(pid))
    h.deliver(h.route(pid, "stripe"))
    h.deliver(h.route(pid, "amazon_pay", attempt=2))
    payment = h.record(pid)
    assert payment.state == State.CAPTURED and payment.gateway == "amazon_pay"
    assert [(a.gateway, a.outcome, a.code) for a in payment.attempts] == [
        ("stripe", "failed", "gateway_5xx"), ("amazon_pay", "captured", None)]
    h.balanced(pid, charges=1)  # the Stripe attempt never reached localstripe


def test_fault_directives_are_ignored_unless_injection_is_on(h):
    pid = h.pay(metadata={"smartpay_fault": "stripe:5xx"})
    h.deliver(h.fraud(pid))
    h.deliver(h.route(pid, "stripe"))
    assert h.record(pid).state == State.CAPTURED
    h.balanced(pid, charges=1)


def test_a_raw_stripe_token_routed_to_amazon_pay_is_skipped_then_charged_on_stripe(h):
    pid = h.pay("stripe")
    h.deliver(h.fraud(pid))
    assert h.deliver(h.route(pid, "amazon_pay")) == []
    payment = h.record(pid)
    assert payment.state == State.REROUTING and payment.attempts[-1].code == "method_not_on_gateway"
    h.types(pid, "route.requested")
    failed = [e for e in h.listener.seen if e["detail-type"] == "payment.failed"][-1]["detail"]["data"]
    assert failed["gateway"] is None and failed["retriable"]  # routing learns nothing about amazon_pay from it
    h.deliver(h.route(pid, "stripe", attempt=2))
    assert h.record(pid).state == State.CAPTURED
    h.balanced(pid, charges=1)


def _item(h, pid):
    return h.service.saga.store.repo._db.get_item(TableName=h.service.saga.store.repo._table,
                                                  Key={"payment_id": {"S": pid}})["Item"]


def _event_snapshot(h, pid, event_type, **match):
    def found(events):
        return [e for e in events if e["detail-type"] == event_type and e["detail"]["data"]["payment_id"] == pid
                and all(e["detail"]["data"].get(k) == v for k, v in match.items())]
    return p.PaymentSnapshot.model_validate(found(h.listener.wait_for(found, timeout=15))[-1]["detail"]["data"]
                                            ["payment"])


def test_terminal_items_carry_the_snapshot_their_event_carried_and_refunds_update_it(h):
    pid = h.pay("amazon_pay")
    h.deliver(h.fraud(pid))
    assert "snapshot" not in _item(h, pid)  # in flight: no snapshot
    h.deliver(h.route(pid, "amazon_pay"))
    item = _item(h, pid)
    completed = _event_snapshot(h, pid, "payment.completed")
    assert item["snapshot"]["S"] == completed.model_dump_json() and item["merchant_id"]["S"] == "m_acme"
    assert int(item["version"]["N"]) == completed.version
    h.service.refund("m_acme", pid, 500, "partial")
    item = _item(h, pid)
    refunded = _event_snapshot(h, pid, "payment.refunded")
    assert item["snapshot"]["S"] == refunded.model_dump_json()
    assert refunded.status == "partially_refunded" and refunded.refunded_amount == 500
    h.balanced(pid, charges=1)


def test_a_fraud_declined_item_carries_its_snapshot(h):
    pid = h.pay()
    h.deliver(h.fraud(pid, "decline"))
    snapshot = p.PaymentSnapshot.model_validate_json(_item(h, pid)["snapshot"]["S"])
    assert snapshot.status == "declined" and snapshot.decline_code == "fraud_declined"
    assert snapshot == _event_snapshot(h, pid, "payment.completed")
    assert "4242424242424242" not in _item(h, pid)["snapshot"]["S"]


class RecordingPublisher:
    """The real publisher, with each publish call's event types kept (one call = one PutEvents)."""

    def __init__(self, inner):
        self.inner, self.calls = inner, []

    def publish(self, *envelopes):
        self.calls.append([e.event_type for e in envelopes])
        return self.inner.publish(*envelopes)


def test_the_authorization_goes_out_with_the_capture_in_one_bus_call(h):
    pid = h.pay()
    h.deliver(h.fraud(pid))
    recording = h.service.saga.store.publisher = RecordingPublisher(h.service.saga.store.publisher)
    assert h.deliver(h.route(pid)) == []
    assert recording.calls == [["payment.completed", "payment.authorized", "payment.captured"]]  # path first
    assert h.service.saga.store.repo.get(pid).outbox == {}
    assert h.types(pid, "payment.completed").count("payment.authorized") == 1
    h.balanced(pid, charges=1)


class CaptureFails(FaultInjectingGateway):
    def capture(self, reference, amount, idempotency_key):
        raise GatewayError("gateway_5xx", "503 on capture", retriable=True, gateway=self.name)


class CaptureAndVoidFail(CaptureFails):
    def void(self, reference, idempotency_key):
        raise GatewayError("gateway_5xx", "503 on void", retriable=True, gateway=self.name)


def test_a_capture_failing_in_process_is_voided_and_rerouted_at_once(h):
    pid = h.pay(vault_id=h.vaulted_card())
    h.deliver(h.fraud(pid))
    h.service.saga.gateways["stripe"] = CaptureFails(h.gateways["stripe"], FaultPlan())
    assert h.deliver(h.route(pid)) == []  # nothing for the queue to redeliver: rerouted in process
    payment = h.record(pid)
    assert payment.state == State.REROUTING and payment.attempts[-1].code == "gateway_5xx"
    assert h.ledger(pid, attempt=1).status == "voided"  # the hold is released before the next route
    assert "payment.authorized" in h.types(pid, "route.requested")
    assert h.service.saga.store.repo.get(pid).outbox == {}
    h.deliver(h.route(pid, "amazon_pay", attempt=2))
    assert h.record(pid).state == State.CAPTURED
    h.balanced(pid, charges=1)


def test_a_failed_capture_whose_hold_cannot_be_voided_keeps_it_and_still_publishes_the_authorization(h):
    pid = h.pay()
    h.deliver(h.fraud(pid))
    real = h.service.saga.gateways["stripe"]
    h.service.saga.gateways["stripe"] = CaptureAndVoidFail(real, FaultPlan())
    assert len(h.deliver(h.route(pid))) == 1  # money may be held: the queue redelivers, the authorization is kept
    assert h.record(pid).state == State.AUTHORIZED
    assert "payment.authorized" in h.types(pid, "payment.authorized")
    assert h.service.saga.store.repo.get(pid).outbox == {}
    h.service.saga.gateways["stripe"] = real
    assert h.deliver(h.route(pid)) == []  # the redelivery captures the same authorization
    assert h.record(pid).state == State.CAPTURED
    h.balanced(pid, charges=1)


def test_a_stale_recent_copy_is_decided_again_on_a_fresh_read(h, settings, stack, gateways, clock):
    """This worker remembers the payment at FRAUD_CHECKED; another process (the sweeper) failed the saga
    since. The route must not charge: the conditional write on the remembered version fails, the fresh
    read says FAILED, the event is a no-op."""
    pid = h.pay()
    h.deliver(h.fraud(pid))
    assert h.service.saga.store.recent(pid).state == State.FRAUD_CHECKED
    sweeper = bootstrap.build(settings, stack("dynamodb"), stack("events"), gateways, BUS, clock=clock)
    sweeper.saga.fail_saga(h.record(pid), None, "saga_timeout", "deadline passed")
    assert h.deliver(h.route(pid)) == []
    payment = h.record(pid)
    assert payment.state == State.FAILED and payment.gateway_reference is None
    assert h.ledger(pid) is None or h.ledger(pid).captured_amount == 0
    h.balanced(pid, charges=0)


def _requested(pid, token):
    return p.PaymentRequested(payment_id=pid, merchant_id="m_acme", amount=1250, currency="USD",
                              payment_method=p.PaymentMethod(type="card", token=token), customer_id="c_1")


def test_a_payment_requested_from_another_producer_starts_the_saga_once(h):
    pid = f"pay_{uuid.uuid4().hex}"
    _, token = h.token("stripe")
    assert h.deliver(_requested(pid, token), producer="checkout") == []
    assert h.record(pid).state == State.REQUESTED
    assert h.deliver(_requested(pid, token), producer="checkout") == []  # a duplicate: no second record
    assert h.record(pid).version == 1
    h.deliver(h.fraud(pid))
    h.deliver(h.route(pid))
    assert h.record(pid).state == State.CAPTURED
    h.balanced(pid, charges=1)


def test_the_payment_apis_own_payment_requested_is_not_read_back(h):
    """The API writes the record before it publishes: the worker trusts its own event and reads nothing."""
    pid = f"pay_{uuid.uuid4().hex}"
    assert h.deliver(_requested(pid, "pm_x"), producer="payment") == []
    assert h.service.saga.store.repo.get(pid) is None
