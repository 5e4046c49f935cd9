"""The view serving the schema (apart from socrates.api.schema, which
drf-spectacular's views import through the settings)."""

from django.conf import settings
from drf_spectacular.views import SpectacularAPIView
from rest_framework.exceptions import ValidationError


class SchemaView(SpectacularAPIView):
    """drf-spectacular's view, but a ``?lang=`` outside the languages its
    parameter lists is a 400 naming it (it answered in the default language)."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        language = request.query_params.get("lang")
        if language is not None and language not in dict(settings.LANGUAGES):
            raise ValidationError({"lang": ["Unknown language; use one of the schema's."]})
