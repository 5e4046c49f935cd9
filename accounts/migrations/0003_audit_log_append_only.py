"""Make admin_audit_logs append-only in the database itself (BEHAVIOUR.md).

The application refuses to change audit rows too; the trigger also stops any
other program, or a raw SQL statement, from rewriting history.
"""

from django.db import migrations

CREATE = """
CREATE FUNCTION admin_audit_logs_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'admin_audit_logs is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER admin_audit_logs_append_only
    BEFORE UPDATE OR DELETE ON admin_audit_logs
    FOR EACH ROW EXECUTE FUNCTION admin_audit_logs_append_only();
CREATE TRIGGER admin_audit_logs_no_truncate
    BEFORE TRUNCATE ON admin_audit_logs
    FOR EACH STATEMENT EXECUTE FUNCTION admin_audit_logs_append_only();
"""

DROP = """
DROP TRIGGER admin_audit_logs_no_truncate ON admin_audit_logs;
DROP TRIGGER admin_audit_logs_append_only ON admin_audit_logs;
DROP FUNCTION admin_audit_logs_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_seed_system_admin_roles")]

    operations = [migrations.RunSQL(CREATE, DROP)]
