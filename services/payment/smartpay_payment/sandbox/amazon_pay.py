"""AMAZON PAY LOCAL SANDBOX — not Amazon's service. A stateful HTTP server for the subset of the
Amazon Pay v2 API the connector uses: checkout sessions (create, get, complete), charges (get,
capture, cancel) and refunds (create, get), under /sandbox/v2, with idempotency keys, approval and
latency profiles (POST /__sandbox/profile) and a ledger for tests (GET /__sandbox/ledger). Merchant calls
must carry a valid AMZN-PAY-RSASSA-PSS-V2 signature of a registered key (POST /__sandbox/keys; amazon_pay_auth.py)."""

from __future__ import annotations

import argparse
import json
import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.serving import run_simple
from werkzeug.wrappers import Request, Response

from smartpay_payment.sandbox.amazon_pay_auth import KeyRegistry, authenticate

PREFIX = "/sandbox/v2"


@dataclass
class Profile:
    """approval: 'approve' | 'decline' | 'soft_decline'; approval_rate applies when approve (rest declines)."""

    approval: str = "approve"
    approval_rate: float = 1.0
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    error_rate: float = 0.0  # answered 503 before anything changes
    seed: int | None = None
    rng: random.Random = field(default_factory=random.Random, repr=False)


def _id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:7].upper()}-{uuid.uuid4().hex[:7].upper()}"


class AmazonPaySandbox:
    def __init__(self, profile: Profile | None = None, keys: KeyRegistry | None = None):
        self.profile = profile or Profile()
        self.keys = keys or KeyRegistry()
        self.sessions: dict[str, dict] = {}
        self.charges: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.permissions: dict[str, dict] = {}
        self._idempotent: dict[tuple[str, str], tuple[int, dict]] = {}
        self._lock = threading.Lock()
        r = Rule
        self.urls = Map([
            r(f"{PREFIX}/checkoutSessions", methods=["POST"], endpoint="create_session"),
            r(f"{PREFIX}/checkoutSessions/<sid>", methods=["GET"], endpoint="get_session"),
            r(f"{PREFIX}/checkoutSessions/<sid>/complete", methods=["POST"], endpoint="complete_session"),
            r(f"{PREFIX}/charges/<cid>", methods=["GET"], endpoint="get_charge"),
            r(f"{PREFIX}/charges/<cid>/capture", methods=["POST"], endpoint="capture"),
            r(f"{PREFIX}/charges/<cid>/cancel", methods=["DELETE"], endpoint="cancel"),
            r(f"{PREFIX}/refunds", methods=["POST"], endpoint="create_refund"),
            r(f"{PREFIX}/refunds/<rid>", methods=["GET"], endpoint="get_refund"),
            r(f"{PREFIX}/chargePermissions", methods=["POST"], endpoint="create_charge_permission"),
            r(f"{PREFIX}/chargePermissions/<pid>", methods=["GET"], endpoint="get_charge_permission"),
            r(f"{PREFIX}/charges", methods=["POST"], endpoint="create_charge"),
            r("/__sandbox/charges/by-reference/<ref>", methods=["GET"], endpoint="sandbox_charge_by_reference"),
            r("/__sandbox/health", methods=["GET"], endpoint="sandbox_health"),
            r("/__sandbox/keys", methods=["POST", "GET"], endpoint="sandbox_keys"),
            r("/__sandbox/profile", methods=["POST", "GET"], endpoint="sandbox_profile"),
            r("/__sandbox/ledger", methods=["GET"], endpoint="sandbox_ledger"),
        ])

    # --- plumbing --------------------------------------------------------------------------------
    def __call__(self, environ, start_response):
        request = Request(environ)
        try:
            endpoint, args = self.urls.bind_to_environ(environ).match()
            if not endpoint.startswith("sandbox_"):
                refused = authenticate(self.keys, endpoint, request.method, request.path, request.host.split(":")[0],
                                       dict(request.args), {k.lower(): v for k, v in request.headers.items()},
                                       request.get_data(cache=True))
                if refused:
                    return self._json(401, refused)(environ, start_response)
                self._delay()
                if self.profile.rng.random() < self.profile.error_rate:
                    return self._json(503, {"reasonCode": "ServiceUnavailable", "message": "sandbox profile"})(
                        environ, start_response)
            body = request.get_json(silent=True) or {}
            key = request.headers.get("x-amz-pay-idempotency-key")
            with self._lock:
                if key and (endpoint, key) in self._idempotent:
                    status, payload = self._idempotent[(endpoint, key)]
                else:
                    status, payload = getattr(self, endpoint)(body, **args)
                    if key and status < 500:
                        self._idempotent[(endpoint, key)] = (status, payload)
            return self._json(status, payload)(environ, start_response)
        except NotFound:
            return self._json(404, {"reasonCode": "ResourceNotFound", "message": request.path})(
                environ, start_response)
        except HTTPException as e:
            return e(environ, start_response)
        except (KeyError, ValueError, ArithmeticError) as e:
            return self._json(400, {"reasonCode": "InvalidParameterValue", "message": str(e)})(
                environ, start_response)

    @staticmethod
    def _json(status: int, payload: dict) -> Response:
        return Response(json.dumps(payload), status=status, mimetype="application/json")

    def _delay(self) -> None:
        p = self.profile
        delay = p.latency_ms + p.rng.random() * p.jitter_ms
        if delay:
            time.sleep(delay / 1000)

    @staticmethod
    def _now() -> str:
        return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())

    # --- checkout sessions -----------------------------------------------------------------------
    def create_session(self, body: dict) -> tuple[int, dict]:
        sid = str(uuid.uuid4())
        session = {"checkoutSessionId": sid, "statusDetails": {"state": "Open"}, "chargeId": None,
                   "chargePermissionId": None, "paymentDetails": body.get("paymentDetails", {}),
                   "buyer": {"buyerId": body.get("buyerId", "amzn1.account.SANDBOX")},
                   "simulation": body.get("sandboxSimulation"), "creationTimestamp": self._now()}
        self.sessions[sid] = session
        return 201, session

    def get_session(self, body: dict, sid: str) -> tuple[int, dict]:
        if sid not in self.sessions:
            raise NotFound()
        return 200, self.sessions[sid]

    def complete_session(self, body: dict, sid: str) -> tuple[int, dict]:
        session = self.sessions.get(sid)
        if session is None:
            raise NotFound()
        if session["statusDetails"]["state"] == "Completed":
            return 200, session
        amount = body["chargeAmount"]
        Decimal(amount["amount"])  # a malformed amount is a 400
        state, reason = self._decide(session.get("simulation"))
        cid, permission = _id("S01"), _id("S01")
        self.charges[cid] = {"chargeId": cid, "chargePermissionId": permission, "chargeAmount": amount,
                             "captureAmount": None, "refundedAmount": {"amount": "0", "currencyCode":
                                                                       amount["currencyCode"]},
                             "statusDetails": {"state": state, "reasonCode": reason},
                             "merchantReferenceId": body.get("merchantReferenceId"),
                             "creationTimestamp": self._now()}
        session.update(chargeId=cid, chargePermissionId=permission, statusDetails={"state": "Completed"})
        return 200, session

    # --- card on file: charge permissions and charges on them ------------------------------------
    def create_charge_permission(self, body: dict) -> tuple[int, dict]:
        """SANDBOX stand-in for the buyer's checkout with chargePermissionType PaymentMethodOnFile: a
        chargeable permission over a card in the buyer's wallet (brand and last4 only: no number here)."""
        card = body.get("card") or {}
        last4 = str(card.get("last4", "1111"))
        if len(last4) != 4 or not last4.isdigit():
            raise ValueError("card.last4 must be 4 digits")
        pid = _id("B01")
        self.permissions[pid] = {
            "chargePermissionId": pid, "chargePermissionType": "PaymentMethodOnFile",
            "statusDetails": {"state": "Chargeable", "reasons": None},
            "paymentPreferences": [{"paymentDescriptor": f"{card.get('brand', 'Visa')} ****{last4}"}],
            "sandboxCard": {"brand": str(card.get("brand", "Visa")), "last4": last4,
                            "expMonth": int(card.get("exp_month", 12)), "expYear": int(card.get("exp_year", 2030))},
            "buyer": {"buyerId": body.get("buyerId", "amzn1.account.SANDBOX")},
            "simulation": body.get("sandboxSimulation"), "creationTimestamp": self._now()}
        return 201, self.permissions[pid]

    def get_charge_permission(self, body: dict, pid: str) -> tuple[int, dict]:
        if pid not in self.permissions:
            raise NotFound()
        return 200, self.permissions[pid]

    def create_charge(self, body: dict) -> tuple[int, dict]:
        """Create Charge on a charge permission (captureNow false: an authorization to capture later)."""
        permission = self.permissions.get(body["chargePermissionId"])
        if permission is None:
            raise NotFound()
        if permission["statusDetails"]["state"] != "Chargeable":
            return 422, {"reasonCode": "InvalidChargePermissionStatus", "message": "not chargeable"}
        amount = body["chargeAmount"]
        Decimal(amount["amount"])
        state, reason = self._decide(permission.get("simulation"))
        cid = _id("S01")
        reference = (body.get("merchantMetadata") or {}).get("merchantReferenceId")
        self.charges[cid] = {"chargeId": cid, "chargePermissionId": permission["chargePermissionId"],
                             "chargeAmount": amount, "captureAmount": None,
                             "refundedAmount": {"amount": "0", "currencyCode": amount["currencyCode"]},
                             "statusDetails": {"state": state, "reasonCode": reason},
                             "merchantReferenceId": reference, "creationTimestamp": self._now()}
        if body.get("captureNow") and state == "Authorized":
            self.charges[cid].update(captureAmount=amount, statusDetails={"state": "Captured", "reasonCode": None})
        return 201, self.charges[cid]

    def sandbox_charge_by_reference(self, body: dict, ref: str) -> tuple[int, dict]:
        """SANDBOX EXTENSION (Amazon Pay has no such lookup): the charges made under our reference."""
        return 200, {"charges": [c for c in self.charges.values() if c.get("merchantReferenceId") == ref]}

    def _decide(self, simulation: str | None) -> tuple[str, str | None]:
        p = self.profile
        choice = simulation or p.approval
        if choice == "approve" and p.rng.random() >= p.approval_rate:
            choice = "decline"
        return {"approve": ("Authorized", None), "decline": ("Declined", "HardDeclined"),
                "soft_decline": ("Declined", "SoftDeclined")}.get(choice, ("Declined", "ProcessingFailure"))

    # --- charges ---------------------------------------------------------------------------------
    def _charge(self, cid: str) -> dict:
        if cid not in self.charges:
            raise NotFound()
        return self.charges[cid]

    def get_charge(self, body: dict, cid: str) -> tuple[int, dict]:
        return 200, self._charge(cid)

    def capture(self, body: dict, cid: str) -> tuple[int, dict]:
        charge = self._charge(cid)
        state = charge["statusDetails"]["state"]
        if state == "Captured":
            return 200, charge
        if state != "Authorized":
            return 422, {"reasonCode": "InvalidChargeStatus", "message": f"charge is {state}"}
        amount = body["captureAmount"]
        if Decimal(amount["amount"]) > Decimal(charge["chargeAmount"]["amount"]):
            return 400, {"reasonCode": "InvalidParameterValue", "message": "capture exceeds authorization"}
        charge.update(captureAmount=amount, statusDetails={"state": "Captured", "reasonCode": None})
        return 200, charge

    def cancel(self, body: dict, cid: str) -> tuple[int, dict]:
        charge = self._charge(cid)
        if charge["statusDetails"]["state"] not in ("Authorized", "Canceled"):
            return 422, {"reasonCode": "InvalidChargeStatus", "message": "only an authorization can be canceled"}
        charge["statusDetails"] = {"state": "Canceled", "reasonCode": "MerchantCanceled"}
        return 200, charge

    # --- refunds ---------------------------------------------------------------------------------
    def create_refund(self, body: dict) -> tuple[int, dict]:
        charge = self._charge(body["chargeId"])
        if charge["statusDetails"]["state"] != "Captured":
            return 422, {"reasonCode": "InvalidChargeStatus", "message": "charge not captured"}
        amount = Decimal(body["refundAmount"]["amount"])
        refunded = Decimal(charge["refundedAmount"]["amount"])
        if amount <= 0 or refunded + amount > Decimal(charge["captureAmount"]["amount"]):
            return 400, {"reasonCode": "TransactionAmountExceeded", "message": "refund exceeds the capture"}
        rid = _id("S01")
        charge["refundedAmount"]["amount"] = str(refunded + amount)
        refund = {"refundId": rid, "chargeId": charge["chargeId"], "refundAmount": body["refundAmount"],
                  "statusDetails": {"state": "Refunded", "reasonCode": None}, "creationTimestamp": self._now()}
        self.refunds[rid] = refund
        return 201, refund

    def get_refund(self, body: dict, rid: str) -> tuple[int, dict]:
        if rid not in self.refunds:
            raise NotFound()
        return 200, self.refunds[rid]

    # --- sandbox controls ------------------------------------------------------------------------
    def sandbox_keys(self, body: dict) -> tuple[int, dict]:
        """POST {publicKeyId, publicKey (PEM)}: register a merchant's public key (Seller Central's upload)."""
        if body:
            self.keys.register(body["publicKeyId"], body["publicKey"])
            return 201, {"publicKeyId": body["publicKeyId"]}
        return 200, {"publicKeyIds": self.keys.ids()}

    def sandbox_health(self, body: dict) -> tuple[int, dict]:
        return 200, {"sandbox": "amazon-pay-local", "ok": True}

    def sandbox_profile(self, body: dict) -> tuple[int, dict]:
        if body:
            seed = body.get("seed")
            self.profile = Profile(**{k: v for k, v in body.items() if k in Profile.__dataclass_fields__
                                      and k != "rng"}, rng=random.Random(seed))
        p = self.profile
        return 200, {"approval": p.approval, "approval_rate": p.approval_rate, "latency_ms": p.latency_ms,
                     "jitter_ms": p.jitter_ms, "error_rate": p.error_rate}

    def sandbox_ledger(self, body: dict) -> tuple[int, dict]:
        return 200, {"charges": list(self.charges.values()), "refunds": list(self.refunds.values())}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Amazon Pay LOCAL SANDBOX (not Amazon's service)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8430)
    parser.add_argument("--approval", default="approve", choices=["approve", "decline", "soft_decline"])
    parser.add_argument("--approval-rate", type=float, default=1.0)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--keys-file", type=Path, default=None,
                        help="Keep the registered public keys in this JSON file (survives a restart).")
    args = parser.parse_args(argv)
    sandbox = AmazonPaySandbox(Profile(approval=args.approval, approval_rate=args.approval_rate,
                                       latency_ms=args.latency_ms), KeyRegistry(args.keys_file))
    run_simple(args.host, args.port, sandbox, threaded=True)


if __name__ == "__main__":
    main()
