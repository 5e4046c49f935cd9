"""The legacy tables the peer reads and writes, mapped as they are (only the
columns it needs; every column of a table it inserts into)."""

import uuid
from datetime import UTC, datetime

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.dialects.postgresql import ARRAY, JSON, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def now() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: DateTime(timezone=True), dict: JSONB}


# auth -------------------------------------------------------------------------


class User(Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    email: Mapped[str]
    hashed_password: Mapped[str]
    is_active: Mapped[bool]
    role: Mapped[str]
    status: Mapped[str]
    # Loaded with the user, in the same query (the project's select_related).
    token_generation: Mapped["TokenGeneration | None"] = relationship(lazy="joined")

    @property
    def can_sign_in(self) -> bool:
        return self.is_active and self.status == "active"

    @property
    def generation(self) -> int:
        return self.token_generation.generation if self.token_generation else 0


class TokenGeneration(Base):
    __tablename__ = "user_token_generations"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), primary_key=True)
    generation: Mapped[int]


# specs: projects and who may see them ------------------------------------------


class Project(Base):
    __tablename__ = "projects"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    user_id: Mapped[uuid.UUID]
    name: Mapped[str]
    description: Mapped[str | None]
    current_phase: Mapped[str]
    status: Mapped[str]
    maturity_score: Mapped[int | None]
    # "metadata" is taken by Declarative; the column keeps its name.
    metadata_: Mapped[dict | None] = mapped_column("metadata")
    creator_id: Mapped[uuid.UUID]
    owner_id: Mapped[uuid.UUID]


class ProjectShare(Base):
    __tablename__ = "project_shares"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    project_id: Mapped[uuid.UUID]
    shared_with_user_id: Mapped[uuid.UUID | None]
    shared_with_team_id: Mapped[uuid.UUID | None]
    permission_level: Mapped[str]
    expiry_date: Mapped[datetime | None]


class TeamMember(Base):
    __tablename__ = "team_members"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    team_id: Mapped[uuid.UUID]
    user_id: Mapped[uuid.UUID]
    status: Mapped[str]


# specs: sessions, specifications, activity ------------------------------------------


class Session(Base):
    __tablename__ = "sessions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    project_id: Mapped[uuid.UUID]
    user_id: Mapped[uuid.UUID | None]
    title: Mapped[str | None]
    status: Mapped[str]
    message_count: Mapped[int]
    metadata_: Mapped[dict | None] = mapped_column("metadata")
    mode: Mapped[str]
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class ConversationMessage(Base):
    __tablename__ = "conversation_history"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    created_at: Mapped[datetime]
    session_id: Mapped[uuid.UUID]
    role: Mapped[str]
    content: Mapped[str]
    message_type: Mapped[str | None]
    tokens_used: Mapped[int | None]
    metadata_: Mapped[dict | None] = mapped_column("metadata")


class Specification(Base):
    """Every column, with the project's defaults: a new version is inserted whole."""

    __tablename__ = "specifications"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    created_at: Mapped[datetime] = mapped_column(default=now)
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)
    project_id: Mapped[uuid.UUID]
    key: Mapped[str]
    value: Mapped[str | None] = mapped_column(default=None)
    type: Mapped[str | None] = mapped_column(default=None)
    status: Mapped[str] = mapped_column(default="draft")
    version: Mapped[int]
    metadata_: Mapped[dict | None] = mapped_column("metadata", default=dict)
    category: Mapped[str] = mapped_column(default="general")
    content: Mapped[str | None] = mapped_column(default=None)
    source: Mapped[str | None] = mapped_column(default=None)
    confidence: Mapped[float | None] = mapped_column(default=0.8)
    is_current: Mapped[bool] = mapped_column(default=True)
    spec_metadata: Mapped[dict | None] = mapped_column(JSON, default=None)
    superseded_at: Mapped[datetime | None] = mapped_column(default=None)
    superseded_by: Mapped[str | None] = mapped_column(String, default=None)
    maturity_score: Mapped[int | None] = mapped_column(default=0)


class ActivityLog(Base):
    __tablename__ = "activity_logs"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    created_at: Mapped[datetime] = mapped_column(default=now)
    user_id: Mapped[uuid.UUID]
    action: Mapped[str]
    resource_type: Mapped[str]
    resource_id: Mapped[uuid.UUID]
    resource_name: Mapped[str | None]
    changes: Mapped[dict | None] = mapped_column(default=dict)
    description: Mapped[str | None] = mapped_column(default=None)
    severity: Mapped[str | None] = mapped_column(default="info")
    ip_address: Mapped[str | None]
    user_agent: Mapped[str | None]
    metadata_: Mapped[dict | None] = mapped_column("metadata", default=dict)


# specs: billing ------------------------------------------------------------------


class APIKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID]
    key_hash: Mapped[str]
    status: Mapped[str]
    scope: Mapped[list[str] | None] = mapped_column(ARRAY(String))
    rate_limit: Mapped[int | None]
    expires_at: Mapped[datetime | None]


class Subscription(Base):
    __tablename__ = "subscriptions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID]
    plan_name: Mapped[str]
    status: Mapped[str]


# specs: knowledge base ------------------------------------------------------------


class KnowledgeBaseDocument(Base):
    __tablename__ = "knowledge_base_documents"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    title: Mapped[str]
    is_approved: Mapped[bool]
    usage_count: Mapped[int]


class DocumentChunk(Base):
    __tablename__ = "document_chunks"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    document_id: Mapped[uuid.UUID | None]
    project_id: Mapped[uuid.UUID | None]
    chunk_index: Mapped[int]
    content: Mapped[str]
    source_section: Mapped[str | None]
    search_count: Mapped[int]
