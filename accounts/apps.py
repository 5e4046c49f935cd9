from django.apps import AppConfig


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
        from socrates.management import pending_work

        register_reach(AdminRole, grantable_roles)
        pending_work.register(pending_user_deletions_warning)
        background_migrations.register(WrapLegacyBcryptHashes())
