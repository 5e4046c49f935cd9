from enum import StrEnum


class CollaborationErrorCode(StrEnum):
    OWNER_NEEDS_NO_SHARE = "owner_needs_no_share"
