import os

from django.core.wsgi import get_wsgi_application

from socrates.checks import refuse_to_serve_without_static_files

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socrates.settings")

application = get_wsgi_application()
refuse_to_serve_without_static_files()
