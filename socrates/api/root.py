"""``GET /api/v1/``: the browsable entry point, linking every top-level resource."""

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView


class ApiRootView(APIView):
    """Every top-level resource of the Socrates API. Sign in (top right) to follow them."""

    permission_classes = [AllowAny]
    # Each app's api/urls.py lists its entries as ``root_links``; the root
    # URLconf (socrates.urls) gathers them here.
    links: dict[str, str] = {}

    @extend_schema(exclude=True)
    def get(self, request, format=None):
        return Response(
            {
                name: reverse(url_name, request=request, format=format)
                for name, url_name in self.links.items()
            }
        )
