"""API Lambda of the chat service: POST /chat. The merchant is the verified token's, never the body's."""

import dataclasses
import time
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from importlib.metadata import version

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from pydantic import BaseModel, ConfigDict, Field, StrictStr, field_validator
from pydantic_core import to_jsonable_python

from smartpay_shared.api import build_resolver, merchant_id
from smartpay_shared.text import Text

from smartpay_chat import bootstrap
from smartpay_chat.config import chat_settings
from smartpay_chat.domain.errors import IndexUnavailable, PlannerUnavailable
from smartpay_chat.service_layer import chat as chat_service

logger = Logger(service="chat")
app = build_resolver("SmartPay chat", version("smartpay-chat"))
MAX_QUESTION = 500
RETRY_AFTER_SECONDS = 2


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: Text(MAX_QUESTION, min_length=1, free=True)
    session_id: StrictStr | None = Field(default=None, min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")

    @field_validator("question")
    @classmethod
    def _text(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("question is blank")
        if any(ord(c) < 32 and c not in "\t\n\r" for c in value):
            raise ValueError("question contains control characters")
        return value.strip()


@cache
def chat() -> chat_service.Chat:
    # One thread for the session's write, while the index answers (one invocation at a time here).
    return dataclasses.replace(bootstrap.build_chat(chat_settings()),
                               background=ThreadPoolExecutor(1, thread_name_prefix="chat-session"))


@cache
def index():
    return bootstrap.build_index(chat_settings(), read_only=True)


@app.post("/chat")
def post_chat(request: ChatRequest):  # noqa: ANN201 - a Response (200 or 503 with Retry-After)
    merchant = merchant_id(app)
    try:
        answer = chat_service.ask(chat(), index(), merchant, request.question, request.session_id)
    except (IndexUnavailable, PlannerUnavailable) as e:
        logger.warning("chat engine unavailable", extra={"error": str(e)})
        what = "language model" if isinstance(e, PlannerUnavailable) else "payment index"
        return Response(503, "application/json", {"statusCode": 503, "message": f"the {what} is "
                        f"unavailable right now; retry in {RETRY_AFTER_SECONDS} s", "retry_after_seconds":
                        RETRY_AFTER_SECONDS}, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    return Response(200, "application/json", to_jsonable_python(answer))


def warm() -> dict[str, float]:
    """Lambda's init phase (module import, before the first request): what the first answer would otherwise pay.
    Two things at once: this thread builds the planner (its English word list, shipped as a file) and plans a
    question (the grammar's patterns compile: Python, holding the GIL), while a second thread opens the index's
    published copy (the reader's snapshot: DuckDB copies the base's facts, outside the GIL); then the plan's
    query runs once for no merchant (DuckDB binds and plans it). The embedding model, which only a search uses,
    is not loaded here: the first search loads it (embeddings.Loading), so its imports hold no GIL against this
    warm-up or the first answers. A missing index is opened at the
    first request instead. Returns the seconds of each part (`total_s`: the whole warm-up)."""
    started = time.perf_counter()
    parts: dict[str, float] = {}
    with ThreadPoolExecutor(1, thread_name_prefix="chat-warm") as pool:
        opening = pool.submit(_open_index, parts)
        try:
            built = _timed(parts, "planner_build_s", chat)
            plan = _timed(parts, "first_plan_s", built.planner.plan, WARM_QUESTION, None, built.now(),
                          built.timezone)
            waited = time.perf_counter()
            opened = opening.result()
            parts["waited_for_index_s"] = time.perf_counter() - waited
            if opened:
                _timed(parts, "first_query_s", index().execute, WARM_MERCHANT, plan, built.scope(None))
        except IndexUnavailable as e:
            logger.info("index not there yet at init: opened at the first request", extra={"error": str(e)})
        except Exception:  # noqa: BLE001 - a warm-up never stops the function from starting; the request will say
            logger.exception("warm-up at init failed")
    parts["total_s"] = time.perf_counter() - started
    return {k: round(v, 4) for k, v in parts.items()}


def _open_index(parts: dict[str, float]) -> bool:
    """The warm-up's second thread: the index adapter and one read (a lookup of a payment no merchant has), which
    opens the published copy. False when there is no index yet (or it failed: logged)."""
    try:
        _timed(parts, "index_build_s", index)  # the embedding model is not loaded: the first search loads it
        _timed(parts, "index_open_s", lambda: index().get(WARM_MERCHANT, WARM_PAYMENT))
        return True
    except IndexUnavailable as e:
        logger.info("index not there yet at init: opened at the first request", extra={"error": str(e)})
    except Exception:  # noqa: BLE001 - as warm(): the first request opens it and says what failed
        logger.exception("opening the index at init failed")
    return False


def _timed(parts: dict[str, float], name: str, call, *args):  # noqa: ANN001, ANN202 - any call, its result
    started = time.perf_counter()
    try:
        return call(*args)
    finally:
        parts[name] = time.perf_counter() - started


WARM_QUESTION, WARM_MERCHANT, WARM_PAYMENT = "how many payments by status today", "__warm_up__", "__warm_up__"
INIT_WARM = warm()
INIT_WARM_SECONDS = INIT_WARM["total_s"]


@logger.inject_lambda_context
def lambda_handler(event, context):
    return app.resolve(event, context)
