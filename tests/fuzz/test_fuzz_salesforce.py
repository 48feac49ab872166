"""Hypothesis fuzzing of the Salesforce mock's REST surface (issue 12): paths, ids, SOQL, bodies,
headers and methods, sent in-process to the real WSGI app.

Every answer must be below 500, and every error must be in Salesforce's shape: a JSON list of
`{"message": str, "errorCode": str, ...}`; every 2xx with a body is JSON. Derandomized in `make test`
(the same few thousand requests each run); `make fuzz` runs a longer, random campaign.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mock_salesforce import create_app, get_org

from .conftest import FUZZ_RANDOM, examples

SUITE = "salesforce REST (hypothesis)"
FIELDS = [
    "Id", "WhoId", "WhatId", "Subject", "ActivityDate", "Status", "Priority", "OwnerId", "Description",
    "Type", "IsDeleted", "IsClosed", "IsReminderSet", "ReminderDateTime", "CreatedDate", "LastModifiedDate",
    "SystemModstamp", "SIA_Task_Id__c", "Nope__c", "Owner.Name",
]  # fmt: skip

SOQL_WORDS = ["SELECT", "Id", "FROM", "Task", "WHERE", "(", ")", ",", "'", "AND", "LIMIT"]

# -- pieces -------------------------------------------------------------------------------------------
text = st.text(st.characters(codec="utf-8"), max_size=12)  # no lone surrogates: a URL cannot carry them
versions = st.sampled_from(["60.0", "59.0", "31.0", "66.0", "30.0", "67.0", "99.9", "60.1"])
sobjects = st.sampled_from(["Task", "task", "TASK", "User", "Account", "Nope__c"]) | text
ids = st.one_of(
    st.from_regex(r"00T[A-Za-z0-9]{12}([A-Za-z0-9]{3})?", fullmatch=True),
    st.from_regex(r"005[A-Za-z0-9]{12}", fullmatch=True),
    text,
    st.integers().map(str),
)
date_values = st.one_of(
    st.dates().map(str),
    st.sampled_from(["0000-00-00", "2026-02-30", "9999-12-31", "0001-01-01", "2026-1-1"]),
)
offsets = st.sampled_from(["Z", "+14:00", "-14:00", "+0000", "-1200", "+99:99", ""])
datetimes = st.builds(
    lambda d, t, o: f"{d}T{t}{o}",
    date_values,
    st.sampled_from(["00:00:00", "23:59:59.999", "25:61:00"]),
    offsets,
)
literals = st.one_of(
    st.builds(lambda s: "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'", text),
    st.sampled_from(["'\\ud800'", "'\\udc00x'", "'\\u0041'", "'\\q'", "'\\'", "''", "null", "true", "FALSE"]),
    st.integers().map(str),
    st.sampled_from(["1" + "0" * 40, "1e400", "-0", ".5"]),
    date_values, datetimes,
    st.builds(lambda name, n: f"{name}:{n}",
              st.sampled_from(["LAST_N_DAYS", "NEXT_N_DAYS", "N_DAYS_AGO", "NEXT_N_WEEKS", "BOGUS"]),
              st.one_of(st.integers(-10, 400), st.integers(), st.just(10**30))),
    st.sampled_from(["TODAY", "YESTERDAY", "LAST_WEEK", "NEXT_YEAR", "THIS_MONTH", "LAST_90_DAYS"]),
)  # fmt: skip
conditions = st.recursive(
    st.one_of(
        st.builds(lambda f, op, v: f"{f} {op} {v}", st.sampled_from(FIELDS),
                  st.sampled_from(["=", "!=", "<>", "<", "<=", ">", ">=", "LIKE", "IN", "=="]), literals),
        st.builds(lambda f, vs, neg: f"{f} {'NOT ' if neg else ''}IN ({', '.join(vs)})",
                  st.sampled_from(FIELDS), st.lists(literals, max_size=80), st.booleans()),
    ),
    lambda inner: st.one_of(
        st.builds(lambda a, b, op: f"({a}) {op} ({b})", inner, inner, st.sampled_from(["AND", "OR", "and"])),
        inner.map(lambda c: f"NOT {c}"),
        st.lists(inner, min_size=2, max_size=40).map(" AND ".join),
    ),
    max_leaves=60,
)  # fmt: skip
soql = st.one_of(
    st.builds(
        lambda fields, obj, where, order, limit, offset: (
            f"SELECT {', '.join(fields) or 'COUNT()'} FROM {obj}"
            + (f" WHERE {where}" if where else "") + order + limit + offset
        ),
        st.lists(st.sampled_from(FIELDS), max_size=5),
        sobjects,
        st.none() | conditions,
        st.sampled_from(["", " ORDER BY Subject", " ORDER BY CreatedDate DESC NULLS LAST", " ORDER BY Nope"]),
        st.builds(lambda n: f" LIMIT {n}", st.integers(-5, 2**64)) | st.just(""),
        st.builds(lambda n: f" OFFSET {n}", st.integers(-5, 2**40)) | st.just(""),
    ),
    st.lists(st.sampled_from(SOQL_WORDS) | text, max_size=15).map(" ".join),
)  # fmt: skip
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
records = (
    st.dictionaries(st.sampled_from(FIELDS) | st.just("attributes"), json_values, max_size=6) | json_values
)
task_like = st.fixed_dictionaries(
    {},
    optional={
        "attributes": st.fixed_dictionaries({"type": sobjects}) | json_values,
        "Id": ids | json_values,
        "Subject": st.text(max_size=300) | json_values,
        "ActivityDate": date_values | json_values,
        "ReminderDateTime": datetimes | json_values,
        "Status": st.sampled_from(["Not Started", "Completed", "Bogus"]) | json_values,
        "OwnerId": ids,
        "SIA_Task_Id__c": st.text(max_size=30) | json_values,
    },
)
bodies = st.one_of(
    task_like.map(json.dumps),
    st.builds(lambda rs, aon: json.dumps({"records": rs, "allOrNone": aon}),
              st.lists(task_like | records, max_size=5), st.booleans() | json_values),
    st.builds(lambda i, f: json.dumps({"ids": i, "fields": f}), st.lists(ids | json_values, max_size=4),
              st.lists(st.sampled_from(FIELDS) | json_values, max_size=4) | json_values),
    json_values.map(json.dumps),
    st.sampled_from(['{"Subject": "\\ud800"}', "[" * 500 + "]" * 500, '{"a":', "", "null", '"x"']),
    st.binary(max_size=40).map(lambda b: b.decode("latin-1")),
)  # fmt: skip


def _q(segment: str) -> str:
    return quote(segment, safe="")


paths = st.one_of(
    st.just("/services/data/"),
    st.builds(lambda v: f"/services/data/v{v}/", versions),
    st.builds(lambda v, r: f"/services/data/v{v}/{r}", versions,
              st.sampled_from(["limits", "sobjects", "composite/sobjects", "query", "queryAll", "search"])),
    st.builds(lambda v, o, tail: f"/services/data/v{v}/sobjects/{_q(o)}{tail}", versions, sobjects,
              st.sampled_from(["", "/describe", "/updated", "/deleted"])),
    st.builds(lambda v, o, i: f"/services/data/v{v}/sobjects/{_q(o)}/{_q(i)}", versions, sobjects, ids),
    st.builds(lambda v, o, f, val: f"/services/data/v{v}/sobjects/{_q(o)}/{_q(f)}/{_q(val)}", versions,
              sobjects, st.sampled_from(FIELDS) | text, ids),
    st.builds(lambda v, kind, loc: f"/services/data/v{v}/{kind}/{_q(loc)}", versions,
              st.sampled_from(["query", "queryAll"]), text | ids),
    st.builds(lambda v, o, f: f"/services/data/v{v}/composite/sobjects/{_q(o)}/{_q(f)}", versions, sobjects,
              st.sampled_from(FIELDS) | text),
    st.builds(lambda v, o: f"/services/data/v{v}/composite/sobjects/{_q(o)}", versions, sobjects),
)  # fmt: skip
query_args = st.dictionaries(
    st.sampled_from(["q", "fields", "ids", "start", "end", "allOrNone", "_HttpMethod"]) | text,
    soql | datetimes | st.lists(ids, max_size=3).map(",".join) | text | st.sampled_from(["true", "PATCH"]),
    max_size=3,
)
requests_ = st.fixed_dictionaries(
    {
        "method": st.sampled_from(["GET", "POST", "PATCH", "DELETE", "PUT", "HEAD", "OPTIONS"]),
        "path": paths,
        "query": query_args,
        "body": st.none() | bodies,
        "auth": st.sampled_from(["valid", "valid", "valid", "none", "bogus", "OAuth"]),
        "headers": st.dictionaries(
            st.sampled_from(["Sforce-Query-Options", "Content-Type", "Accept", "If-Modified-Since", "X-Foo"]),
            st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=30),
            max_size=2,
        ),
    }
)


@pytest.fixture(scope="module")
def org_app():
    app = create_app()
    org = get_org(app)
    user = org.default_user()["Id"]
    for i in range(5):
        org.create_record("Task", {"Subject": f"seed {i}", "ActivityDate": "2026-11-28"}, user)
    return app


def conforms(response) -> str | None:
    """Why the answer breaks Salesforce's wire shape, or None."""
    if response.status_code >= 500:
        return f"5xx: {response.status_code}"
    if response.request.method == "HEAD" or response.status_code in (204, 304):
        return None
    if response.request.method == "OPTIONS" and response.status_code == 200:
        return None if "Allow" in response.headers else "OPTIONS without Allow"
    try:
        body = json.loads(response.get_data(as_text=True))
    except ValueError:
        return f"not JSON: {response.content_type}"
    if response.status_code >= 400:
        if not (isinstance(body, list) and body and isinstance(body[0], dict)):
            return "an error that is not a list of {message, errorCode}"
        if not all(isinstance(e.get("message"), str) and isinstance(e.get("errorCode"), str) for e in body):
            return "an error without a string message and errorCode"
    return None


@settings(
    max_examples=examples(2500),
    derandomize=not FUZZ_RANDOM,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
@given(req=requests_)
def _fuzz_one(client, session_id, figures, req) -> None:
    headers = dict(req["headers"])
    if req["auth"] == "valid":
        headers["Authorization"] = f"Bearer {session_id}"
    elif req["auth"] == "bogus":
        headers["Authorization"] = "Bearer 00D000000000001!bogus"
    elif req["auth"] == "OAuth":
        headers["Authorization"] = f"OAuth {session_id}"
    kwargs: dict = {"headers": headers, "query_string": req["query"]}
    if req["body"] is not None:
        kwargs["data"] = req["body"].encode("utf-8", "surrogatepass")
        headers.setdefault("Content-Type", "application/json")
    response = client.open(req["path"], method=req["method"], **kwargs)
    figures["requests"] += 1
    problem = conforms(response)
    if response.status_code >= 500:
        figures["5xx"] += 1
    elif problem:
        figures["conformance"] += 1
    assert problem is None, (problem, req, response.get_data(as_text=True)[:500])


def test_fuzz_salesforce_rest(org_app, figures):
    org = get_org(org_app)
    session_id = org.new_session()
    org.session_ttl = org.session_ttl * 1000  # the campaign outlives no session
    _fuzz_one(org_app.test_client(), session_id, figures)
    assert figures["requests"] >= min(examples(2500), 1000)
    assert figures["5xx"] == 0 and figures["conformance"] == 0
