"""API Lambda of the chat service: POST /chat."""

from importlib.metadata import version
from aws_lambda_powertools import Logger
from pydantic import BaseModel, ConfigDict, Field

from smartpay_shared.api import NotImplementedYet, build_resolver, merchant_id

logger = Logger(service="chat")
app = build_resolver("SmartPay chat", version("smartpay-chat"))


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(min_length=1, max_length=2000)
    session_id: str | None = Field(default=None, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")


@app.post("/chat")
def chat(request: ChatRequest) -> dict:
    merchant_id(app)
    raise NotImplementedYet("POST /chat", "issue #7")


@logger.inject_lambda_context
def lambda_handler(event, context):
    return app.resolve(event, context)
