import os

from django.core.asgi import get_asgi_application

from socrates.checks import refuse_to_serve_without_static_files

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socrates.settings")

application = get_asgi_application()
refuse_to_serve_without_static_files()
