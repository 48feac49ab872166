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
from dataclasses import dataclass

from flask import request

# Surrogate code points: valid in a Python str, invalid in UTF-8 and in every database.
_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")  # strict UTF-8 text holds none but as `\uD800`


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


# A JSON string (an unterminated one runs to the end), and a bracket: what the depth scan looks at.
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


def json_depth_exceeds(text: str, limit: int) -> bool:
    """True when `text` nests arrays/objects deeper than `limit` (a linear scan, no recursion): the
    strings cut out by a regex, then only the brackets walked (issue 9: not every character)."""
    depth = 0
    for char in _BRACKET.findall(_JSON_STRING.sub("", text)):
        if char in "[{":
            depth += 1
            if depth > limit:
                return True
        else:
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


def check_request(limits: GuardLimits) -> None:
    """Raise `InputRejected` for a request no route should see. Called before every route."""
    url_bytes = len(request.path.encode("utf-8", "surrogateescape")) + len(request.query_string)
    if url_bytes > limits.max_url_bytes:
        raise InputRejected(
            "url_too_long", 414, f"The length of the URI exceeds the {limits.max_url_bytes:,} byte limit"
        )
    if any(_SURROGATE.search(v) for v in request.args.values()):  # e.g. a %ED%A0%80 in the query
        raise InputRejected("invalid_unicode", 400, "the query string is not valid UTF-8")
    length = request.content_length
    if length is not None and length > limits.max_body_bytes:
        raise InputRejected(
            "body_too_large", 413, f"the request body exceeds the {limits.max_body_bytes:,} byte limit"
        )
    if request.method in ("GET", "HEAD", "OPTIONS", "DELETE") and not length:
        return
    raw = request.get_data(cache=True)
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
    if json_depth_exceeds(stripped, limits.max_json_depth):
        raise InputRejected(
            "json_too_deep", 400, f"the JSON document nests deeper than {limits.max_json_depth} levels"
        )
    try:
        parsed = json.loads(stripped)
    except ValueError:
        return  # malformed JSON: each route reports it in its own words
    if _SURROGATE_ESCAPE.search(stripped) and has_surrogate(parsed):  # only an escape makes one
        raise InputRejected(
            "invalid_unicode", 400, "the JSON document holds an invalid Unicode code point (a lone surrogate)"
        )
