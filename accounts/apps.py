from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from accounts import schema, signals  # noqa: F401  (register the auth scheme, the signals)
        from accounts.models import AdminRole
        from accounts.selectors import grantable_roles
        from socrates.api.reach import register_reach

        register_reach(AdminRole, grantable_roles)
