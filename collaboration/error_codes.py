from enum import StrEnum


class CollaborationErrorCode(StrEnum):
    OWNER_NEEDS_NO_SHARE = "owner_needs_no_share"
    ALREADY_MEMBER = "already_member"
    OWNER_STAYS = "owner_stays"
    PREFERENCE_EXISTS = "preference_exists"
    ALREADY_INVITED = "already_invited"
    NOT_PENDING = "not_pending"
    ALREADY_SHARED = "already_shared"
    NOT_INVITER = "not_inviter"
    EMAIL_NOT_VERIFIED = "email_not_verified"
