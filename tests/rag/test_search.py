"""Full-text search over the chunks a caller may read."""

import threading
import time

import pytest
from django.db import connections, transaction

from accounts.models import User
from collaboration.services import ActivityContext
from rag import selectors, services
from rag.models import DocumentChunk, KnowledgeBaseDocument
from socrates.databases import SPECS
from specs import services as specs_services
from tests.accounts.factories import UserFactory
from tests.postgres import run_at_once
from tests.rag.factories import DocumentFactory
from tests.specs.factories import ProjectFactory, ShareFactory

pytestmark = pytest.mark.django_db(databases=["auth", "specs"])

SEARCH = "/api/v1/knowledge-base/search/"


def project_knowledge(project, **specifications) -> None:
    owner = ActivityContext(user_id=project.owner_id)
    for key, value in specifications.items():
        specs_services.write_specification(
            context=owner, project=project, key=key, value=value, category="tech_stack"
        )
    services.reindex_project_knowledge(context=owner, project=project)


def search(client, q: str, **parameters):
    response = client.get(SEARCH, {"q": q, **parameters})
    assert response.status_code == 200, response.data
    return response.data


def test_a_chunk_with_the_terms_in_its_heading_ranks_above_one_mentioning_them_once(client_for):
    body = DocumentFactory(
        title="Deployment",
        content="Ship containers to the cluster; put a caching proxy in front of them.",
    )
    heading = DocumentFactory(
        title="Guide", content="# Caching strategies\n\nKeep hot data in memory close to users."
    )

    hits = search(client_for(UserFactory()), "caching")

    assert [hit["document"] for hit in hits] == [heading.pk, body.pk]
    assert hits[0]["rank"] > hits[1]["rank"]
    assert hits[0]["source_section"] == "Caching strategies"
    assert hits[0]["document_title"] == "Guide"
    assert "<b>Caching</b>" in hits[0]["snippet"]


def test_web_search_syntax_excludes_words_and_matches_phrases(client_for):
    hot = DocumentFactory(content="Keep hot data in memory for caching.")
    DocumentFactory(content="The data is hot; caching with Redis.")
    client = client_for(UserFactory())

    without_redis = search(client, "caching -redis")
    phrase = search(client, '"hot data"')

    assert [hit["document"] for hit in without_redis] == [hot.pk]
    assert [hit["document"] for hit in phrase] == [hot.pk]


def test_unapproved_documents_and_unseen_projects_never_appear(client_for):
    reader = UserFactory()
    approved = DocumentFactory(content="Replication keeps a standby.")
    DocumentFactory(content="Replication draft.", is_approved=False)
    project_knowledge(ProjectFactory(), database="Replication with a secret twist")
    shared = ProjectFactory()
    ShareFactory(project=shared, shared_with_user_id=reader.pk)
    project_knowledge(shared, database="Replication across two regions")

    hits = search(client_for(reader), "replication")

    assert {(hit["document"], hit["project"]) for hit in hits} == {
        (approved.pk, None),
        (None, shared.pk),
    }


def test_a_project_limits_the_search_to_its_own_knowledge(client_for):
    project = ProjectFactory()
    owner = User.objects.get(pk=project.owner_id)
    DocumentFactory(content="PostgreSQL tuning.")
    project_knowledge(project, database="PostgreSQL 17")

    hits = search(client_for(owner), "postgresql", project=str(project.pk))

    assert [(hit["project"], hit["source_section"]) for hit in hits] == [(project.pk, "tech_stack")]


def test_searching_a_project_you_cannot_view_is_a_404(client_for):
    project = ProjectFactory()
    project_knowledge(project, database="PostgreSQL 17")

    response = client_for(UserFactory()).get(SEARCH, {"q": "postgresql", "project": project.pk})

    assert response.status_code == 404
    assert response.data["detail"] == "No such project."


def test_each_hit_counts_once_for_its_chunk_and_its_document(client_for):
    document = DocumentFactory(content="# Indexes\n\nGIN indexes.\n\n# More\n\nMore indexes.")
    DocumentFactory(content="Nothing relevant.")
    client = client_for(UserFactory())

    search(client, "indexes")
    search(client, "indexes", limit=1)

    counts = dict(document.chunks.values_list("source_section", "search_count"))
    document.refresh_from_db()
    assert sorted(counts.values()) == [1, 2]
    assert document.usage_count == 3
    assert set(
        DocumentChunk.objects.exclude(document=document).values_list("search_count", flat=True)
    ) == {0}


def test_project_hits_count_on_their_chunks_only(client_for):
    project = ProjectFactory()
    project_knowledge(project, database="PostgreSQL 17")

    search(client_for(User.objects.get(pk=project.owner_id)), "postgresql")

    assert list(project.document_chunks.values_list("search_count", flat=True)) == [1]


def test_the_limit_caps_the_hits(client_for):
    for n in range(3):
        DocumentFactory(content=f"Sharding note {n}.")

    assert len(search(client_for(UserFactory()), "sharding", limit=2)) == 2


@pytest.mark.parametrize(
    ("parameters", "field"),
    [
        ({"q": "  "}, "q"),
        ({}, "q"),
        ({"q": "a\x00b"}, "q"),
        ({"q": "x", "limit": 0}, "limit"),
        ({"q": "x", "limit": 51}, "limit"),
        ({"q": "x", "project": "not-a-uuid"}, "project"),
    ],
)
def test_bad_parameters_are_a_400_naming_them(client_for, parameters, field):
    response = client_for(UserFactory()).get(SEARCH, parameters)

    assert response.status_code == 400
    assert list(response.data["fields"]) == [field]


def test_a_query_of_stop_words_only_finds_nothing(client_for):
    DocumentFactory(content="The cache.")

    assert search(client_for(UserFactory()), "the") == []


PLAN_CHUNKS = 20_000
VOCABULARY = (
    "'{cache,index,query,table,shard,replica,backup,deploy,schema,model,view,token,"
    "session,queue,worker,metric,latency,throughput,vacuum,partition}'"
)


def test_the_search_is_served_by_the_full_text_index():
    document = DocumentFactory(content="A zeppelin.")
    with connections["specs"].cursor() as cursor:
        cursor.execute(
            "INSERT INTO document_chunks (document_id, chunk_index, content) "
            f"SELECT %s, g, (SELECT string_agg(({VOCABULARY}::text[])[1 + (g * k) %% 20], ' ') "
            "FROM generate_series(1, 12) k) FROM generate_series(1, %s) g",
            [document.pk, PLAN_CHUNKS],
        )
        cursor.execute("ANALYZE document_chunks")
        cursor.execute("ANALYZE knowledge_base_documents")

    plan = selectors.search_chunks(user_id=UserFactory().pk, query="zeppelin", limit=10).explain()

    assert "Bitmap Index Scan on ix_chunks_content_fts" in plan, plan


@pytest.mark.django_db(databases=["specs"], transaction=True)
def test_counting_hits_while_the_document_is_rechunked_does_not_deadlock():
    document = DocumentFactory(content="alpha beta\n\n# Two\n\nalpha gamma")
    chunk_ids = list(document.chunks.values_list("pk", flat=True))
    rechunking = threading.Event()

    def rechunk():
        # What update_document does: the document's row, then its chunks.
        with transaction.atomic(using=SPECS):
            KnowledgeBaseDocument.objects.select_for_update().filter(pk=document.pk).exists()
            rechunking.set()
            time.sleep(0.5)
            DocumentChunk.objects.filter(document=document).delete()

    def count_hits():
        rechunking.wait()
        time.sleep(0.1)
        services.record_search_hits(chunk_ids=chunk_ids)

    outcomes = run_at_once(rechunk, count_hits)

    assert outcomes == ["ok", "ok"]
