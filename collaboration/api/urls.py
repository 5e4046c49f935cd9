from django.urls import include, path
from rest_framework.routers import SimpleRouter

from collaboration.api import views

app_name = "collaboration"

project_router = SimpleRouter(use_regex_path=False)
project_router.register("shares", views.ShareViewSet, basename="share")

urlpatterns = [
    path("projects/<uuid:project_id>/", include(project_router.urls)),
]

# Entries of the API root (socrates.api.urls); shares are reached through a project.
root_links: dict[str, str] = {}
