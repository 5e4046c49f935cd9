"""The project's error body: ``{"detail": ..., "code": ...}`` (``fields`` for input)."""

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

# DRF answers a 401 with the first authenticator's challenge (simplejwt's).
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="api"'}


class ApiError(Exception):
    def __init__(self, status: int, detail: str, code: str, fields: dict | None = None):
        super().__init__(detail)
        self.status, self.detail, self.code, self.fields = status, detail, code, fields


def _api_error(request: Request, exc: ApiError) -> JSONResponse:
    body = {"detail": exc.detail, "code": exc.code}
    if exc.fields:
        body["fields"] = exc.fields
    return JSONResponse(body, exc.status, headers=CHALLENGE if exc.status == 401 else None)


def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    # A malformed id in the path matches no route in the project: 404.
    if any(error["loc"][0] == "path" for error in errors):
        return JSONResponse({"detail": "Not found.", "code": "not_found"}, 404)
    fields: dict[str, list[str]] = {}
    for error in errors:
        fields.setdefault(str(error["loc"][-1]), []).append(error["msg"])
    name = next(iter(fields))
    body = {"detail": f"{name}: {fields[name][0]}", "code": "invalid", "fields": fields}
    return JSONResponse(body, 400)


def install(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
