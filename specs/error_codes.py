from enum import StrEnum


class SpecsErrorCode(StrEnum):
    ALREADY_ARCHIVED = "already_archived"
    NOT_ARCHIVED = "not_archived"
    ALREADY_OWNER = "already_owner"
    SUPERSEDED = "superseded"
    SESSION_ENDED = "session_ended"
    ALREADY_RESOLVED = "already_resolved"
    PATH_TAKEN = "path_taken"
