"""Version 1 of the API: its root, then each app's routes."""

from django.urls import include, path

from accounts.api import urls as accounts_urls
from socrates.api.root import ApiRootView

urlpatterns = [
    path("", ApiRootView.as_view(links=accounts_urls.root_links), name="api-root"),
    path("", include(accounts_urls)),
]
