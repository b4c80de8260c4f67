"""Export the catalog as JSON Schema files (`shared/schemas/<type>.v<major>.json`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from smartpay_shared.events.catalog import CATALOG, EventSpec
from smartpay_shared.events.envelope import Metadata

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"


def schema_for(spec: EventSpec) -> dict[str, Any]:
    """The JSON Schema of an event's `detail` (metadata + typed data)."""
    data_schema = spec.model.model_json_schema(mode="serialization")
    meta_schema = Metadata.model_json_schema(mode="serialization")
    defs = {**meta_schema.pop("$defs", {}), **data_schema.pop("$defs", {})}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://smartpay.dev/schemas/{spec.event_type}.v{spec.major}.json",
        "title": spec.event_type,
        "description": spec.description,
        "x-schema-version": spec.schema_version,
        "type": "object",
        "additionalProperties": False,
        "required": ["metadata", "data"],
        "properties": {
            "metadata": meta_schema
            | {"properties": meta_schema["properties"] | {"event_type": {"const": spec.event_type}}},
            "data": data_schema,
        },
        "$defs": defs,
    }


def file_name(spec: EventSpec) -> str:
    return f"{spec.event_type}.v{spec.major}.json"


def render_all() -> dict[str, str]:
    return {
        file_name(spec): json.dumps(schema_for(spec), indent=2, sort_keys=True) + "\n"
        for spec in CATALOG.values()
    }


def write_all(directory: Path = SCHEMA_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render_all().items():
        path = directory / name
        path.write_text(text)
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_all():
        print(path)
