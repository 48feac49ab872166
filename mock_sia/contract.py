"""The request contract of `/api/v1`, read from `mock_sia/openapi.yaml` - the one source of truth.

Every API request is checked against its operation in the document before the route runs: query,
path and header parameters (400 `bad_request`, `field` = the parameter) and the JSON body (422
`validation_failed`, `field` = the first property on the failing path). The checking is jsonschema's
(Draft 2020-12, the dialect of OpenAPI 3.1) over the document's own schemas; the routes keep only the
rules a schema cannot say (an unknown time zone, a task of another user, ...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from mock_sia.errors import BadRequest, NotFound, SiaError, ValidationFailed
from mock_sia.template import TemplateError, validate_template
from mock_sia.wire import decode_cursor
from tasksync_common.instants import parse_instant

OPENAPI_PATH = Path(__file__).resolve().parent / "openapi.yaml"
DOC_URI = "urn:sia-openapi"
API_PREFIX = "/api/v1"
_ASCII_INT = re.compile(r"-?[0-9]{1,19}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

FORMATS = FormatChecker(formats=())


@FORMATS.checks("date", raises=ValueError)
def _is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATE.fullmatch(value):
        return False
    date.fromisoformat(value)
    return True


@FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if "T" not in value.upper():
        return False
    parse_instant(value.replace(" ", "+"))  # an unencoded '+' of an offset arrives as a space
    return True


@FORMATS.checks("sia-after", raises=ValueError)
def _is_after(value: object) -> bool:
    """`<updated_at>,<task id>`: the instant must be one (0001-01-01T00:00:00+14:00 is none)."""
    if not isinstance(value, str):
        return True
    stamp, _, _task = value.replace(" ", "+").rpartition(",")
    return _is_date_time(stamp)


_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:(?:[A-Za-z0-9._~:/?#\[\]@!$&'()*+,;=-]|%[0-9A-Fa-f]{2})*")


@FORMATS.checks("uri")
def _is_uri(value: object) -> bool:
    """RFC 3986: ASCII only, a scheme, no spaces or other characters a URI cannot hold unescaped."""
    return not isinstance(value, str) or bool(_URI.fullmatch(value))


@FORMATS.checks("iana-time-zone", raises=(ValueError, LookupError))
def _is_time_zone(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not value or "\x00" in value:
        return False
    ZoneInfo(value)  # ZoneInfoNotFoundError is a LookupError
    return True


@FORMATS.checks("sia-cursor")
def _is_cursor(value: object) -> bool:
    """A cursor this API gave out (they carry a MAC: a hand-made one is no cursor)."""
    if not isinstance(value, str):
        return True
    try:
        decode_cursor(value)
    except SiaError:
        return False
    return True


@FORMATS.checks("sia-subject-template", raises=TemplateError)
def _is_subject_template(value: object) -> bool:
    """R5.1a: free text with `{{field}}` placeholders of the dynamic fields only (the TemplateError
    names the unknown field; check_body reports it)."""
    if not isinstance(value, str):
        return True
    validate_template(value)
    if "\x00" in value:
        raise TemplateError("'template' must not contain NUL (\\u0000) characters", field="template")
    return True


@cache
def openapi_document() -> dict:
    """The OpenAPI 3.1 document kept in the repository."""
    with OPENAPI_PATH.open(encoding="utf-8") as handle:
        # libyaml's safe loader when PyYAML has it: 8x faster than the pure-Python one, the same document
        return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _without_empty_items(node: Any) -> Any:
    """A copy of the document for checking, without `items: {}` (every item valid): the same verdicts
    and errors, but no descent into each of a batch's 200 operations (issue 9). Exact only where no
    `unevaluatedItems` looks at which items were evaluated - the document has none (checked here)."""
    if isinstance(node, dict):
        if "unevaluatedItems" in node:
            raise ValueError("openapi.yaml: unevaluatedItems needs the items keywords as written")
        empty_items = node.get("type") == "array" and node.get("items") in ({}, True)  # a schema, no name
        return {k: _without_empty_items(v) for k, v in node.items() if not (empty_items and k == "items")}
    if isinstance(node, list):
        return [_without_empty_items(v) for v in node]
    return node


def _escape(token: str) -> str:
    """A JSON-pointer token (RFC 6901)."""
    return token.replace("~", "~0").replace("/", "~1")


def flask_rule_to_path(rule: str) -> str:
    """`/api/v1/tasks/<task_id>` -> `/tasks/{task_id}` (the document's path template)."""
    path = rule[len(API_PREFIX) :] if rule.startswith(API_PREFIX) else rule
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", path)


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str
    required: bool
    validator: Draft202012Validator
    schema: dict


@dataclass(frozen=True)
class Operation:
    parameters: tuple[Parameter, ...]
    body: Draft202012Validator | None
    body_required: bool


class Contract:
    """The document's operations, ready to check requests."""

    def __init__(self, document: dict) -> None:
        self.document = document
        resource = Resource.from_contents(_without_empty_items(document), default_specification=DRAFT202012)
        self.registry = Registry().with_resource(DOC_URI, resource)
        self.resolver = self.registry.resolver(base_uri=DOC_URI)
        self.operations: dict[tuple[str, str], Operation] = {}
        for path, item in document.get("paths", {}).items():
            base = f"/paths/{_escape(path)}"
            shared = [(raw, f"{base}/parameters/{i}") for i, raw in enumerate(item.get("parameters", []))]
            for method, op in item.items():
                if method in ("parameters", "summary", "description"):
                    continue
                own = [
                    (raw, f"{base}/{method}/parameters/{i}") for i, raw in enumerate(op.get("parameters", []))
                ]
                self.operations[(path, method.upper())] = self._operation(
                    shared + own, op, f"{base}/{method}"
                )

    def _deref(self, node: dict, pointer: str) -> tuple[dict, str]:
        """The object a `$ref` points at, and its JSON pointer in the document."""
        while isinstance(node, dict) and "$ref" in node:
            pointer = node["$ref"].removeprefix("#")
            node = self.resolver.lookup(f"{DOC_URI}#{pointer}").contents
        return node, pointer

    def _validator(self, pointer: str) -> Draft202012Validator:
        """A validator of the schema at `pointer`, resolved in the whole document (so its `$ref`s work)."""
        return Draft202012Validator(
            {"$ref": f"{DOC_URI}#{pointer}"}, registry=self.registry, format_checker=FORMATS
        )

    def _operation(self, raw_params: list[tuple[dict, str]], op: dict, pointer: str) -> Operation:
        params: dict[tuple[str, str], Parameter] = {}
        for raw, where in raw_params:
            p, where = self._deref(raw, where)
            schema, _ = self._deref(p.get("schema", {}), f"{where}/schema")
            params[(p["name"].lower(), p["in"])] = Parameter(
                p["name"], p["in"], bool(p.get("required")), self._validator(f"{where}/schema"), schema
            )
        body_validator = None
        body_required = False
        if op.get("requestBody"):
            body, where = self._deref(op["requestBody"], f"{pointer}/requestBody")
            body_required = bool(body.get("required"))
            if "schema" in body.get("content", {}).get("application/json", {}):
                body_validator = self._validator(f"{where}/content/application~1json/schema")
        return Operation(tuple(params.values()), body_validator, body_required)

    def operation(self, rule: str, method: str) -> Operation | None:
        return self.operations.get((flask_rule_to_path(rule), "GET" if method == "HEAD" else method))

    # -- checking --------------------------------------------------------------------------------
    def check_parameters(self, op: Operation, query, headers, view_args: dict) -> None:
        declared = {p.name for p in op.parameters if p.location == "query"}
        unknown = sorted(set(query.keys()) - declared)
        if unknown:  # as with unknown body fields: a typo is an error, never silently ignored
            raise BadRequest(f"unknown query parameter '{unknown[0]}'", field=unknown[0])
        for p in op.parameters:
            if p.location == "query":
                raw = query.get(p.name)
            elif p.location == "header":
                raw = headers.get(p.name)
            elif p.location == "path":
                raw = view_args.get(p.name)
            else:
                continue
            if raw is None:  # an empty value is a value: `include_deleted=` is no boolean
                if p.required:
                    raise BadRequest(f"'{p.name}' is required", field=p.name)
                continue
            value = _coerce(raw, p.schema)
            error = next(iter(p.validator.iter_errors(value)), None)
            if error is not None:
                if p.location == "path":
                    raise NotFound(f"no such {p.name.replace('_', ' ')}: {raw}", field=p.name)
                raise BadRequest(f"'{p.name}' {_describe(error)}", field=p.name)

    def check_body(self, op: Operation, data: Any) -> None:
        if op.body is None:
            return
        error = _first_error(op.body, data)
        if error is None:
            return
        path = [str(part) for part in error.absolute_path]
        field = path[0] if path else _field_of(error)
        if isinstance(error.cause, TemplateError):  # say which {{field}} is unknown, as the store would
            raise ValidationFailed(error.cause.message, field=error.cause.field or field)
        where = ".".join(path)
        raise ValidationFailed(f"{where + ': ' if where else ''}{_describe(error)}", field=field)


def _first_error(validator: Draft202012Validator, data: Any) -> ValidationError | None:
    errors = list(validator.iter_errors(data))
    if not errors:
        return None
    # Deepest, most specific first (an allOf/anyOf wrapper says less than its leaf).
    return min(errors, key=lambda e: (-len(e.absolute_path), len(e.context or ())))


def _field_of(error: ValidationError) -> str | None:
    """For `required` / `additionalProperties` errors at the top: the property they name."""
    if error.validator == "required":
        match = re.match(r"'([^']+)'", error.message)
        return match.group(1) if match else None
    if error.validator == "additionalProperties":
        match = re.search(r"\('([^']+)'", error.message)
        return match.group(1) if match else None
    return None


def _describe(error: ValidationError) -> str:
    if error.validator == "additionalProperties":
        field = _field_of(error)
        return f"unknown field '{field}'" if field else "unknown field"
    if error.validator == "required":
        return f"{error.message}"
    if error.validator == "type":
        expected = error.validator_value
        names = expected if isinstance(expected, list) else [expected]
        return "must be " + " or ".join(str(n) for n in names)
    if error.validator in ("enum",):
        return "must be one of " + ", ".join(str(v) for v in error.validator_value)
    if error.validator == "format":
        return _FORMAT_WORDS.get(error.validator_value, f"must be a {error.validator_value}")
    if error.validator == "pattern":
        return "has the wrong form"
    if error.validator in ("minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems"):
        return f"breaks {error.validator} {error.validator_value}"
    return "is not valid"


_FORMAT_WORDS = {
    "iana-time-zone": "must be an IANA time zone name such as Europe/Berlin",
    "sia-cursor": "is not a cursor this API gave out",
    "sia-subject-template": "must be text with {{field}} placeholders of the dynamic fields only",
    "date": "must be a real date YYYY-MM-DD",
    "date-time": "must be an ISO-8601 instant with an offset, e.g. 2026-11-28T12:00:00.000Z",
    "sia-after": "must be '<updated_at>,<task id>', e.g. 2026-11-28T12:00:00.000Z,tsk_0000000042",
}


def _coerce(raw: str, schema: dict) -> Any:
    """A query/path/header string as the type its schema names (strict ASCII, no `١٠`)."""
    kinds = schema.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    if "integer" in kinds:
        return int(raw) if _ASCII_INT.fullmatch(raw) else raw
    if "boolean" in kinds:
        return {"true": True, "1": True, "false": False, "0": False}.get(raw.lower(), raw)
    return raw


@cache
def contract() -> Contract:
    return Contract(openapi_document())
