from enum import StrEnum


class RagErrorCode(StrEnum):
    DOCUMENT_TOO_LARGE = "document_too_large"
