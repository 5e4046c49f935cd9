"""Log records that say which request they belong to, and never hold a secret."""

import re
from contextvars import ContextVar
from dataclasses import dataclass
from logging import Filter, Formatter, LogRecord

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter as BaseJsonFormatter


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    method: str
    # The path without its query string, which may carry a token.
    path: str


current_request: ContextVar[RequestContext | None] = ContextVar("current_request", default=None)

NO_REQUEST = RequestContext(request_id="-", method="-", path="-")


class RequestContextFilter(Filter):
    """Adds ``request_id``, ``method`` and ``path`` of the request being served."""

    def filter(self, record: LogRecord) -> bool:
        context = current_request.get() or NO_REQUEST
        record.request_id = context.request_id
        record.method = context.method
        record.path = context.path
        return True


_SECRETS = (
    # JSON Web Tokens (access and refresh tokens).
    re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]*"),
    # Password hashes: Django's formats and the legacy bcrypt ones.
    # (Argon2's parameters hold commas: m=…,t=…,p=….)
    re.compile(r"(argon2|pbkdf2_sha256|pbkdf2_sha1|bcrypt_sha256|bcrypt)\$[^\s'\"]+"),
    re.compile(r"\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}"),
    # SHA-256 digests, as stored for refresh tokens.
    re.compile(r"\b[0-9a-fA-F]{64}\b"),
)
_SECRET_FIELDS = re.compile(
    r"""(?P<name>["']?\b(?:\w*password|token|refresh|access|secret|api_key)\b["']?\s*[:=]\s*)"""
    r"""(?P<value>"[^"]*"|'[^']*'|[^\s,;}&]+)""",
    re.IGNORECASE,
)
REDACTED = "[redacted]"


def scrub(text: str) -> str:
    for pattern in _SECRETS:
        text = pattern.sub(REDACTED, text)
    return _SECRET_FIELDS.sub(lambda match: match["name"] + REDACTED, text)


class SecretScrubbingFilter(Filter):
    """Removes tokens, password hashes and password-like values from a record.

    The message and the traceback are rendered here, scrubbed, and stored back,
    so that no formatter renders the raw ones again.
    """

    _traceback_renderer = Formatter()

    def filter(self, record: LogRecord) -> bool:
        record.msg, record.args = scrub(record.getMessage()), None
        # Extras reach JSON lines too: Django's SQL log, for one, passes its
        # statement and parameters that way.
        for name, value in list(vars(record).items()):
            if name in RESERVED_ATTRS:
                continue
            if name == "params":
                record.params = REDACTED
            elif isinstance(value, str):
                setattr(record, name, scrub(value))
        if record.exc_info:
            record.exc_text = self._traceback_renderer.formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        return True


class JsonFormatter(BaseJsonFormatter):
    """One JSON object per line. Django's ``request`` extra is left out: its
    repr holds the query string."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("reserved_attrs", [*RESERVED_ATTRS, "request", "server_time"])
        kwargs.setdefault("rename_fields", {"asctime": "time", "levelname": "level"})
        super().__init__(*args, **kwargs)
