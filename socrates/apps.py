from django.apps import AppConfig


class SocratesConfig(AppConfig):
    name = "socrates"
    verbose_name = "Socrates project"

    def ready(self):
        from socrates import checks  # noqa: F401  (registers the system checks)
