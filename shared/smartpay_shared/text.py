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


def _keys_under_the_rule(schema: dict[str, Any]) -> None:
    # pydantic writes a key pattern as patternProperties, which lets a key outside the pattern through
    # unconstrained: say it as propertyNames, the values as additionalProperties.
    patterns = schema.pop("patternProperties", {})
    names = schema.setdefault("propertyNames", {})
    for pattern, values in patterns.items():
        names["pattern"] = pattern
        schema["additionalProperties"] = values


def TextMap(*, key_length: int, value_length: int, max_items: int, **field: Any) -> Any:  # noqa: N802
    """A JSON object of up to `max_items` string values, keys and values under the control-character rule."""
    return Annotated[dict[Text(key_length, min_length=1), Text(value_length)],
                     Field(max_length=max_items, json_schema_extra=_keys_under_the_rule, **field)]
