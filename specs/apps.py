from django.apps import AppConfig


class SpecsConfig(AppConfig):
    name = "specs"

    def ready(self):
        from socrates.api.reach import register_reach
        from specs.models import Session
        from specs.selectors import sessions_within_reach

        register_reach(Session, sessions_within_reach)
