"""A sagemaker-runtime stand-in for unit tests: it runs a service's real inference handlers (model_fn once,
then input_fn / predict_fn / output_fn per request) on the request it is sent, and keeps the requests."""

from __future__ import annotations

import io
from pathlib import Path
from types import ModuleType
from typing import Any


class InProcessEndpoint:
    def __init__(self, handlers: ModuleType, model_dir: str | Path):
        self.handlers = handlers
        self.model = handlers.model_fn(str(model_dir))
        self.requests: list[dict[str, Any]] = []

    def invoke_endpoint(self, **request: Any) -> dict[str, Any]:
        self.requests.append(request)
        h = self.handlers
        data = h.input_fn(request["Body"], request["ContentType"])
        return {"Body": io.BytesIO(h.output_fn(h.predict_fn(data, self.model), request["Accept"]).encode())}
