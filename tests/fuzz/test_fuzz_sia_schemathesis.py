"""schemathesis against the SIA mock's served OpenAPI document (issue 12), with all its default checks:
no 5xx, documented status codes, content types, headers and response schemas, schema-invalid requests
refused and schema-valid ones accepted. In-process (WSGI), derandomized in `make test`.

The document's custom formats (an IANA zone, a cursor the API gave out, a subject template) are
checked by the server with the same code (mock_sia/contract.py); here they get generators.
"""

from __future__ import annotations

from zoneinfo import available_timezones

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from mock_sia import ANN_TOKEN, SERVICE_TOKEN, create_app, get_sia
from mock_sia.store import encode_cursor
from mock_sia.template import DYNAMIC_FIELDS

from .conftest import FUZZ_RANDOM, examples

SUITE = "SIA OpenAPI (schemathesis, all default checks)"

_template_text = st.text(
    st.characters(exclude_characters="{}\x00", exclude_categories=("Cs",)), min_size=1, max_size=40
)
schemathesis.openapi.format("iana-time-zone", st.sampled_from(sorted(available_timezones())))
schemathesis.openapi.format(
    "sia-cursor", st.builds(encode_cursor, st.integers(0, 2**42), st.integers(1, 2**42))
)
schemathesis.openapi.format(
    "sia-subject-template",
    st.lists(_template_text | st.sampled_from(DYNAMIC_FIELDS).map(lambda f: "{{" + f + "}}"), min_size=1,
             max_size=6).map("".join).filter(lambda s: s.strip() != "" and len(s) <= 1000),
)  # fmt: skip
schemathesis.openapi.format(
    "sia-after",
    st.builds(lambda ms, pk: f"2026-11-28T12:00:00.{ms:03d}Z,tsk_{pk:010d}", st.integers(0, 999),
              st.integers(1, 10**12)),
)  # fmt: skip

APP = create_app({"SECRET_KEY": "fuzz"})
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", APP)
ANN_ID = get_sia(APP).user_by_email("ann@sia.example").id

SETTINGS = settings(
    max_examples=examples(15),
    derandomize=not FUZZ_RANDOM,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


def _call(case, figures, headers: dict) -> None:
    figures["requests"] += 1
    try:
        response = case.call_and_validate(headers=headers)
    except Exception:
        figures["conformance"] += 1  # schemathesis reports its checks' failures as one FailureGroup
        raise
    if response.status_code >= 500:
        figures["5xx"] += 1


@pytest.fixture(scope="module")
def journal_start():
    return get_sia(APP).journal.count()


@schema.parametrize()
@SETTINGS
def test_sia_api_as_a_user(case, figures, journal_start):
    _call(case, figures, {"Authorization": f"Bearer {ANN_TOKEN}"})


@schema.include(path_regex="^/service/").parametrize()
@SETTINGS
def test_sia_service_endpoints_as_the_sync(case, figures, journal_start):
    _call(case, figures, {"Authorization": f"Bearer {SERVICE_TOKEN}"})


@schema.exclude(path_regex="^/(service/|openapi)").parametrize()
@SETTINGS
def test_sia_api_as_the_service_acting_for_a_user(case, figures, journal_start):
    if case.headers and "X-SIA-User" in case.headers:
        case.headers["X-SIA-User"] = ANN_ID  # a real user: an unknown one is only a 404
    _call(case, figures, {"Authorization": f"Bearer {SERVICE_TOKEN}", "X-SIA-User": ANN_ID})


def test_zz_every_request_reached_the_server(figures, journal_start):
    """The figures are real: the mock's own journal saw at least as many API requests."""
    served = get_sia(APP).journal.count() - journal_start
    assert figures["requests"] > 0 and served >= figures["requests"]
    assert figures["5xx"] == 0 and figures["conformance"] == 0
