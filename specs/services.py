"""Writes of projects and specifications. Each runs in one transaction on the
specs database and writes its ``activity_logs`` row in it."""

from uuid import UUID

from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from billing.limits import require_room_for
from billing.tiers import Limit
from collaboration.models import ActivityAction, SharePermission
from collaboration.services import (
    ActivityContext,
    delete_share,
    grant_user_share,
    record_activity,
)
from socrates.db.models import one_or_none
from socrates.db.transactions import atomic_for
from socrates.errors import Conflict as ConflictError
from socrates.errors import DomainError
from socrates.userrefs import require_active_user
from specs.error_codes import SpecsErrorCode
from specs.models import (
    Conflict,
    ConflictStatus,
    ConversationMessage,
    GeneratedFile,
    GeneratedProject,
    Project,
    ProjectPhase,
    ProjectStatus,
    QualityMetric,
    Question,
    QuestionEffectiveness,
    QuestionStatus,
    Session,
    SessionMode,
    SessionStatus,
    Specification,
)

# What editors change directly; status and ownership change through archive,
# restore and transfer (owner only).
EDITABLE_PROJECT_FIELDS = frozenset(
    {"name", "description", "current_phase", "maturity_score", "metadata"}
)
# What a project's activity row records before and after a change.
AUDITED_PROJECT_FIELDS = (
    "name",
    "description",
    "current_phase",
    "maturity_score",
    "status",
    "owner_id",
)


def _snapshot(project: Project) -> dict:
    return {name: _plain(getattr(project, name)) for name in AUDITED_PROJECT_FIELDS}


def _plain(value):
    return value if isinstance(value, (str, int, float, bool, type(None))) else str(value)


def _record(context: ActivityContext, action: str, project: Project, **changes) -> None:
    record_activity(
        context=context,
        action=action,
        resource_type="project",
        resource_id=project.pk,
        resource_name=project.name,
        changes={"project_id": str(project.pk), **changes},
    )


# Projects ----------------------------------------------------------------------


def create_project(
    *,
    context: ActivityContext,
    name: str,
    description: str | None = None,
    maturity_score: int | None = None,
    metadata: dict | None = None,
) -> Project:
    """The creator owns the project; ``user_id`` (the legacy owner column) follows.
    Every project starts active, in discovery."""
    with atomic_for(Project):
        require_room_for(holder_id=context.user_id, limit=Limit.PROJECTS, model=Project)
        project = Project.objects.create(
            name=name,
            description=description,
            maturity_score=maturity_score,
            metadata=metadata if metadata is not None else {},
            user_id=context.user_id,
            creator_id=context.user_id,
            owner_id=context.user_id,
            current_phase=ProjectPhase.DISCOVERY,
            status=ProjectStatus.ACTIVE,
        )
        _record(context, ActivityAction.PROJECT_CREATED, project, after=_snapshot(project))
    return project


def update_project(*, context: ActivityContext, project: Project, **changes) -> Project:
    fixed = sorted(set(changes) - EDITABLE_PROJECT_FIELDS)
    if fixed:
        raise DomainError(f"{fixed[0]} cannot be changed here.", field=fixed[0])
    before = _snapshot(project)
    for name, value in changes.items():
        setattr(project, name, value)
    with atomic_for(Project):
        project.save(update_fields=[*changes, "updated_at"])
        _record(
            context,
            ActivityAction.PROJECT_UPDATED,
            project,
            before=before,
            after=_snapshot(project),
        )
    return project


def archive_project(*, context: ActivityContext, project: Project) -> Project:
    """DELETE archives: a soft delete that restore undoes."""
    if project.status == ProjectStatus.ARCHIVED:
        raise ConflictError(
            "This project is already archived.", code=SpecsErrorCode.ALREADY_ARCHIVED
        )
    return _set_status(context, project, ProjectStatus.ARCHIVED, ActivityAction.PROJECT_ARCHIVED)


def restore_project(*, context: ActivityContext, project: Project) -> Project:
    if project.status != ProjectStatus.ARCHIVED:
        raise ConflictError(
            "Only an archived project can be restored.", code=SpecsErrorCode.NOT_ARCHIVED
        )
    return _set_status(context, project, ProjectStatus.ACTIVE, ActivityAction.PROJECT_RESTORED)


def _lock(project: Project) -> None:
    Project.objects.select_for_update().filter(pk=project.pk).exists()


def _set_status(context, project: Project, status: str, action: str) -> Project:
    before = project.status
    project.status = status
    with atomic_for(Project):
        if before == ProjectStatus.ARCHIVED:
            # The row first, then the plan, as writing a specification locks
            # them: one order, no deadlock. Archived projects do not count
            # against the plan; back, it does.
            _lock(project)
            require_room_for(holder_id=project.owner_id, limit=Limit.PROJECTS, model=Project)
        project.save(update_fields=["status", "updated_at"])
        _record(context, action, project, before={"status": before}, after={"status": status})
    return project


def destroy_project(*, context: ActivityContext, project: Project) -> None:
    """Deletes an archived project and everything in it, for good."""
    if project.status != ProjectStatus.ARCHIVED:
        raise ConflictError(
            "Only an archived project can be destroyed: archive it first.",
            code=SpecsErrorCode.NOT_ARCHIVED,
        )
    with atomic_for(Project):
        _record(context, ActivityAction.PROJECT_DESTROYED, project, before=_snapshot(project))
        project.delete()


def transfer_project(*, context: ActivityContext, project: Project, new_owner_id: UUID) -> Project:
    """The owner hands the project on; they keep an admin share of it."""
    if new_owner_id == project.owner_id:
        raise ConflictError(
            "This user already owns the project.", code=SpecsErrorCode.ALREADY_OWNER
        )
    require_active_user(new_owner_id, field="user_id")
    old_owner_id = project.owner_id
    with atomic_for(Project):
        if project.status != ProjectStatus.ARCHIVED:
            _lock(project)
            require_room_for(
                holder_id=new_owner_id, limit=Limit.PROJECTS, model=Project, scope="they have"
            )
        project.owner_id = project.user_id = new_owner_id
        project.save(update_fields=["owner_id", "user_id", "updated_at"])
        # The new owner has every right: a share of theirs would only mislead.
        for share in project.shares.filter(shared_with_user_id=new_owner_id):
            delete_share(context=context, share=share)
        grant_user_share(
            context=context,
            project=project,
            user_id=old_owner_id,
            level=SharePermission.ADMIN,
            shared_by_id=new_owner_id,
        )
        _record(
            context,
            ActivityAction.PROJECT_TRANSFERRED,
            project,
            before={"owner_id": str(old_owner_id)},
            after={"owner_id": str(new_owner_id)},
        )
    return project


# Specifications --------------------------------------------------------------


def write_specification(
    *,
    context: ActivityContext,
    project: Project,
    key: str,
    supersedes: Specification | None = None,
    **fields,
) -> Specification:
    """A new value for a key: version 1, or the next version superseding the current one.

    Writers of one project are serialised by a lock on its row, so concurrent
    writes of one key each get their own version and exactly one stays current.
    """
    with atomic_for(Specification):
        _lock(project)
        # At most one row is current (uq_specifications_current_key).
        current = one_or_none(
            Specification.objects.filter(project=project, key=key, is_current=True)
        )
        if current is None:
            # A new key counts against the plan of the project's owner.
            require_room_for(
                holder_id=project.owner_id,
                limit=Limit.SPECIFICATIONS,
                model=Specification,
                scope="you have" if project.owner_id == context.user_id else "its owner has",
            )
        if supersedes is not None and (current is None or current.pk != supersedes.pk):
            # Changed since the caller read it: its change would silently undo another.
            _refuse_superseded(supersedes)
        latest = (
            Specification.objects.filter(project=project, key=key)
            .order_by("-version")
            .values_list("version", flat=True)
            .first()
        )
        if current is not None:
            current.is_current = False
            current.superseded_at = timezone.now()
            current.save(update_fields=["is_current", "superseded_at", "updated_at"])
        specification = Specification.objects.create(
            project=project, key=key, version=(latest or 0) + 1, is_current=True, **fields
        )
        if current is not None:
            current.superseded_by = str(specification.pk)
            current.save(update_fields=["superseded_by", "updated_at"])
        record_activity(
            context=context,
            action=ActivityAction.SPECIFICATION_VERSIONED
            if current
            else ActivityAction.SPECIFICATION_CREATED,
            resource_type="specification",
            resource_id=specification.pk,
            resource_name=f"{key} v{specification.version}",
            changes={"project_id": str(project.pk), "key": key, "version": specification.version},
        )
    return specification


# A specification's own fields that a new version carries over unless changed.
SPECIFICATION_CONTENT = (
    "value",
    "type",
    "status",
    "category",
    "content",
    "source",
    "confidence",
    "metadata",
)


def change_specification(
    *, context: ActivityContext, specification: Specification, **changes
) -> Specification:
    """A change to the current version is written as the next version."""
    if not specification.is_current:
        _refuse_superseded(specification)
    carried = {name: getattr(specification, name) for name in SPECIFICATION_CONTENT}
    return write_specification(
        context=context,
        project=specification.project,
        key=specification.key,
        supersedes=specification,
        **{**carried, **changes},
    )


def _refuse_superseded(specification: Specification) -> None:
    raise ConflictError(
        f"Version {specification.version} of {specification.key} has been superseded; "
        "change the current one.",
        code=SpecsErrorCode.SUPERSEDED,
    )


# Sessions and their conversation ----------------------------------------------


def start_session(
    *,
    context: ActivityContext,
    project: Project,
    title: str | None = None,
    mode: str = SessionMode.SOCRATIC,
    metadata: dict | None = None,
) -> Session:
    with atomic_for(Session):
        return Session.objects.create(
            project=project,
            user_id=context.user_id,
            title=title,
            mode=mode,
            metadata=metadata if metadata is not None else {},
        )


def update_session(*, session: Session, **changes) -> Session:
    """Ending is final: a completed session keeps its status; completing one
    through ``status`` ends it as ``end/`` does."""
    status = changes.pop("status", session.status)
    if session.ended_at is not None and status != SessionStatus.COMPLETED:
        raise ConflictError("This session has ended.", code=SpecsErrorCode.SESSION_ENDED)
    with atomic_for(Session):
        for name, value in changes.items():
            setattr(session, name, value)
        session.status = status
        session.save(update_fields=[*changes, "status", "updated_at"])
        if status == SessionStatus.COMPLETED and session.ended_at is None:
            session = end_session(session=session)
    return session


def end_session(*, session: Session) -> Session:
    if session.ended_at is not None:
        raise ConflictError("This session has already ended.", code=SpecsErrorCode.SESSION_ENDED)
    session.status, session.ended_at = SessionStatus.COMPLETED, timezone.now()
    with atomic_for(Session):
        session.save(update_fields=["status", "ended_at", "updated_at"])
    return session


def post_message(*, session: Session, role: str, content: str, **fields) -> ConversationMessage:
    """One message; the session's ``message_count`` moves in the same transaction."""
    if session.ended_at is not None:
        raise ConflictError("This session has ended.", code=SpecsErrorCode.SESSION_ENDED)
    with atomic_for(ConversationMessage):
        message = ConversationMessage.objects.create(
            session=session, role=role, content=content, **fields
        )
        # The arithmetic in SQL: concurrent posts all count.
        Session.objects.filter(pk=session.pk).update(
            message_count=F("message_count") + 1, updated_at=timezone.now()
        )
    return message


# Questions and conflicts -------------------------------------------------------


def _require_own_session(project: Project, session: Session | None) -> None:
    if session is not None and session.project_id != project.pk:
        raise DomainError("That session belongs to another project.", field="session")


def _require_answer_when_answered(status: str | None, answer: str | None) -> None:
    if status == QuestionStatus.ANSWERED and not answer:
        raise DomainError("An answered question needs its answer.", field="answer")


def create_question(*, project: Project, text: str, **fields) -> Question:
    _require_own_session(project, fields.get("session"))
    _require_answer_when_answered(fields.get("status"), fields.get("answer"))
    with atomic_for(Question):
        return Question.objects.create(project=project, text=text, **fields)


def update_question(*, question: Question, **changes) -> Question:
    _require_own_session(question.project, changes.get("session"))
    _require_answer_when_answered(
        changes.get("status", question.status), changes.get("answer", question.answer)
    )
    for name, value in changes.items():
        setattr(question, name, value)
    with atomic_for(Question):
        question.save(update_fields=[*changes, "updated_at"])
    return question


def answer_question(*, question: Question, answer: str) -> Question:
    return update_question(question=question, answer=answer, status=QuestionStatus.ANSWERED)


def _require_own_specifications(project: Project, specification_ids) -> None:
    if not specification_ids:
        return
    found = Specification.objects.filter(project=project, pk__in=specification_ids).count()
    if found != len(set(specification_ids)):
        raise DomainError(
            "Every related specification must be one of this project's.",
            field="related_specifications",
        )


def _require_resolution_when_resolved(status: str | None, resolution: str | None) -> None:
    if status == ConflictStatus.RESOLVED and not resolution:
        raise DomainError("Resolving a conflict needs a resolution text.", field="resolution")


def create_conflict(*, project: Project, title: str, **fields) -> Conflict:
    _require_own_specifications(project, fields.get("related_specifications"))
    _require_resolution_when_resolved(fields.get("status"), fields.get("resolution"))
    with atomic_for(Conflict):
        return Conflict.objects.create(project=project, title=title, **fields)


def update_conflict(*, conflict: Conflict, **changes) -> Conflict:
    _require_resolution_when_resolved(
        changes.get("status", conflict.status), changes.get("resolution", conflict.resolution)
    )
    _require_own_specifications(conflict.project, changes.get("related_specifications"))
    for name, value in changes.items():
        setattr(conflict, name, value)
    with atomic_for(Conflict):
        conflict.save(update_fields=[*changes, "updated_at"])
    return conflict


def resolve_conflict(*, conflict: Conflict, resolution: str) -> Conflict:
    if conflict.status == ConflictStatus.RESOLVED:
        raise ConflictError(
            "This conflict is already resolved.", code=SpecsErrorCode.ALREADY_RESOLVED
        )
    return update_conflict(conflict=conflict, resolution=resolution, status=ConflictStatus.RESOLVED)


# Generated code and quality measurements -------------------------------------------


def create_generated_project(*, project: Project, name: str, **fields) -> GeneratedProject:
    with atomic_for(GeneratedProject):
        return GeneratedProject.objects.create(project=project, name=name, **fields)


def update_generated_project(*, generated: GeneratedProject, **changes) -> GeneratedProject:
    for name, value in changes.items():
        setattr(generated, name, value)
    with atomic_for(GeneratedProject):
        generated.save(update_fields=[*changes, "updated_at"])
    return generated


def delete_generated_project(*, generated: GeneratedProject) -> None:
    with atomic_for(GeneratedProject):
        generated.delete()


def _lines_in(content: str | None) -> int:
    return len(content.splitlines()) if content else 0


def add_generated_file(
    *, generated: GeneratedProject, path: str, content: str | None = None, **fields
) -> GeneratedFile:
    """A file of generated code; its project's file and line counts move with it."""
    lines = _lines_in(content)
    filename = fields.pop("filename", None) or path.rsplit("/", 1)[-1]
    limit = GeneratedFile._meta.get_field("filename").max_length
    if len(filename) > limit:
        raise DomainError(f"The file name must be at most {limit} characters.", field="path")
    with atomic_for(GeneratedFile):
        if GeneratedFile.objects.filter(generated_project=generated, path=path).exists():
            raise ConflictError(
                f"{path} already exists in this generated project.",
                code=SpecsErrorCode.PATH_TAKEN,
            )
        generated_file = GeneratedFile.objects.create(
            generated_project=generated,
            path=path,
            filename=filename,
            content=content,
            lines_of_code=lines,
            **fields,
        )
        _count_code(generated, files=1, lines=lines)
    return generated_file


def update_generated_file(*, generated_file: GeneratedFile, **changes) -> GeneratedFile:
    if "path" in changes:
        raise DomainError("A file's path stays; add a new file instead.", field="path")
    before = generated_file.lines_of_code or 0
    if "content" in changes:
        changes["lines_of_code"] = _lines_in(changes["content"])
    for name, value in changes.items():
        setattr(generated_file, name, value)
    with atomic_for(GeneratedFile):
        generated_file.save(update_fields=[*changes, "updated_at"])
        _count_code(
            generated_file.generated_project,
            lines=(generated_file.lines_of_code or 0) - before,
        )
    return generated_file


def delete_generated_file(*, generated_file: GeneratedFile) -> None:
    with atomic_for(GeneratedFile):
        deleted, _ = GeneratedFile.objects.filter(pk=generated_file.pk).delete()
        if not deleted:
            return
        _count_code(
            generated_file.generated_project,
            files=-1,
            lines=-(generated_file.lines_of_code or 0),
        )


def _count_code(generated: GeneratedProject, *, files: int = 0, lines: int = 0) -> None:
    # The arithmetic in SQL, so that concurrent file writes all count.
    GeneratedProject.objects.filter(pk=generated.pk).update(
        file_count=F("file_count") + files,
        total_lines_of_code=Coalesce(F("total_lines_of_code"), 0) + lines,
        updated_at=timezone.now(),
    )


def record_quality_metric(
    *, project: Project, metric_name: str, metric_value: float, **fields
) -> QualityMetric:
    fields.setdefault("measured_at", timezone.now())
    with atomic_for(QualityMetric):
        return QualityMetric.objects.create(
            project=project, metric_name=metric_name, metric_value=metric_value, **fields
        )


def delete_quality_metric(*, metric: QualityMetric) -> None:
    with atomic_for(QualityMetric):
        metric.delete()


# Question effectiveness ---------------------------------------------------------

# Scores are written as fractions. Legacy rows may hold percentages, so the
# database has no CHECK and the range is enforced here, on every write.
SCORE_RANGE = (0.0, 1.0)
EFFECTIVENESS_SCORES = ("effectiveness_score", "relevance_score", "clarity_score")
EFFECTIVENESS_COUNTS = ("times_asked", "times_skipped")


def _check_effectiveness(fields: dict) -> None:
    low, high = SCORE_RANGE
    for name in EFFECTIVENESS_SCORES:
        score = fields.get(name)
        if score is not None and not low <= score <= high:
            raise DomainError(f"A score is a fraction from {low:g} to {high:g}.", field=name)
    for name in EFFECTIVENESS_COUNTS:
        if fields.get(name) is not None and fields[name] < 0:
            raise DomainError("A count cannot be negative.", field=name)
    question_id = fields.get("question_id")
    # No foreign key in the legacy schema: the reference is checked on write.
    if question_id is not None and not Question.objects.filter(pk=question_id).exists():
        raise DomainError(f"No question with id {question_id}.", field="question_id")


def record_question_effectiveness(**fields) -> QuestionEffectiveness:
    _check_effectiveness(fields)
    with atomic_for(QuestionEffectiveness):
        return QuestionEffectiveness.objects.create(**fields)


def update_question_effectiveness(
    *, effectiveness: QuestionEffectiveness, **changes
) -> QuestionEffectiveness:
    # Only what changes is checked: a legacy percentage left alone stays.
    _check_effectiveness(changes)
    for name, value in changes.items():
        setattr(effectiveness, name, value)
    with atomic_for(QuestionEffectiveness):
        effectiveness.save(update_fields=[*changes, "updated_at"])
    return effectiveness


def delete_question_effectiveness(*, effectiveness: QuestionEffectiveness) -> None:
    with atomic_for(QuestionEffectiveness):
        effectiveness.delete()
