from celery.schedules import crontab
from django.apps import AppConfig


class CollaborationConfig(AppConfig):
    name = "collaboration"

    def ready(self):
        from collaboration.models import Team
        from collaboration.selectors import teams_within_reach
        from socrates.api.reach import register_reach
        from socrates.celery import schedule

        register_reach(Team, teams_within_reach)
        schedule("purge invitations", "collaboration.purge_invitations", crontab(minute=30))
