from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularSwaggerView

from socrates.api.errors import NOT_FOUND_URL_NAME, api_not_found
from socrates.api.schema_view import SchemaView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("socrates.api.urls")),
    # Sign-in and sign-out pages of the browsable API, for every user.
    path("api-auth/", include("rest_framework.urls")),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    # Last: anything else under /api/ is a JSON 404, never an HTML page.
    re_path(r"^api/", api_not_found, name=NOT_FOUND_URL_NAME),
]

handler400 = "socrates.api.errors.bad_request"
handler500 = "socrates.api.errors.server_error"
