"""Liveness and readiness, for a load balancer or an orchestrator.

``/healthz`` answers from the process alone: it is up. ``/readyz`` asks what
a request needs: each primary answers and has every migration this code
knows applied (one statement per database), and each check an app or the
worker set-up registers passes. Replicas are reported with their lag, never
a reason to be unready: their reads fall back to the primary.
"""

import functools
from collections.abc import Callable

from django.db import Error, connections
from django.db.migrations.loader import MigrationLoader
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from socrates.databases import APP_DATABASES
from socrates.db import errors, replicas

_readiness_checks: dict[str, Callable[[], str | None]] = {}


def register_readiness_check(name: str, check: Callable[[], str | None]) -> None:
    """``check`` returns None when ready, else one line saying what is wrong."""
    _readiness_checks[name] = check


@functools.cache
def _latest_migrations(alias: str) -> tuple[str, ...]:
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    return tuple(
        f"{label}.{name}" for app in APP_DATABASES[alias] for label, name in graph.leaf_nodes(app)
    )


def _primary(alias: str) -> str | None:
    latest = _latest_migrations(alias)
    with connections[alias].cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM django_migrations WHERE app || '.' || name = ANY(%s)",
            [list(latest)],
        )
        (applied,) = cursor.fetchone()
    return None if applied == len(latest) else "migrations pending"


def _run(check: Callable[[], str | None]) -> dict:
    try:
        problem = check()
    except Error as error:
        problem = errors.describe(error).summary
    except Exception as error:
        problem = str(error).splitlines()[0] if str(error) else type(error).__name__
    return {"ok": problem is None, **({"problem": problem} if problem else {})}


@require_GET
@never_cache
def healthz(request):
    return JsonResponse({"status": "ok"})


@require_GET
@never_cache
def readyz(request):
    checks = {
        f"database:{alias}": _run(functools.partial(_primary, alias)) for alias in APP_DATABASES
    }
    checks |= {name: _run(check) for name, check in _readiness_checks.items()}
    ready = all(check["ok"] for check in checks.values())
    body = {"status": "ready" if ready else "unready", "checks": checks}
    replica_states = {
        alias: replicas.health.check(alias)
        for aliases in replicas.replica_aliases().values()
        for alias in aliases
    }
    if replica_states:
        body["replicas"] = {
            alias: {"usable": state.usable, "lag_seconds": state.lag_seconds}
            for alias, state in replica_states.items()
        }
    return JsonResponse(body, status=200 if ready else 503)
