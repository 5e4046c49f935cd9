from rest_framework.routers import SimpleRouter

app_name = "billing"

router = SimpleRouter(use_regex_path=False)

urlpatterns = [*router.urls]

# Entries of the API root (socrates.api.urls).
root_links = {}
