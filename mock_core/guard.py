"""The one input guard at the edge of both mocks: every request passes it before any route runs.

It refuses what no route can handle - a body too large, not UTF-8, JSON nested too deep or carrying a
lone surrogate (`"\\ud800"`, which no database or encoder accepts), a URL too long - as the caller's
error (4xx), rendered by the mock in its vendor's shape. A new route cannot forget it: it is a
`before_request` hook installed by `mock_core.service.install`, and the same install adds the
catch-all that answers an unexpected exception in the vendor's shape too (logged with its traceback).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from flask import request

# Surrogate code points: valid in a Python str, invalid in UTF-8 and in every database.
_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")  # how one reaches a JSON text
PARSED_JSON = "mock_core.parsed_json"  # the environ key of the body the guard parsed
_UNPARSED = object()


@dataclass(frozen=True)
class GuardLimits:
    """The edge limits of one mock (each vendor's own where it publishes one)."""

    max_body_bytes: int = 10 * 1024 * 1024
    max_json_depth: int = 64
    max_url_bytes: int = 16_384


class InputRejected(Exception):
    """A request refused at the edge. `kind` lets the vendor choose its error code."""

    def __init__(self, kind: str, status: int, message: str) -> None:
        super().__init__(message)
        self.kind = kind  # url_too_long | body_too_large | not_utf8 | json_too_deep | invalid_unicode
        self.status = status
        self.message = message


def json_depth_exceeds(text: str, limit: int) -> bool:
    """True when `text` nests arrays/objects deeper than `limit` (a linear scan, no recursion)."""
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


def has_surrogate(value: object) -> bool:
    """True when any string (key or value) in a parsed JSON document holds a lone surrogate."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def json_depth(value: object) -> int:
    """How deep a parsed JSON document nests arrays/objects (the text's depth; a linear walk)."""
    deepest = 0
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Iterable[object] = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest


def _too_deep(text: str, limit: int) -> tuple[bool, object]:
    """(whether `text` nests deeper than `limit`, its parse or _UNPARSED). Issue 9: a document with at
    most `limit` brackets cannot nest deeper (no scan); a larger one is parsed (the C parser; a
    RecursionError means far too deep) and its depth walked, which costs far less than scanning the
    text character by character in Python; malformed text is still scanned."""
    if text.count("{") + text.count("[") <= limit:
        return False, _UNPARSED
    try:
        parsed = json.loads(text)
    except RecursionError:
        return True, _UNPARSED
    except ValueError:
        return json_depth_exceeds(text, limit), _UNPARSED
    return json_depth(parsed) > limit, parsed


def check_request(limits: GuardLimits) -> None:
    """Raise `InputRejected` for a request no route should see. Called before every route.

    A JSON body it parsed is left in `request.environ[PARSED_JSON]` for the route (issue 9: parsed
    once, not twice)."""
    req = request._get_current_object()  # type: ignore[attr-defined]  # one proxy lookup, not ten
    query = req.query_string
    url_bytes = len(req.path.encode("utf-8", "surrogateescape")) + len(query)
    if url_bytes > limits.max_url_bytes:
        raise InputRejected(
            "url_too_long", 414, f"The length of the URI exceeds the {limits.max_url_bytes:,} byte limit"
        )
    if query and any(_SURROGATE.search(v) for v in req.args.values()):  # e.g. a %ED%A0%80 in the query
        raise InputRejected("invalid_unicode", 400, "the query string is not valid UTF-8")
    length = req.content_length
    if length is not None and length > limits.max_body_bytes:
        raise InputRejected(
            "body_too_large", 413, f"the request body exceeds the {limits.max_body_bytes:,} byte limit"
        )
    if req.method in ("GET", "HEAD", "OPTIONS", "DELETE") and not length:
        return
    raw = req.get_data(cache=True)
    if len(raw) > limits.max_body_bytes:
        raise InputRejected(
            "body_too_large", 413, f"the request body exceeds the {limits.max_body_bytes:,} byte limit"
        )
    if not raw:
        return
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        message = f"the request body is not valid UTF-8 (byte {exc.start})"
        raise InputRejected("not_utf8", 400, message) from exc
    stripped = text.lstrip()
    if not stripped.startswith(("{", "[")):
        return  # form posts, SOAP envelopes: their routes parse them
    too_deep, parsed = _too_deep(stripped, limits.max_json_depth)
    if too_deep:
        raise InputRejected(
            "json_too_deep", 400, f"the JSON document nests deeper than {limits.max_json_depth} levels"
        )
    if parsed is _UNPARSED:
        try:
            parsed = json.loads(stripped)
        except ValueError:
            return  # malformed JSON: each route reports it in its own words
    # A lone surrogate can only come from a \uD800-\uDFFF escape (strict UTF-8 refuses encoded ones).
    if _SURROGATE_ESCAPE.search(stripped) and has_surrogate(parsed):
        raise InputRejected(
            "invalid_unicode", 400, "the JSON document holds an invalid Unicode code point (a lone surrogate)"
        )
    req.environ[PARSED_JSON] = parsed
