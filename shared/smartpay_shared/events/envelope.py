"""The envelope carried as an EventBridge event's `detail`: `{"metadata": ..., "data": ...}`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from smartpay_shared import ids


class Producer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    service: str = Field(pattern=r"^[a-z][a-z0-9-]{1,30}$", description="Producing service name.")
    version: str = Field(pattern=r"^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$", description="Semantic version.")


class Metadata(BaseModel):
    """What every event says about itself, independent of its payload."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: str = Field(min_length=1, max_length=64, description="Unique id; consumers dedupe on it.")
    event_type: str = Field(pattern=r"^[a-z]+(\.[a-z_]+)+$", description="Also the EventBridge detail-type.")
    schema_version: str = Field(pattern=r"^\d+\.\d+$", description="major.minor of the data schema.")
    occurred_at: AwareDatetime
    correlation_id: str = Field(min_length=1, max_length=128, description="The payment id.")
    causation_id: str | None = Field(default=None, max_length=64, description="Event id that caused this one.")
    idempotency_key: str | None = Field(default=None, max_length=256)
    producer: Producer
    trace_header: str | None = Field(default=None, max_length=512, description="X-Ray trace header.")


class Envelope(BaseModel):
    """An event as it travels: metadata plus a payload already validated against the catalog."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    metadata: Metadata
    data: BaseModel

    @property
    def event_type(self) -> str:
        return self.metadata.event_type

    def to_detail(self) -> dict[str, Any]:
        """The JSON-ready `detail` object for PutEvents."""
        return {
            "metadata": self.metadata.model_dump(mode="json", exclude_none=True),
            "data": self.data.model_dump(mode="json"),
        }


def new_envelope(
    data: BaseModel,
    *,
    producer: Producer,
    correlation_id: str,
    causation: Metadata | None = None,
    idempotency_key: str | None = None,
    trace_header: str | None = None,
    event_id: str | None = None,
    occurred_at: datetime | None = None,
) -> Envelope:
    """Wrap a catalog payload; a caused event inherits the trace header of its cause."""
    from smartpay_shared.events.catalog import spec_for_model

    spec = spec_for_model(type(data))
    metadata = Metadata(
        event_id=event_id or ids.new_uuid(),
        event_type=spec.event_type,
        schema_version=spec.schema_version,
        occurred_at=occurred_at or datetime.now(UTC),
        correlation_id=correlation_id,
        causation_id=causation.event_id if causation else None,
        idempotency_key=idempotency_key,
        producer=producer,
        trace_header=trace_header or (causation.trace_header if causation else None),
    )
    return Envelope(metadata=metadata, data=data)
