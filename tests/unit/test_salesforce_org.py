"""Unit tests of the org emulator's pieces: wire formats, errors, describe, and the Org's Python API."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from mock_core import Clock
from mock_core.errors import AdminError
from mock_salesforce import create_app, get_org
from mock_salesforce import errors as E
from mock_salesforce.routes.data import version_label
from mock_salesforce.wire import format_datetime, load_json_body, parse_date, parse_datetime

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@pytest.fixture
def org():
    return get_org(create_app({"CLOCK": Clock(frozen_at=T0)}))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-28T17:01:54Z", datetime(2026, 11, 28, 17, 1, 54)),
        ("2026-11-28T17:01:54.123+0000", datetime(2026, 11, 28, 17, 1, 54, 123000)),
        ("2026-11-28T19:01:54+02:00", datetime(2026, 11, 28, 17, 1, 54)),
        ("2026-11-28T09:01:54.5-0800", datetime(2026, 11, 28, 17, 1, 54, 500000)),
        ("2026-11-28T17:01:54", datetime(2026, 11, 28, 17, 1, 54)),
    ],
)
def test_datetime_inputs_become_naive_utc_millis(text, expected):
    assert parse_datetime(text) == expected


@pytest.mark.parametrize("text", ["2026-11-28", "yesterday", "2026-11-28T01:02:03:", ""])
def test_bad_datetimes_are_refused(text):
    with pytest.raises(ValueError):
        parse_datetime(text)


def test_wire_datetime_and_date_formats():
    assert format_datetime(datetime(2026, 11, 28, 17, 1, 54, 7000)) == "2026-11-28T17:01:54.007+0000"
    assert format_datetime(datetime(2026, 11, 28, 18, 0, tzinfo=UTC) + timedelta(hours=1)).endswith(
        "19:00:00.000+0000"
    )
    assert parse_date("2026-02-03") == date(2026, 2, 3)
    with pytest.raises(ValueError):
        parse_date("2026-2-3")


def test_json_parser_errors_read_like_salesforce():
    with pytest.raises(E.JsonParserError) as info:
        load_json_body(b'{"Subject": }')
    assert info.value.message.startswith("Unexpected character ('}' (code 125))")
    with pytest.raises(E.JsonParserError) as info:
        load_json_body(b"")
    assert "end-of-input" in info.value.message


def test_error_renderings():
    assert E.InvalidSession().to_dict() == {
        "message": "Session expired or invalid",
        "errorCode": "INVALID_SESSION_ID",
    }
    assert E.RequiredFieldMissing(["Status"]).to_record_error() == {
        "statusCode": "REQUIRED_FIELD_MISSING",
        "message": "Required fields are missing: [Status]",
        "fields": ["Status"],
    }
    assert E.InvalidFieldForInsertUpdate.for_fields(["IsClosed"]).fields == ["IsClosed"]


def test_version_labels():
    assert version_label(59) == "Winter '24"
    assert version_label(61) == "Summer '24"
    assert version_label(62) == "Winter '25"
    assert version_label(58) == "Summer '23"
    assert version_label(31) == "Summer '14"


def test_default_org(org):
    users = org.list_users()
    assert [u["Username"] for u in users] == ["admin@example.com"]
    assert users[0]["Id"].startswith("005") and users[0]["IsActive"] is True
    field = org.schemas["task"].get("sia_task_id__c")
    assert field.name == "SIA_Task_Id__c" and field.external_id and field.unique and not field.case_sensitive
    assert org.check_password("ADMIN@example.com", "passwordtoken") == users[0]["Id"]
    assert org.check_password("admin@example.com", "password") is None
    assert org.check_password("admin@example.com", "password", token_optional=True) == users[0]["Id"]


def test_declare_field_checks(org):
    with pytest.raises(AdminError):
        org.declare_field("Task", "NoSuffix")
    with pytest.raises(AdminError):
        org.declare_field("Task", "SIA_Task_Id__c")
    with pytest.raises(AdminError):
        org.declare_field("User", "X__c")
    for n in range(9):
        org.declare_field("Task", f"F{n}__c")
    with pytest.raises(AdminError):
        org.declare_field("Task", "One_Too_Many__c")


def test_picklist_configuration_is_checked(org):
    with pytest.raises(AdminError):
        org.configure_picklist("Subject", values=["a"])
    with pytest.raises(AdminError):
        org.configure_picklist("Status", values=["A", "B"])  # default "Not Started" is no longer a value
    config = org.configure_picklist("Status", values=["A", "B"], default="A", closed=["B"])
    assert org.schemas["task"].get("Status").picklist == ("A", "B") and config["closed"] == ["B"]


def test_all_or_none_leaves_nothing_behind(org):
    actor = org.default_user()["Id"]
    results = org.collection_create(
        [{"attributes": {"type": "Task"}, "Subject": "a"}, {"attributes": {"type": "Task"}, "Status": None}],
        True,
        actor,
    )
    assert [r["success"] for r in results] == [False, False]
    assert org.count_tasks(include_deleted=True) == 0


def test_purge_happens_lazily_by_clock(org):
    actor = org.default_user()["Id"]
    task_id = org.create_record("Task", {"Subject": "x"}, actor)
    org.delete_record("Task", task_id, actor)
    org.clock.advance(days=14, hours=23)
    assert [r["Id"] for r in org.recycle_bin()] == [task_id]
    org.clock.advance(hours=2)
    assert org.recycle_bin() == [] and org.get_task(task_id) is None


def test_manual_purge_moves_earliest_date_available(org):
    actor = org.default_user()["Id"]
    org.delete_record("Task", org.create_record("Task", {}, actor), actor)
    assert org.purge_recycle_bin() == 1
    org.clock.advance(minutes=5)
    start = (org.clock.now() - timedelta(days=1)).isoformat()
    with pytest.raises(E.InvalidReplicationDate):
        org.deleted("Task", start, org.clock.now().isoformat())


def test_api_window_rolls_after_a_day(org):
    org.set_api_allocation(max=2, used=2)
    with pytest.raises(E.RequestLimitExceeded):
        org.count_api_call()
    org.clock.advance(hours=24)
    org.count_api_call()
    assert org.api_allocation() == {"max": 2, "used": 1, "remaining": 1}


def test_reset_keeps_the_clock_and_forgets_everything_else(org):
    clock = org.clock
    org.create_user({"Username": "x@example.com"})
    org.seed(3, seed=1)
    org.faults.add("latency", seconds=0.0)
    org.reset()
    assert org.clock is clock and org.count_tasks() == 0 and len(org.list_users()) == 1
    assert org.faults.list() == []


def test_seed_options_are_checked(org):
    with pytest.raises(AdminError):
        org.seed(1, seed=1, colour="blue")
    with pytest.raises(AdminError):
        org.seed(1, owner="nobody@example.com")


def _first_page(org, soql: str, batch: int = 200) -> dict:
    return org.query(soql, include_deleted=False, batch_size=batch, user_id=None, version="59.0")


def _read_all(org, soql: str, batch: int = 200) -> list[str]:
    page = _first_page(org, soql, batch)
    ids = [r["Id"] for r in page["records"]]
    while not page["done"]:
        locator = page["nextRecordsUrl"].rsplit("/", 1)[1]
        page = org.query_more(locator, "59.0")
        ids += [r["Id"] for r in page["records"]]
    return ids


@pytest.mark.parametrize(
    "order",
    [
        "ORDER BY Status",
        "ORDER BY ActivityDate",  # nulls first
        "ORDER BY ActivityDate DESC",  # nulls last
        "ORDER BY ActivityDate DESC NULLS FIRST, Subject",
        "ORDER BY Type NULLS LAST, Priority DESC",
        "",
    ],
)
def test_keyset_pages_give_the_snapshots_rows_in_the_snapshots_order(org, monkeypatch, order):
    """Over SNAPSHOT_MAX rows a query pages by keyset (after the previous page's last row, issue 9): the
    same rows, once each, in the same order as the snapshot of ids smaller results use."""
    import mock_salesforce.query as query

    org.seed(1500, seed=3, spread_days=2)
    soql = f"SELECT Id, Subject FROM Task WHERE Subject != 'x' {order}"
    snapshot = _read_all(org, soql)
    monkeypatch.setattr(query, "SNAPSHOT_MAX", 100)
    keyset = _read_all(org, soql)
    assert len(keyset) == len(set(keyset)) == 1500
    if order:
        assert keyset == snapshot
    else:
        assert set(keyset) == set(snapshot)


def test_a_keyset_page_asked_for_again_or_out_of_turn_is_the_same_page(org, monkeypatch):
    import mock_salesforce.query as query

    monkeypatch.setattr(query, "SNAPSHOT_MAX", 100)
    org.seed(1000, seed=4)
    first = _first_page(org, "SELECT Id FROM Task ORDER BY Subject")
    locator = first["nextRecordsUrl"].rsplit("/", 1)[1].rsplit("-", 1)[0]
    second = org.query_more(f"{locator}-200", "59.0")["records"]
    assert org.query_more(f"{locator}-200", "59.0")["records"] == second  # again
    fifth = org.query_more(f"{locator}-800", "59.0")["records"]  # out of turn
    assert org.query_more(f"{locator}-400", "59.0")["records"] != fifth
    ordered = _read_all(org, "SELECT Id FROM Task ORDER BY Subject")
    assert [r["Id"] for r in fifth] == ordered[800:1000]
    assert [r["Id"] for r in second] == ordered[200:400]
