"""The OpenAPI document says what the API answers: every error is an RFC 9457 problem
(application/problem+json, the `Problem` schema), with the statuses the shared handlers can
give each operation; FastAPI's own `HTTPValidationError` is replaced by it."""

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from shared.http.problems import PROBLEM_JSON

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "urn:problem:lms:<code>"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string", "description": "What is wrong, in words."},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
        "correlation_id": {"type": "string"},
    },
}

# Every operation: the body or a parameter is malformed, too large, or invalid; too many
# requests; the caller is unknown or lacks the permission; what it names is missing or
# conflicts.
EVERY_OPERATION = {
    400: "Malformed request (a cursor, a header, the body's encoding).",
    401: "Not authenticated (no, or an invalid, token or signature).",
    403: "Authenticated but not allowed.",
    404: "No such resource in your tenant.",
    409: "Conflicts with the current state.",
    413: "The request body is too large.",
    422: "The request is invalid; `errors` names each field.",
    429: "Too many requests; see Retry-After.",
}
CONDITIONAL = {
    412: "The version sent (If-Match) is not the current one.",
    428: "Send the version you read (If-Match or `version`).",
}


def problem_response(description: str, *, page: bool = False) -> dict[str, Any]:
    """A problem document; or, for the pages people read, a page saying what went wrong."""
    if page:
        return {
            "description": description,
            "content": {"text/html": {"schema": {"type": "string"}}},
        }
    schema = {"$ref": "#/components/schemas/Problem"}
    return {"description": description, "content": {PROBLEM_JSON: {"schema": schema}}}


def document_problems(document: dict[str, Any]) -> dict[str, Any]:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["Problem"] = PROBLEM_SCHEMA
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            _document_operation(operation)
    return document


def _document_operation(operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    page = "text/html" in responses.get("200", {}).get("content", {})
    statuses = dict(EVERY_OPERATION)
    if any(p.get("name", "").lower() == "if-match" for p in operation.get("parameters", [])):
        statuses |= CONDITIONAL
    for code, description in statuses.items():
        declared = responses.get(str(code), {})
        responses[str(code)] = problem_response(
            declared.get("description") or description, page=page
        )
    for status, declared in responses.items():
        if status.startswith(("4", "5")) and "content" not in declared:
            responses[status] = problem_response(declared.get("description", ""), page=page)


def problem_openapi(app: FastAPI) -> Callable[[], dict[str, Any]]:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title, version=app.version, routes=app.routes, description=app.description
            )
            app.openapi_schema = document_problems(document)
        return app.openapi_schema

    return openapi
