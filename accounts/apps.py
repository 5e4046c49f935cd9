from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from accounts import schema, signals  # noqa: F401  (register the auth scheme, the signals)
        from accounts.management.pending_work import pending_user_deletions_warning
        from socrates.management import pending_work

        pending_work.register(pending_user_deletions_warning)
