import django_filters

from socrates.api.filters import FilterSet
from specs.models import AnalyticsMetric, Project, QuestionEffectiveness, Specification


class ProjectFilter(FilterSet):
    class Meta:
        model = Project
        fields = ["status", "current_phase"]


class SpecificationFilter(FilterSet):
    filters_without_parameters = True
    history = django_filters.BooleanFilter(
        method="filter_history", help_text="true: every version, not only the current ones."
    )

    class Meta:
        model = Specification
        fields = ["key", "category", "status", "type", "history"]

    def filter_history(self, queryset, name, value):
        return queryset if value else queryset.filter(is_current=True)

    def filter_queryset(self, queryset):
        # Without ?history=true, only the current version of each key.
        if self.form.cleaned_data.get("history") is None:
            queryset = queryset.filter(is_current=True)
        return super().filter_queryset(queryset)


class AnalyticsMetricFilter(FilterSet):
    period_start_after = django_filters.IsoDateTimeFilter(
        field_name="period_start", lookup_expr="gte"
    )
    period_start_before = django_filters.IsoDateTimeFilter(
        field_name="period_start", lookup_expr="lt"
    )

    class Meta:
        model = AnalyticsMetric
        fields = [
            "metric_name",
            "dimension_type",
            "dimension_value",
            "period",
            "period_start_after",
            "period_start_before",
        ]


class QuestionEffectivenessFilter(FilterSet):
    # By the id the caller is shown: a hidden one is matched by nothing.
    question_id = django_filters.UUIDFilter(field_name="shown_question_id")

    class Meta:
        model = QuestionEffectiveness
        fields = ["project_type", "question_id"]
