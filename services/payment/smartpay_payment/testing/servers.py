"""The real local servers the integration tests (and make up) run: localstripe and the Amazon Pay sandbox."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from smartpay_shared.testing import free_port


class _Process:
    def __init__(self, cmd: list[str], url: str, probe: str, log_path: Path | None = None):
        self.cmd, self.url, self._probe, self._log_path = cmd, url, probe, log_path
        self._proc: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0):
        out = open(self._log_path, "ab") if self._log_path else subprocess.DEVNULL  # noqa: SIM115
        self._proc = subprocess.Popen(self.cmd, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"{self.cmd[0]} exited with {self._proc.returncode}")
            try:
                urllib.request.urlopen(self.url + self._probe, timeout=1).read()
                return self
            except urllib.error.HTTPError:
                return self  # it answers: up
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise TimeoutError(f"{self.cmd} not ready on {self.url}")

    def stop(self) -> None:
        if self._proc and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
        self._proc = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


class LocalStripe(_Process):
    """`localstripe --port N --from-scratch`. It listens on all interfaces (no host option) and saves its
    state to /tmp/localstripe.pickle whatever the port: tests use unique references, never old state."""

    def __init__(self, port: int | None = None, log_path: Path | None = None, from_scratch: bool = True):
        port = port or free_port()
        exe = shutil.which("localstripe", path=str(Path(sys.executable).parent)) or "localstripe"
        super().__init__([exe, "--port", str(port), *(["--from-scratch"] if from_scratch else [])], f"http://127.0.0.1:{port}", "/v1/customers", log_path)


class AmazonPaySandbox(_Process):
    """The Amazon Pay v2 sandbox of this service (smartpay_payment.sandbox.amazon_pay)."""

    def __init__(self, port: int | None = None, log_path: Path | None = None):
        port = port or free_port()
        super().__init__([sys.executable, "-m", "smartpay_payment.sandbox.amazon_pay", "--port", str(port)],
                         f"http://127.0.0.1:{port}", "/__sandbox/health", log_path)


class SolanaRpcSandbox(_Process):
    """LiteSVM behind JSON-RPC (smartpay_payment.sandbox.solana_rpc): one chain for every process."""

    def __init__(self, port: int | None = None, log_path: Path | None = None):
        port = port or free_port()
        super().__init__([sys.executable, "-m", "smartpay_payment.sandbox.solana_rpc", "--port", str(port)],
                         f"http://127.0.0.1:{port}", "/", log_path)


def amazon_checkout_session(sandbox_url: str, simulation: str | None = None) -> str:
    """What the buyer's browser flow leaves behind: an open checkout session id (the method token)."""
    import requests

    body = {"storeId": "amzn1.application-oa2-client.sandbox", "sandboxSimulation": simulation}
    response = requests.post(f"{sandbox_url}/sandbox/v2/checkoutSessions", json=body, timeout=5,
                             headers={"Authorization": "AMZN-PAY-RSASSA-PSS-V2 PublicKeyId=BUYER"})
    response.raise_for_status()
    return response.json()["checkoutSessionId"]


def amazon_ledger(sandbox_url: str) -> dict:
    import requests

    return requests.get(f"{sandbox_url}/__sandbox/ledger", timeout=5).json()


def amazon_profile(sandbox_url: str, **profile) -> dict:
    import requests

    return requests.post(f"{sandbox_url}/__sandbox/profile", json=profile, timeout=5).json()


def amazon_card_on_file(sandbox_url: str, last4: str = "4242", brand: str = "Visa",
                        simulation: str | None = None) -> str:
    """What the buyer's checkout with a saved card leaves behind: a chargeable charge permission, as the
    Amazon Pay token the vault keeps (`cp:<chargePermissionId>`)."""
    import requests

    body = {"card": {"brand": brand, "last4": last4, "exp_month": 12, "exp_year": 2030},
            "sandboxSimulation": simulation}
    response = requests.post(f"{sandbox_url}/sandbox/v2/chargePermissions", json=body, timeout=5,
                             headers={"Authorization": "AMZN-PAY-RSASSA-PSS-V2 PublicKeyId=BUYER"})
    response.raise_for_status()
    return "cp:" + response.json()["chargePermissionId"]


def stripe_card(stripe_url: str, number: str = "4242424242424242") -> str:
    """A localstripe PaymentMethod (what Stripe.js leaves behind; the number never reaches SmartPay)."""
    import stripe

    client = stripe.StripeClient("sk_test_local", base_addresses={"api": stripe_url})
    return client.v1.payment_methods.create(params={"type": "card", "card": {
        "number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"}}).id
