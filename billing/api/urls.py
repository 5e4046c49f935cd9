app_name = "billing"

urlpatterns = []

# Entries of the API root (socrates.api.urls).
root_links = {}
