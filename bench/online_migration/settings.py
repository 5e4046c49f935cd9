"""The project's settings with the benchmark's migration app installed, routed to specs."""

from socrates.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "bench.online_migration"]  # noqa: F405
DATABASE_ROUTERS = ["bench.online_migration.router.BenchRouter", *DATABASE_ROUTERS]  # noqa: F405
