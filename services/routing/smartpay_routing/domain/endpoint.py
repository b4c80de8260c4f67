"""What the service and the bandit's SageMaker endpoint say to each other (JSON, both directions checked).

Request: the examples the router built, in Vowpal Wabbit text (features stay computed in one place, the
service), one instance per decision:

    {"instances": [{"shared": "shared |U ...", "actions": ["|G gw_stripe ...", "|G gw_solana ..."]}]}

Answer: the policy's probability of each action, in the order sent, and the checkpoint that computed it:

    {"predictions": [{"pmf": [0.93, 0.07], "policy_version": "vw-00001200-3fa2c1d9e0"}]}

The router samples from that pmf itself, so the propensity it logs is the probability it really sampled with."""

from __future__ import annotations

import json
import math

CONTENT_TYPE = "application/json"
MAX_INSTANCES = 64
MAX_ACTIONS = 32
MAX_LINE_CHARS = 4096


class EndpointProtocolError(ValueError):
    """A request or an answer that does not follow the format above; the message says what is wrong."""


def _line(value: object, where: str, head: str) -> str:
    if not isinstance(value, str):
        raise EndpointProtocolError(f"{where}: expected a string, got {type(value).__name__}")
    if not value.startswith(head) or "\n" in value or "\r" in value or len(value) > MAX_LINE_CHARS:
        raise EndpointProtocolError(f"{where}: expected one unlabelled VW line starting with {head!r} "
                                    f"(at most {MAX_LINE_CHARS} characters)")
    return value


def encode_request(instances: list[tuple[str, list[str]]]) -> bytes:
    body = {"instances": [{"shared": shared, "actions": list(actions)} for shared, actions in instances]}
    return json.dumps(body, separators=(",", ":")).encode()


def parse_request(body: bytes | str, content_type: str = CONTENT_TYPE) -> list[tuple[str, list[str]]]:
    if content_type != CONTENT_TYPE:
        raise EndpointProtocolError(f"unsupported content type {content_type!r}; send {CONTENT_TYPE}")
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as e:
        raise EndpointProtocolError(f"body is not JSON: {e}") from e
    instances = payload.get("instances") if isinstance(payload, dict) else None
    if not isinstance(instances, list) or not 1 <= len(instances) <= MAX_INSTANCES:
        raise EndpointProtocolError(f"body must be {{\"instances\": [...]}} with 1 to {MAX_INSTANCES} instances")
    out = []
    for i, inst in enumerate(instances):
        if not isinstance(inst, dict) or not isinstance(inst.get("actions"), list):
            raise EndpointProtocolError(f"instances[{i}]: expected {{\"shared\": ..., \"actions\": [...]}}")
        actions = inst["actions"]
        if not 2 <= len(actions) <= MAX_ACTIONS:
            raise EndpointProtocolError(f"instances[{i}].actions: 2 to {MAX_ACTIONS} actions (one needs no model)")
        out.append((_line(inst.get("shared"), f"instances[{i}].shared", "shared |"),
                    [_line(a, f"instances[{i}].actions[{j}]", "|") for j, a in enumerate(actions)]))
    return out


def encode_answer(predictions: list[tuple[list[float], str]]) -> str:
    return json.dumps({"predictions": [{"pmf": list(pmf), "policy_version": version}
                                       for pmf, version in predictions]})


def parse_answer(body: bytes | str, actions_per_instance: list[int]) -> list[tuple[list[float], str]]:
    """The predictions, checked against what was asked: one per instance, one probability per action, each
    finite and >= 0, summing to 1 (to 1e-6; renormalised exactly)."""
    try:
        payload = json.loads(body)
        predictions = payload["predictions"]
    except (ValueError, UnicodeDecodeError, TypeError, KeyError) as e:
        raise EndpointProtocolError(f"answer is not {{\"predictions\": [...]}}: {str(body)[:200]!r}") from e
    if not isinstance(predictions, list) or len(predictions) != len(actions_per_instance):
        raise EndpointProtocolError(f"expected {len(actions_per_instance)} predictions, got "
                                    f"{len(predictions) if isinstance(predictions, list) else predictions!r}")
    out = []
    for i, (p, k) in enumerate(zip(predictions, actions_per_instance, strict=True)):
        pmf = p.get("pmf") if isinstance(p, dict) else None
        version = p.get("policy_version") if isinstance(p, dict) else None
        if not isinstance(version, str) or not version:
            raise EndpointProtocolError(f"predictions[{i}]: no policy_version")
        if (not isinstance(pmf, list) or len(pmf) != k
                or not all(isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) and x >= 0
                           for x in pmf)):
            raise EndpointProtocolError(f"predictions[{i}].pmf: expected {k} finite probabilities >= 0")
        total = math.fsum(pmf)
        if abs(total - 1.0) > 1e-6:
            raise EndpointProtocolError(f"predictions[{i}].pmf sums to {total}, not 1")
        out.append(([x / total for x in pmf], version))
    return out
