from django.urls import include, path
from rest_framework.routers import SimpleRouter

from rag.api import views

app_name = "rag"

router = SimpleRouter(use_regex_path=False)
router.register("knowledge-base/documents", views.DocumentViewSet, basename="document")
router.register("knowledge-base/search", views.KnowledgeSearchViewSet, basename="search")

document_router = SimpleRouter(use_regex_path=False)
document_router.register("chunks", views.DocumentChunkViewSet, basename="document-chunk")

project_router = SimpleRouter(use_regex_path=False)
project_router.register("knowledge", views.ProjectKnowledgeViewSet, basename="project-knowledge")

urlpatterns = [
    *router.urls,
    path("knowledge-base/documents/<uuid:document_id>/", include(document_router.urls)),
    path("projects/<uuid:project_id>/", include(project_router.urls)),
]

# Entries of the API root (socrates.urls); chunks are reached through a document.
root_links = {
    "knowledge-base-documents": "rag:document-list",
    "knowledge-base-search": "rag:search-list",
}
