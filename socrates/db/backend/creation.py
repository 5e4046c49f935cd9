from django.db.backends.postgresql import creation


class DatabaseCreation(creation.DatabaseCreation):
    def _destroy_test_db(self, test_database_name, verbosity):
        # A pooler in front of the server keeps its idle sessions on the test
        # database after the suite is done with it (they are the suite's own),
        # and a plain DROP DATABASE refuses while any session is there.
        with self._nodb_cursor() as cursor:
            cursor.execute(
                f"DROP DATABASE {self.connection.ops.quote_name(test_database_name)} WITH (FORCE)"
            )
