"""The local stack hands each payment emulator's address to the workers under the very setting the payment
service reads (one name, from PaymentSettings), and localstripe keeps its state in the stack's own file."""

import json
from pathlib import Path

from smartpay_payment.config import PaymentSettings
from smartpay_payment.sandbox.localstripe_stack import keep_state_in
from smartpay_payment.testing.local_stack import Emulators, setting_name

MANIFEST = json.loads((Path(__file__).resolve().parents[2] / "manifest.json").read_text())
FIELDS = {"localstripe": "stripe_api_base", "amazon-pay-sandbox": "amazon_pay_endpoint",
          "solana-sandbox": "solana_rpc_url"}


def test_each_emulator_is_announced_under_the_setting_the_service_reads(monkeypatch):
    servers = {p["name"]: p for p in MANIFEST["local_processes"] if p.get("url_env")}
    assert {name: p["url_env"] for name, p in servers.items()} == {
        name: setting_name(field) for name, field in FIELDS.items()}
    for name, field in FIELDS.items():
        monkeypatch.setenv(servers[name]["url_env"], f"http://127.0.0.1:4{len(name)}00")
    settings = PaymentSettings()
    assert {field: getattr(settings, field) for field in FIELDS.values()} == {
        field: f"http://127.0.0.1:4{len(name)}00" for name, field in FIELDS.items()}


def test_emulators_are_read_from_the_stack_info():
    info = {"env": {"PAYMENT_STRIPE_API_BASE": "http://127.0.0.1:1",
                    "PAYMENT_AMAZON_PAY_ENDPOINT": "http://127.0.0.1:2", "PAYMENT_SOLANA_RPC_URL": "http://127.0.0.1:3"}}
    assert Emulators.of(info) == Emulators("http://127.0.0.1:1", "http://127.0.0.1:2", "http://127.0.0.1:3")


def test_localstripe_keeps_its_state_in_the_stacks_file(tmp_path):
    from localstripe import resources

    saved = resources.Store.try_load_from_disk, resources.Store.dump_to_disk
    try:
        keep_state_in(tmp_path / "stack" / "localstripe.pickle")
        store = resources.Store()
        store["cus_1"] = {"id": "cus_1"}  # every change is written to the state file
        again = resources.Store()
        again.try_load_from_disk()
        assert dict(again) == {"cus_1": {"id": "cus_1"}}
        assert (tmp_path / "stack" / "localstripe.pickle").exists()
    finally:
        resources.Store.try_load_from_disk, resources.Store.dump_to_disk = saved
