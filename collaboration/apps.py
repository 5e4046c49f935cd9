from django.apps import AppConfig


class CollaborationConfig(AppConfig):
    name = "collaboration"

    def ready(self):
        from collaboration.models import Team
        from collaboration.selectors import teams_within_reach
        from socrates.api.reach import register_reach

        register_reach(Team, teams_within_reach)
