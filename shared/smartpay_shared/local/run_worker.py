"""Run one service's queue handler locally: `python -m smartpay_shared.local.run_worker <service>`.

The job an SQS event source mapping does in AWS; the handler is the service's unchanged Lambda handler."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from typing import Any

from smartpay_shared import aws
from smartpay_shared.config import platform_settings
from smartpay_shared.manifest import all_manifests
from smartpay_shared.runtime.worker import SqsWorker
from smartpay_shared.runtime.worker_tracing import FunctionSegments

log = logging.getLogger("smartpay.worker")


def load_handler(path: str) -> Any:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def patch_clients() -> None:
    """Every botocore and requests call becomes a subsegment of the handler's segment (what Powertools
    Tracer's auto-patch does on Lambda; outside Lambda the Tracer switched the SDK off, and patch() skips
    while the SDK is off, so it is switched on first)."""
    from aws_xray_sdk import global_sdk_config
    from aws_xray_sdk.core import patch

    global_sdk_config.set_sdk_enabled(True)
    patch(("botocore", "requests"))


def deployed_concurrency(lambda_client: Any, function_name: str, fallback: int) -> int:
    """The reserved concurrency Terraform gave the deployed worker function (what caps it on AWS); an
    unreserved function (`worker_reserved_concurrency = -1`) runs the manifest's max_concurrency."""
    reserved = lambda_client.get_function_concurrency(FunctionName=function_name).get("ReservedConcurrentExecutions")
    if reserved is None:
        log.warning("%s has no reserved concurrency: running the manifest's %d", function_name, fallback)
        return fallback
    return int(reserved)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("service")
    parser.add_argument("--function-name", help="the deployed worker function (Terraform output functions.worker."
                        "name): its reserved concurrency is read back from the emulator")
    parser.add_argument("--batch-size", type=int, default=1, help="records per invocation (Terraform's batch_size)")
    parser.add_argument("--concurrency", type=int, help="concurrent invocations (default: the deployed function's "
                        "reserved concurrency, else the manifest's max_concurrency)")
    parser.add_argument("--wait", type=int, default=5, help="long-poll seconds (also the shutdown bound)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format='{"level":"%(levelname)s","logger":"%(name)s","message":"%(message)s"}')

    manifest = all_manifests()[args.service]
    settings = platform_settings()
    sqs = aws.client("sqs")
    queue_url = sqs.get_queue_url(QueueName=settings.queue_name(manifest.service))["QueueUrl"]
    function_name = args.function_name or f"{settings.name_prefix}-{manifest.service}-worker"
    concurrency = args.concurrency or (deployed_concurrency(aws.client("lambda"), function_name, manifest.max_concurrency)
                                       if args.function_name else manifest.max_concurrency)
    handler = load_handler(manifest.queue_handler)
    if os.getenv("SMARTPAY_XRAY_PATCH", "").lower() in ("1", "true"):
        patch_clients()
    worker = SqsWorker(
        sqs,
        queue_url,
        handler,
        function_name=function_name,
        region=settings.region,
        batch_size=args.batch_size,
        wait_time_seconds=args.wait,
        around_invoke=FunctionSegments(function_name),
        concurrency=concurrency,
    )
    worker.install_signal_handlers()
    worker.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
