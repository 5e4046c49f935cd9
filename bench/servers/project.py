"""The project under gunicorn, as deployed (``socrates.wsgi``), counted on request."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.servers.project_settings")

from bench.servers.counting import counted_wsgi
from socrates.wsgi import application as _application

application = counted_wsgi(_application)
