"""Documents: chunked when written, readable by everyone once approved,
written by staff alone."""

import pytest

from rag import services
from rag.chunking import MAX_CHUNK_TOKENS, ChunkType
from rag.error_codes import RagErrorCode
from rag.models import DocumentChunk
from rag.services import MAX_CHUNKS_PER_DOCUMENT, MAX_DOCUMENT_CHARS
from socrates.errors import DomainError
from tests.accounts.factories import UserFactory
from tests.rag.factories import DocumentFactory, staff_user

pytestmark = pytest.mark.django_db(databases=["auth", "specs"])

GUIDE = "Caching basics.\n\n# Redis\n\nUse Redis for sessions.\n\n# Replicas\n\nScale reads."


def chunks_of(document) -> list[tuple]:
    return list(
        document.chunks.order_by("chunk_index").values_list(
            "chunk_index", "source_section", "chunk_type", "tokens_count", "content"
        )
    )


# Services -------------------------------------------------------------------------------


def test_a_new_document_is_chunked_in_order_from_index_0():
    document = services.create_document(title="Caching", content=GUIDE)

    assert chunks_of(document) == [
        (0, "Caching", ChunkType.PARAGRAPH, 2, "Caching basics."),
        (1, "Redis", ChunkType.SECTION, 5, "Redis\n\nUse Redis for sessions."),
        (2, "Replicas", ChunkType.SECTION, 3, "Replicas\n\nScale reads."),
    ]
    assert set(document.chunks.values_list("project_id", flat=True)) == {None}


def test_changing_the_content_replaces_the_chunks_and_bumps_the_version():
    document = services.create_document(title="Caching", content=GUIDE)
    old_ids = set(document.chunks.values_list("pk", flat=True))

    services.update_document(document=document, content="# Only\n\nOne section now.")

    document.refresh_from_db()
    assert document.version == 2
    assert chunks_of(document) == [(0, "Only", ChunkType.SECTION, 4, "Only\n\nOne section now.")]
    assert not DocumentChunk.objects.filter(pk__in=old_ids).exists()


def test_changing_the_title_renames_the_section_before_the_first_heading():
    document = services.create_document(title="Caching", content=GUIDE)

    services.update_document(document=document, title="Caching, revised")

    assert chunks_of(document)[0][1] == "Caching, revised"


def test_changing_only_tags_keeps_the_chunks_and_the_version():
    document = services.create_document(title="Caching", content=GUIDE)
    before = list(document.chunks.order_by("chunk_index").values_list("pk", flat=True))

    services.update_document(document=document, tags=["redis"], category="database")

    document.refresh_from_db()
    assert document.version == 1
    assert document.tags == ["redis"]
    assert list(document.chunks.order_by("chunk_index").values_list("pk", flat=True)) == before


def test_when_storing_the_new_chunks_fails_nothing_of_the_change_is_kept(monkeypatch):
    document = services.create_document(title="Caching", content=GUIDE)
    before = chunks_of(document)

    def refuse(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(DocumentChunk.objects, "bulk_create", refuse)
    with pytest.raises(RuntimeError):
        services.update_document(document=document, content="New text.")

    document.refresh_from_db()
    assert (document.content, document.version) == (GUIDE, 1)
    assert chunks_of(document) == before


def test_a_document_larger_than_the_limit_is_refused_naming_content():
    with pytest.raises(DomainError) as refusal:
        services.create_document(title="Huge", content="a" * (MAX_DOCUMENT_CHARS + 1))

    assert (refusal.value.field, refusal.value.code) == ("content", RagErrorCode.DOCUMENT_TOO_LARGE)


def test_a_document_of_too_many_chunks_is_refused_naming_content():
    content = "\n".join(f"# h{n}" for n in range(MAX_CHUNKS_PER_DOCUMENT + 1))

    with pytest.raises(DomainError) as refusal:
        services.create_document(title="Headings", content=content)

    assert refusal.value.field == "content"


def test_a_long_document_is_chunked_within_the_token_limit():
    document = services.create_document(title="Long", content=" ".join(["word"] * 1000))

    counts = list(document.chunks.order_by("chunk_index").values_list("tokens_count", flat=True))
    assert counts == [MAX_CHUNK_TOKENS] * 5


def test_approving_answers_how_many_were_waiting():
    waiting = DocumentFactory(is_approved=False)
    DocumentFactory(is_approved=True)

    approved = services.approve_documents(
        documents=type(waiting).objects.filter(title__startswith="Guide")
    )

    waiting.refresh_from_db()
    assert (approved, waiting.is_approved) == (1, True)


# API ------------------------------------------------------------------------------------

DOCUMENTS = "/api/v1/knowledge-base/documents/"


def test_staff_create_a_document_and_get_it_chunked(client_for):
    response = client_for(staff_user()).post(
        DOCUMENTS, {"title": "Caching", "content": GUIDE, "tags": ["redis"]}, format="json"
    )

    assert response.status_code == 201, response.data
    assert (response.data["version"], response.data["is_approved"]) == (1, False)
    chunks = client_for(staff_user()).get(f"{DOCUMENTS}{response.data['id']}/chunks/")
    assert [c["chunk_index"] for c in chunks.data["results"]] == [0, 1, 2]


def test_a_document_too_large_is_a_400_naming_content(client_for):
    response = client_for(staff_user()).post(
        DOCUMENTS, {"title": "Huge", "content": "a " * (MAX_DOCUMENT_CHARS // 2 + 1)}, format="json"
    )

    assert response.status_code == 400
    assert list(response.data["fields"]) == ["content"]


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("post", ""), ("put", "{id}/"), ("patch", "{id}/"), ("delete", "{id}/")],
)
def test_only_staff_write_documents(client_for, method, suffix):
    document = DocumentFactory()
    url = DOCUMENTS + suffix.format(id=document.pk)

    response = getattr(client_for(UserFactory()), method)(url, {"title": "Mine"}, format="json")

    assert response.status_code == 403
    assert response.data["code"] == "access_level_too_low"


def test_unapproved_documents_are_hidden_from_everyone_but_staff(client_for):
    approved, waiting = DocumentFactory(), DocumentFactory(is_approved=False)
    reader = client_for(UserFactory())

    listed = reader.get(DOCUMENTS)

    assert [d["id"] for d in listed.data["results"]] == [str(approved.pk)]
    assert "content" not in listed.data["results"][0]
    assert reader.get(f"{DOCUMENTS}{waiting.pk}/").status_code == 404
    assert reader.get(f"{DOCUMENTS}{waiting.pk}/chunks/").status_code == 404
    assert reader.get(f"{DOCUMENTS}{approved.pk}/").data["content"] == approved.content
    staff = client_for(staff_user())
    assert {d["id"] for d in staff.get(DOCUMENTS).data["results"]} == {
        str(approved.pk),
        str(waiting.pk),
    }
    assert staff.get(f"{DOCUMENTS}{waiting.pk}/chunks/").status_code == 200


def test_documents_filter_by_approval_and_search_by_title(client_for):
    DocumentFactory(title="Caching guide", category="database")
    DocumentFactory(title="Testing guide", is_approved=False, category="testing")
    staff = client_for(staff_user())

    waiting = staff.get(DOCUMENTS, {"is_approved": "false"})
    found = staff.get(DOCUMENTS, {"search": "caching"})
    database = staff.get(DOCUMENTS, {"category": "database"})

    assert [d["title"] for d in waiting.data["results"]] == ["Testing guide"]
    assert [d["title"] for d in found.data["results"]] == ["Caching guide"]
    assert [d["title"] for d in database.data["results"]] == ["Caching guide"]


def test_a_patch_of_content_rechunks_and_deleting_takes_the_chunks(client_for):
    document = DocumentFactory(content=GUIDE)
    staff = client_for(staff_user())

    patched = staff.patch(f"{DOCUMENTS}{document.pk}/", {"content": "One."}, format="json")
    deleted = staff.delete(f"{DOCUMENTS}{document.pk}/")

    assert (patched.status_code, patched.data["version"]) == (200, 2)
    assert deleted.status_code == 204
    assert not DocumentChunk.objects.filter(document_id=document.pk).exists()


def test_chunks_are_listed_in_order_and_never_written_through_the_api(client_for):
    document = DocumentFactory(content=GUIDE)
    client = client_for(UserFactory())
    url = f"{DOCUMENTS}{document.pk}/chunks/"

    listed = client.get(url)

    assert [c["source_section"] for c in listed.data["results"]] == [
        document.title,
        "Redis",
        "Replicas",
    ]
    assert client.post(url, {"content": "x"}, format="json").status_code == 405
