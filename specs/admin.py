"""The Django admin for projects and what is in them. Project saves go through
specs.services, so they write the same activity rows as the API; the rest is
read here and written through the API's rules."""

from django.contrib import admin

from collaboration.services import ActivityContext
from socrates.admin import ReadOnlyAdmin, ServiceBackedAdmin
from specs import services
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


class SpecsAdmin(ServiceBackedAdmin):
    def action_context(self, request) -> ActivityContext:
        return ActivityContext.from_request(request)


@admin.register(Project)
class ProjectAdmin(SpecsAdmin):
    list_display = ["name", "status", "current_phase", "owner_id", "created_at"]
    list_filter = ["status", "current_phase"]
    search_fields = ["name", "owner_id"]
    ordering = ["-created_at"]
    fields = [
        "name",
        "description",
        "current_phase",
        "maturity_score",
        "status",
        "owner_id",
        "creator_id",
    ]
    readonly_fields = ["status", "owner_id", "creator_id"]
    add_fields = ["name", "description", "maturity_score"]
    actions = ["archive", "restore"]

    def get_fields(self, request, obj=None):
        return self.add_fields if obj is None else self.fields

    def get_actions(self, request):
        actions = super().get_actions(request)
        # Projects are archived, then destroyed one at a time, through the rules.
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request, obj, form, change):
        context = self.action_context(request)
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        if change:
            services.update_project(
                context=context, project=Project.objects.get(pk=obj.pk), **changes
            )
        else:
            self.saved_as(obj, services.create_project(context=context, **changes))

    def delete_model(self, request, obj):
        services.destroy_project(context=self.action_context(request), project=obj)

    @admin.action(description="Archive the selected projects")
    def archive(self, request, queryset):
        self.apply_to_each(
            request,
            queryset,
            lambda context, project: services.archive_project(context=context, project=project),
            "Archived",
        )

    @admin.action(description="Restore the selected projects")
    def restore(self, request, queryset):
        self.apply_to_each(
            request,
            queryset,
            lambda context, project: services.restore_project(context=context, project=project),
            "Restored",
        )


@admin.register(Specification)
class SpecificationAdmin(ReadOnlyAdmin):
    """Versions are written through the API, which numbers and retires them."""

    list_display = ["key", "version", "is_current", "project", "status", "created_at"]
    list_filter = ["is_current", "status", "type", "category"]
    search_fields = ["key", "value"]
    raw_id_fields = ["project"]


@admin.register(Session)
class SessionAdmin(ReadOnlyAdmin):
    list_display = ["title", "project", "status", "mode", "message_count", "started_at"]
    list_filter = ["status", "mode"]
    search_fields = ["title", "project__name"]
    raw_id_fields = ["project"]


@admin.register(ConversationMessage)
class ConversationMessageAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "session", "role", "message_type"]
    list_filter = ["role", "message_type"]
    search_fields = ["content"]
    raw_id_fields = ["session"]


@admin.register(Question)
class QuestionAdmin(ReadOnlyAdmin):
    list_display = ["text", "project", "priority", "status", "created_at"]
    list_filter = ["status", "priority", "category"]
    search_fields = ["text"]
    raw_id_fields = ["project", "session"]


@admin.register(Conflict)
class ConflictAdmin(ReadOnlyAdmin):
    list_display = ["title", "project", "severity", "status", "created_at"]
    list_filter = ["status", "severity"]
    search_fields = ["title"]
    raw_id_fields = ["project"]


class GeneratedFileInline(admin.TabularInline):
    model = GeneratedFile
    fields = ["path", "file_type", "lines_of_code", "status"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(GeneratedProject)
class GeneratedProjectAdmin(ReadOnlyAdmin):
    list_display = ["name", "project", "language", "framework", "status", "file_count"]
    list_filter = ["status", "language", "framework"]
    search_fields = ["name", "project__name"]
    raw_id_fields = ["project"]
    inlines = [GeneratedFileInline]


@admin.register(GeneratedFile)
class GeneratedFileAdmin(ReadOnlyAdmin):
    list_display = ["path", "generated_project", "file_type", "lines_of_code", "status"]
    list_filter = ["status", "file_type"]
    search_fields = ["path"]
    raw_id_fields = ["generated_project"]


@admin.register(QualityMetric)
class QualityMetricAdmin(ReadOnlyAdmin):
    list_display = ["metric_name", "metric_value", "project", "measured_at"]
    list_filter = ["metric_name", "metric_type"]
    search_fields = ["metric_name", "project__name"]
    raw_id_fields = ["project"]


@admin.register(QuestionEffectiveness)
class QuestionEffectivenessAdmin(ReadOnlyAdmin):
    """Written through the API by staff, whose rules check scores and questions."""

    list_display = [
        "question_text",
        "project_type",
        "effectiveness_score",
        "times_asked",
        "times_skipped",
        "created_at",
    ]
    list_filter = ["project_type"]
    search_fields = ["question_text", "question_id"]


@admin.register(UserBehaviorPattern)
class UserBehaviorPatternAdmin(ReadOnlyAdmin):
    """Written by the jobs that observe usage."""

    list_display = [
        "pattern_type",
        "user_id",
        "confidence_score",
        "observation_period",
        "sample_size",
        "created_at",
    ]
    list_filter = ["pattern_type", "observation_period"]
    search_fields = ["pattern_type", "user_id"]


@admin.register(AnalyticsMetric)
class AnalyticsMetricAdmin(ReadOnlyAdmin):
    """Written by the jobs that compute metrics."""

    list_display = [
        "metric_name",
        "metric_value",
        "dimension_type",
        "dimension_value",
        "period",
        "period_start",
    ]
    list_filter = ["metric_name", "period", "dimension_type"]
    search_fields = ["metric_name", "dimension_value"]
    date_hierarchy = "period_start"
