"""The seven benchmarked endpoints of the project, on the legacy stack.

Run (from /work/main, with BENCH_DSN_AUTH, BENCH_DSN_SPECS and SECRET_KEY set):
    PYTHONPATH=/work/main .venv-peer/bin/gunicorn -w 2 -k uvicorn_worker.UvicornWorker \
        -b 127.0.0.1:8702 bench.peers.legacy.app:app
"""

import uuid
from datetime import UTC, datetime

from fastapi import FastAPI, Request
from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from bench.peers.legacy import errors
from bench.peers.legacy.access import (
    AccessLevel,
    require_level,
    visible_project_ids,
    visible_projects,
)
from bench.peers.legacy.auth import TIER_RANK, CurrentUser
from bench.peers.legacy.db import SpecsDb, SpecsWriteDb
from bench.peers.legacy.errors import ApiError
from bench.peers.legacy.knowledge import record_search_hits, search_chunks
from bench.peers.legacy.models import (
    ActivityLog,
    ConversationMessage,
    Project,
    Specification,
    Subscription,
    User,
)
from bench.peers.legacy.models import Session as ChatSession
from bench.peers.legacy.pagination import (
    MAX_PAGE_SIZE,
    PAGE_SIZE,
    CursorPage,
    PageWindow,
    decode_cursor,
    positive_int_param,
)
from bench.peers.legacy.schemas import (
    MessageOut,
    MessagePage,
    ProjectOut,
    ProjectPage,
    SearchHit,
    SpecificationIn,
    SpecificationOut,
)
from bench.servers import counting

app = FastAPI(title="Socrates on the legacy stack (benchmark peer)")
errors.install(app)


class CountStatements:
    """``X-Bench-Queries`` on every response: the statements sent since the
    request came in (``counted_wsgi``'s job, for ASGI)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        counting.statements = 0

        async def send_counted(message):
            if message["type"] == "http.response.start":
                header = (counting.HEADER.lower().encode(), str(counting.statements).encode())
                message["headers"] = [*message.get("headers", []), header]
            await send(message)

        return await self.app(scope, receive, send_counted)


if counting.ENABLED:
    app.add_middleware(CountStatements)


# Projects ---------------------------------------------------------------------


@app.get("/api/v1/projects/")
def list_projects(request: Request, user: CurrentUser, db: SpecsDb) -> ProjectPage:
    """The caller's visible projects, newest first, 50 a page (COUNT, then the page)."""
    window = PageWindow.from_request(request)
    count = db.scalar(
        select(func.count())
        .select_from(Project)
        .where(Project.id.in_(visible_project_ids(user.id)))
    )
    window.fit(count)
    projects = []
    if window.limit > 0:
        projects = db.scalars(
            visible_projects(user.id)
            .order_by(Project.created_at.desc())
            .offset(window.offset)
            .limit(window.limit)
        ).all()
    next_link, previous_link = window.links(request)
    return ProjectPage(
        count=count,
        next=next_link,
        previous=previous_link,
        results=[ProjectOut.model_validate(project) for project in projects],
    )


@app.get("/api/v1/projects/{project_id}/")
def retrieve_project(project_id: uuid.UUID, user: CurrentUser, db: SpecsDb) -> ProjectOut:
    require_level(db, user.id, project_id, AccessLevel.VIEW)
    project = db.scalars(visible_projects(user.id).where(Project.id == project_id)).first()
    if project is None:
        raise ApiError(404, "No such project.", "not_found")
    return ProjectOut.model_validate(project)


# A session's conversation ---------------------------------------------------------


@app.get("/api/v1/projects/{project_id}/sessions/{session_id}/messages/")
def list_messages(
    request: Request,
    project_id: uuid.UUID,
    session_id: uuid.UUID,
    user: CurrentUser,
    db: SpecsDb,
) -> MessagePage:
    """Oldest first, by DRF's opaque cursor: a deep page costs what the first does."""
    require_level(db, user.id, project_id, AccessLevel.VIEW)
    session = db.scalars(
        select(ChatSession).where(
            ChatSession.id == session_id, ChatSession.project_id == project_id
        )
    ).first()
    if session is None:
        raise ApiError(404, "No Session matches the given query.", "not_found")
    size = positive_int_param(request, "page_size", PAGE_SIZE, MAX_PAGE_SIZE)
    cursor = decode_cursor(request)
    statement = select(ConversationMessage).where(ConversationMessage.session_id == session.id)
    reverse = cursor is not None and cursor.reverse
    if cursor is not None and cursor.position is not None:
        position = datetime.fromisoformat(cursor.position)
        statement = statement.where(
            ConversationMessage.created_at < position
            if reverse
            else ConversationMessage.created_at > position
        )
    created_at, key = ConversationMessage.created_at, ConversationMessage.id
    statement = statement.order_by(
        *((created_at.desc(), key.desc()) if reverse else (created_at.asc(), key.asc()))
    )
    if cursor is not None and cursor.offset:
        statement = statement.offset(cursor.offset)
    page = CursorPage(cursor, size, db.scalars(statement.limit(size + 1)).all())
    return MessagePage(
        next=page.next_link(request),
        previous=page.previous_link(request),
        results=[MessageOut.model_validate(message) for message in page.page],
    )


# Specifications ---------------------------------------------------------------------


def _require_room_for_specification(db: Session, project: Project, user: User) -> None:
    """A new key counts against the plan of the project's owner (billing/limits.py):
    only the free plan limits specifications (50)."""
    plans = db.scalars(
        select(Subscription.plan_name).where(
            Subscription.user_id == project.owner_id, Subscription.status == "active"
        )
    ).all()
    if max((TIER_RANK[name] for name in plans), default=0) > 0:
        return
    allowed = 50
    db.execute(
        select(func.pg_advisory_xact_lock(func.hashtextextended(f"plan:{project.owner_id}", 0)))
    )
    current = db.scalar(
        select(func.count())
        .select_from(Specification)
        .join(Project, Project.id == Specification.project_id)
        .where(Project.owner_id == project.owner_id, Specification.is_current)
    )
    if current >= allowed:
        scope = "you have" if project.owner_id == user.id else "its owner has"
        raise ApiError(
            403,
            f"The free plan allows {allowed:,} specifications; {scope} {current:,}.",
            "plan_limit_reached",
        )


@app.post("/api/v1/projects/{project_id}/specifications/", status_code=201)
def write_specification(
    request: Request,
    project_id: uuid.UUID,
    body: SpecificationIn,
    user: CurrentUser,
    db: SpecsWriteDb,
) -> SpecificationOut:
    """A new value for a key: version 1, or the next version superseding the
    current one. One transaction; writers of a project queue on its row lock,
    so each gets its own version and exactly one stays current."""
    require_level(db, user.id, project_id, AccessLevel.EDIT)
    project = db.get(Project, project_id)
    if project is None:
        raise ApiError(404, "No Project matches the given query.", "not_found")
    db.execute(
        select(literal(1))
        .select_from(Project)
        .where(Project.id == project.id)
        .limit(1)
        .with_for_update()
    )
    current = db.scalars(
        select(Specification)
        .where(
            Specification.is_current,
            Specification.key == body.key,
            Specification.project_id == project.id,
        )
        .order_by(Specification.id)
        .limit(1)
    ).first()
    if current is None:
        _require_room_for_specification(db, project, user)
    latest = db.scalar(
        select(Specification.version)
        .where(Specification.key == body.key, Specification.project_id == project.id)
        .order_by(Specification.version.desc())
        .limit(1)
    )
    # Flushed one by one, in the project's order: the old version stops being
    # current before the new one (a unique index allows one current per key).
    if current is not None:
        current.is_current = False
        current.superseded_at = datetime.now(UTC)
        db.flush()
    fields = body.model_dump(exclude={"metadata"})
    specification = Specification(
        project_id=project.id,
        version=(latest or 0) + 1,
        is_current=True,
        metadata_=body.metadata,
        **fields,
    )
    db.add(specification)
    db.flush()
    if current is not None:
        current.superseded_by = str(specification.id)
        db.flush()
    user_agent = request.headers.get("user-agent") or None
    db.add(
        ActivityLog(
            user_id=user.id,
            action="specification_versioned" if current else "specification_created",
            resource_type="specification",
            resource_id=specification.id,
            resource_name=f"{body.key} v{specification.version}"[:255],
            changes={
                "project_id": str(project.id),
                "key": body.key,
                "version": specification.version,
            },
            ip_address=request.client.host if request.client else None,
            user_agent=user_agent[:500] if user_agent else None,
        )
    )
    db.commit()
    return SpecificationOut.model_validate(specification)


# Knowledge base -----------------------------------------------------------------------


@app.get("/api/v1/knowledge-base/search/")
def search_knowledge(
    user: CurrentUser,
    db: SpecsWriteDb,
    q: str | None = None,
    project: uuid.UUID | None = None,
    limit: int = 10,
) -> list[SearchHit]:
    """The best chunks the caller may read, each counted as a hit, in one transaction."""
    query = (q or "").strip()
    problem = (
        "This field is required."
        if q is None
        else "This field may not be blank."
        if not query
        else "Ensure this field has no more than 500 characters."
        if len(query) > 500
        else None
    )
    if problem is None and not 1 <= limit <= 50:
        field, problem = "limit", "A whole number from 1 to 50."
    else:
        field = "q"
    if problem:
        raise ApiError(400, f"{field}: {problem}", "invalid", {field: [problem]})
    if project is not None:
        require_level(db, user.id, project, AccessLevel.VIEW)
    hits = search_chunks(db, user_id=user.id, query=query, project_id=project, limit=limit)
    record_search_hits(db, [hit.id for hit in hits])
    db.commit()
    return [SearchHit.model_validate(hit) for hit in hits]
