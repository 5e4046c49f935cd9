"""Splitting text into the chunks that search ranks and returns.

Pure functions: no database. A chunk stays within ``MAX_CHUNK_TOKENS`` tokens
and ``MAX_CHUNK_CHARS`` characters. Tokens are estimated as whitespace-separated
words (``count_tokens``): close enough to an embedding model's tokens to size
chunks, and the same on every platform.

Markdown structure decides where chunks end: a heading (``#`` to ``######``)
starts a new chunk and names the ``source_section`` of the chunks under it
(text before any heading is under the document's title); blank-line separated
paragraphs are packed together up to the limits; a paragraph too long for one
chunk is split at sentence ends, then between words; a fenced code block is
kept apart from prose.
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum

MAX_CHUNK_TOKENS = 200
# Bounds a chunk made of very long "words" (minified code, base64): the GIN
# index's tsvector of a chunk must stay far below PostgreSQL's 1 MB limit.
MAX_CHUNK_CHARS = 4000
SECTION_MAX_LENGTH = 255  # document_chunks.source_section

HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


class ChunkType(StrEnum):
    SECTION = "section"  # begins with its heading
    PARAGRAPH = "paragraph"
    CODE_BLOCK = "code_block"
    SPECIFICATION = "specification"


@dataclass(frozen=True)
class Chunk:
    content: str
    chunk_type: str
    source_section: str | None
    tokens_count: int


def count_tokens(text: str) -> int:
    return len(text.split())


def _fits(tokens: int, chars: int) -> bool:
    return tokens <= MAX_CHUNK_TOKENS and chars <= MAX_CHUNK_CHARS


def _characters(text: str) -> list[str]:
    return [text[start : start + MAX_CHUNK_CHARS] for start in range(0, len(text), MAX_CHUNK_CHARS)]


# Finer and finer ways to cut a piece too long for one chunk: (cut, joiner).
PROSE_CUTS: tuple[tuple[Callable[[str], list[str]], str], ...] = (
    (SENTENCE_END.split, " "),
    (str.split, " "),
    (_characters, ""),
)
CODE_CUTS = ((str.splitlines, "\n"), *PROSE_CUTS[1:])


def _within_limits(text: str, cuts=PROSE_CUTS) -> Iterator[str]:
    """``text`` whole if it fits in a chunk, else cut by the first of ``cuts``
    and packed back together, each cut piece that is still too long cut finer."""
    if _fits(count_tokens(text), len(text)):
        yield text
        return
    (cut, joiner), finer = cuts[0], cuts[1:]
    parts: list[str] = []
    tokens = chars = 0
    for unit in cut(text):
        unit_tokens = count_tokens(unit)
        if not _fits(unit_tokens, len(unit)):
            if parts:
                yield joiner.join(parts)
                parts, tokens, chars = [], 0, 0
            yield from _within_limits(unit, finer)
            continue
        if parts and not _fits(tokens + unit_tokens, chars + len(joiner) + len(unit)):
            yield joiner.join(parts)
            parts, tokens, chars = [], 0, 0
        chars += (len(joiner) if parts else 0) + len(unit)
        tokens += unit_tokens
        parts.append(unit)
    if parts:
        yield joiner.join(parts)


class _Packer:
    """Packs paragraphs into chunks, in order."""

    PARAGRAPH_SEPARATOR = "\n\n"

    def __init__(self, *, section: str | None, paragraph_type: str):
        self.chunks: list[Chunk] = []
        self.section = _section_name(section)
        self.paragraph_type = paragraph_type
        self.parts: list[str] = []
        self.tokens = self.chars = 0
        self.opens_section = False

    def heading(self, title: str) -> None:
        self.flush()
        self.section = _section_name(title)
        if title:
            self.paragraph(title)
            self.opens_section = True

    def paragraph(self, text: str) -> None:
        separator = len(self.PARAGRAPH_SEPARATOR)
        for piece in _within_limits(text):
            tokens = count_tokens(piece)
            if self.parts and not _fits(self.tokens + tokens, self.chars + separator + len(piece)):
                self.flush()
            self.chars += (separator if self.parts else 0) + len(piece)
            self.tokens += tokens
            self.parts.append(piece)

    def code(self, text: str) -> None:
        self.flush()
        for piece in _within_limits(text, CODE_CUTS):
            self._add(piece, ChunkType.CODE_BLOCK, count_tokens(piece))

    def flush(self) -> None:
        if self.parts:
            chunk_type = ChunkType.SECTION if self.opens_section else self.paragraph_type
            self._add(self.PARAGRAPH_SEPARATOR.join(self.parts), chunk_type, self.tokens)
        self.parts, self.tokens, self.chars = [], 0, 0
        self.opens_section = False

    def _add(self, content: str, chunk_type: str, tokens: int) -> None:
        self.chunks.append(Chunk(content, chunk_type, self.section, tokens))


def _section_name(title: str | None) -> str | None:
    return title[:SECTION_MAX_LENGTH] if title else None


def chunk_markdown(text: str, *, title: str | None = None) -> list[Chunk]:
    """The chunks of a Markdown document, in order (``chunk_index`` is the position)."""
    packer = _Packer(section=title, paragraph_type=ChunkType.PARAGRAPH)
    paragraph: list[str] = []
    fence: str | None = None
    code: list[str] = []

    def end_paragraph() -> None:
        if paragraph:
            packer.paragraph("\n".join(paragraph))
            paragraph.clear()

    for line in text.splitlines():
        if fence is not None:
            code.append(line)
            if line.strip().startswith(fence) and not line.strip().strip(fence[0]):
                packer.code("\n".join(code))
                fence, code = None, []
            continue
        opening = FENCE.match(line)
        heading = HEADING.match(line)
        if opening:
            end_paragraph()
            fence, code = opening.group(1), [line]
        elif heading:
            end_paragraph()
            packer.heading(heading.group(2).strip())
        elif not line.strip():
            end_paragraph()
        else:
            paragraph.append(line)
    end_paragraph()
    if code:
        # A fence never closed: Markdown runs it to the end of the document.
        packer.code("\n".join(code))
    packer.flush()
    return packer.chunks


def chunk_paragraphs(paragraphs: list[str], *, section: str | None, chunk_type: str) -> list[Chunk]:
    """Plain paragraphs (no Markdown read), packed into chunks of one section."""
    packer = _Packer(section=section, paragraph_type=chunk_type)
    for paragraph in paragraphs:
        if paragraph.strip():
            packer.paragraph(paragraph)
    packer.flush()
    return packer.chunks
