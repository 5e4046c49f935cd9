"""Projects and everything built inside them: sessions, questions, specifications,
conflicts, generated code, quality and usage analytics (database ``specs``)."""

from decimal import Decimal

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone

from socrates.db.models import (
    UNBOUNDED_VARCHAR,
    CreatedAtModel,
    TimestampedModel,
    TransactionNow,
    closed_set_check,
    defaults,
    indexes_on,
    json_field,
    varchar_array,
)
from socrates.userrefs import OnUserDelete, UserRefField


class PlainJSONField(models.JSONField):
    """A ``json`` column: Django's JSONField is always ``jsonb``, but the legacy
    ``specifications.spec_metadata`` is plain ``json``."""

    def db_type(self, connection):
        return "json"

    def from_db_value(self, value, expression, connection):
        # psycopg2 decodes ``json`` itself (Django only turns that off for
        # ``jsonb``), so the value may already be a Python object.
        if isinstance(value, str):
            return super().from_db_value(value, expression, connection)
        return value


class ProjectPhase(models.TextChoices):
    DISCOVERY = "discovery"
    ANALYSIS = "analysis"
    DESIGN = "design"
    IMPLEMENTATION = "implementation"
    SPECIFICATION = "specification"
    GENERATION = "generation"
    TESTING = "testing"
    DEPLOYMENT = "deployment"


class ProjectStatus(models.TextChoices):
    ACTIVE = "active"
    ARCHIVED = "archived"
    COMPLETED = "completed"
    ON_HOLD = "on_hold"


# Each project of a deleted owner goes to the holder of its highest unexpired
# user share (oldest first among equals), who then needs no share; a project
# shared with no one goes too. Returns how many projects moved or went.
HAND_ON_PROJECTS = """
WITH heirs AS (
    SELECT DISTINCT ON (p.id) p.id AS project_id, s.shared_with_user_id AS heir
    FROM projects p
    JOIN project_shares s ON s.project_id = p.id
    WHERE p.owner_id = ANY(%(users)s)
      AND s.shared_with_user_id IS NOT NULL
      AND NOT s.shared_with_user_id = ANY(%(users)s)
      AND (s.expiry_date IS NULL OR s.expiry_date > now())
    ORDER BY p.id,
        array_position(ARRAY['view', 'comment', 'edit', 'admin'], s.permission_level::text) DESC,
        s.created_at, s.id
), handed AS (
    UPDATE projects p SET owner_id = h.heir, user_id = h.heir, updated_at = now()
    FROM heirs h WHERE p.id = h.project_id
    RETURNING p.id, p.owner_id
), heirs_shares AS (
    DELETE FROM project_shares s USING handed h
    WHERE s.project_id = h.id AND s.shared_with_user_id = h.owner_id
), dropped AS (
    DELETE FROM projects p
    WHERE p.owner_id = ANY(%(users)s) AND p.id NOT IN (SELECT id FROM handed)
    RETURNING p.id
)
SELECT (SELECT count(*) FROM handed) + (SELECT count(*) FROM dropped)
"""


class Project(TimestampedModel):
    """The unit of access control; ``creator_id`` never changes, ``owner_id``
    changes by transfer and ``user_id`` (the legacy owner column) follows it."""

    user_id = UserRefField(
        on_user_delete=OnUserDelete.HAND_ON,
        hand_on_to="the new owner (it follows owner_id)",
        sql="UPDATE projects SET user_id = owner_id, updated_at = now() "
        "WHERE user_id = ANY(%(users)s) AND user_id <> owner_id",
        after=("projects.owner_id",),
    )
    name = models.CharField(max_length=255)
    description = models.TextField(null=True, blank=True)
    current_phase = models.CharField(
        max_length=50, choices=ProjectPhase.choices, **defaults(ProjectPhase.DISCOVERY)
    )
    status = models.CharField(
        max_length=20, choices=ProjectStatus.choices, **defaults(ProjectStatus.ACTIVE)
    )
    maturity_score = models.IntegerField(null=True, blank=True)
    metadata = json_field()
    # Who created a project never changes, even once they are gone.
    creator_id = UserRefField(on_user_delete=OnUserDelete.KEEP)
    owner_id = UserRefField(
        on_user_delete=OnUserDelete.HAND_ON,
        hand_on_to="the holder of its highest unexpired user share (admin, then edit, "
        "comment, view; the oldest share among equals); a project shared with no one "
        "is deleted",
        sql=HAND_ON_PROJECTS,
    )

    class Meta:
        db_table = "projects"
        constraints = [
            closed_set_check("projects", "current_phase", ProjectPhase),
            closed_set_check("projects", "status", ProjectStatus),
        ]
        indexes = indexes_on(
            "created_at",
            "creator_id",
            "current_phase",
            "maturity_score",
            "owner_id",
            "status",
            "user_id",
        )

    def __str__(self):
        return self.name


class SessionStatus(models.TextChoices):
    ACTIVE = "active"
    PAUSED = "paused"
    ARCHIVED = "archived"
    COMPLETED = "completed"


class SessionMode(models.TextChoices):
    SOCRATIC = "socratic"
    DIRECT_CHAT = "direct_chat"


class Session(TimestampedModel):
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="sessions", db_index=False
    )
    user_id = UserRefField(null=True, blank=True, on_user_delete=OnUserDelete.SET_NULL)
    title = models.CharField(max_length=255, null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=SessionStatus.choices, **defaults(SessionStatus.ACTIVE)
    )
    message_count = models.IntegerField(**defaults(0))
    metadata = json_field()
    mode = models.CharField(
        max_length=20, choices=SessionMode.choices, **defaults(SessionMode.SOCRATIC)
    )
    started_at = models.DateTimeField(default=timezone.now, db_default=TransactionNow())
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "sessions"
        constraints = [
            closed_set_check("sessions", "status", SessionStatus),
            closed_set_check("sessions", "mode", SessionMode),
        ]
        indexes = indexes_on("created_at", "project", "status", "user_id")


class QuestionPriority(models.TextChoices):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class QuestionStatus(models.TextChoices):
    PENDING = "pending"
    ANSWERED = "answered"
    SKIPPED = "skipped"
    RESOLVED = "resolved"


class Question(TimestampedModel):
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="questions", db_index=False
    )
    session = models.ForeignKey(
        Session,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="questions",
        db_index=False,
    )
    text = models.TextField()
    category = models.CharField(max_length=100, null=True, blank=True)
    priority = models.CharField(
        max_length=20,
        null=True,
        blank=True,
        choices=QuestionPriority.choices,
        **defaults(QuestionPriority.MEDIUM),
    )
    answer = models.TextField(null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=QuestionStatus.choices, **defaults(QuestionStatus.PENDING)
    )
    metadata = json_field()
    context = models.CharField(max_length=500, null=True, blank=True)
    quality_score = models.DecimalField(max_digits=3, decimal_places=2, **defaults(Decimal("1.0")))

    class Meta:
        db_table = "questions"
        constraints = [
            closed_set_check("questions", "priority", QuestionPriority),
            closed_set_check("questions", "status", QuestionStatus),
        ]
        indexes = indexes_on("category", "created_at", "project", "session", "status")


class SpecificationType(models.TextChoices):
    FUNCTIONAL = "functional"
    NON_FUNCTIONAL = "non-functional"
    DEPLOYMENT = "deployment"
    SECURITY = "security"
    PERFORMANCE = "performance"


class SpecificationStatus(models.TextChoices):
    DRAFT = "draft"
    APPROVED = "approved"
    IMPLEMENTED = "implemented"
    DEPRECATED = "deprecated"


class Specification(TimestampedModel):
    """One version of a project's specification item.

    Changing the value adds the next version and retires the previous row
    (``is_current`` false, ``superseded_at``, ``superseded_by``).
    """

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="specifications", db_index=False
    )
    key = models.CharField(max_length=255)
    value = models.TextField(null=True, blank=True)
    type = models.CharField(
        max_length=100, null=True, blank=True, choices=SpecificationType.choices
    )
    status = models.CharField(
        max_length=20,
        choices=SpecificationStatus.choices,
        **defaults(SpecificationStatus.DRAFT),
    )
    version = models.IntegerField(**defaults(1))
    metadata = json_field()
    category = models.CharField(max_length=100, **defaults("general"))
    content = models.TextField(null=True, blank=True)
    source = models.CharField(max_length=100, null=True, blank=True)
    confidence = models.FloatField(null=True, blank=True, **defaults(0.8))
    is_current = models.BooleanField(**defaults(True))
    spec_metadata = PlainJSONField(null=True, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)
    # The superseding row's id as text; the legacy schema has no foreign key.
    superseded_by = models.CharField(max_length=255, null=True, blank=True)
    maturity_score = models.IntegerField(null=True, blank=True, **defaults(0))

    class Meta:
        db_table = "specifications"
        constraints = [
            models.UniqueConstraint(
                fields=["project", "key", "version"],
                name="uq_specifications_project_key_version",
            ),
            models.UniqueConstraint(
                fields=["project", "key"],
                condition=models.Q(is_current=True),
                name="uq_specifications_current_key",
            ),
            closed_set_check("specifications", "type", SpecificationType),
            closed_set_check("specifications", "status", SpecificationStatus),
        ]
        indexes = indexes_on("category", "created_at", "is_current", "key", "status", "type")

    def __str__(self):
        return f"{self.key} v{self.version}"


class MessageRole(models.TextChoices):
    USER = "user"
    ASSISTANT = "assistant"
    SYSTEM = "system"


class MessageType(models.TextChoices):
    QUESTION = "question"
    ANSWER = "answer"
    CLARIFICATION = "clarification"
    SPECIFICATION = "specification"
    ERROR = "error"


class ConversationMessage(CreatedAtModel):
    """One message of a session's conversation."""

    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="messages", db_index=False
    )
    role = models.CharField(max_length=20, choices=MessageRole.choices)
    content = models.TextField()
    message_type = models.CharField(
        max_length=50, null=True, blank=True, choices=MessageType.choices
    )
    tokens_used = models.IntegerField(null=True, blank=True)
    metadata = json_field()

    class Meta:
        db_table = "conversation_history"
        constraints = [
            closed_set_check("conversation_history", "role", MessageRole),
            closed_set_check("conversation_history", "message_type", MessageType),
        ]
        indexes = indexes_on("created_at", "role", "session")


class ConflictSeverity(models.TextChoices):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class ConflictStatus(models.TextChoices):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CANCELLED = "cancelled"


class Conflict(TimestampedModel):
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="conflicts", db_index=False
    )
    title = models.CharField(max_length=255)
    description = models.TextField(null=True, blank=True)
    type = models.CharField(max_length=100, null=True, blank=True)
    severity = models.CharField(
        max_length=20, choices=ConflictSeverity.choices, **defaults(ConflictSeverity.MEDIUM)
    )
    status = models.CharField(
        max_length=20, choices=ConflictStatus.choices, **defaults(ConflictStatus.OPEN)
    )
    resolution = models.TextField(null=True, blank=True)
    # Specification ids; an array cannot carry a foreign key.
    related_specifications = ArrayField(
        models.UUIDField(), null=True, blank=True, default=list, db_default=[]
    )
    metadata = json_field()

    class Meta:
        db_table = "conflicts"
        constraints = [
            closed_set_check("conflicts", "severity", ConflictSeverity),
            closed_set_check("conflicts", "status", ConflictStatus),
        ]
        indexes = indexes_on("created_at", "project", "severity", "status", "type")

    def __str__(self):
        return self.title


class GeneratedProjectStatus(models.TextChoices):
    DRAFT = "draft"
    GENERATED = "generated"
    REVIEWED = "reviewed"
    DEPLOYED = "deployed"
    ARCHIVED = "archived"


class GeneratedProject(TimestampedModel):
    """Code generated from a project's specifications."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="generated_projects", db_index=False
    )
    name = models.CharField(max_length=255)
    description = models.TextField(null=True, blank=True)
    language = models.CharField(max_length=50, null=True, blank=True)
    framework = models.CharField(max_length=100, null=True, blank=True)
    version = models.CharField(max_length=20, null=True, blank=True)
    status = models.CharField(
        max_length=20,
        choices=GeneratedProjectStatus.choices,
        **defaults(GeneratedProjectStatus.DRAFT),
    )
    file_count = models.IntegerField(**defaults(0))
    total_lines_of_code = models.IntegerField(null=True, blank=True)
    structure = json_field()
    configuration = json_field()
    metadata = json_field()

    class Meta:
        db_table = "generated_projects"
        constraints = [
            closed_set_check("generated_projects", "status", GeneratedProjectStatus),
        ]
        indexes = indexes_on("created_at", "framework", "language", "project", "status")

    def __str__(self):
        return self.name


class GeneratedFileStatus(models.TextChoices):
    DRAFT = "draft"
    GENERATED = "generated"
    REVIEWED = "reviewed"
    APPROVED = "approved"


class GeneratedFile(TimestampedModel):
    generated_project = models.ForeignKey(
        GeneratedProject, on_delete=models.CASCADE, related_name="files", db_index=False
    )
    path = models.CharField(max_length=500)
    filename = models.CharField(max_length=255)
    file_type = models.CharField(max_length=50, null=True, blank=True)
    content = models.TextField(null=True, blank=True)
    lines_of_code = models.IntegerField(null=True, blank=True)
    purpose = models.CharField(max_length=255, null=True, blank=True)
    status = models.CharField(
        max_length=20,
        choices=GeneratedFileStatus.choices,
        **defaults(GeneratedFileStatus.DRAFT),
    )
    metadata = json_field()

    class Meta:
        db_table = "generated_files"
        constraints = [
            models.UniqueConstraint(
                fields=["generated_project", "path"], name="uq_generated_files_project_path"
            ),
            closed_set_check("generated_files", "status", GeneratedFileStatus),
        ]
        indexes = indexes_on("created_at", "file_type", "path", "status")

    def __str__(self):
        return self.path


class QualityMetric(CreatedAtModel):
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="quality_metrics", db_index=False
    )
    metric_name = models.CharField(max_length=100)
    metric_value = models.FloatField()
    metric_type = models.CharField(max_length=50, null=True, blank=True)
    measured_at = models.DateTimeField(null=True, blank=True)
    details = json_field()
    metadata = json_field()

    class Meta:
        db_table = "quality_metrics"
        indexes = indexes_on("created_at", "metric_name", "metric_type", "project")


class ObservationPeriod(models.TextChoices):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    ALL_TIME = "all_time"


class UserBehaviorPattern(TimestampedModel):
    user_id = UserRefField(on_user_delete=OnUserDelete.DELETE)
    pattern_type = models.CharField(max_length=100)
    pattern_data = json_field()
    confidence_score = models.FloatField(null=True, blank=True)
    observation_period = models.CharField(
        max_length=50, null=True, blank=True, choices=ObservationPeriod.choices
    )
    sample_size = models.IntegerField(null=True, blank=True)
    metadata = json_field()

    class Meta:
        db_table = "user_behavior_patterns"
        constraints = [
            closed_set_check("user_behavior_patterns", "observation_period", ObservationPeriod),
        ]
        indexes = indexes_on("created_at", "pattern_type", "user_id")


class QuestionEffectiveness(TimestampedModel):
    """How well a question works, aggregated over the times it was asked."""

    # A question of this database, but the legacy schema has no foreign key.
    question_id = models.UUIDField(null=True, blank=True)
    question_text = models.TextField(null=True, blank=True)
    project_type = models.CharField(max_length=100, null=True, blank=True)
    effectiveness_score = models.FloatField(null=True, blank=True)
    relevance_score = models.FloatField(null=True, blank=True)
    clarity_score = models.FloatField(null=True, blank=True)
    times_asked = models.IntegerField(**defaults(0))
    times_skipped = models.IntegerField(**defaults(0))
    average_response_time_seconds = models.FloatField(null=True, blank=True)
    feedback = json_field()
    recommendations = models.TextField(null=True, blank=True)
    metadata = json_field()

    class Meta:
        db_table = "question_effectiveness"
        verbose_name_plural = "question effectiveness"
        indexes = indexes_on("created_at", "effectiveness_score", "project_type", "question_id")


class MetricPeriod(models.TextChoices):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"


class AnalyticsMetric(CreatedAtModel):
    metric_name = models.CharField(max_length=100)
    metric_value = models.FloatField(null=True, blank=True)
    dimension_type = models.CharField(max_length=50, null=True, blank=True)
    # Text, so that it can hold a user id, a project id or a date alike.
    dimension_value = models.CharField(max_length=255, null=True, blank=True)
    period = models.CharField(max_length=20, null=True, blank=True, choices=MetricPeriod.choices)
    period_start = models.DateTimeField(null=True, blank=True)
    period_end = models.DateTimeField(null=True, blank=True)
    tags = varchar_array()
    metadata = json_field()

    class Meta:
        db_table = "analytics_metrics"
        required_db_features = UNBOUNDED_VARCHAR
        constraints = [
            closed_set_check("analytics_metrics", "period", MetricPeriod),
        ]
        indexes = indexes_on(
            "created_at",
            "dimension_type",
            "dimension_value",
            "metric_name",
            "period",
            "period_start",
        )
