from django.http import Http404
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import DefaultContentNegotiation


class ContentNegotiation(DefaultContentNegotiation):
    """An unknown ``?format=`` is bad input (a 400 naming it), not a missing page."""

    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except Http404:
            formats = ", ".join(sorted({renderer.format for renderer in renderers}))
            raise ValidationError(
                {self.settings.URL_FORMAT_OVERRIDE: [f"Unknown format; use one of: {formats}."]}
            ) from None
