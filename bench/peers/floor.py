"""The benchmark's raw floor: the seven benchmarked endpoints as a bare WSGI
application on psycopg2, doing the project's work (the same statements, JWT
and API-key checks, transactions and JSON) with as little code as that takes.

It serves only what the benchmark asks of each endpoint: no filters,
ordering, search or page sizes beyond the defaults (``?page=`` on the project
list and ``?q=&project=&limit=`` on the search are honoured). Connections are
opened lazily, one per database per process, and reopened once closed; unlike
the project, they are not health-checked with a ``SELECT 1`` per request.

    cd /work/main && BENCH_DSN_AUTH=... BENCH_DSN_SPECS=... SECRET_KEY=... \\
        .venv/bin/gunicorn -w 2 -b 127.0.0.1:8712 bench.peers.floor:application
"""

import base64
import hashlib
import json
import os
import re
import uuid
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import jwt
import psycopg2
import psycopg2.errorcodes

from bench.peers import floor_sql as sql
from bench.servers import counting

SECRET_KEY = os.environ["SECRET_KEY"]
PAGE_SIZE = 50
# StandardPagination.max_page: beyond any real page, but an OFFSET PostgreSQL accepts.
MAX_PAGE = (2**63 - 1) // 100
# DRF's CursorPagination.offset_cutoff.
CURSOR_OFFSET_CUTOFF = 1000
UNAUTHENTICATED = {"WWW-Authenticate": 'Bearer realm="api"'}

# Access levels (specs.selectors.AccessLevel).
VIEW, EDIT, OWNER = 1, 3, 5
LEVEL_NAMES = {1: "view", 2: "comment", 3: "edit", 4: "admin", 5: "owner"}

# billing.tiers: the tier of each plan name, and each tier's daily API requests.
TIER_OF_PLAN = {
    "free": 0,
    "starter": 0,
    "pro": 1,
    "professional": 1,
    "team": 2,
    "enterprise": 3,
}
TIER_NAMES = ("free", "pro", "team", "enterprise")
REQUESTS_PER_DAY = (1_000, 100_000, None, None)
SPECIFICATIONS_ALLOWED = (50, None, None, None)


class Problem(Exception):
    """An error answer: the project's body (``detail``, ``code``)."""

    def __init__(self, status: int, detail: str, code: str, headers=None, **extra):
        super().__init__(detail)
        self.status = status
        self.body = {"detail": detail, "code": code, **extra}
        self.headers = headers or {}


def invalid(fields: dict) -> Problem:
    """A validation error in the project's format (socrates.api.exceptions)."""
    name, messages = next(iter(fields.items()))
    return Problem(400, f"{name}: {messages[0]}", "invalid", fields=fields)


# Databases ------------------------------------------------------------------------------


class Database:
    """One lazily opened connection, in autocommit: each statement is its own
    transaction unless ``transaction()`` turns autocommit off around several."""

    def __init__(self, dsn_variable: str):
        self.dsn = os.environ[dsn_variable]
        self.connection = None

    def cursor(self):
        if self.connection is None or self.connection.closed:
            # Timestamps come back in UTC, as Django reads them.
            self.connection = psycopg2.connect(
                self.dsn, options="-c TimeZone=UTC", **counting.connect_kwargs()
            )
            self.connection.autocommit = True
        return self.connection.cursor()

    def one(self, statement: str, parameters: dict):
        with self.cursor() as cursor:
            cursor.execute(statement, parameters)
            return cursor.fetchone()

    def all(self, statement: str, parameters: dict) -> list:
        with self.cursor() as cursor:
            cursor.execute(statement, parameters)
            return cursor.fetchall()

    def transaction(self):
        return Transaction(self)


class Transaction:
    """BEGIN (sent by psycopg2 with the first statement) ... COMMIT, or ROLLBACK on error."""

    def __init__(self, database: Database):
        self.database = database

    def __enter__(self):
        # (Re)connect first: autocommit is a setting of an open connection.
        self.database.cursor().close()
        self.database.connection.autocommit = False
        return self.database

    def __exit__(self, kind, error, traceback):
        connection = self.database.connection
        if connection.closed:
            return
        try:
            if kind is None:
                connection.commit()
            else:
                connection.rollback()
        finally:
            connection.autocommit = True


auth_db = Database("BENCH_DSN_AUTH")
specs_db = Database("BENCH_DSN_SPECS")


# JSON as DRF renders it ---------------------------------------------------------------


def iso(moment: datetime | None) -> str | None:
    """DRF's DateTimeField: ISO 8601, UTC written as Z."""
    if moment is None:
        return None
    text = moment.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def project_json(row) -> dict:
    # Columns in ProjectSerializer's order (floor_sql._PROJECT_COLUMNS).
    return {
        "id": row[0],
        "name": row[1],
        "description": row[2],
        "current_phase": row[3],
        "status": row[4],
        "maturity_score": row[5],
        "metadata": row[6],
        "user_id": row[7],
        "creator_id": row[8],
        "owner_id": row[9],
        "created_at": iso(row[10]),
        "updated_at": iso(row[11]),
    }


def message_json(row) -> dict:
    return {
        "id": row[0],
        "session": row[1],
        "role": row[2],
        "content": row[3],
        "message_type": row[4],
        "tokens_used": row[5],
        "metadata": row[6],
        "created_at": iso(row[7]),
    }


def hit_json(row) -> dict:
    return {
        "id": row[0],
        "document": row[1],
        "document_title": row[2],
        "project": row[3],
        "chunk_index": row[4],
        "source_section": row[5],
        "rank": float(row[6]),
        "snippet": row[7],
    }


# Who is asking ----------------------------------------------------------------------


def user_may_sign_in(user) -> bool:
    # users.is_active and users.status (USER_WITH_GENERATION's columns 8 and 11).
    return user is not None and user[8] and user[11] == "active"


def jwt_user(token: str) -> str:
    """accounts.authentication.ActiveUserJWTAuthentication with simplejwt's checks:
    signature and expiry, a jti, token_type "access", then the user, their
    status, their sign-in generation and the password-hash digest."""
    try:
        claims = jwt.decode(token, SECRET_KEY, algorithms=["HS256"], options={"verify_aud": False})
        if "exp" not in claims or "jti" not in claims or claims.get("token_type") != "access":
            raise jwt.InvalidTokenError
        expires = datetime.fromtimestamp(claims["exp"], tz=UTC)
        if expires <= datetime.now(tz=UTC):
            raise jwt.InvalidTokenError
    except (jwt.InvalidTokenError, TypeError, ValueError, OverflowError):
        raise Problem(
            401, "Given token not valid for any token type", "token_not_valid", UNAUTHENTICATED
        ) from None
    if "user_id" not in claims:
        raise Problem(401, "The token names no user.", "token_not_valid", UNAUTHENTICATED)
    user = auth_db.one(sql.USER_WITH_GENERATION, {"user_id": claims["user_id"]})
    if user is None:
        raise Problem(401, "User not found.", "user_not_found", UNAUTHENTICATED)
    if not user_may_sign_in(user):
        raise Problem(401, f"This account is {user[11]}.", "account_disabled", UNAUTHENTICATED)
    generation = user[13] if user[12] is not None else 0
    password_digest = hashlib.md5(user[4].encode()).hexdigest().upper()
    if claims.get("gen", 0) != generation or claims.get("hash_password") != password_digest:
        raise Problem(
            401,
            "This session has ended (signed out everywhere, or the password changed).",
            "token_revoked",
            UNAUTHENTICATED,
        )
    return user[0]


def scope_allows(scope, method: str, path: str) -> bool:
    """billing.keys.scope_allows."""
    granted = set(scope or ())
    if "admin" in granted:
        return True
    family = path[len("/api/v1/") :].split("/", 1)[0] or None
    reading = method in ("GET", "HEAD", "OPTIONS")
    if family in ("admin", "api-keys", "auth"):
        return reading and bool(granted & {"read", "write"})
    if ("read" in granted and reading) or "write" in granted:
        return True
    return f"{family}:write" in granted or (reading and f"{family}:read" in granted)


def api_key_user(secret: str, method: str, path: str) -> str:
    """billing.authentication.APIKeyAuthentication: the key by its hash, its
    status and expiry, its user, its scope, then its use counted."""
    key_hash = hashlib.sha256(secret.encode()).hexdigest()
    key = specs_db.one(sql.API_KEY_FOR_HASH, {"hash": key_hash})
    if key is None:
        raise Problem(401, "Unknown API key.", "api_key_invalid", UNAUTHENTICATED)
    key_id, user_id, status, scope, rate_limit = key[0], key[3], key[7], key[8], key[9]
    expires_at, plans = key[12], key[14]
    if status == "revoked":
        raise Problem(401, "This API key has been revoked.", "api_key_revoked", UNAUTHENTICATED)
    if status == "expired" or (expires_at is not None and expires_at <= datetime.now(tz=UTC)):
        raise Problem(401, "This API key has expired.", "api_key_expired", UNAUTHENTICATED)
    if not user_may_sign_in(auth_db.one(sql.USER_WITH_GENERATION, {"user_id": user_id})):
        raise Problem(
            401, "The account of this API key may not sign in.", "api_key_invalid", UNAUTHENTICATED
        )
    if not scope_allows(scope, method, path):
        raise Problem(
            403,
            f"This API key's scope ({', '.join(scope or ()) or 'none'}) "
            f"does not allow {method} here.",
            "api_key_scope",
        )
    tier = max((TIER_OF_PLAN[name] for name in plans), default=0)
    per_day = REQUESTS_PER_DAY[tier]
    minute, day, usage_count = specs_db.one(
        sql.COUNT_KEY_USE,
        {"key_id": key_id, "user_id": user_id, "per_minute": rate_limit, "per_day": per_day},
    )
    if usage_count is not None:
        return user_id
    # Refused: which limit (billing.services.count_api_key_use). Retry-After is
    # the time to the next minute or day.
    now = datetime.now(tz=UTC)
    if rate_limit is not None and minute > rate_limit:
        wait = 60 - now.second - now.microsecond / 1e6
        raise Problem(
            429,
            f"This key allows {rate_limit:,} requests per minute.",
            "rate_limited",
            {"Retry-After": str(max(1, int(wait + 0.999)))},
        )
    if per_day is not None and day > per_day:
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        wait = 86400 - (now - midnight).total_seconds()
        raise Problem(
            429,
            f"The {TIER_NAMES[tier]} plan allows {per_day:,} API requests per day; "
            f"you have made {day - 1:,} today.",
            "daily_limit_reached",
            {"Retry-After": str(max(1, int(wait + 0.999)))},
        )
    raise Problem(401, "This API key has been revoked.", "api_key_revoked", UNAUTHENTICATED)


def caller(environ) -> str:
    """The caller's user id: a Bearer JWT, else an X-API-Key, as DRF tries them."""
    parts = environ.get("HTTP_AUTHORIZATION", "").split()
    if parts and parts[0] == "Bearer":
        if len(parts) != 2:
            raise Problem(
                401,
                "Authorization header must contain two space-delimited values",
                "bad_authorization_header",
                UNAUTHENTICATED,
            )
        return jwt_user(parts[1])
    secret = environ.get("HTTP_X_API_KEY")
    if secret:
        return api_key_user(secret, environ["REQUEST_METHOD"], environ["PATH_INFO"])
    raise Problem(
        401, "Authentication credentials were not provided.", "not_authenticated", UNAUTHENTICATED
    )


def require_level(user_id: str, project_id: str, needed: int) -> None:
    """AccessCheckedViewSet.require_level over selectors.access_level (one query):
    invisible is 404, visible with too low a level is 403."""
    found = specs_db.one(sql.ACCESS_LEVEL, {"user_id": user_id, "project_id": project_id})
    level = None
    if found is not None:
        level = OWNER if found[0] == user_id else found[1]
    if not level:
        raise Problem(404, "No such project.", "not_found")
    if level < needed:
        raise Problem(
            403,
            f"This needs {LEVEL_NAMES[needed]} access; you have {LEVEL_NAMES[level]}.",
            "access_level_too_low",
        )


# Links as DRF builds them ----------------------------------------------------------------


def absolute_url(environ) -> str:
    """Django's request.build_absolute_uri(): scheme, Host, path and query."""
    host = environ.get("HTTP_HOST") or environ["SERVER_NAME"]
    query = environ.get("QUERY_STRING", "")
    path = environ.get("SCRIPT_NAME", "") + environ["PATH_INFO"]
    return f"{environ['wsgi.url_scheme']}://{host}{path}" + (f"?{query}" if query else "")


def with_param(url: str, name: str, value: str | None) -> str:
    """DRF's replace_query_param (remove_query_param when value is None)."""
    scheme, netloc, path, query, fragment = urlsplit(url)
    parameters = parse_qs(query, keep_blank_values=True)
    parameters.pop(name, None)
    if value is not None:
        parameters[name] = [value]
    return urlunsplit(
        (scheme, netloc, path, urlencode(sorted(parameters.items()), doseq=True), fragment)
    )


def query_param(environ, name: str) -> str | None:
    """The last value of a query parameter, as Django's QueryDict.get gives it."""
    values = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True).get(name)
    return values[-1] if values else None


# Endpoints ------------------------------------------------------------------------------


def list_projects(environ, user_id):
    """ProjectViewSet.list: StandardPagination over visible_projects, newest first."""
    raw = query_param(environ, "page")
    page = 1
    if raw is not None:
        if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= MAX_PAGE):
            raise invalid({"page": [f"A whole number from 1 to {MAX_PAGE}."]})
        page = int(raw)
    parameters = {"user_id": user_id}
    (count,) = specs_db.one(sql.COUNT_VISIBLE_PROJECTS, parameters)
    pages = max(1, -(-count // PAGE_SIZE))
    if page > pages:
        raise Problem(404, "Invalid page.", "not_found")
    # Django's Paginator slices [bottom:top], top capped at count; an empty slice sends nothing.
    offset = (page - 1) * PAGE_SIZE
    limit = min(offset + PAGE_SIZE, count) - offset
    rows = []
    if limit > 0:
        rows = specs_db.all(
            sql.VISIBLE_PROJECTS_PAGE, {**parameters, "limit": limit, "offset": offset}
        )
    url = absolute_url(environ)
    return 200, {
        "count": count,
        "next": with_param(url, "page", str(page + 1)) if page < pages else None,
        "previous": (
            None if page == 1 else with_param(url, "page", None if page == 2 else str(page - 1))
        ),
        "results": [project_json(row) for row in rows],
    }


def retrieve_project(environ, user_id, project_id):
    """ProjectViewSet.retrieve: view access, then the project through visible_projects."""
    require_level(user_id, project_id, VIEW)
    row = specs_db.one(sql.VISIBLE_PROJECT, {"user_id": user_id, "project_id": project_id})
    if row is None:
        raise Problem(404, "No Project matches the given query.", "not_found")
    return 200, project_json(row)


def decode_cursor(encoded: str):
    """DRF's CursorPagination.decode_cursor: (offset, reverse, position)."""
    try:
        tokens = parse_qs(
            base64.b64decode(encoded.encode("ascii")).decode("ascii"), keep_blank_values=True
        )
        offset = int(tokens.get("o", ["0"])[0])
        if offset < 0:
            raise ValueError
        reverse = bool(int(tokens.get("r", ["0"])[0]))
        position = tokens.get("p", [None])[0]
        # The position is a created_at, as Django would parse it for the lookup.
        moment = None if position is None else datetime.fromisoformat(position)
    except (TypeError, ValueError):
        raise Problem(404, "Invalid cursor", "not_found") from None
    return min(offset, CURSOR_OFFSET_CUTOFF), reverse, position, moment


def encode_cursor(base_url: str, offset: int, reverse: bool, position: str | None) -> str:
    tokens = {}
    if offset:
        tokens["o"] = str(offset)
    if reverse:
        tokens["r"] = "1"
    if position is not None:
        tokens["p"] = position
    encoded = base64.b64encode(urlencode(tokens, doseq=True).encode("ascii")).decode("ascii")
    return with_param(base_url, "cursor", encoded)


def list_messages(environ, user_id, project_id, session_id):
    """MessageViewSet.list: ChronologicalCursorPagination (DRF's CursorPagination
    on created_at), rebuilt step by step so that its cursors are DRF's."""
    require_level(user_id, project_id, VIEW)
    session = {"session_id": session_id, "project_id": project_id}
    if specs_db.one(sql.SESSION_OF_PROJECT, session) is None:
        raise Problem(404, "No Session matches the given query.", "not_found")
    encoded = query_param(environ, "cursor")
    offset, reverse, current, moment = (
        (0, False, None, None) if encoded is None else decode_cursor(encoded)
    )
    parameters = {
        "session_id": session_id,
        "position": moment,
        "limit": PAGE_SIZE + 1,
        "offset": offset,
    }
    if current is None:
        statement = sql.MESSAGES_LAST if reverse else sql.MESSAGES_FIRST
    else:
        statement = sql.MESSAGES_BEFORE if reverse else sql.MESSAGES_AFTER
    results = specs_db.all(statement, parameters)
    page = results[:PAGE_SIZE]

    def position_of(row) -> str:
        return str(row[7])

    following = position_of(results[-1]) if len(results) > len(page) else None
    if reverse:
        page.reverse()
        has_next, has_previous = current is not None or offset > 0, following is not None
        next_position, previous_position = current, following
    else:
        has_next, has_previous = following is not None, current is not None or offset > 0
        next_position, previous_position = following, current

    def first_other(rows, compare):
        """How many rows, from the first, sit at ``compare``'s position, and the
        first other position (None if there is none): DRF's walk for a link."""
        for skip, row in enumerate(rows):
            if position_of(row) != compare:
                return skip, position_of(row)
        return 0, None

    base_url = absolute_url(environ)

    def next_link():
        if not has_next:
            return None
        compare = position_of(page[-1]) if page and reverse and offset != 0 else next_position
        skip, position = first_other(reversed(page), compare)
        if page and position is None:
            if not has_previous:
                skip, position = PAGE_SIZE, None
            elif reverse:
                skip, position = 0, previous_position
            else:
                skip, position = offset + PAGE_SIZE, previous_position
        if not page:
            position = next_position
        return encode_cursor(base_url, skip, False, position)

    def previous_link():
        if not has_previous:
            return None
        compare = (
            position_of(page[0]) if page and not reverse and offset != 0 else previous_position
        )
        skip, position = first_other(page, compare)
        if page and position is None:
            if not has_next:
                skip, position = PAGE_SIZE, None
            elif reverse:
                skip, position = offset + PAGE_SIZE, next_position
            else:
                skip, position = 0, next_position
        if not page:
            position = previous_position
        return encode_cursor(base_url, skip, True, position)

    return 200, {
        "next": next_link(),
        "previous": previous_link(),
        "results": [message_json(row) for row in page],
    }


SPECIFICATION_FIELDS = {
    # field: default, as the model gives it when the request leaves it out
    "value": None,
    "type": None,
    "status": "draft",
    "category": "general",
    "content": None,
    "source": None,
    "confidence": 0.8,
    "metadata": {},
}


def specification_input(environ) -> dict:
    """The request's JSON, held to SpecificationSerializer's main rules (a
    value the database refuses answers 400, as in the project)."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        data = json.loads(environ["wsgi.input"].read(length) or b"{}")
    except ValueError:
        raise Problem(400, "The request body is not valid JSON.", "parse_error") from None
    if not isinstance(data, dict):
        raise invalid({"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]})
    key = data.get("key")
    if key is None or (isinstance(key, str) and not key.strip()):
        message = "This field is required." if key is None else "This field may not be blank."
        raise invalid({"key": [message]})
    if not isinstance(key, (str, int, float)) or len(str(key).strip()) > 255:
        raise invalid({"key": ["Ensure this field has no more than 255 characters."]})
    confidence = data.get("confidence", 0.8)
    if confidence is not None and not 0.0 <= float(confidence) <= 1.0:
        raise invalid({"confidence": ["Ensure this value is between 0 and 1."]})
    fields = {name: data.get(name, default) for name, default in SPECIFICATION_FIELDS.items()}
    fields["key"] = str(key).strip()
    fields["confidence"] = None if confidence is None else float(confidence)
    return fields


def write_specification(environ, user_id, project_id):
    """SpecificationViewSet.create -> specs.services.write_specification: the
    project's row lock, the current version superseded, the next one inserted,
    the activity recorded, in one transaction."""
    require_level(user_id, project_id, EDIT)
    fields = specification_input(environ)
    project = specs_db.one(sql.PROJECT_BY_ID, {"project_id": project_id})
    if project is None:
        raise Problem(404, "No Project matches the given query.", "not_found")
    owner_id = project[11]
    key = fields["key"]
    where = {"project_id": project_id, "key": key}
    with specs_db.transaction() as db:
        db.one(sql.LOCK_PROJECT, where)
        current = db.one(sql.CURRENT_SPECIFICATION, where)
        if current is None:
            require_room_for_specification(db, owner_id, user_id)
        latest = db.one(sql.LATEST_VERSION, where)
        version = (latest[0] if latest else 0) + 1
        now = datetime.now(tz=UTC)
        if current is not None:
            execute(db, sql.SUPERSEDE, {"now": now, "id": current[0]})
        new_id = str(uuid.uuid4())
        execute(
            db,
            sql.INSERT_SPECIFICATION,
            {
                **fields,
                "id": new_id,
                "created_at": now,
                "updated_at": now,
                "project": project_id,
                "version": version,
                "metadata": json.dumps(fields["metadata"]),
            },
        )
        if current is not None:
            execute(db, sql.SET_SUPERSEDED_BY, {"now": now, "by": new_id, "id": current[0]})
        user_agent = environ.get("HTTP_USER_AGENT") or None
        execute(
            db,
            sql.INSERT_ACTIVITY,
            {
                "id": str(uuid.uuid4()),
                "now": now,
                "user_id": user_id,
                "action": "specification_versioned" if current else "specification_created",
                "resource_id": new_id,
                "resource_name": f"{key} v{version}"[:255],
                "changes": json.dumps({"project_id": project_id, "key": key, "version": version}),
                "ip": environ.get("REMOTE_ADDR") or None,
                "user_agent": user_agent[:500] if user_agent else None,
            },
        )
    return 201, {
        "id": new_id,
        "project": project_id,
        "key": key,
        "value": fields["value"],
        "type": fields["type"],
        "status": fields["status"],
        "version": version,
        "category": fields["category"],
        "content": fields["content"],
        "source": fields["source"],
        "confidence": fields["confidence"],
        "is_current": True,
        "metadata": fields["metadata"],
        "superseded_at": None,
        "superseded_by": None,
        "created_at": iso(now),
        "updated_at": iso(now),
    }


def execute(db: Database, statement: str, parameters: dict) -> None:
    with db.cursor() as cursor:
        cursor.execute(statement, parameters)


def require_room_for_specification(db: Database, owner_id: str, user_id: str) -> None:
    """billing.limits.require_room_for(limit=SPECIFICATIONS) for the project's owner."""
    plans = db.all(sql.ACTIVE_PLAN_NAMES, {"user_id": owner_id})
    tier = max((TIER_OF_PLAN[name] for (name,) in plans), default=0)
    allowed = SPECIFICATIONS_ALLOWED[tier]
    if allowed is None:
        return
    db.one(sql.PLAN_LOCK, {"lock": f"plan:{owner_id}"})
    (current,) = db.one(sql.CURRENT_SPECIFICATIONS_OWNED, {"user_id": owner_id})
    if current >= allowed:
        scope = "you have" if owner_id == user_id else "its owner has"
        noun = "specification" if allowed == 1 else "specifications"
        raise Problem(
            403,
            f"The {TIER_NAMES[tier]} plan allows {allowed:,} {noun}; {scope} {current:,}.",
            "plan_limit_reached",
        )


UUID_TEXT = re.compile(r"[0-9a-fA-F]{8}-?(?:[0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}")
DRF_INTEGER = re.compile(r"\.0*\s*$")


def search_parameters(environ) -> tuple[str, str | None, int]:
    """SearchParametersSerializer: q (1 to 500 characters), project (a UUID), limit (1 to 50)."""
    errors = {}
    q = query_param(environ, "q")
    if q is None:
        errors["q"] = ["This field is required."]
    elif not q.strip():
        errors["q"] = ["This field may not be blank."]
    else:
        q = q.strip()
        if len(q) > 500:
            errors["q"] = ["Ensure this field has no more than 500 characters."]
        elif "\x00" in q:
            errors["q"] = ["Null characters are not allowed."]
    project = query_param(environ, "project") or None
    if project is not None:
        if UUID_TEXT.fullmatch(project):
            project = str(uuid.UUID(project))
        else:
            errors["project"] = ["Must be a valid UUID."]
    raw_limit = query_param(environ, "limit") or None
    limit = 10
    if raw_limit is not None:
        try:
            limit = int(DRF_INTEGER.sub("", raw_limit))
        except ValueError:
            errors["limit"] = ["A valid integer is required."]
        else:
            if limit > 50:
                errors["limit"] = ["Ensure this value is less than or equal to 50."]
            elif limit < 1:
                errors["limit"] = ["Ensure this value is greater than or equal to 1."]
    if errors:
        raise invalid(errors)
    return q, project, limit


def search_knowledge(environ, user_id):
    """KnowledgeSearchViewSet.list -> rag.services.search_knowledge: the search,
    then every hit counted, in one transaction."""
    q, project_id, limit = search_parameters(environ)
    if project_id is not None:
        require_level(user_id, project_id, VIEW)
    with specs_db.transaction() as db:
        if project_id is None:
            statement, parameters = sql.SEARCH_CHUNKS, {"user_id": user_id}
        else:
            statement, parameters = sql.SEARCH_PROJECT_CHUNKS, {"project_id": project_id}
        hits = db.all(statement, {**parameters, "q": q, "limit": limit})
        if hits:
            chunks = [hit[0] for hit in hits]
            execute(db, sql.LOCK_HIT_DOCUMENTS, {"chunks": chunks})
            execute(db, sql.RECORD_HITS, {"chunks": chunks})
    return 200, [hit_json(hit) for hit in hits]


# Routing --------------------------------------------------------------------------------

_ID = r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
ROUTES = [
    ("GET", re.compile(r"/api/v1/projects/"), list_projects),
    ("GET", re.compile(rf"/api/v1/projects/{_ID}/"), retrieve_project),
    ("GET", re.compile(rf"/api/v1/projects/{_ID}/sessions/{_ID}/messages/"), list_messages),
    ("POST", re.compile(rf"/api/v1/projects/{_ID}/specifications/"), write_specification),
    ("GET", re.compile(r"/api/v1/knowledge-base/search/"), search_knowledge),
]
REASONS = {
    200: "OK",
    201: "Created",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    429: "Too Many Requests",
    503: "Service Unavailable",
}


def dispatch(environ):
    path, method = environ["PATH_INFO"], environ["REQUEST_METHOD"]
    allowed = False
    for route_method, pattern, endpoint in ROUTES:
        match = pattern.fullmatch(path)
        if match is None:
            continue
        if route_method != method:
            allowed = True
            continue
        return endpoint(environ, caller(environ), *match.groups())
    if allowed:
        raise Problem(405, f'Method "{method}" not allowed.', "method_not_allowed")
    raise Problem(404, f"No API endpoint at {path}.", "not_found")


def _application(environ, start_response):
    headers = {}
    try:
        status, body = dispatch(environ)
    except Problem as problem:
        status, body, headers = problem.status, problem.body, problem.headers
    except psycopg2.IntegrityError as error:
        if error.pgcode == psycopg2.errorcodes.UNIQUE_VIOLATION:
            # A concurrent request won a race for a unique value.
            status = 409
            body = {"detail": "This conflicts with data saved meanwhile; retry."}
            body["code"] = "conflict"
        else:
            status, body = 400, {"detail": "The database refused this input.", "code": "invalid"}
    except psycopg2.DataError:
        status, body = 400, {"detail": "The database refused this input.", "code": "invalid"}
    except (psycopg2.OperationalError, psycopg2.InterfaceError):
        # The connection is reopened by the next request that needs it.
        status, headers = 503, {"Retry-After": "30"}
        body = {"detail": "The service is temporarily unavailable.", "code": "unavailable"}
    payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    start_response(
        f"{status} {REASONS[status]}",
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(payload))),
            *headers.items(),
        ],
    )
    return [payload]


application = counting.counted_wsgi(_application)
