"""The site's routes plus one API view that fails: what a bug in a view looks like."""

from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from socrates import urls as site_urls


class FailingView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    def get(self, request):
        raise RuntimeError("the view broke")

    def post(self, request):
        # Careless code that puts what it was handling into the error message.
        raise RuntimeError(f"could not handle {request.data!r}")


FAILING_PATH = "/api/v1/failing/"

# Before the site's catch-all JSON 404 under /api/.
urlpatterns = [path(FAILING_PATH.lstrip("/"), FailingView.as_view()), *site_urls.urlpatterns]

# Django reads the error handlers from the root URLconf.
handler400 = site_urls.handler400
handler500 = site_urls.handler500
