from socrates.databases import SPECS

APP_LABEL = "online_migration"


class BenchRouter:
    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if app_label == APP_LABEL:
            return db == SPECS
        return None
