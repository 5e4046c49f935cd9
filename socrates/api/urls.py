"""Version 1 of the API: its root, then each app's routes."""

from django.urls import include, path

from accounts.api import urls as accounts_urls
from billing.api import urls as billing_urls
from collaboration.api import urls as collaboration_urls
from rag.api import urls as rag_urls
from socrates.api.root import ApiRootView
from specs.api import urls as specs_urls

APPS = (accounts_urls, specs_urls, collaboration_urls, billing_urls, rag_urls)

urlpatterns = [
    path(
        "",
        ApiRootView.as_view(links={k: v for app in APPS for k, v in app.root_links.items()}),
        name="api-root",
    ),
    *(path("", include(app)) for app in APPS),
]
