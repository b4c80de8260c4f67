"""Concurrent execution environments of a service's API handler, as Lambda runs them.

Powertools keeps the current event of every resolver on a class attribute (`BaseRouter.current_event`):
one per process. Two invocations in one process at once, of one service or of two, read each other's
event and so each other's claims. Lambda never runs two invocations in one environment; locally each
environment is therefore a process of its own (`ProcessHandler`: spawned, the handler's module imported
there, one invocation at a time over a pipe). A pool holds up to the function's concurrency (its
reserved concurrency as deployed, read back from the emulator), starts one when every existing one is
busy (a cold start), reuses the most recently freed (the warmest) and drops one whose process died."""

from __future__ import annotations

import importlib
import logging
import multiprocessing
import queue
import threading
from collections.abc import Callable, Mapping
from typing import Any

from smartpay_shared.manifest import Manifest
from smartpay_shared.runtime.lambda_context import LocalLambdaContext

Handler = Callable[[dict[str, Any], Any], Any]
log = logging.getLogger("smartpay.gateway")


class EnvironmentDied(RuntimeError):
    """The environment's process ended (a crash, a kill): the invocation failed and the pool drops it."""


def _serve(ref: str, conn: Any) -> None:
    module, _, function = ref.partition(":")
    handler = getattr(importlib.import_module(module), function)
    while True:
        try:
            event, context = conn.recv()
        except (EOFError, OSError):  # the gateway went away
            return
        try:
            conn.send((True, handler(event, LocalLambdaContext(**context))))
        except Exception as e:  # noqa: BLE001 - the gateway answers 502, as API Gateway does
            conn.send((False, f"{type(e).__name__}: {e}"))


class ProcessHandler:
    """One environment: `module:function` imported in a spawned process, invoked one call at a time."""

    def __init__(self, ref: str):
        spawn = multiprocessing.get_context("spawn")
        self._conn, child = spawn.Pipe()
        self._process = spawn.Process(target=_serve, args=(ref, child), daemon=True, name=f"env {ref}")
        self._process.start()
        child.close()
        self.broken = False

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        try:
            self._conn.send((event, {"function_name": context.function_name, "region": context.region,
                                     "aws_request_id": context.aws_request_id,
                                     "timeout_seconds": context.timeout_seconds}))
            ok, value = self._conn.recv()
        except (EOFError, OSError) as e:
            self.broken = True
            self.close()
            raise EnvironmentDied(f"the environment's process ended ({type(e).__name__})") from None
        if not ok:
            raise RuntimeError(value)
        return value

    def close(self) -> None:
        self._conn.close()
        self._process.join(timeout=2)
        if self._process.is_alive():
            self._process.kill()


class Environments:
    """Up to `size` environments of one handler; an invocation waits while all of them are busy."""

    def __init__(self, make: Callable[[], Handler], size: int):
        if size < 1:
            raise ValueError("size must be at least 1")
        self.size = size
        self._make = make
        self._free: queue.LifoQueue[Handler] = queue.LifoQueue()
        self._made = 0
        self._lock = threading.Lock()

    @property
    def created(self) -> int:
        return self._made

    def invoke(self, event: dict[str, Any], context: Any) -> Any:
        handler = self._take()
        try:
            return handler(event, context)
        finally:
            if getattr(handler, "broken", False):
                with self._lock:
                    self._made -= 1
            else:
                self._free.put(handler)

    def _take(self) -> Handler:
        try:
            return self._free.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            create = self._made < self.size
            if create:
                self._made += 1
        if not create:
            return self._free.get()
        try:
            return self._make()
        except Exception:
            with self._lock:
                self._made -= 1
            raise


def deployed_api_concurrency(manifests: Mapping[str, Manifest], lambda_client: Any, name_prefix: str) -> dict[str, int]:
    """Each API function's reserved concurrency as Terraform deployed it (`<prefix>-<service>-api`); the
    manifest's api_max_concurrency where the function is unreserved or not deployed (said in the log)."""
    found = {}
    for manifest in manifests.values():
        if not manifest.api_handler:
            continue
        name = f"{name_prefix}-{manifest.service}-api"
        try:
            reserved = lambda_client.get_function_concurrency(FunctionName=name).get("ReservedConcurrentExecutions")
        except Exception as e:  # noqa: BLE001 - no emulator or no such function: the manifest's figure
            log.warning("cannot read the concurrency of %s (%s): running the manifest's %d", name,
                        type(e).__name__, manifest.api_max_concurrency)
            reserved = None
        found[manifest.service] = int(reserved) if reserved else manifest.api_max_concurrency
    return found
