"""The orjson renderer writes what DRF's own JSONRenderer writes."""

import json
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

from django.utils.translation import gettext_lazy
from rest_framework.exceptions import ErrorDetail
from rest_framework.renderers import JSONRenderer as DRFJSONRenderer

from socrates.api.renderers import JSONRenderer

PAYLOAD = {
    "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "in_utc": datetime(2026, 11, 29, 23, 19, 20, 123456, tzinfo=UTC),
    "whole_second": datetime(2026, 1, 1, tzinfo=UTC),
    "elsewhere": datetime(2026, 1, 1, 9, 30, tzinfo=timezone(timedelta(hours=2))),
    "day": date(2026, 2, 28),
    "price": Decimal("29.00"),
    "lazy": gettext_lazy("Not found."),
    "error": ErrorDetail("Too long.", code="max_length"),
    "text": 'Ünïcode, "quotes" and \\ backslash\n',
    "numbers": [0, -1, 2**53, 0.1, 2.5, True, None],
    "nested": {"list": [{"a": []}], "empty": {}},
}


def test_the_bytes_are_drfs():
    assert JSONRenderer().render(PAYLOAD) == DRFJSONRenderer().render(PAYLOAD)


def test_a_float_with_an_exponent_is_the_same_number():
    payload = {"small": 1.5e-7, "large": 1e22}

    assert json.loads(JSONRenderer().render(payload)) == payload
    assert DRFJSONRenderer().render(payload) == b'{"small":1.5e-07,"large":1e+22}'


def test_indented_json_is_drfs_too():
    media_type = "application/json; indent=4"

    assert JSONRenderer().render(PAYLOAD, media_type) == DRFJSONRenderer().render(
        PAYLOAD, media_type
    )


def test_no_data_is_an_empty_body():
    assert JSONRenderer().render(None) == b""
