app_name = "rag"

urlpatterns = []

# Entries of the API root (socrates.api.urls).
root_links = {}
