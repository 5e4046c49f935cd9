from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from socrates.api.validation import MAX_JSON_DEPTH, check_json_document


class SafeJSONParser(JSONParser):
    """DRF's JSON parser, with a nesting limit and PostgreSQL's refusals checked."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            document = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels.") from None
        check_json_document(document)
        return document
