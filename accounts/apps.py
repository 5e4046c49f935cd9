from datetime import timedelta

from celery.schedules import crontab
from django.apps import AppConfig
from django.conf import settings


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from accounts import schema, signals  # noqa: F401  (register the auth scheme, the signals)
        from accounts.background_migrations import WrapLegacyBcryptHashes
        from accounts.management.pending_work import pending_user_deletions_warning
        from accounts.models import AdminRole
        from accounts.selectors import grantable_roles
        from socrates import background_migrations
        from socrates.api.reach import register_reach
        from socrates.celery import schedule
        from socrates.management import pending_work

        register_reach(AdminRole, grantable_roles)
        pending_work.register(pending_user_deletions_warning)
        background_migrations.register(WrapLegacyBcryptHashes())
        # The sweep: deletions whose task was lost (accounts.tasks).
        schedule(
            "drain user deletions",
            "accounts.drain_user_deletions",
            timedelta(seconds=settings.USER_DELETION_SWEEP_SECONDS),
        )
        schedule(
            "purge refresh tokens", "accounts.purge_refresh_tokens", crontab(minute=15, hour=3)
        )
