"""Work an app left pending because a process stopped half-way, told by the
commands that start or migrate (runserver, createsuperuser, run_migrations_safe).

The core knows no app, so it does not look for such work itself: an app
registers, in its ``AppConfig.ready()``, a function that returns one line
saying what waits and which command does it, or None when nothing waits
(accounts: deleted users whose rules in socrates_specs have not run yet).
"""

from collections.abc import Callable

PendingWorkWarning = Callable[[], str | None]

_registered: list[PendingWorkWarning] = []


def register(warning: PendingWorkWarning) -> None:
    # Django may call ready() more than once (tests that change the installed apps).
    if warning not in _registered:
        _registered.append(warning)


def warnings() -> list[str]:
    """The line of each app that has work waiting."""
    return [line for warning in _registered if (line := warning())]
