"""What accounts leaves pending, for the commands that start or migrate
(registered with ``socrates.management.pending_work`` in ``AccountsConfig.ready``)."""

from django.db import DatabaseError

from accounts.models import UserDeletion


def pending_user_deletions_warning() -> str | None:
    """Deleted users whose rows in socrates_specs still await their rules (the
    process stopped first)."""
    try:
        pending = UserDeletion.objects.pending().count()
    except DatabaseError:
        # Not migrated yet, or unreachable: the migration notes say so.
        return None
    if not pending:
        return None
    return (
        f"{pending} deleted user(s) still have rows in socrates_specs awaiting their rules; "
        "a Celery worker applies them (make worker), or run "
        "'python manage.py drain_user_deletions'."
    )
