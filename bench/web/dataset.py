"""The benchmark's data, made fast with COPY and the same on every run.

Rows come in blocks. A block holds 1,000 users in 100 teams of ten, 10,000
projects (each owned by one user, shared with another user and with a team),
ten sessions, ten specification rows (three keys, four, three and three
versions) and ten activity rows per project, 1,000 knowledge-base documents of
100 chunks, and a million more messages in the one big session. Ids are made
from a row's kind and number, so relations need no lookups, and a block's
rows only name rows of the same block: the benchmark user (user 0) sees the
same 120 projects (10 owned, 10 shared with him, 100 shared with his team)
however many blocks there are. One block is the issue's data; ten blocks are
"ten times the data".
"""

import hashlib
import io
import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tqdm import tqdm

USERS = 1_000
TEAM_SIZE = 10
PROJECTS = 10_000
SESSIONS_PER_PROJECT = 10
VERSIONS_PER_KEY = (4, 3, 3)
ACTIVITY_PER_PROJECT = 10
MESSAGES = 1_000_000
DOCUMENTS = 1_000
CHUNKS_PER_DOCUMENT = 100
WORDS_PER_CHUNK = 40
# How many rows go to the server in one COPY (and one tick of the progress bar).
BATCH = 50_000

PASSWORD = "bench-password-1"
API_KEY = "sk_bench_" + "0" * 40
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


class Kind:
    """The high bits of a made-up id: what kind of row it names."""

    USER, TEAM, MEMBER, PROJECT, USER_SHARE, TEAM_SHARE = range(1, 7)
    SESSION, SPECIFICATION, ACTIVITY, MESSAGE, DOCUMENT, CHUNK = range(7, 13)
    API_KEY, SUBSCRIPTION = range(13, 15)


def row_id(kind: int, number: int) -> str:
    """``str(UUID(int=(kind << 96) | number))``, written out (numbers stay
    below 2**48): a million of them a second."""
    return f"{kind:08x}-0000-0000-0000-{number:012x}"


def timestamp(seconds: float) -> str:
    return (EPOCH + timedelta(seconds=seconds)).isoformat()


@dataclass(frozen=True)
class Subjects:
    """What the endpoints are asked about (block 0, so every scale has them)."""

    user_id: str = row_id(Kind.USER, 0)
    owned_project_id: str = row_id(Kind.PROJECT, 0)
    # Shared with the benchmark user's team only (project 100: user 100's,
    # not shared with user 0 directly): its access check runs the team path.
    team_project_id: str = row_id(Kind.PROJECT, 100)
    big_session_id: str = row_id(Kind.SESSION, 0)
    versioned_key: str = "k0"
    api_key: str = API_KEY

    @property
    def owned_project_ids(self) -> list[str]:
        """The benchmark user's own projects: the writes go to each in turn."""
        return [row_id(Kind.PROJECT, p) for p in range(0, PROJECTS, USERS)]

    @property
    def search_word(self) -> str:
        return vocabulary()[SEARCH_WORD_INDEX]

    @property
    def deep_message_position(self) -> str:
        """Where a page one million messages deep starts, as DRF's cursor holds
        it (``str`` of the last message before it): the last page of one
        block, a middle page of ten."""
        return str(EPOCH + timedelta(milliseconds=MESSAGES - 50 - 1))


def vocabulary() -> list[str]:
    generator = random.Random(10)
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = {"".join(generator.choices(letters, k=generator.randint(4, 9))) for _ in range(6000)}
    return sorted(words)[:5000]


# The search asks for one word found in about 1 in 120 chunks.
SEARCH_WORD_INDEX = 7


class Table:
    """One table's columns and a function giving a block's rows as tuples."""

    def __init__(self, name: str, columns: tuple[str, ...], rows: Callable[[int], Iterator]):
        self.name = name
        self.columns = columns
        self.rows = rows


def _users(block: int, password_hash: str) -> Iterator[tuple]:
    for n in range(block * USERS, (block + 1) * USERS):
        created = timestamp(n)
        yield (
            row_id(Kind.USER, n),
            f"bench{n}@example.com",
            f"bench{n}",
            password_hash,
            created,
            created,
        )


def _teams(block: int) -> Iterator[tuple]:
    teams = USERS // TEAM_SIZE
    for t in range(block * teams, (block + 1) * teams):
        created = timestamp(t)
        yield (
            row_id(Kind.TEAM, t),
            f"Team {t}",
            row_id(Kind.USER, t * TEAM_SIZE),
            TEAM_SIZE,
            created,
            created,
        )


def _members(block: int) -> Iterator[tuple]:
    for n in range(block * USERS, (block + 1) * USERS):
        team = n // TEAM_SIZE
        role = "owner" if n % TEAM_SIZE == 0 else "member"
        created = timestamp(n)
        yield (
            row_id(Kind.MEMBER, n),
            row_id(Kind.TEAM, team),
            row_id(Kind.USER, n),
            role,
            "active",
            created,
            created,
            created,
        )


def _owner(project: int) -> int:
    block = project // PROJECTS
    return block * USERS + project % USERS


def _projects(block: int) -> Iterator[tuple]:
    metadata = json.dumps({"source": "bench"})
    for p in range(block * PROJECTS, (block + 1) * PROJECTS):
        owner = row_id(Kind.USER, _owner(p))
        # Newest first in block 0's numbering: project 0 is the newest.
        created = timestamp(10_000_000 - p)
        yield (
            row_id(Kind.PROJECT, p),
            f"Project {p}",
            f"What project {p} is for.",
            "discovery",
            "active",
            p % 101,
            metadata,
            owner,
            owner,
            owner,
            created,
            created,
        )


SHARE_LEVELS = ("view", "comment", "edit")


def _shares(block: int) -> Iterator[tuple]:
    teams = USERS // TEAM_SIZE
    for p in range(block * PROJECTS, (block + 1) * PROJECTS):
        owner = _owner(p)
        project = row_id(Kind.PROJECT, p)
        created = timestamp(p)
        # With the owner's next user: user 0 gets the projects of user 999.
        other = block * USERS + (owner + 1) % USERS
        yield (
            row_id(Kind.USER_SHARE, p),
            project,
            row_id(Kind.USER, other),
            None,
            row_id(Kind.USER, owner),
            SHARE_LEVELS[p % 3],
            "shared_user",
            created,
            created,
        )
        team = block * teams + p % teams
        yield (
            row_id(Kind.TEAM_SHARE, p),
            project,
            None,
            row_id(Kind.TEAM, team),
            row_id(Kind.USER, owner),
            "edit",
            "shared_team",
            created,
            created,
        )


def _sessions(block: int) -> Iterator[tuple]:
    for p in range(block * PROJECTS, (block + 1) * PROJECTS):
        owner = row_id(Kind.USER, _owner(p))
        for k in range(SESSIONS_PER_PROJECT):
            s = p * SESSIONS_PER_PROJECT + k
            created = timestamp(s)
            yield (
                row_id(Kind.SESSION, s),
                row_id(Kind.PROJECT, p),
                owner,
                f"Session {s}",
                created,
                created,
                created,
            )


def _specifications(block: int) -> Iterator[tuple]:
    per_project = sum(VERSIONS_PER_KEY)
    for p in range(block * PROJECTS, (block + 1) * PROJECTS):
        project = row_id(Kind.PROJECT, p)
        number = p * per_project
        for key, versions in enumerate(VERSIONS_PER_KEY):
            for version in range(1, versions + 1):
                current = version == versions
                created = timestamp(number)
                successor = None if current else row_id(Kind.SPECIFICATION, number + 1)
                yield (
                    row_id(Kind.SPECIFICATION, number),
                    project,
                    f"k{key}",
                    f"value {version} of k{key}",
                    "requirements",
                    version,
                    current,
                    None if current else created,
                    successor,
                    created,
                    created,
                )
                number += 1


def _activity(block: int) -> Iterator[tuple]:
    changes = json.dumps({"key": "k0"})
    for p in range(block * PROJECTS, (block + 1) * PROJECTS):
        owner = row_id(Kind.USER, _owner(p))
        for k in range(ACTIVITY_PER_PROJECT):
            a = p * ACTIVITY_PER_PROJECT + k
            yield (
                row_id(Kind.ACTIVITY, a),
                owner,
                "specification_versioned",
                "specification",
                row_id(Kind.PROJECT, p),
                f"k0 v{k}",
                changes,
                timestamp(a),
            )


def _messages(block: int) -> Iterator[tuple]:
    session = row_id(Kind.SESSION, 0)
    second, second_text = -1, ""
    for m in range(block * MESSAGES, (block + 1) * MESSAGES):
        role, kind = ("user", "answer") if m % 2 else ("assistant", "question")
        # A millisecond apart: unique positions, so cursors need no offset.
        # (Formatted a second at a time: datetime arithmetic per row is slow.)
        if m // 1000 != second:
            second = m // 1000
            second_text = f"{EPOCH + timedelta(seconds=second):%Y-%m-%d %H:%M:%S}"
        created = f"{second_text}.{m % 1000:03d}+00"
        yield (
            row_id(Kind.MESSAGE, m),
            session,
            role,
            f"Message {m} of the long conversation.",
            kind,
            12,
            created,
        )


def _documents(block: int) -> Iterator[tuple]:
    for d in range(block * DOCUMENTS, (block + 1) * DOCUMENTS):
        created = timestamp(d)
        yield (row_id(Kind.DOCUMENT, d), f"Guide {d}", "guide", d % 10 != 0, created, created)


def _chunks(block: int) -> Iterator[tuple]:
    words = vocabulary()
    generator = random.Random(block)
    for d in range(block * DOCUMENTS, (block + 1) * DOCUMENTS):
        document = row_id(Kind.DOCUMENT, d)
        for i in range(CHUNKS_PER_DOCUMENT):
            c = d * CHUNKS_PER_DOCUMENT + i
            content = " ".join(generator.choices(words, k=WORDS_PER_CHUNK))
            created = timestamp(c)
            yield (row_id(Kind.CHUNK, c), document, i, content, f"Section {i}", created, created)


def auth_tables(password_hash: str) -> tuple[Table, ...]:
    return (
        Table(
            "users",
            ("id", "email", "username", "hashed_password", "created_at", "updated_at"),
            lambda block: _users(block, password_hash),
        ),
    )


SPECS_TABLES = (
    Table("teams", ("id", "name", "owner_id", "member_count", "created_at", "updated_at"), _teams),
    Table(
        "team_members",
        ("id", "team_id", "user_id", "role", "status", "joined_at", "created_at", "updated_at"),
        _members,
    ),
    Table(
        "projects",
        (
            "id",
            "name",
            "description",
            "current_phase",
            "status",
            "maturity_score",
            "metadata",
            "user_id",
            "creator_id",
            "owner_id",
            "created_at",
            "updated_at",
        ),
        _projects,
    ),
    Table(
        "project_shares",
        (
            "id",
            "project_id",
            "shared_with_user_id",
            "shared_with_team_id",
            "shared_by_id",
            "permission_level",
            "access_type",
            "created_at",
            "updated_at",
        ),
        _shares,
    ),
    Table(
        "sessions",
        ("id", "project_id", "user_id", "title", "started_at", "created_at", "updated_at"),
        _sessions,
    ),
    Table(
        "specifications",
        (
            "id",
            "project_id",
            "key",
            "value",
            "category",
            "version",
            "is_current",
            "superseded_at",
            "superseded_by",
            "created_at",
            "updated_at",
        ),
        _specifications,
    ),
    Table(
        "activity_logs",
        (
            "id",
            "user_id",
            "action",
            "resource_type",
            "resource_id",
            "resource_name",
            "changes",
            "created_at",
        ),
        _activity,
    ),
    Table(
        "conversation_history",
        ("id", "session_id", "role", "content", "message_type", "tokens_used", "created_at"),
        _messages,
    ),
    Table(
        "knowledge_base_documents",
        ("id", "title", "document_type", "is_approved", "created_at", "updated_at"),
        _documents,
    ),
    Table(
        "document_chunks",
        (
            "id",
            "document_id",
            "chunk_index",
            "content",
            "source_section",
            "created_at",
            "updated_at",
        ),
        _chunks,
    ),
)


def _copy_text(rows: list[tuple]) -> io.StringIO:
    # No generated value holds a tab, a newline or a backslash: nothing to escape.
    def field(value) -> str:
        if value is None:
            return "\\N"
        if value is True or value is False:
            return "t" if value else "f"
        return str(value)

    return io.StringIO("".join("\t".join(map(field, row)) + "\n" for row in rows))


def copy_block(connection, table: Table, block: int, progress: tqdm) -> None:
    statement = f"COPY {table.name} ({', '.join(table.columns)}) FROM STDIN"
    batch: list[tuple] = []
    with connection.cursor() as cursor:
        for row in table.rows(block):
            batch.append(row)
            if len(batch) == BATCH:
                cursor.copy_expert(statement, _copy_text(batch))
                progress.update(len(batch))
                batch = []
        if batch:
            cursor.copy_expert(statement, _copy_text(batch))
            progress.update(len(batch))


def block_rows() -> int:
    """How many rows one block adds (for the progress bar)."""
    teams = USERS // TEAM_SIZE
    return (
        USERS
        + teams
        + USERS
        + PROJECTS * (1 + 2 + SESSIONS_PER_PROJECT + ACTIVITY_PER_PROJECT)
        + PROJECTS * sum(VERSIONS_PER_KEY)
        + MESSAGES
        + DOCUMENTS
        + DOCUMENTS * CHUNKS_PER_DOCUMENT
    )


def fill(auth, specs, *, blocks: range, password_hash: str) -> None:
    """COPY ``blocks`` into the two open connections, then the fixed rows of
    block 0 (the benchmark user's API key and subscription)."""
    with tqdm(
        total=block_rows() * len(blocks),
        unit=" rows",
        unit_scale=True,
        desc=f"blocks {blocks.start}-{blocks.stop - 1}",
    ) as progress:
        for block in blocks:
            for table in auth_tables(password_hash):
                copy_block(auth, table, block, progress)
            for table in SPECS_TABLES:
                copy_block(specs, table, block, progress)
    with specs.cursor() as cursor:
        if blocks.start == 0:
            user = row_id(Kind.USER, 0)
            cursor.execute(
                "INSERT INTO api_keys (id, user_id, name, key_hash, key_preview, scope,"
                " created_at, updated_at) VALUES (%s, %s, 'bench', %s, %s, '{read}', now(), now())",
                [
                    row_id(Kind.API_KEY, 0),
                    user,
                    hashlib.sha256(API_KEY.encode()).hexdigest(),
                    API_KEY[-4:],
                ],
            )
            cursor.execute(
                "INSERT INTO subscriptions (id, user_id, plan_name, status, created_at, updated_at)"
                " VALUES (%s, %s, 'enterprise', 'active', now(), now())",
                [row_id(Kind.SUBSCRIPTION, 0), user],
            )
            cursor.execute(
                "UPDATE sessions SET message_count = %s WHERE id = %s",
                [MESSAGES, row_id(Kind.SESSION, 0)],
            )


def filled_tables() -> dict[str, tuple[str, ...]]:
    """The tables ``fill`` writes, by database alias."""
    return {
        "auth": tuple(table.name for table in auth_tables("")),
        "specs": (*(table.name for table in SPECS_TABLES), "api_keys", "subscriptions"),
    }
