"""Every bad input is the caller's error, answered 4xx in Salesforce's shape `[{message, errorCode}]`
(issue 12): SOQL limits, out-of-range dates, invalid Unicode, deep JSON, wrong JSON types, long URLs.
Run in-process and against the real HTTPS server (`sfx`), with simple-salesforce where it can send it."""

from __future__ import annotations

import json

import pytest
import requests
from simple_salesforce.exceptions import SalesforceMalformedRequest

from mock_salesforce.errors import SalesforceError

V = "/services/data/v60.0"


def raw(sfx, method: str, path: str, **kwargs) -> requests.Response:
    """A raw HTTP call with a valid session (bodies simple-salesforce would never send)."""
    http = sfx.http or requests.Session()
    headers = {"Authorization": f"Bearer {sfx.org.new_session()}", "Content-Type": "application/json"}
    headers.update(kwargs.pop("headers", {}))
    return http.request(method, f"{sfx.instance_url}{path}", headers=headers, timeout=30, **kwargs)


def assert_sf_error(response: requests.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text[:300]
    body = response.json()
    assert isinstance(body, list) and body[0]["errorCode"] == code, body
    return body[0]["message"]


def query_error(sf, soql: str) -> tuple[int, str]:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.query(soql)
    return caught.value.status, caught.value.content[0]["errorCode"]


@pytest.mark.parametrize(
    "where",
    [
        "ActivityDate = LAST_N_DAYS:99999999",
        "CreatedDate = NEXT_N_DAYS:99999999",
        "CreatedDate = N_DAYS_AGO:99999999",
        "CreatedDate = N_DAYS_AGO:" + "9" * 400,
        "CreatedDate > 0001-01-01T00:00:00+14:00",
        "CreatedDate < 9999-12-31T23:59:59-14:00",
        "ActivityDate = 0000-00-00",
        "Subject = '\\ud800'",
        "Subject LIKE '\\udc00%'",
    ],
)
def test_soql_out_of_range_values_are_malformed_queries(sf, where):
    assert query_error(sf, f"SELECT Id FROM Task WHERE {where}") == (400, "MALFORMED_QUERY")


@pytest.mark.parametrize("clause", ["LIMIT 9223372036854775808", "LIMIT 99999999999", "OFFSET 2147483648"])
def test_soql_limit_and_offset_beyond_an_int_are_malformed(sf, clause):
    assert query_error(sf, f"SELECT Id FROM Task {clause}") == (400, "MALFORMED_QUERY")


def test_big_in_lists_and_long_and_chains_run(sf, sfx):
    sf.Task.create({"Subject": "s7"})
    values = ",".join(f"'s{i}'" for i in range(800))  # ~12 KB of encoded URL: under the 16 KB limit
    assert sf.query(f"SELECT Id FROM Task WHERE Subject IN ({values})")["totalSize"] == 1
    assert sf.query(f"SELECT Id FROM Task WHERE Subject NOT IN ({values})")["totalSize"] == 0
    chain = " AND ".join("Subject != 'x'" for _ in range(300))
    assert sf.query(f"SELECT Id FROM Task WHERE {chain}")["totalSize"] == 1


def org_query(org, soql: str) -> dict:
    return org.query(soql, include_deleted=False, batch_size=2000, user_id=None, version="60.0")


def test_soql_limits_of_the_statement_itself(sfx):
    """Beyond the URL limit the org's Python API still applies Salesforce's statement limits."""
    org = sfx.org
    org.create_record("Task", {"Subject": "s7"}, org.default_user()["Id"])
    in_5000 = ",".join(f"'s{i}'" for i in range(5000))
    assert org_query(org, f"SELECT Id FROM Task WHERE Subject IN ({in_5000})")["totalSize"] == 1
    ands = " AND ".join("Subject != 'x'" for _ in range(2000))
    assert org_query(org, f"SELECT Id FROM Task WHERE {ands}")["totalSize"] == 1
    cases = {
        "SELECT Id FROM Task WHERE Subject = '" + "x" * 100_001 + "'": "MALFORMED_QUERY",
        "SELECT Id FROM Task WHERE " + "NOT " * 2000 + "Subject = 'x'": "QUERY_TOO_COMPLICATED",
        "SELECT Id FROM Task WHERE Subject IN (" + ",".join(f"'{i}'" for i in range(9000)) + ")": (
            "QUERY_TOO_COMPLICATED"
        ),
    }
    for soql, code in cases.items():
        with pytest.raises(SalesforceError) as caught:
            org_query(org, soql)
        assert (caught.value.status, caught.value.error_code) == (400, code)


def test_a_url_over_16_kb_is_414_in_salesforce_shape(sfx):
    values = ",".join(f"'s{i}'" for i in range(5000))
    response = raw(sfx, "GET", f"{V}/query", params={"q": f"SELECT Id FROM Task WHERE Subject IN ({values})"})
    assert_sf_error(response, 414, "URI_TOO_LONG")


def test_a_64_kb_url_is_json_not_an_html_page(sfx):
    response = raw(sfx, "GET", f"{V}/query?q=" + "x" * 66_000)
    assert response.headers["Content-Type"].startswith("application/json")
    assert_sf_error(response, 414, "URI_TOO_LONG")


@pytest.mark.parametrize("kind", ["updated", "deleted"])
@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("0001-01-01T00:00:00+14:00", "2026-11-28T00:00:00Z"),
        ("2026-11-27T00:00:00Z", "9999-12-31T23:59:59-14:00"),
    ],
)
def test_replication_windows_with_extreme_offsets(sfx, kind, start, end):
    response = raw(sfx, "GET", f"{V}/sobjects/Task/{kind}", params={"start": start, "end": end})
    assert_sf_error(response, 400, "INVALID_REPLICATION_DATE")


@pytest.mark.parametrize(
    "body",
    [
        b'{"Subject": "\\ud800"}',  # a lone high surrogate
        b'{"Subject": "ok", "Description": "\\udfff tail"}',  # a lone low surrogate
        b'{"Subject": "\xff\xfe"}',  # not UTF-8 at all
        b"[" * 2000 + b"]" * 2000,  # nested far deeper than any record
        b'{"Subject": ' + b"[" * 100 + b"]" * 100 + b"}",
    ],
)
def test_bodies_no_parser_should_see_are_json_parser_errors(sfx, body):
    assert_sf_error(raw(sfx, "POST", f"{V}/sobjects/Task", data=body), 400, "JSON_PARSER_ERROR")


@pytest.mark.parametrize(
    "body",
    [
        {"ids": [5, None], "fields": ["Subject"]},
        {"ids": ["00T000000000001AAA"], "fields": [1, {}]},
        {"ids": [["nested"]], "fields": ["Subject"]},
    ],
)
def test_collection_retrieve_with_non_string_entries(sfx, body):
    response = raw(sfx, "POST", f"{V}/composite/sobjects/Task", data=json.dumps(body))
    assert_sf_error(response, 400, "JSON_PARSER_ERROR")


@pytest.mark.parametrize(
    ("method", "path", "records"),
    [
        ("POST", "/composite/sobjects", [{"attributes": {"type": "Task"}, "Subject": {"a": 1}}]),
        ("PATCH", "/composite/sobjects", [{"attributes": {"type": "Task"}, "Id": 5}]),
        ("POST", "/composite/sobjects", [{"attributes": {"type": 5}}, 7, None, "x", []]),
        ("PATCH", "/composite/sobjects/Task/Id", [{"attributes": {"type": "Task"}, "Id": [1]}]),
    ],
)
def test_collections_with_wrong_json_types_answer_per_record(sfx, method, path, records):
    response = raw(sfx, method, f"{V}{path}", data=json.dumps({"records": records}))
    assert response.status_code in (200, 400), response.text
    results = response.json()
    if response.status_code == 200:
        assert all(r["success"] is False and r["errors"][0]["statusCode"] for r in results)
    else:
        assert results[0]["errorCode"]


def test_an_unexpected_exception_still_answers_in_salesforce_shape(sfx, monkeypatch, caplog):
    """The catch-all: a bug is a 500 UNKNOWN_EXCEPTION list, logged with its traceback."""

    def explode(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(type(sfx.org), "limit_info", explode)
    with caplog.at_level("ERROR", logger="mock_core"):
        response = raw(sfx, "GET", f"{V}/limits")
    assert_sf_error(response, 500, "UNKNOWN_EXCEPTION")
    assert any(record.exc_info for record in caplog.records)
