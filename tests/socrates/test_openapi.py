"""The OpenAPI schema documents errors and constraints, so a client generator learns them."""

import re

import pytest
from django.utils import translation
from drf_spectacular.generators import SchemaGenerator

from accounts.models import AdminPermission
from socrates.api.schema import CachedSchemaGenerator

HTTP_METHODS = {"get", "put", "post", "patch", "delete"}
ERROR_SCHEMA = "#/components/schemas/Error"


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield f"{method.upper()} {path}", method, operation


def test_every_operation_documents_its_errors_in_the_error_schema(schema):
    for name, method, operation in operations(schema):
        errors = {code for code in operation["responses"] if code >= "400"}
        assert {"400", "503"} <= errors, name
        if method in {"post", "put", "patch"}:
            assert {"409", "413", "415"} <= errors, name
        if "{" in name:
            assert "404" in errors, name
        for code in errors:
            content = operation["responses"][code]["content"]
            assert content == {
                "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
            }


def test_authenticated_and_throttled_operations_say_so(schema):
    responses = {name: set(op["responses"]) for name, _, op in operations(schema)}

    assert {"401", "403"} <= responses["GET /api/v1/auth/me/"]
    assert "429" in responses["POST /api/v1/auth/login/"]
    assert "429" in responses["POST /api/v1/auth/change-password/"]
    assert "429" not in responses["GET /api/v1/auth/me/"]


def test_every_search_term_has_a_maximum_length_in_the_schema(schema):
    terms = [
        (name, parameter["schema"].get("maxLength"))
        for name, _, operation in operations(schema)
        for parameter in operation.get("parameters", [])
        if parameter["name"] in {"search", "q"}
    ]

    assert {length for _, length in terms} == {500}, terms
    assert "GET /api/v1/knowledge-base/search/" in {name for name, _ in terms}


def test_request_constraints_are_in_the_schema(schema):
    components = schema["components"]["schemas"]
    register = components["Register"]["properties"]
    assert register["password"]["minLength"] == 8
    assert register["password"]["maxLength"] == 4096
    assert register["username"]["maxLength"] == 50
    assert register["username"]["pattern"] == "^[A-Za-z0-9_-]{3,50}$"
    assert register["email"]["format"] == "email"
    assert components["AdminRole"]["properties"]["name"]["pattern"] == "^[a-z0-9_]+$"
    permissions = components["AdminRole"]["properties"]["permissions"]["items"]["$ref"]
    assert set(components[permissions.rsplit("/", 1)[1]]["enum"]) == set(AdminPermission.values)


def test_ids_are_uuids_and_pagination_is_bounded(schema):
    user_detail = schema["paths"]["/api/v1/admin/users/{id}/"]["get"]
    (path_id,) = [p for p in user_detail["parameters"] if p["in"] == "path"]
    assert path_id["schema"] == {"type": "string", "format": "uuid"}

    listing = schema["paths"]["/api/v1/admin/users/"]["get"]["parameters"]
    page_size = next(p for p in listing if p["name"] == "page_size")["schema"]
    assert (page_size["minimum"], page_size["maximum"], page_size["default"]) == (1, 100, 50)
    page = next(p for p in listing if p["name"] == "page")["schema"]
    assert page["minimum"] == 1


def test_swagger_ui_is_served_from_the_projects_own_static_files(client):
    page = client.get("/api/docs/").content.decode()

    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()


def test_the_served_schema_is_generated_once_per_language(client, monkeypatch):
    monkeypatch.setattr(CachedSchemaGenerator, "_public_schemas", {})
    generated = []
    generate = SchemaGenerator.get_schema

    def counted(self, request=None, public=False):
        generated.append(translation.get_language())
        return generate(self, request, public)

    monkeypatch.setattr(SchemaGenerator, "get_schema", counted)

    first = client.get("/api/schema/", {"format": "json"})
    again = client.get("/api/schema/", {"format": "json"})
    yaml = client.get("/api/schema/")
    french = client.get("/api/schema/", {"format": "json", "lang": "fr"})

    assert {r.status_code for r in (first, again, yaml, french)} == {200}
    assert first.content == again.content
    assert yaml.content.startswith(b"openapi:")
    assert generated == ["en-us", "fr"]


@pytest.mark.django_db(databases=["auth", "specs"])
def test_an_unknown_schema_language_is_a_json_400_naming_lang(client):
    response = client.get("/api/schema/", {"format": "json", "lang": "AAA"})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert list(response.json()["fields"]) == ["lang"]


def test_a_score_up_to_one_is_held_to_it_and_a_trimmed_text_to_a_visible_character(schema):
    components = schema["components"]["schemas"]
    quality_score = re.compile(components["Question"]["properties"]["quality_score"]["pattern"])
    title = components["PatchedConflict"]["properties"]["title"]

    assert [bool(quality_score.match(value)) for value in ("0.5", "1", "1.00", ".25")] == [True] * 4
    assert [bool(quality_score.match(value)) for value in ("5", "1.01", "10", "")] == [False] * 4
    assert title["pattern"] == r"\S"
