"""Issue 9: the edge guard's fast scans (mock_core.guard) answer exactly as the plain scans they
replaced - the depth of any text, well-formed JSON or not, and whether a parsed body holds a lone
surrogate - checked against those plain scans on generated input."""

from __future__ import annotations

import json

from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st

from mock_core.guard import GuardLimits, InputRejected, _too_deep, check_request, json_depth_exceeds


def _fast_answer(text: str, limit: int) -> bool:
    """What the guard's fast path (bracket count, then the C parser and a walk) says."""
    return _too_deep(text, limit)[0]


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet='"\\[]{}a\n:,0', max_size=60), st.integers(min_value=0, max_value=6))
def test_the_fast_depth_check_answers_as_the_plain_scan(text, limit):
    """`json_depth_exceeds` is the character-by-character scan the guard used before issue 9 (the
    reference); the fast path must agree with it on every text, well-formed or not."""
    assert _fast_answer(text, limit) == json_depth_exceeds(text, limit)


def test_the_fast_depth_check_on_edges():
    for text in ('"abc\\', '"abc\\"[[[', '"a\\\n"[[', '[["\\\\"[[', '"\\\\\\"[[["', "[[[]]]" + '"' + "[" * 9):
        for limit in range(5):
            assert _fast_answer(text, limit) == json_depth_exceeds(text, limit), (text, limit)
    assert _fast_answer("[" * 5 + "]" * 5, 4) and not _fast_answer("[[[[]]]]", 4)
    assert _fast_answer(json.dumps([[[["x"]]]]), 3)


# Text with lone surrogates, pairs (an emoji as two code points), other non-ASCII and escapes in it.
texts = st.text(
    alphabet=st.sampled_from(
        ["a", "\u00e9", "\U0001f600", "\ud800", "\udfff", "\ud83d", "\ude00", "\\", '"']
    ),
    max_size=8,
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | texts,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=20,
)


def _guard_kind(body: bytes) -> str | None:
    app = Flask(__name__)
    with app.test_request_context("/x", method="POST", data=body, content_type="application/json"):
        try:
            check_request(GuardLimits())
        except InputRejected as exc:
            return exc.kind
    return None


@settings(max_examples=300, deadline=None)
@given(json_values, st.booleans())
def test_a_lone_surrogate_is_refused_whatever_the_encoding(value, ascii_only):
    """Surrogates (lone or paired) anywhere, sent escaped (`ensure_ascii`) or as raw UTF-8 where that
    is possible: refused exactly when a lone one is in the document."""
    value = {"v": value}  # a JSON object or array: the guard lets other bodies through to their routes
    text = json.dumps(value, ensure_ascii=ascii_only)
    try:
        body = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate has no UTF-8 form: only the escape can carry it
        body = json.dumps(value).encode()
    expected = "invalid_unicode" if _holds_lone_surrogate(json.loads(body)) else None
    assert _guard_kind(body) == expected


def _holds_lone_surrogate(value: object) -> bool:
    if isinstance(value, str):
        return any("\ud800" <= ch <= "\udfff" for ch in value)
    if isinstance(value, dict):
        return any(_holds_lone_surrogate(k) or _holds_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_lone_surrogate(v) for v in value)
    return False


def test_escaped_surrogates_lone_and_paired():
    assert _guard_kind(b'{"a": "\\ud83d\\ude00"}') is None  # a pair: one emoji
    assert _guard_kind(b'{"a": "\\uD800"}') == "invalid_unicode"
    assert _guard_kind(b'{"\\udc00": 1}') == "invalid_unicode"
    assert _guard_kind(b'{"a": "\\\\ud800"}') is None  # a backslash, then the letters ud800
