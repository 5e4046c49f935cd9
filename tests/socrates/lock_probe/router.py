from socrates.databases import SPECS

PROBE_APP_LABEL = "lock_probe"


class ProbeRouter:
    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if app_label == PROBE_APP_LABEL:
            return db == SPECS
        return None
