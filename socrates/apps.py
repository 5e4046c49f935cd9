from datetime import timedelta

from django.apps import AppConfig


class SocratesConfig(AppConfig):
    name = "socrates"
    verbose_name = "Socrates project"

    def ready(self):
        from socrates import checks  # noqa: F401  (registers the system checks)
        from socrates.background_migrations import unfinished_warning
        from socrates.celery import broker_problem, schedule
        from socrates.health import register_readiness_check
        from socrates.management import pending_work

        pending_work.register(unfinished_warning)
        # Tasks enqueued by a request need the broker: a node without it is not ready.
        register_readiness_check("broker", broker_problem)
        schedule(
            "queue background migrations",
            "socrates.queue_background_migrations",
            timedelta(minutes=10),
        )
