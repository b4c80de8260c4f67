"""Feed one attempt's result into a gateway's window and move its circuit breaker."""

from __future__ import annotations

from smartpay_routing.domain.health import Breaker, HealthConfig
from smartpay_routing.service_layer.ports import HealthStore


def record_result(store: HealthStore, gateway: str, gateway_error: bool, now: float,
                  cfg: HealthConfig) -> Breaker:
    window = store.add_result(gateway, gateway_error, now)
    before = store.breaker(gateway)
    after, reset = before.after_result(gateway_error, window, now, cfg)
    if reset:
        store.reset_window(gateway, now)
    if after != before:
        store.put_breaker(gateway, after)
    return after
