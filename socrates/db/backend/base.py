from django.db.backends.postgresql import base

from .schema import DatabaseSchemaEditor


class DatabaseWrapper(base.DatabaseWrapper):
    SchemaEditorClass = DatabaseSchemaEditor

    def get_new_connection(self, conn_params):
        # Statements prepared on the last server session died with it
        # (socrates.db.prepared).
        self.prepared_statements: set[str] = set()
        return super().get_new_connection(conn_params)
