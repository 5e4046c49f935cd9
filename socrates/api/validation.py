"""One rule for input PostgreSQL would refuse: a 400 naming the parameter,
found before any query runs (instead of a DataError, a 500, after it)."""

from collections.abc import Iterator
from datetime import datetime, timedelta

from rest_framework.exceptions import ParseError, ValidationError

BIGINT_RANGE = (-(2**63), 2**63 - 1)
# timestamptz keeps offsets up to 15:59 either side of UTC.
MAX_UTC_OFFSET = timedelta(hours=15, minutes=59)
MAX_JSON_DEPTH = 64
NUL_REFUSAL = "Must not contain NUL (\\u0000) characters."
BIGINT_REFUSAL = f"Must be between {BIGINT_RANGE[0]} and {BIGINT_RANGE[1]}."
UTC_OFFSET_REFUSAL = "The UTC offset must be between -15:59 and +15:59."


def postgres_problem(value) -> str | None:
    """Why PostgreSQL would refuse this scalar value, or None."""
    if isinstance(value, str) and "\x00" in value:
        return NUL_REFUSAL
    if isinstance(value, int) and not isinstance(value, bool):
        low, high = BIGINT_RANGE
        if not low <= value <= high:
            return BIGINT_REFUSAL
    if isinstance(value, datetime):
        offset = value.utcoffset()
        if offset is not None and abs(offset) > MAX_UTC_OFFSET:
            return UTC_OFFSET_REFUSAL
    return None


def check_query_values(values: dict) -> None:
    """Raises a ValidationError naming each query parameter with a refused value."""
    problems = {}
    for name, value in values.items():
        for item in value if isinstance(value, (list, tuple)) else [value]:
            problem = postgres_problem(item)
            if problem:
                problems[name] = [problem]
                break
    if problems:
        raise ValidationError(problems)


def check_json_document(document) -> None:
    """Depth first, then every key and value: a parse error for nesting, a
    validation error naming the JSON path of a refused value."""
    for path, depth, value in _walk(document):
        if depth > MAX_JSON_DEPTH:
            raise ParseError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels.")
        problem = postgres_problem(value)
        if problem:
            raise ValidationError({path or "body": [problem]})


def _walk(document) -> Iterator[tuple[str, int, object]]:
    # Iterative, so that no nesting depth can exhaust the Python stack.
    pending = [("", 1, document)]
    while pending:
        path, depth, value = pending.pop()
        yield path, depth, value
        if isinstance(value, dict):
            for key, item in value.items():
                yield path, depth, key
                pending.append((f"{path}.{key}" if path else str(key), depth + 1, item))
        elif isinstance(value, list):
            pending.extend(
                (f"{path}[{index}]", depth + 1, item) for index, item in enumerate(value)
            )
