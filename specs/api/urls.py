from django.urls import include, path
from rest_framework.routers import SimpleRouter

from specs.api import views

app_name = "specs"

router = SimpleRouter(use_regex_path=False)
router.register("projects", views.ProjectViewSet, basename="project")
router.register("analytics/metrics", views.AnalyticsMetricViewSet, basename="analytics-metric")
router.register(
    "analytics/question-effectiveness",
    views.QuestionEffectivenessViewSet,
    basename="analytics-question-effectiveness",
)
router.register(
    "analytics/behavior-patterns",
    views.BehaviorPatternViewSet,
    basename="analytics-behavior-pattern",
)

# Everything inside a project lives under its URL.
project_router = SimpleRouter(use_regex_path=False)
project_router.register("specifications", views.SpecificationViewSet, basename="specification")
project_router.register("sessions", views.SessionViewSet, basename="session")
project_router.register("questions", views.QuestionViewSet, basename="question")
project_router.register("conflicts", views.ConflictViewSet, basename="conflict")
project_router.register(
    "generated-projects", views.GeneratedProjectViewSet, basename="generated-project"
)
project_router.register("quality-metrics", views.QualityMetricViewSet, basename="quality-metric")

generated_router = SimpleRouter(use_regex_path=False)
generated_router.register("files", views.GeneratedFileViewSet, basename="generated-file")

session_router = SimpleRouter(use_regex_path=False)
session_router.register("messages", views.MessageViewSet, basename="message")

urlpatterns = [
    *router.urls,
    path("projects/<uuid:project_id>/", include(project_router.urls)),
    path("projects/<uuid:project_id>/sessions/<uuid:session_id>/", include(session_router.urls)),
    path(
        "projects/<uuid:project_id>/generated-projects/<uuid:generated_project_id>/",
        include(generated_router.urls),
    ),
]

# Entries of the API root (socrates.urls).
root_links = {
    "projects": "specs:project-list",
    "analytics-metrics": "specs:analytics-metric-list",
    "analytics-question-effectiveness": "specs:analytics-question-effectiveness-list",
    "analytics-behavior-patterns": "specs:analytics-behavior-pattern-list",
}
