"""The bandit served by a SageMaker endpoint (ROUTING_ENDPOINT_NAME): the router's VW examples go out with
InvokeEndpoint and the endpoint's pmf comes back (entrypoints/sagemaker_inference.py runs there). When the
endpoint fails or answers something that is not a pmf over the actions sent, the in-process policy (the
worker's learner, restored from the newest checkpoint) decides instead: payments keep being routed, and the
decision's policy_version says which model it came from."""

from __future__ import annotations

import logging
import threading
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from smartpay_routing.domain import endpoint
from smartpay_routing.domain.policy import Policy

log = logging.getLogger(__name__)


class SageMakerPolicy:
    """The Policy port on an endpoint. `version` is the checkpoint behind the last distribution this thread got
    (`sagemaker:<endpoint>:<checkpoint id>`, or the fallback's version when the fallback answered): the Router
    reads it right after asking, and the local worker decides on several threads with one service."""

    def __init__(self, runtime_client: Any, endpoint_name: str, fallback: Policy):
        self._client = runtime_client
        self.endpoint_name = endpoint_name
        self._fallback = fallback
        self._last = threading.local()
        self.failures = 0

    @property
    def version(self) -> str:
        return getattr(self._last, "version", f"sagemaker:{self.endpoint_name}")

    def _invoke(self, shared: str, actions: list[str]) -> tuple[list[float], str]:
        response = self._client.invoke_endpoint(EndpointName=self.endpoint_name, ContentType=endpoint.CONTENT_TYPE,
                                                Accept=endpoint.CONTENT_TYPE,
                                                Body=endpoint.encode_request([(shared, actions)]))
        [(pmf, checkpoint)] = endpoint.parse_answer(response["Body"].read(), [len(actions)])
        return pmf, checkpoint

    def distribution(self, shared: str, actions: list[str]) -> list[float]:
        try:
            pmf, checkpoint = self._invoke(shared, actions)
        except (ClientError, BotoCoreError, endpoint.EndpointProtocolError) as e:
            self.failures += 1
            log.error("SageMaker endpoint %s failed (%s): the in-process policy decides", self.endpoint_name, e)
            pmf = self._fallback.distribution(shared, actions)
            self._last.version = self._fallback.version
            return pmf
        self._last.version = f"sagemaker:{self.endpoint_name}:{checkpoint}"
        return pmf

    def learn(self, shared: str, actions: list[str], chosen: int, cost: float, probability: float) -> None:
        raise TypeError("the endpoint does not learn: the worker's in-process policy learns from outcomes")
