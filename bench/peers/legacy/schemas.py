"""The project's serializers as pydantic models: the same fields, names and JSON."""

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class FromRow(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ProjectOut(FromRow):
    id: uuid.UUID
    name: str
    description: str | None
    current_phase: str
    status: str
    maturity_score: int | None
    metadata: Any = Field(validation_alias="metadata_")
    user_id: uuid.UUID
    creator_id: uuid.UUID
    owner_id: uuid.UUID
    created_at: datetime
    updated_at: datetime


class ProjectPage(BaseModel):
    count: int
    next: str | None
    previous: str | None
    results: list[ProjectOut]


class MessageOut(FromRow):
    id: uuid.UUID
    session: uuid.UUID = Field(validation_alias="session_id")
    role: str
    content: str
    message_type: str | None
    tokens_used: int | None
    metadata: Any = Field(validation_alias="metadata_")
    created_at: datetime


class MessagePage(BaseModel):
    next: str | None
    previous: str | None
    results: list[MessageOut]


class SpecificationIn(BaseModel):
    """What a writer gives; the service numbers and retires versions."""

    key: str = Field(min_length=1, max_length=255)
    value: str | None = None
    type: str | None = Field(default=None, max_length=100)
    status: str = Field(default="draft", max_length=20)
    category: str = Field(default="general", max_length=100)
    content: str | None = None
    source: str | None = Field(default=None, max_length=100)
    confidence: float | None = Field(default=0.8, ge=0.0, le=1.0)
    metadata: Any = Field(default_factory=dict)


class SpecificationOut(FromRow):
    id: uuid.UUID
    project: uuid.UUID = Field(validation_alias="project_id")
    key: str
    value: str | None
    type: str | None
    status: str
    version: int
    category: str
    content: str | None
    source: str | None
    confidence: float | None
    is_current: bool
    metadata: Any = Field(validation_alias="metadata_")
    superseded_at: datetime | None
    superseded_by: str | None
    created_at: datetime
    updated_at: datetime


class SearchHit(FromRow):
    id: uuid.UUID
    document: uuid.UUID | None = Field(validation_alias="document_id")
    document_title: str | None
    project: uuid.UUID | None = Field(validation_alias="project_id")
    chunk_index: int
    source_section: str | None
    rank: float
    snippet: str
