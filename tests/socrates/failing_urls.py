"""The site's routes plus views that fail: what a bug in a view looks like, and
views whose work reaches the database only on the way out."""

from django.http import HttpResponse
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


def remembering(request):
    # The session middleware saves this after the view has answered.
    request.session["seen"] = True
    return HttpResponse("remembered")


FAILING_PATH = "/api/v1/failing/"
REMEMBERING_PAGE = "/remembering/"
REMEMBERING_API_PATH = "/api/v1/remembering/"

# Before the site's catch-all JSON 404 under /api/.
urlpatterns = [
    path(FAILING_PATH.lstrip("/"), FailingView.as_view()),
    path(REMEMBERING_PAGE.lstrip("/"), remembering),
    path(REMEMBERING_API_PATH.lstrip("/"), remembering),
    *site_urls.urlpatterns,
]

# Django reads the error handlers from the root URLconf.
handler400 = site_urls.handler400
handler500 = site_urls.handler500
