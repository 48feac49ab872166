"""The shared edge guard and exposure rules of mock_core (issue 12)."""

from __future__ import annotations

import json
import os
import stat

import pytest
from flask import Flask, request

from mock_core.guard import (
    PARSED_JSON,
    GuardLimits,
    InputRejected,
    check_request,
    has_surrogate,
    json_depth_exceeds,
)
from mock_core.server import check_exposure, is_loopback, write_credentials


def test_json_depth_counts_brackets_outside_strings_only():
    assert not json_depth_exceeds('{"a": "[[[[[[[[[[[["}', 3)
    assert not json_depth_exceeds('{"a": "\\"[[[[["}', 2)
    assert json_depth_exceeds("[" * 5 + "]" * 5, 4)
    assert not json_depth_exceeds("[" * 4 + "]" * 4, 4)
    assert json_depth_exceeds("[" * 100_000, 64)  # no recursion, no RecursionError


def test_lone_surrogates_are_found_in_keys_and_values():
    assert has_surrogate({"a": ["ok", {"b": "x\ud800"}]})
    assert has_surrogate({"\udc00": 1})
    assert not has_surrogate({"a": ["😀", "\u00e9"]})


@pytest.mark.parametrize(
    ("path", "body", "kind"),
    [
        ("/x?" + "a" * 200, b"", "url_too_long"),
        ("/x", b"x" * 101, "body_too_large"),
        ("/x", b'{"a": "\xff"}', "not_utf8"),
        ("/x", b"[[[[[[]]]]]]", "json_too_deep"),
        ("/x", b'{"a": "\\ud800"}', "invalid_unicode"),
        ("/x?q=%ED%A0%80", b"", None),  # decoded with replacement: no surrogate reaches a route
    ],
)
def test_check_request_refuses_what_no_route_should_see(path, body, kind):
    limits = GuardLimits(max_body_bytes=100, max_json_depth=4, max_url_bytes=100)
    app = Flask(__name__)
    with app.test_request_context(path, method="POST", data=body):
        if kind is None:
            check_request(limits)
            return
        with pytest.raises(InputRejected) as caught:
            check_request(limits)
    assert caught.value.kind == kind and 400 <= caught.value.status < 500


def test_valid_requests_pass():
    app = Flask(__name__)
    with app.test_request_context("/x?q=%C3%A9", method="POST", data='{"a": ["é", "😀", "\\ud83d\\ude00"]}'):
        check_request(GuardLimits())


def test_only_loopback_binds_go_without_a_token():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5") and not is_loopback("example.com")
    check_exposure("127.0.0.1", None)
    check_exposure("0.0.0.0", "a-token")
    with pytest.raises(ValueError, match="--admin-token"):
        check_exposure("0.0.0.0", None)


def test_credentials_are_written_for_the_owner_only(tmp_path):
    target = tmp_path / "creds.txt"
    target.write_text("old")
    os.chmod(target, 0o644)
    path = write_credentials(["token abc"], str(target))
    assert path.read_text() == "token abc\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    fresh = write_credentials(["x"])
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (b'{"a": [' + b'{"b": 1}, ' * 40 + b'{"b": 1}]}', None),  # many brackets, shallow: passes
        (b"[" * 5 + b"1" + b"]" * 4, "json_too_deep"),  # malformed and too deep: still refused
        (b"[" * 5000 + b"]" * 5000, "json_too_deep"),  # the parser's own recursion limit: refused
        (b'{"a": "\\\\ud800"}', None),  # an escaped backslash, then the letters ud800: no surrogate
        (b'{"a": ["ok", {"b": "\\udfff"}]}', "invalid_unicode"),
    ],
)
def test_the_guard_checks_depth_and_surrogates_on_its_one_parse(body, kind):
    """Issue 9: the guard parses a JSON body once (the route reuses it) and scans the text only when it
    cannot parse it; the answers are the ones the character scan gave."""
    app = Flask(__name__)
    with app.test_request_context("/x", method="POST", data=body):
        if kind is None:
            check_request(GuardLimits(max_json_depth=4))
            assert request.environ[PARSED_JSON] == json.loads(body)
            return
        with pytest.raises(InputRejected) as caught:
            check_request(GuardLimits(max_json_depth=4))
    assert caught.value.kind == kind
