"""A model endpoint that hangs fails fast (routing then decides with its in-process model, fraud answers 503):
the sagemaker-runtime client gives up after its short read timeout and one retry, where every other client keeps
the patient defaults."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from botocore.exceptions import ReadTimeoutError

from smartpay_shared import aws


@pytest.fixture
def hung_endpoint():
    calls = []

    class Hang(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            calls.append(self.path)
            time.sleep(6)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hang)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", calls
    server.shutdown()


def test_a_hung_model_endpoint_fails_after_two_short_tries(hung_endpoint, monkeypatch):
    url, calls = hung_endpoint
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    client = aws.client("sagemaker-runtime", endpoint_url=url, region="us-east-1")
    with pytest.raises(ReadTimeoutError):
        client.invoke_endpoint(EndpointName="routing", Body=b"{}", ContentType="application/json")
    assert len(calls) == 2
    assert client.meta.config.read_timeout == 2
    assert aws.client("dynamodb", endpoint_url=url, region="us-east-1").meta.config.read_timeout == 30
