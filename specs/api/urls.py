from django.urls import include, path
from rest_framework.routers import SimpleRouter

from specs.api import views

app_name = "specs"

router = SimpleRouter(use_regex_path=False)
router.register("projects", views.ProjectViewSet, basename="project")

# Everything inside a project lives under its URL.
project_router = SimpleRouter(use_regex_path=False)
project_router.register("specifications", views.SpecificationViewSet, basename="specification")
project_router.register("sessions", views.SessionViewSet, basename="session")
project_router.register("questions", views.QuestionViewSet, basename="question")
project_router.register("conflicts", views.ConflictViewSet, basename="conflict")

session_router = SimpleRouter(use_regex_path=False)
session_router.register("messages", views.MessageViewSet, basename="message")

urlpatterns = [
    *router.urls,
    path("projects/<uuid:project_id>/", include(project_router.urls)),
    path("projects/<uuid:project_id>/sessions/<uuid:session_id>/", include(session_router.urls)),
]

# Entries of the API root (socrates.api.urls).
root_links = {"projects": "specs:project-list"}
