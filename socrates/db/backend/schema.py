from django.db import models
from django.db.backends.postgresql import schema

ON_DELETE_SQL = {
    models.CASCADE: "CASCADE",
    models.SET_NULL: "SET NULL",
    models.SET_DEFAULT: "SET DEFAULT",
    models.PROTECT: "RESTRICT",
    models.RESTRICT: "RESTRICT",
    models.DO_NOTHING: "NO ACTION",
}


class DatabaseSchemaEditor(schema.DatabaseSchemaEditor):
    sql_create_fk = (
        "ALTER TABLE %(table)s ADD CONSTRAINT %(name)s FOREIGN KEY (%(column)s) "
        "REFERENCES %(to_table)s (%(to_column)s) ON DELETE %(on_delete)s"
    )
    # Columns added later get their constraint through ``_create_fk_sql`` too,
    # so that the ON DELETE rule is written in one place.
    sql_create_column_inline_fk = None

    def _create_fk_sql(self, model, field, suffix):
        statement = super()._create_fk_sql(model, field, suffix)
        statement.parts["on_delete"] = ON_DELETE_SQL[field.remote_field.on_delete]
        return statement
