"""The knowledge-base search over 100,000 chunks: its plan and its best hits.

    .venv/bin/python -m bench.knowledge_search_plan [--chunks N] [--query TEXT]

It never touches existing data: it creates a scratch database beside the one
``DATABASE_URL_SPECS`` names (same server, name + ``_knowledge_bench``),
migrates it, fills it with INSERT ... SELECT generate_series, ANALYZEs it,
prints EXPLAIN (ANALYZE, BUFFERS) of the application's own search query
(``rag.selectors.search_chunks``) and its top three hits, then drops the
scratch database. The output is also written to
``bench/results/knowledge_search_plan.txt``.
"""

import argparse
import os
import time
import uuid

import django

from bench import write_results

# Common technical words, so that queries match many chunks and ranking matters;
# with a long tail of rare made-up words (``term<n>``) like a real vocabulary.
VOCABULARY = [
    "cache",
    "caching",
    "index",
    "query",
    "table",
    "shard",
    "replica",
    "replication",
    "backup",
    "deploy",
    "deployment",
    "schema",
    "model",
    "view",
    "token",
    "session",
    "queue",
    "worker",
    "metric",
    "latency",
    "throughput",
    "vacuum",
    "partition",
    "postgres",
    "redis",
    "kafka",
    "docker",
    "kubernetes",
    "container",
    "cluster",
    "node",
    "pod",
    "service",
    "gateway",
    "proxy",
    "load",
    "balancer",
    "timeout",
    "retry",
    "failover",
    "snapshot",
    "migration",
    "rollback",
    "transaction",
    "lock",
    "deadlock",
    "isolation",
    "consistency",
    "availability",
    "durability",
    "logging",
    "tracing",
    "alerting",
    "dashboard",
    "pipeline",
    "build",
    "test",
]
RARE_TERMS = 20_000
WORDS_PER_CHUNK = 60
DOCUMENTS = 500


def fill(cursor, chunks: int) -> None:
    cursor.execute("SELECT setseed(0.42)")
    # One document in ten waits for approval: its chunks must be filtered out.
    cursor.execute(
        "INSERT INTO knowledge_base_documents (title, content, is_approved) "
        "SELECT 'Guide ' || g, 'bench', g %% 10 <> 0 FROM generate_series(1, %s) g",
        [DOCUMENTS],
    )
    cursor.execute(
        """
        WITH documents AS (
            SELECT array_agg(id ORDER BY id) AS ids FROM knowledge_base_documents
        ), vocabulary AS (SELECT %s::text[] AS words)
        INSERT INTO document_chunks
            (document_id, chunk_index, content, chunk_type, source_section, tokens_count)
        SELECT
            documents.ids[1 + g %% %s],
            g / %s,
            (
                SELECT string_agg(word, ' ') FROM (
                    SELECT CASE WHEN random() < 0.8
                        THEN words[1 + floor(random() * array_length(words, 1))::int]
                        ELSE 'term' || floor(random() * %s)::int
                    END AS word
                    FROM generate_series(1, %s)
                    WHERE g IS NOT NULL  -- new words for every chunk
                ) AS picked
            ),
            'paragraph',
            initcap(words[1 + floor(random() * array_length(words, 1))::int]),
            %s
        FROM generate_series(0, %s - 1) AS g, documents, vocabulary
        """,
        [
            VOCABULARY,
            DOCUMENTS,
            DOCUMENTS,
            RARE_TERMS,
            WORDS_PER_CHUNK,
            WORDS_PER_CHUNK,
            chunks,
        ],
    )
    cursor.execute("ANALYZE knowledge_base_documents")
    cursor.execute("ANALYZE document_chunks")


def report(chunks: int, queries: list[str]) -> str:
    from django.db import connections

    from rag import selectors
    from socrates.databases import SPECS

    lines = []
    with connections[SPECS].cursor() as cursor:
        started = time.perf_counter()
        fill(cursor, chunks)
        lines.append(f"filled {chunks} chunks in {time.perf_counter() - started:.1f} s")
        cursor.execute("SELECT version()")
        lines.append(cursor.fetchone()[0])
    # A user with no project: approved documents only, as most searches.
    user_id = uuid.uuid4()
    for query in queries:
        search = selectors.search_chunks(user_id=user_id, query=query, limit=10)
        lines += ["", f"== q={query!r}", search.explain(analyze=True, buffers=True), ""]
        started = time.perf_counter()
        hits = list(search)
        lines.append(f"top hits ({(time.perf_counter() - started) * 1000:.1f} ms):")
        for hit in hits[:3]:
            snippet = " ".join(hit.snippet.split())
            lines.append(f"  rank {hit.rank:.4f}  [{hit.source_section}]  {snippet}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument(
        "--query",
        action="append",
        help='web-search syntax; repeatable (default: "replica failover" and a rare term)',
    )
    arguments = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socrates.settings")
    django.setup()

    from django.db import connections

    from socrates.databases import SPECS

    connection = connections[SPECS]
    # Django's test-database machinery, under a name of this script's own:
    # it creates and migrates it, and drops it afterwards.
    original_name = connection.settings_dict["NAME"]
    connection.settings_dict["TEST"] = {
        **connection.settings_dict.get("TEST", {}),
        "NAME": f"{original_name}_knowledge_bench",
    }
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        output = report(arguments.chunks, arguments.query or ["replica failover", "term1234"])
    finally:
        connection.creation.destroy_test_db(original_name, verbosity=0)
    write_results("knowledge_search_plan.txt", output)


if __name__ == "__main__":
    main()
