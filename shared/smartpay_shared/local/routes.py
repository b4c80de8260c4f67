"""The gateway's routes: API Gateway's resource matching, from the services' manifests, and each
service's API handler imported once, on first use."""

from __future__ import annotations

import importlib
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from werkzeug.exceptions import MethodNotAllowed, NotFound

from smartpay_shared.manifest import Manifest

Handler = Callable[[dict[str, Any], Any], Any]


@dataclass(frozen=True)
class GatewayRoute:
    method: str
    resource: str  # the API Gateway resource path, e.g. /payments/{payment_id}
    service: str


def routes_from_manifests(manifests: Mapping[str, Manifest]) -> list[GatewayRoute]:
    return [GatewayRoute(r.method, r.path, m.service)
            for m in manifests.values() if m.api_handler for r in m.routes]


class RouteTable:
    """API Gateway's matching: the most specific resource wins (literal segments before {params}),
    then its methods decide (405 when it has no such method)."""

    def __init__(self, routes: Iterable[GatewayRoute]):
        self._methods: dict[str, dict[str, GatewayRoute]] = {}
        for route in routes:
            by_method = self._methods.setdefault(route.resource, {})
            if route.method in by_method:
                raise ValueError(f"{route.method} {route.resource} is declared twice")
            by_method[route.method] = route
        self._patterns = sorted(((_specificity(r), r, _compile(r)) for r in self._methods),
                                key=lambda item: item[0], reverse=True)

    def match(self, method: str, path: str) -> tuple[GatewayRoute, dict[str, str]]:
        path = path.rstrip("/") or "/"
        for _, resource, pattern in self._patterns:
            found = pattern.fullmatch(path)
            if found:
                by_method = self._methods[resource]
                if method not in by_method:
                    raise MethodNotAllowed(valid_methods=sorted(by_method))
                return by_method[method], found.groupdict()
        raise NotFound()

    def __iter__(self) -> Iterator[GatewayRoute]:
        return (route for by_method in self._methods.values() for route in by_method.values())


def _specificity(resource: str) -> tuple[int, ...]:
    return tuple(0 if segment.startswith("{") else 1 for segment in resource.strip("/").split("/"))


def _compile(resource: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[A-Za-z0-9_]+\})", resource)
    return re.compile("".join(f"(?P<{p[1:-1]}>[^/]+)" if p.startswith("{") else re.escape(p)
                              for p in parts if p))


class LazyHandlers(Mapping[str, Handler]):
    """service -> its API handler ("module:function"), imported on first use and only once."""

    def __init__(self, refs: Mapping[str, str]):
        self._refs = dict(refs)
        self._loaded: dict[str, Handler] = {}
        self._lock = threading.Lock()

    def __getitem__(self, service: str) -> Handler:
        with self._lock:
            if service not in self._loaded:
                module, _, name = self._refs[service].partition(":")
                self._loaded[service] = getattr(importlib.import_module(module), name)
            return self._loaded[service]

    def ref(self, service: str) -> str:
        """The service's handler as `module:function`."""
        return self._refs[service]

    def __iter__(self) -> Iterator[str]:
        return iter(self._refs)

    def __len__(self) -> int:
        return len(self._refs)

    def resolvers(self) -> dict[str, APIGatewayRestResolver]:
        """Each handler module's `app`, for the merged OpenAPI document."""
        found = {}
        for service, ref in self._refs.items():
            self[service]
            app = getattr(importlib.import_module(ref.partition(":")[0]), "app", None)
            if isinstance(app, APIGatewayRestResolver):
                found[service] = app
        return found
