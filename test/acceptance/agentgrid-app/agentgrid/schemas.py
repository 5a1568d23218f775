"""Response and request bodies.

Datetimes: SQLAlchemy's SQLite dialect returns naive datetimes for
DateTime(timezone=True) (it stores the wall-clock fields and drops the
offset), while PostgreSQL's timestamptz returns aware ones in the session
time zone. The app's convention is that a naive value is UTC, and every
datetime is serialized as UTC ISO 8601. That makes the API output depend on
the instant only, which is what the acceptance test compares.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timezone
from decimal import Decimal
from typing import Annotated, Any, Optional

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from .models import AgentStatus, RunStatus


def _utc_iso(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat()


UtcDateTime = Annotated[datetime, PlainSerializer(_utc_iso, return_type=str)]


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True, ser_json_bytes="base64")


class UserOut(Out):
    id: uuid.UUID
    email: str
    display_name: str
    is_admin: bool
    avatar: Optional[bytes]
    created_at: UtcDateTime


class AgentSummary(Out):
    id: uuid.UUID
    owner_id: uuid.UUID
    name: str
    description: Optional[str]
    status: AgentStatus
    is_public: bool
    temperature: Optional[float]
    monthly_budget: Optional[Decimal]
    config: Optional[Any]
    icon: Optional[bytes]
    created_at: UtcDateTime
    updated_at: Optional[UtcDateTime]


class RunOut(Out):
    id: uuid.UUID
    status: RunStatus
    input: Optional[Any]
    output: Optional[bytes]
    tokens_used: Optional[int]
    cost_usd: Optional[Decimal]
    succeeded: Optional[bool]
    started_at: UtcDateTime
    finished_at: Optional[UtcDateTime]


class AgentDetail(AgentSummary):
    owner: UserOut
    runs: list[RunOut]


class AgentCreate(BaseModel):
    owner_id: uuid.UUID
    name: str = Field(min_length=1, max_length=200)
    description: Optional[str] = None
    status: AgentStatus = AgentStatus.DRAFT
    temperature: Optional[float] = None
    monthly_budget: Optional[Decimal] = None
    config: Optional[Any] = None
