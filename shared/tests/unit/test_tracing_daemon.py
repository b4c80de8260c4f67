"""The local X-Ray daemon: UDP protocol, batching, rejected documents, an unreachable endpoint."""

import json
import threading

import pytest
from aws_xray_sdk.core.emitters.udp_emitter import UDPEmitter
from aws_xray_sdk.core.models.segment import Segment
from botocore.exceptions import EndpointConnectionError

from smartpay_shared.local.xray_daemon import MAX_ATTEMPTS, MAX_BATCH, XRayDaemon, parse_datagram, udp_address

DOC = {"name": "fn", "id": "53995c3f42cd8ad8", "trace_id": "1-5759e988-bd862e3fe1be46a994272793",
       "start_time": 1.0, "end_time": 2.0}


class FakeXRay:
    def __init__(self, failures=0, reject=()):
        self.calls = []
        self._failures = failures
        self._reject = set(reject)

    def put_trace_segments(self, TraceSegmentDocuments):  # noqa: N803 - boto3's parameter name
        if self._failures:
            self._failures -= 1
            raise EndpointConnectionError(endpoint_url="http://127.0.0.1:1")
        self.calls.append(list(TraceSegmentDocuments))
        ids = [json.loads(d)["id"] for d in TraceSegmentDocuments]
        return {"UnprocessedTraceSegments": [{"Id": i, "ErrorCode": "Bad", "Message": "no"}
                                             for i in ids if i in self._reject]}


@pytest.fixture
def daemon_factory():
    made = []

    def make(client, **kwargs):
        daemon = XRayDaemon(client, ("127.0.0.1", 0), **kwargs)
        made.append(daemon)
        return daemon

    yield make
    for daemon in made:
        daemon._sock.close()


def datagram(doc):
    return b'{"format": "json", "version": 1}\n' + json.dumps(doc).encode()


def test_parse_datagram():
    assert json.loads(parse_datagram(datagram(DOC))) == DOC
    assert parse_datagram(b'{"format":"json","version":1}\n' + json.dumps(DOC).encode()) is not None
    for bad in (json.dumps(DOC).encode(), b'{"format": "xml", "version": 1}\n{}', datagram([1]),
                b'{"format": "json", "version": 1}\nnot json', b"\xff\xfe\n\xff"):
        assert parse_datagram(bad) is None


def test_udp_address():
    assert udp_address("127.0.0.1:2000") == ("127.0.0.1", 2000)
    assert udp_address("tcp:127.0.0.1:2000 udp:127.0.0.2:2001") == ("127.0.0.2", 2001)
    with pytest.raises(ValueError):
        udp_address("nonsense")


def test_flush_sends_batches_of_at_most_fifty(daemon_factory):
    client = FakeXRay()
    daemon = daemon_factory(client)
    daemon._pending = [json.dumps({**DOC, "id": f"{i:016x}"}) for i in range(MAX_BATCH + 7)]
    assert daemon.flush() is True
    assert [len(c) for c in client.calls] == [MAX_BATCH, 7]
    assert (daemon.relayed, daemon.rejected) == (MAX_BATCH + 7, 0)


def test_rejected_documents_are_counted_and_not_retried(daemon_factory):
    client = FakeXRay(reject={"0000000000000001"})
    daemon = daemon_factory(client)
    daemon._pending = [json.dumps({**DOC, "id": f"{i:016x}"}) for i in range(3)]
    daemon.flush()
    daemon.flush()
    assert len(client.calls) == 1
    assert (daemon.relayed, daemon.rejected) == (2, 1)


def test_an_unreachable_endpoint_keeps_documents_for_the_next_flush(daemon_factory):
    client = FakeXRay(failures=1)
    daemon = daemon_factory(client)
    daemon._pending = [json.dumps(DOC)]
    assert daemon.flush() is False
    assert daemon.flush() is True
    assert client.calls == [[json.dumps(DOC)]]


def test_segments_from_the_sdk_emitter_are_relayed_on_stop(daemon_factory, monkeypatch):
    client = FakeXRay()
    daemon = daemon_factory(client, flush_interval=60)  # only the stop flushes
    host, port = daemon.address
    monkeypatch.delenv("AWS_XRAY_DAEMON_ADDRESS", raising=False)
    emitter = UDPEmitter(f"{host}:{port}")
    segment = Segment("fn", traceid=DOC["trace_id"])
    segment.close()
    thread = threading.Thread(target=daemon.serve)
    thread.start()
    emitter.send_entity(segment)
    emitter._send_data("garbage")
    daemon.stop()
    thread.join(timeout=5)

    assert not thread.is_alive()
    [[document]] = client.calls
    assert json.loads(document)["id"] == segment.id


def test_a_batch_that_keeps_failing_is_dropped_so_it_cannot_block_the_rest(daemon_factory):
    client = FakeXRay(failures=MAX_ATTEMPTS)
    daemon = daemon_factory(client)
    daemon._pending = [json.dumps(DOC)]
    assert [daemon.flush() for _ in range(MAX_ATTEMPTS)] == [False] * MAX_ATTEMPTS
    assert daemon._pending == []
    daemon._pending = [json.dumps(DOC)]
    assert daemon.flush() is True and len(client.calls) == 1
