from django.apps import AppConfig


class SocratesConfig(AppConfig):
    name = "socrates"
    verbose_name = "Socrates project"

    def ready(self):
        from socrates import checks  # noqa: F401  (registers the system checks)
        from socrates.background_migrations import unfinished_warning
        from socrates.management import pending_work

        pending_work.register(unfinished_warning)
