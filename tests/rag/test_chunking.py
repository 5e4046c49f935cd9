"""How a document is cut into chunks (no database)."""

from rag.chunking import (
    MAX_CHUNK_CHARS,
    MAX_CHUNK_TOKENS,
    ChunkType,
    chunk_markdown,
    chunk_paragraphs,
    count_tokens,
)


def words(count: int, word: str = "word") -> str:
    return " ".join([word] * count)


def test_tokens_are_whitespace_separated_words():
    assert count_tokens("Cache  the\nreads, then\tthe writes.") == 6


def test_each_heading_starts_a_chunk_named_by_it():
    chunks = chunk_markdown(
        "Intro text.\n\n# Caching\n\nUse Redis.\n\n## Read replicas ##\n\nScale reads.",
        title="Guide",
    )

    assert [(c.source_section, c.content, c.chunk_type) for c in chunks] == [
        ("Guide", "Intro text.", ChunkType.PARAGRAPH),
        ("Caching", "Caching\n\nUse Redis.", ChunkType.SECTION),
        ("Read replicas", "Read replicas\n\nScale reads.", ChunkType.SECTION),
    ]


def test_paragraphs_are_packed_up_to_the_token_limit():
    paragraph = words(MAX_CHUNK_TOKENS // 4)
    chunks = chunk_markdown("\n\n".join([paragraph] * 9))

    assert [c.tokens_count for c in chunks] == [MAX_CHUNK_TOKENS, MAX_CHUNK_TOKENS, 50]
    assert chunks[0].content == "\n\n".join([paragraph] * 4)
    assert all(c.source_section is None for c in chunks)


def test_a_paragraph_too_long_is_split_at_sentence_ends():
    sentence = words(MAX_CHUNK_TOKENS // 2 - 1) + " end."
    chunks = chunk_markdown(" ".join([sentence] * 3))

    assert [c.content for c in chunks] == [f"{sentence} {sentence}", sentence]
    assert all(c.tokens_count <= MAX_CHUNK_TOKENS for c in chunks)


def test_a_sentence_too_long_is_split_between_words():
    chunks = chunk_markdown(words(MAX_CHUNK_TOKENS * 2 + 1))

    assert [c.tokens_count for c in chunks] == [MAX_CHUNK_TOKENS, MAX_CHUNK_TOKENS, 1]
    assert " ".join(c.content for c in chunks) == words(MAX_CHUNK_TOKENS * 2 + 1)


def test_a_word_longer_than_a_chunk_is_cut_by_characters():
    chunks = chunk_markdown("x" * (MAX_CHUNK_CHARS * 2 + 5))

    assert [len(c.content) for c in chunks] == [MAX_CHUNK_CHARS, MAX_CHUNK_CHARS, 5]


def test_a_fenced_code_block_is_its_own_chunk_and_hides_its_hashes():
    chunks = chunk_markdown("# Setup\n\nRun it:\n\n```sh\n# not a heading\nmake\n```\n\nDone.")

    assert [(c.chunk_type, c.source_section) for c in chunks] == [
        (ChunkType.SECTION, "Setup"),
        (ChunkType.CODE_BLOCK, "Setup"),
        (ChunkType.PARAGRAPH, "Setup"),
    ]
    assert chunks[1].content == "```sh\n# not a heading\nmake\n```"


def test_a_long_code_block_is_split_between_lines():
    line = words(MAX_CHUNK_TOKENS // 2, "x = 1")
    chunks = chunk_markdown("```\n" + "\n".join([line] * 4) + "\n```")

    assert len(chunks) > 1
    assert all(c.chunk_type == ChunkType.CODE_BLOCK for c in chunks)
    assert all(c.tokens_count <= MAX_CHUNK_TOKENS for c in chunks)


def test_empty_text_makes_no_chunk():
    assert chunk_markdown("  \n\n ", title="Empty") == []


def test_a_heading_longer_than_the_column_is_cut_for_source_section():
    chunks = chunk_markdown("# " + "h" * 300)

    assert len(chunks[0].source_section) == 255


def test_plain_paragraphs_are_packed_into_one_section():
    chunks = chunk_paragraphs(
        ["database: PostgreSQL", "", "cache: Redis"],
        section="tech_stack",
        chunk_type="specification",
    )

    assert [(c.content, c.source_section, c.chunk_type, c.tokens_count) for c in chunks] == [
        ("database: PostgreSQL\n\ncache: Redis", "tech_stack", "specification", 4)
    ]
