"""The API's description: /openapi.json (the API's paths only, not the HTML pages) and /docs, a
page of our own drawn from that schema: each endpoint, its parameters, who may call it and its
answer's fields. FastAPI's Swagger UI would load its script from a CDN, which a council's network
need not reach and our Content-Security-Policy forbids; this page is plain HTML from our own
templates, with every page's own stylesheet and script.

Both are for signed-in people (the schema holds no data, but the API is theirs alone): /docs
sends anyone else to sign in, as every page does; /openapi.json answers them 401, as the API does.
"""

from __future__ import annotations

from typing import Any

from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from intake import package_version
from portal.api.access import API_HEADERS, API_PREFIX, ApiUser
from portal.identity import SignedIn
from portal.pages import render

METHODS_SHOWN = ("get", "post")
# Nested models are shown to this depth; none of ours is deeper.
DEEPEST = 6


def api_schema(request: Request) -> dict[str, Any]:
    """The OpenAPI document of the /api/ routes, made once per app."""
    app = request.app
    schema = getattr(app.state, "api_schema", None)
    if schema is None:
        routes = [
            r for r in app.routes if isinstance(r, APIRoute) and r.path.startswith(API_PREFIX)
        ]
        schema = get_openapi(
            title=app.title,
            version=package_version(),
            description="Read-only JSON over the caseworker dashboard and professionals' pages.",
            routes=routes,
        )
        app.state.api_schema = schema
    return schema


def show_openapi(request: Request, viewer: ApiUser) -> Response:
    return JSONResponse(api_schema(request), headers=API_HEADERS)


def show_docs(request: Request, professional: SignedIn) -> Response:
    return render(request, "api_docs.html", endpoints=endpoints_of(api_schema(request)))


def endpoints_of(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """Each operation of the schema as the page lists it."""
    components = schema.get("components", {}).get("schemas", {})
    endpoints = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method not in METHODS_SHOWN:
                continue
            answer = operation["responses"].get("200", {}).get("content", {})
            shape = answer.get("application/json", {}).get("schema", {})
            endpoints.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "who": operation.get("x-who", ""),
                    "parameters": [
                        parameter_row(p, components) for p in operation.get("parameters", [])
                    ],
                    "shapes": shapes_of(shape, components),
                    "refusals": {
                        code: r.get("description", "")
                        for code, r in operation["responses"].items()
                        if code != "200"
                    },
                }
            )
    return endpoints


def resolved(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    return components[ref.rsplit("/", 1)[-1]] if ref else schema


def parameter_row(parameter: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    schema = parameter.get("schema", {})
    return {
        "name": parameter["name"],
        "where": parameter["in"],
        "required": parameter.get("required", False),
        "type": type_of(schema, components),
        "default": schema.get("default"),
        "description": parameter.get("description") or schema.get("description", ""),
    }


def type_of(schema: dict[str, Any], components: dict[str, Any]) -> str:
    """A schema's type in a few words: `date`, `list of CaseRow`, `integer or null`."""
    if "$ref" in schema:
        target = resolved(schema, components)
        if "enum" in target:
            return "one of " + ", ".join(str(v) for v in target["enum"])
        return schema["$ref"].rsplit("/", 1)[-1]
    for union in ("anyOf", "oneOf"):
        if union in schema:
            return " or ".join(type_of(s, components) for s in schema[union])
    if "const" in schema:
        return f'"{schema["const"]}"'
    if "enum" in schema:
        return "one of " + ", ".join(str(v) for v in schema["enum"])
    kind = schema.get("type", "any")
    if kind == "array":
        return "list of " + type_of(schema.get("items", {}), components)
    if kind == "object":
        return "object"
    return schema.get("format", kind)


def shapes_of(schema: dict[str, Any], components: dict[str, Any]) -> list[dict[str, Any]]:
    """The answer's forms: one, or one per alternative (a case as a caseworker or as a
    professional sees it), each with its fields flattened (`child.forename`, `rows[].id`)."""
    alternatives = schema.get("anyOf") or schema.get("oneOf") or [schema]
    shapes = []
    for alternative in alternatives:
        model = resolved(alternative, components)
        shapes.append(
            {
                "title": model.get("title", ""),
                "description": model.get("description", ""),
                "fields": fields_of(model, components, "", 0),
            }
        )
    return shapes


def nested_model(schema: dict[str, Any], components: dict[str, Any]) -> tuple[str, dict] | None:
    """The model a field holds (itself, in a list, or or-null), with the suffix its name takes."""
    if "$ref" in schema and "properties" in resolved(schema, components):
        return "", resolved(schema, components)
    if schema.get("type") == "array":
        inner = nested_model(schema.get("items", {}), components)
        return ("[]" + inner[0], inner[1]) if inner else None
    for union in ("anyOf", "oneOf"):
        for option in schema.get(union, []):
            inner = nested_model(option, components)
            if inner:
                return inner
    return None


def fields_of(
    model: dict[str, Any], components: dict[str, Any], prefix: str, depth: int
) -> list[dict[str, Any]]:
    rows = []
    required = set(model.get("required", []))
    for name, schema in model.get("properties", {}).items():
        rows.append(
            {
                "name": prefix + name,
                "type": type_of(schema, components),
                "required": name in required,
                "description": schema.get("description", ""),
            }
        )
        inner = nested_model(schema, components)
        if inner and depth < DEEPEST:
            suffix, nested = inner
            rows.extend(fields_of(nested, components, f"{prefix}{name}{suffix}.", depth + 1))
    return rows
