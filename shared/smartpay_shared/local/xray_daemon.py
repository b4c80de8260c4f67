"""A local X-Ray daemon: receives the SDK's UDP segment documents and relays them in batches with
PutTraceSegments to the endpoint in AWS_ENDPOINT_URL (moto locally), as the AWS daemon does."""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import time
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

HEADER = {"format": "json", "version": 1}
MAX_BATCH = 50  # documents per PutTraceSegments call, as the AWS daemon batches
MAX_BUFFERED = 10_000  # documents kept while the endpoint is unreachable; the oldest go first
MAX_ATTEMPTS = 5  # flushes a batch may fail before it is dropped (a poison batch must not block the rest)
POLL_SECONDS = 0.2  # how long a stop request may wait for the receive loop

logger = Logger(service="xray-daemon")


def parse_datagram(data: bytes) -> str | None:
    """`{"format": "json", "version": 1}\\n<segment document>` -> the document; None if malformed."""
    header, sep, document = data.partition(b"\n")
    try:
        if not sep or json.loads(header) != HEADER or not isinstance(json.loads(document), dict):
            return None
        return document.decode()
    except (ValueError, UnicodeDecodeError):
        return None


def udp_address(value: str) -> tuple[str, int]:
    """`host:port`, or the SDK's two-address form `tcp:host:port udp:host:port`."""
    for part in value.split():
        fields = part.split(":")
        if len(fields) == 3 and fields[0] == "udp":
            return fields[1], int(fields[2])
        if len(fields) == 2:
            return fields[0], int(fields[1])
    raise ValueError(f"not a daemon address: {value!r}")


class XRayDaemon:
    def __init__(self, client: Any, address: tuple[str, int] = ("127.0.0.1", 2000), *, flush_interval: float = 1.0):
        self._client = client
        self._interval = flush_interval
        self._pending: list[str] = []
        self._stopping = False
        self._endpoint_up = True
        self._failed_attempts = 0
        self.relayed = 0
        self.rejected = 0
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind(address)
        self._sock.settimeout(POLL_SECONDS)

    @property
    def address(self) -> tuple[str, int]:
        return self._sock.getsockname()

    def stop(self, *_: Any) -> None:
        self._stopping = True

    def serve(self) -> None:
        """Receive until stop(), flushing every interval; on stop, relay everything received."""
        next_flush = time.monotonic() + self._interval
        try:
            while not self._stopping:
                self._receive()
                batch_full = len(self._pending) >= MAX_BATCH and self._endpoint_up
                if batch_full or time.monotonic() >= next_flush:
                    self._endpoint_up = self.flush()
                    next_flush = time.monotonic() + self._interval
            self._sock.setblocking(False)
            while self._receive():  # what the kernel already holds was sent before the stop
                pass
        finally:
            self.flush()
            self._sock.close()
            logger.info("stopped", extra={"relayed": self.relayed, "rejected": self.rejected,
                                          "unsent": len(self._pending)})

    def _receive(self) -> bool:
        try:
            data, sender = self._sock.recvfrom(65535)
        except (TimeoutError, BlockingIOError, InterruptedError):
            return False
        document = parse_datagram(data)
        if document is None:
            logger.warning("dropped a malformed datagram", extra={"sender": f"{sender[0]}:{sender[1]}",
                                                                   "size": len(data)})
        else:
            self._pending.append(document)
        return True

    def flush(self) -> bool:
        """Relay what is pending; False if the endpoint could not be reached (documents kept)."""
        while self._pending:
            batch = self._pending[:MAX_BATCH]
            try:
                response = self._client.put_trace_segments(TraceSegmentDocuments=batch)
            except (BotoCoreError, ClientError) as e:
                # Emulator not up yet or restarting: keep the documents for the next flush.
                self._failed_attempts += 1
                error = f"{type(e).__name__}: {e}"
                if self._failed_attempts >= MAX_ATTEMPTS:
                    del self._pending[: len(batch)]
                    self._failed_attempts = 0
                    logger.error("dropped a batch that kept failing", extra={"documents": len(batch), "error": error})
                del self._pending[:-MAX_BUFFERED]
                logger.warning("put_trace_segments failed; will retry", extra={"pending": len(self._pending),
                                                                               "error": error})
                return False
            self._failed_attempts = 0
            del self._pending[: len(batch)]
            unprocessed = response.get("UnprocessedTraceSegments") or []
            for item in unprocessed:
                # Rejected documents are invalid as sent: retrying them would fail the same way.
                logger.error("segment rejected", extra={"segment_id": item.get("Id"),
                                                        "error_code": item.get("ErrorCode"),
                                                        "reason": item.get("Message")})
            self.relayed += len(batch) - len(unprocessed)
            self.rejected += len(unprocessed)
            logger.info("relayed", extra={"documents": len(batch) - len(unprocessed), "rejected": len(unprocessed)})
        return True


def xray_client() -> Any:
    # boto3 resolves AWS_ENDPOINT_URL (and AWS_ENDPOINT_URL_XRAY) itself. Few retries: a flush that
    # waits on a dead endpoint stalls the receive loop, and the next flush retries anyway.
    config = Config(retries={"mode": "standard", "max_attempts": 2}, connect_timeout=2, read_timeout=10)
    region = os.getenv("AWS_REGION") or os.getenv("AWS_DEFAULT_REGION") or "us-east-1"
    return boto3.session.Session().client("xray", region_name=region, config=config)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m smartpay_shared.local.xray_daemon", description=__doc__)
    parser.add_argument("--address", default=os.getenv("AWS_XRAY_DAEMON_ADDRESS", "127.0.0.1:2000"),
                        help="UDP address to listen on (default AWS_XRAY_DAEMON_ADDRESS or 127.0.0.1:2000; "
                             "port 0 picks a free port, logged in the 'listening' line)")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between flushes")
    args = parser.parse_args(argv)

    client = xray_client()
    daemon = XRayDaemon(client, udp_address(args.address), flush_interval=args.interval)
    signal.signal(signal.SIGTERM, daemon.stop)
    signal.signal(signal.SIGINT, daemon.stop)
    host, port = daemon.address
    logger.info("listening", extra={"address": f"{host}:{port}", "endpoint": client.meta.endpoint_url})
    daemon.serve()


if __name__ == "__main__":
    main()
