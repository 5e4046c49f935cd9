"""Every change to a user's row or sign-in generation notifies
``socrates_user_changes`` at its commit, whoever makes it: the processes that
keep users in memory (``accounts.user_cache``) drop the users named."""

from django.db import migrations

CREATE = """
CREATE FUNCTION notify_user_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_LEVEL = 'STATEMENT' THEN
        PERFORM pg_notify('socrates_user_changes', '*');
    ELSIF TG_TABLE_NAME = 'users' THEN
        PERFORM pg_notify('socrates_user_changes', OLD.id::text);
        IF TG_OP = 'UPDATE' THEN
            PERFORM pg_notify('socrates_user_changes', NEW.id::text);
        END IF;
    ELSE
        IF TG_OP <> 'INSERT' THEN
            PERFORM pg_notify('socrates_user_changes', OLD.user_id::text);
        END IF;
        IF TG_OP <> 'DELETE' THEN
            PERFORM pg_notify('socrates_user_changes', NEW.user_id::text);
        END IF;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER users_notify_change
    AFTER UPDATE OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION notify_user_change();
CREATE TRIGGER users_notify_truncate
    AFTER TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION notify_user_change();
CREATE TRIGGER user_token_generations_notify_change
    AFTER INSERT OR UPDATE OR DELETE ON user_token_generations
    FOR EACH ROW EXECUTE FUNCTION notify_user_change();
CREATE TRIGGER user_token_generations_notify_truncate
    AFTER TRUNCATE ON user_token_generations
    FOR EACH STATEMENT EXECUTE FUNCTION notify_user_change();
-- Replication and bulk loads (session_replication_role = replica) notify too.
ALTER TABLE users ENABLE ALWAYS TRIGGER users_notify_change;
ALTER TABLE users ENABLE ALWAYS TRIGGER users_notify_truncate;
ALTER TABLE user_token_generations ENABLE ALWAYS TRIGGER user_token_generations_notify_change;
ALTER TABLE user_token_generations ENABLE ALWAYS TRIGGER user_token_generations_notify_truncate;
"""

DROP = """
DROP TRIGGER user_token_generations_notify_truncate ON user_token_generations;
DROP TRIGGER user_token_generations_notify_change ON user_token_generations;
DROP TRIGGER users_notify_truncate ON users;
DROP TRIGGER users_notify_change ON users;
DROP FUNCTION notify_user_change();
"""


class Migration(migrations.Migration):
    dependencies = [("accounts", "0006_wrap_legacy_bcrypt_hashes")]

    operations = [migrations.RunSQL(CREATE, DROP)]
