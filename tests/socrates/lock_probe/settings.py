"""The project's settings with the lock probe app installed and routed to specs."""

from socrates.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "tests.socrates.lock_probe"]  # noqa: F405
DATABASE_ROUTERS = ["tests.socrates.lock_probe.router.ProbeRouter", *DATABASE_ROUTERS]  # noqa: F405
