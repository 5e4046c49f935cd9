"""The Django admin for the knowledge base. Document saves go through
rag.services, so a document is re-chunked exactly as through the API; chunks
are only read here."""

from django.contrib import admin

from rag import services
from rag.models import DocumentChunk, KnowledgeBaseDocument
from socrates.admin import ReadOnlyAdmin, ServiceBackedAdmin


@admin.register(KnowledgeBaseDocument)
class KnowledgeBaseDocumentAdmin(ServiceBackedAdmin):
    list_display = [
        "title",
        "category",
        "document_type",
        "is_approved",
        "version",
        "usage_count",
        "updated_at",
    ]
    list_filter = ["is_approved", "category", "document_type"]
    search_fields = ["title"]
    ordering = ["-updated_at"]
    fields = [
        "title",
        "content",
        "document_type",
        "category",
        "tags",
        "source",
        "is_approved",
        "relevance_score",
        "metadata",
        "version",
        "usage_count",
    ]
    readonly_fields = ["version", "usage_count"]
    actions = ["approve"]

    def get_actions(self, request):
        actions = super().get_actions(request)
        # Documents are deleted one at a time, through the service.
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request, obj, form, change):
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        if change:
            services.update_document(
                document=KnowledgeBaseDocument.objects.get(pk=obj.pk), **changes
            )
        else:
            self.saved_as(obj, services.create_document(**changes))

    def delete_model(self, request, obj):
        services.delete_document(document=obj)

    @admin.action(description="Approve selected documents")
    def approve(self, request, queryset):
        approved = services.approve_documents(documents=queryset)
        self.message_user(request, f"Approved: {approved}.")


@admin.register(DocumentChunk)
class DocumentChunkAdmin(ReadOnlyAdmin):
    list_display = [
        "document",
        "project",
        "chunk_index",
        "source_section",
        "tokens_count",
        "search_count",
    ]
    list_filter = ["chunk_type"]
    list_select_related = ["document", "project"]
    search_fields = ["source_section"]
    raw_id_fields = ["document", "project"]
