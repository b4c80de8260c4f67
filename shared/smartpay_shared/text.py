"""The control-character rule of every string an API takes, said in the OpenAPI document as a
`pattern` so clients see the rule the validator enforces: no C0 control character and no DEL in an
identifier or a short field; free text (a chat question, a refund reason) may also hold tab, line
feed and carriage return."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StrictStr

NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"
FREE_TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"


def Text(max_length: int, *, min_length: int = 0, free: bool = False, **field: Any) -> Any:  # noqa: N802
    """A JSON string (strict: no number or boolean coerced) of `min_length`..`max_length` characters
    under the control-character rule (`free`: tab and line breaks allowed)."""
    return Annotated[StrictStr, Field(min_length=min_length, max_length=max_length,
                                      pattern=FREE_TEXT if free else NO_CONTROL, **field)]
