"""The project's own settings, with statements counted when the benchmark asks."""

from bench.servers import counting
from socrates.settings import *  # noqa: F403

for _alias in (AUTH, SPECS):  # noqa: F405
    DATABASES[_alias]["OPTIONS"].update(counting.connect_kwargs())  # noqa: F405
