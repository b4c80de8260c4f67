"""moto's Lambda copies a function (CreateFunction with Publish, ListFunctions) and each copy used to deep-copy the
account's whole CloudWatch Logs backend: a log group created meanwhile failed the CreateFunction after the function
was stored (500, then 409 on the retry). `moto_server.function_copies_share_logs` makes copies share the backend.
Without it the churn test below fails on nearly every create (298 of 300 in the first run)."""

import base64
import copy
import io
import threading
import uuid
import zipfile

from moto.awslambda.models import lambda_backends
from moto.iam.models import iam_backends
from moto.logs.models import logs_backends

from smartpay_shared.local import moto_server

REGION = "us-east-1"


def _account() -> tuple[str, str]:
    account = str(uuid.uuid4().int)[:12]  # an account of its own: moto's backends are process-wide
    role = iam_backends[account]["global"].create_role("fn-role", "{}", "/", None, "", [], None)
    return account, role.arn


def _spec(name: str, role: str) -> dict:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("handler.py", "def handle(event, context):\n    return 1\n")
    return {"FunctionName": name, "Role": role, "Runtime": "python3.11", "Handler": "handler.handle",
            "Code": {"ZipFile": base64.b64encode(buf.getvalue()).decode()}, "Publish": True,
            "Environment": {"Variables": {"A": "1"}}}


def test_creating_functions_while_log_groups_appear_never_fails():
    moto_server.function_copies_share_logs()
    account, role = _account()
    functions, logs = lambda_backends[account][REGION], logs_backends[account][REGION]
    stop, errors = threading.Event(), []

    def churn() -> None:
        i = 0
        while not stop.is_set():
            logs.create_log_group(f"/aws/lambda/churn-{i}", {})
            i += 1
            if len(logs.groups) > 300:
                for name in list(logs.groups)[:100]:
                    logs.delete_log_group(name)

    writer = threading.Thread(target=churn)
    writer.start()
    try:
        for k in range(120):
            try:
                published = functions.create_function(_spec(f"fn-{k}", role))
                assert str(published.version) == "1"
            except Exception as error:  # noqa: BLE001 - counted and shown below
                errors.append(f"{type(error).__name__}: {error}")
        listed = functions.list_functions(func_version="ALL")
    finally:
        stop.set()
        writer.join()
    assert errors == []
    assert len([f for f in listed if f.function_name.startswith("fn-")]) == 240  # $LATEST and version 1 each


def test_a_copy_shares_the_logs_backend_and_copies_the_rest():
    moto_server.function_copies_share_logs()
    moto_server.function_copies_share_logs()  # idempotent
    account, role = _account()
    original = lambda_backends[account][REGION].create_function(_spec("fn-copy", role) | {"Publish": False})
    copied = copy.deepcopy(original)
    assert copied is not original
    assert copied.logs_backend is original.logs_backend is logs_backends[account][REGION]
    assert copied.get_configuration() == original.get_configuration()
    copied.environment_vars["A"] = "2"
    assert original.environment_vars == {"A": "1"}  # the rest is still a deep copy
    assert copied.policy is not original.policy and copied.policy.parent is copied
    original._DockerModel__docker_client = object()  # a client moto built to run it: never copied (moto's __getstate__)
    assert "_DockerModel__docker_client" not in vars(copy.deepcopy(original))  # as in moto's own copy
