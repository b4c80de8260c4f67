"""Lambda's share of X-Ray for the local worker: one function segment per invocation, continuing the
trace in the first record's envelope, emitted through the SDK's emitter (UDP to the X-Ray daemon)."""

from __future__ import annotations

import functools
import json
import logging
import os
import traceback
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from aws_xray_sdk.core import xray_recorder
from aws_xray_sdk.core.context import Context
from aws_xray_sdk import global_sdk_config
from aws_xray_sdk.core.emitters.udp_emitter import UDPEmitter
from aws_xray_sdk.core.lambda_launcher import LambdaContext
from aws_xray_sdk.core.recorder import AWSXRayRecorder

from smartpay_shared.runtime.tracing import ENTITY_ID, TRACE_ID, parse_trace_header

log = logging.getLogger("smartpay.worker.tracing")

FUNCTION_ORIGIN = "AWS::Lambda::Function"


def record_trace_header(record: Mapping[str, Any]) -> str | None:
    """A Lambda SQS record's trace header: the envelope's (`detail.metadata.trace_header` of the
    EventBridge event in the body), else the SQS `AWSTraceHeader` attribute. Garbage gives None."""
    try:
        header = json.loads(record["body"])["detail"]["metadata"]["trace_header"]
    except Exception:  # not JSON, not an EventBridge event, no envelope: nothing to continue
        header = None
    if not isinstance(header, str):
        attributes = record.get("attributes") if isinstance(record, Mapping) else None
        header = attributes.get("AWSTraceHeader") if isinstance(attributes, Mapping) else None
    return header if isinstance(header, str) else None


def trace_position(records: Sequence[Mapping[str, Any]]) -> tuple[str | None, str | None]:
    """(trace id, parent id) that the invocation continues; (None, None) starts a new trace."""
    parts = parse_trace_header(record_trace_header(records[0])) if records else {}
    root, parent = parts.get("Root", ""), parts.get("Parent", "")
    if not TRACE_ID.match(root):
        return None, None
    return root, parent if ENTITY_ID.match(parent) else None


def use_local_context(recorder: AWSXRayRecorder = xray_recorder) -> None:
    """Let the worker own segments as Lambda does. The SDK picks Lambda's context when LAMBDA_TASK_ROOT
    is set (e.g. to enable Powertools Tracer locally), and that context refuses new segments."""
    if isinstance(recorder.context, LambdaContext):
        recorder.context = Context()
    recorder.context.context_missing = os.getenv("AWS_XRAY_CONTEXT_MISSING", "IGNORE_ERROR")
    if isinstance(recorder.emitter, UDPEmitter):
        # The emitter read AWS_XRAY_DAEMON_ADDRESS at import; the worker may have set it since.
        recorder.emitter.set_daemon_address(os.getenv("AWS_XRAY_DAEMON_ADDRESS"))


class FunctionSegments:
    """`around_invoke` for SqsWorker: opens the function segment (sampled: locally every invocation
    is traced), makes it the active entity for the handler's subsegments, closes and emits it.
    A tracing failure is logged and the invocation runs untraced; the handler's own outcome
    (response or exception) passes through unchanged."""

    def __init__(self, function_name: str, *, recorder: AWSXRayRecorder = xray_recorder):
        self._name = function_name
        self._recorder = recorder
        try:
            use_local_context(recorder)
        except Exception:  # e.g. a malformed AWS_XRAY_DAEMON_ADDRESS: say so, keep the worker running
            log.warning("cannot configure the X-Ray recorder; segments may not reach the daemon", exc_info=True)

    def __call__(self, records: Sequence[Mapping[str, Any]], invoke: Callable[[], Any]) -> Any:
        segment = self._begin(records)
        try:
            response = invoke()
        except BaseException as e:
            self._end(segment, error=e)
            raise
        self._end(segment, response=response)
        return response

    def _begin(self, records: Sequence[Mapping[str, Any]]) -> Any:
        try:
            # Powertools' Tracer switches the SDK off outside Lambda when a handler module creates
            # one; this worker plays Lambda, so it is switched back on (AWS_XRAY_SDK_ENABLED still wins).
            if not global_sdk_config.sdk_enabled():
                global_sdk_config.set_sdk_enabled(True)
            trace_id, parent_id = trace_position(records)
            segment = self._recorder.begin_segment(self._name, traceid=trace_id, parent_id=parent_id, sampling=1)
            segment.origin = FUNCTION_ORIGIN
            segment.put_metadata("batch_size", len(records), "smartpay")
            return segment
        except Exception:
            log.warning("cannot open the invocation segment; running untraced", exc_info=True)
            self._clear()
            return None

    def _end(self, segment: Any, *, error: BaseException | None = None, response: Any = None) -> None:
        if segment is None:
            return
        try:
            if isinstance(error, Exception):
                stack = traceback.extract_tb(error.__traceback__, limit=self._recorder.max_trace_back)
                segment.add_exception(error, stack)
            failures = response.get("batchItemFailures") if isinstance(response, dict) else None
            if failures:
                segment.put_metadata("failed_records", len(failures), "smartpay")
            if self._recorder.current_segment() is not segment:
                self._recorder.set_trace_entity(segment)
            self._recorder.end_segment()
            if segment.sampled and not segment.ready_to_send():
                # A handler left a subsegment open: Lambda still records the function, so do we.
                self._recorder.emitter.send_entity(segment)
        except Exception:
            log.warning("cannot close the invocation segment; it is lost", exc_info=True)
        finally:
            self._clear()

    def _clear(self) -> None:
        try:
            self._recorder.clear_trace_entities()
        except Exception:
            log.warning("cannot clear the X-Ray context", exc_info=True)


def function_name_for(records: Sequence[Mapping[str, Any]]) -> str:
    """AWS_LAMBDA_FUNCTION_NAME if set, else the source queue's name (the local runner names each
    worker's function after its queue)."""
    name = os.getenv("AWS_LAMBDA_FUNCTION_NAME")
    if not name:
        try:
            name = str(records[0]["eventSourceARN"]).rsplit(":", 1)[-1]
        except Exception:
            name = ""
    return name or "smartpay-worker"


@functools.cache
def _segments_for(function_name: str) -> FunctionSegments:
    return FunctionSegments(function_name)


def around_invoke(records: Sequence[Mapping[str, Any]], invoke: Callable[[], Any]) -> Any:
    """A ready-made `around_invoke` on the global recorder; prefer FunctionSegments(function_name)
    where the worker knows its function's name."""
    return _segments_for(function_name_for(records))(records, invoke)
