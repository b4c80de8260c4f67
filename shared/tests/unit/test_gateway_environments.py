"""The gateway's concurrent environments of an API handler (smartpay_shared.local.environments): as
many invocations at once as the function's concurrency, each in a process of its own (Powertools keeps
every resolver's current event on one class attribute per process), never more; without environments,
one in-process invocation at a time across all services."""

import sys
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from werkzeug.test import Client

from smartpay_shared.local.auth import AuthError
from smartpay_shared.local.environments import EnvironmentDied, Environments, ProcessHandler
from smartpay_shared.local.gateway import Gateway, GatewayRoute
from smartpay_shared.local.routes import LazyHandlers
from smartpay_shared.testing import merchant_claims

SERVICE = '''
import time
from smartpay_shared.api import build_resolver, merchant_id

app = build_resolver("probe", "0.0.1")


@app.get("__PATH__")
def whoami() -> dict:
    first = merchant_id(app)
    time.sleep(0.05)  # another invocation on this app now would overwrite the current event
    return {"merchant_id": first, "still": merchant_id(app)}


def lambda_handler(event, context):
    return app.resolve(event, context)
'''


class TokenIsMerchant:
    def verify(self, token):
        if not token.startswith("m_"):
            raise AuthError("token is malformed")
        return {"sub": token, "token_use": "id", **merchant_claims(token, token=True)}


def probe_module(tmp_path, name, path="/whoami"):
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(SERVICE).replace("__PATH__", path))
    sys.path.insert(0, str(tmp_path))
    return f"{name}:lambda_handler"


def test_a_process_environment_answers_and_a_dead_one_is_reported(tmp_path):
    from smartpay_shared.runtime.lambda_context import LocalLambdaContext

    ref = probe_module(tmp_path, "probe_env_process")
    env = ProcessHandler(ref)
    event = {"resource": "/whoami", "path": "/whoami", "httpMethod": "GET", "headers": {}, "requestContext": {
        "authorizer": {"claims": merchant_claims("m_alpha", token=True)}, "requestId": "r-1", "stage": "local"}}
    answer = env(event, LocalLambdaContext(function_name="probe-api"))
    assert answer["statusCode"] == 200 and "m_alpha" in answer["body"]
    env._process.kill()
    env._process.join()
    try:
        env(event, LocalLambdaContext(function_name="probe-api"))
    except EnvironmentDied:
        assert env.broken
    else:
        raise AssertionError("a dead environment answered")


def test_a_pool_runs_at_most_its_size_at_once_and_creates_only_when_all_are_busy():
    lock, running, peak, made = threading.Lock(), [0], [0], [1]

    def make():
        made[0] += 1

        def handler(event, context):
            with lock:
                running[0] += 1
                peak[0] = max(peak[0], running[0])
            time.sleep(0.05)
            with lock:
                running[0] -= 1
            return event
        return handler

    pool = Environments(make, size=3)
    made[0] = 0
    assert pool.invoke(1, None) == 1 and pool.invoke(2, None) == 2 and pool.created == 1  # one at a time: the warm one is reused
    with ThreadPoolExecutor(8) as threads:
        assert sorted(threads.map(lambda i: pool.invoke(i, None), range(24))) == list(range(24))
    assert peak[0] == 3 and pool.created == 3 == made[0]


def test_concurrent_requests_of_two_merchants_each_see_only_their_own_claims(tmp_path):
    """Through the gateway with 4 process environments: 40 concurrent requests of two merchants, each
    answer names the caller's merchant, also after the handler slept (in one process they mixed)."""
    ref = probe_module(tmp_path, "probe_env_gateway")
    handlers = LazyHandlers({"probe": ref})
    gateway = Gateway([GatewayRoute("GET", "/whoami", "probe")], handlers, TokenIsMerchant(),
                      concurrency={"probe": 4}, environment=lambda service: ProcessHandler(handlers.ref(service)))
    call_count = Client(gateway).get("/whoami", headers={"Authorization": "Bearer m_alpha"})  # the cold start
    assert call_count.status_code == 200

    def call(i):
        merchant = "m_alpha" if i % 2 else "m_bravo"
        response = Client(gateway).get("/whoami", headers={"Authorization": f"Bearer {merchant}"})
        return merchant, response.get_json()

    with ThreadPoolExecutor(8) as threads:
        answers = list(threads.map(call, range(40)))
    assert all(body == {"merchant_id": m, "still": m} for m, body in answers), answers
    # An environment is started only while every existing one is busy: four means four ran at once.
    assert gateway._pool("probe").created == 4


def test_in_process_handlers_of_two_services_never_run_at_once(tmp_path):
    """Without environments the gateway runs handlers in its own process: two services' resolvers share
    Powertools' class-level current event, so one invocation at a time across services."""
    handlers = LazyHandlers({"one": probe_module(tmp_path, "probe_in_one"), "two": probe_module(tmp_path, "probe_in_two", "/two/whoami")})
    gateway = Gateway([GatewayRoute("GET", "/whoami", "one"), GatewayRoute("GET", "/two/whoami", "two")],
                      handlers, TokenIsMerchant())

    def call(i):
        merchant, path = ("m_alpha", "/whoami") if i % 2 else ("m_bravo", "/two/whoami")
        return merchant, Client(gateway).get(path, headers={"Authorization": f"Bearer {merchant}"}).get_json()

    with ThreadPoolExecutor(6) as threads:
        answers = list(threads.map(call, range(12)))
    assert all(body == {"merchant_id": m, "still": m} for m, body in answers), answers
