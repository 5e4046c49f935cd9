from django.urls import include, path
from rest_framework.routers import SimpleRouter

from collaboration.api import views

app_name = "collaboration"

project_router = SimpleRouter(use_regex_path=False)
project_router.register("shares", views.ShareViewSet, basename="share")
project_router.register("invitations", views.ProjectInvitationViewSet, basename="invitation")
project_router.register("activity", views.ProjectActivityViewSet, basename="project-activity")

router = SimpleRouter(use_regex_path=False)
router.register("teams", views.TeamViewSet, basename="team")
router.register("invitations", views.MyInvitationViewSet, basename="my-invitation")
router.register("activity", views.MyActivityViewSet, basename="my-activity")
router.register(
    "notification-preferences",
    views.NotificationPreferenceViewSet,
    basename="notification-preference",
)

team_router = SimpleRouter(use_regex_path=False)
team_router.register("members", views.TeamMemberViewSet, basename="team-member")

urlpatterns = [
    *router.urls,
    path("teams/<uuid:team_id>/", include(team_router.urls)),
    path("projects/<uuid:project_id>/", include(project_router.urls)),
]

# Entries of the API root (socrates.urls); shares are reached through a project.
root_links = {
    "teams": "collaboration:team-list",
    "invitations": "collaboration:my-invitation-list",
    "activity": "collaboration:my-activity-list",
    "notification-preferences": "collaboration:notification-preference-list",
}
