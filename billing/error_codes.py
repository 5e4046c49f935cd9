from enum import StrEnum


class BillingErrorCode(StrEnum):
    pass
