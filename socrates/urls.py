"""The root URLconf. Like settings.py, it names the apps: it includes each
app's ``api/urls.py`` under /api/v1/ and builds the API root from their
``root_links``. The rest of the core knows no app."""

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularSwaggerView

from socrates import health
from socrates.api.errors import NOT_FOUND_URL_NAME, api_not_found
from socrates.api.root import ApiRootView
from socrates.api.schema_view import SchemaView

API_APPS = ("accounts", "specs", "collaboration", "billing", "rag")
# Each is (the app's URL module, its app_name, its namespace).
API_URLCONFS = [include(f"{app}.api.urls") for app in API_APPS]

# Version 1 of the API: its root, then each app's routes.
api_v1_urlpatterns = [
    path(
        "",
        ApiRootView.as_view(
            links={
                name: url_name
                for urlconf, _, _ in API_URLCONFS
                for name, url_name in urlconf.root_links.items()
            }
        ),
        name="api-root",
    ),
    *(path("", urlconf) for urlconf in API_URLCONFS),
]

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1_urlpatterns)),
    # Sign-in and sign-out pages of the browsable API, for every user.
    path("api-auth/", include("rest_framework.urls")),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    # Last: anything else under /api/ is a JSON 404, never an HTML page.
    re_path(r"^api/", api_not_found, name=NOT_FOUND_URL_NAME),
]

handler400 = "socrates.api.errors.bad_request"
handler500 = "socrates.api.errors.server_error"
