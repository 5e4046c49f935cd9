from rest_framework import serializers

from socrates.api.serializers import LeanModelSerializer, ModelSerializer, Serializer
from specs.models import (
    AnalyticsMetric,
    Conflict,
    ConversationMessage,
    GeneratedFile,
    GeneratedProject,
    Project,
    QualityMetric,
    Question,
    QuestionEffectiveness,
    Session,
    Specification,
    UserBehaviorPattern,
)
from specs.services import EFFECTIVENESS_COUNTS, EFFECTIVENESS_SCORES, SCORE_RANGE


class ProjectSerializer(LeanModelSerializer):
    def get_fields(self):
        fields = super().get_fields()
        if self.instance is None:
            # Every project starts in discovery; the phase changes afterwards.
            fields["current_phase"].read_only = True
        return fields

    class Meta:
        model = Project
        fields = [
            "id",
            "name",
            "description",
            "current_phase",
            "status",
            "maturity_score",
            "metadata",
            "user_id",
            "creator_id",
            "owner_id",
            "created_at",
            "updated_at",
        ]
        # Set from the request and changed only by archive, restore and transfer.
        read_only_fields = ["status", "user_id", "creator_id", "owner_id"]
        extra_kwargs = {
            "name": {"min_length": 1},
            "description": {"max_length": 2000},
            "maturity_score": {"min_value": 0, "max_value": 100},
        }


class TransferSerializer(Serializer):
    user_id = serializers.UUIDField(help_text="The active user who becomes the owner.")


class SpecificationSerializer(LeanModelSerializer):
    class Meta:
        model = Specification
        fields = [
            "id",
            "project",
            "key",
            "value",
            "type",
            "status",
            "version",
            "category",
            "content",
            "source",
            "confidence",
            "is_current",
            "metadata",
            "superseded_at",
            "superseded_by",
            "created_at",
            "updated_at",
        ]
        # Versions are the service's to number and retire.
        read_only_fields = [
            "project",
            "version",
            "is_current",
            "superseded_at",
            "superseded_by",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {"confidence": {"min_value": 0.0, "max_value": 1.0}}


class SpecificationChangeSerializer(SpecificationSerializer):
    """A change is the next version of the same key: the key stays."""

    class Meta(SpecificationSerializer.Meta):
        read_only_fields = ["key", *SpecificationSerializer.Meta.read_only_fields]


class QualitySerializer(Serializer):
    coverage = serializers.FloatField(help_text="Share of the six core categories specified.")
    confidence = serializers.FloatField(help_text="Average confidence of current specifications.")
    completeness = serializers.FloatField(help_text="maturity_score / 100.")
    overall = serializers.FloatField(help_text="0.4 coverage + 0.4 confidence + 0.2 completeness")
    readiness = serializers.FloatField(
        help_text="0.35 coverage + 0.35 confidence + 0.30 completeness"
    )
    ready = serializers.BooleanField(help_text="coverage >= 0.75 and readiness >= 0.70")
    missing_categories = serializers.ListField(child=serializers.CharField())


class ExportedSpecificationSerializer(ModelSerializer):
    class Meta:
        model = Specification
        fields = ["key", "value", "version", "confidence", "type", "status", "updated_at"]


class ExportedCategorySerializer(Serializer):
    category = serializers.CharField()
    specifications = ExportedSpecificationSerializer(many=True)


class ExportedProjectSerializer(ModelSerializer):
    class Meta:
        model = Project
        fields = ["id", "name", "description", "current_phase", "status"]


class ExportSerializer(Serializer):
    project = ExportedProjectSerializer()
    exported_at = serializers.DateTimeField()
    categories = ExportedCategorySerializer(many=True)


class SessionSerializer(ModelSerializer):
    class Meta:
        model = Session
        fields = [
            "id",
            "project",
            "user_id",
            "title",
            "status",
            "mode",
            "message_count",
            "metadata",
            "started_at",
            "ended_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "project",
            "user_id",
            "message_count",
            "started_at",
            "ended_at",
            "created_at",
            "updated_at",
        ]

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is None:
            # A session starts active; its status changes afterwards.
            fields["status"].read_only = True
        return fields


class MessageSerializer(LeanModelSerializer):
    class Meta:
        model = ConversationMessage
        fields = [
            "id",
            "session",
            "role",
            "content",
            "message_type",
            "tokens_used",
            "metadata",
            "created_at",
        ]
        read_only_fields = ["session", "created_at"]
        extra_kwargs = {"tokens_used": {"min_value": 0}}


class QuestionSerializer(ModelSerializer):
    class Meta:
        model = Question
        fields = [
            "id",
            "project",
            "session",
            "text",
            "category",
            "priority",
            "answer",
            "status",
            "context",
            "quality_score",
            "metadata",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["project", "created_at", "updated_at"]
        extra_kwargs = {"quality_score": {"min_value": 0, "max_value": 1}}


class AnswerSerializer(Serializer):
    answer = serializers.CharField()


class ConflictSerializer(ModelSerializer):
    class Meta:
        model = Conflict
        fields = [
            "id",
            "project",
            "title",
            "description",
            "type",
            "severity",
            "status",
            "resolution",
            "related_specifications",
            "metadata",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["project", "created_at", "updated_at"]


class ResolutionSerializer(Serializer):
    resolution = serializers.CharField(help_text="How the conflict was settled (required).")


class GeneratedProjectSerializer(ModelSerializer):
    class Meta:
        model = GeneratedProject
        fields = [
            "id",
            "project",
            "name",
            "description",
            "language",
            "framework",
            "version",
            "status",
            "file_count",
            "total_lines_of_code",
            "structure",
            "configuration",
            "metadata",
            "created_at",
            "updated_at",
        ]
        # Counted from its files.
        read_only_fields = [
            "project",
            "file_count",
            "total_lines_of_code",
            "created_at",
            "updated_at",
        ]


class GeneratedFileSerializer(ModelSerializer):
    class Meta:
        model = GeneratedFile
        fields = [
            "id",
            "generated_project",
            "path",
            "filename",
            "file_type",
            "content",
            "lines_of_code",
            "purpose",
            "status",
            "metadata",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["generated_project", "lines_of_code", "created_at", "updated_at"]
        extra_kwargs = {"filename": {"required": False}, "path": {"min_length": 1}}


class QualityMetricSerializer(ModelSerializer):
    class Meta:
        model = QualityMetric
        fields = [
            "id",
            "project",
            "metric_name",
            "metric_value",
            "metric_type",
            "measured_at",
            "details",
            "metadata",
            "created_at",
        ]
        read_only_fields = ["project", "created_at"]


class AnalyticsMetricSerializer(ModelSerializer):
    class Meta:
        model = AnalyticsMetric
        fields = [
            "id",
            "metric_name",
            "metric_value",
            "dimension_type",
            "dimension_value",
            "period",
            "period_start",
            "period_end",
            "tags",
            "metadata",
            "created_at",
        ]
        read_only_fields = fields


class QuestionEffectivenessSerializer(ModelSerializer):
    class Meta:
        model = QuestionEffectiveness
        fields = [
            "id",
            "question_id",
            "question_text",
            "project_type",
            "effectiveness_score",
            "relevance_score",
            "clarity_score",
            "times_asked",
            "times_skipped",
            "average_response_time_seconds",
            "feedback",
            "recommendations",
            "metadata",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        # The bounds the service enforces, stated in the schema too.
        extra_kwargs = {
            **{
                name: {"min_value": SCORE_RANGE[0], "max_value": SCORE_RANGE[1]}
                for name in EFFECTIVENESS_SCORES
            },
            **{name: {"min_value": 0} for name in EFFECTIVENESS_COUNTS},
        }


class QuestionEffectivenessReadSerializer(QuestionEffectivenessSerializer):
    # As the selector lets the caller see it.
    question_id = serializers.UUIDField(source="shown_question_id", read_only=True, allow_null=True)


class BehaviorPatternSerializer(ModelSerializer):
    class Meta:
        model = UserBehaviorPattern
        fields = [
            "id",
            "user_id",
            "pattern_type",
            "pattern_data",
            "confidence_score",
            "observation_period",
            "sample_size",
            "metadata",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields
