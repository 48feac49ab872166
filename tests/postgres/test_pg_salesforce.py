"""The Salesforce mock on PostgreSQL, driven by the real simple-salesforce in-process.

Each test's database has a linguistic collation and a far-from-UTC session zone (see conftest), so these
prove the org's SQL does not lean on SQLite's byte-order strings or on the server's clock and zone.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest
from sqlalchemy import text

from mock_core.clock import Clock
from mock_salesforce import mock_salesforce

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
LOGIN = {"username": "admin@example.com", "password": "password", "security_token": "token"}


@pytest.fixture
def clock() -> Clock:
    return Clock(frozen_at=T0)


@pytest.fixture
def org(pg_url, clock):
    with mock_salesforce(config={"DB_URL": pg_url, "CLOCK": clock}) as org:
        yield org
        org.engine.dispose()


@pytest.fixture
def sf(org) -> Salesforce:
    return Salesforce(**LOGIN)


def stamp_and_id(record: dict) -> tuple[str, str]:
    return record["SystemModstamp"], record["Id"]


def test_the_database_is_linguistic_but_id_columns_sort_byte_wise(org, pg):
    """The premise of this suite, and the fix it needed: `"C"` collation on the id columns only."""
    with pg.connect() as conn:
        assert conn.execute(text("SELECT 'a' < 'B'")).scalar() is True  # en-US: linguistic
        assert conn.execute(text("SHOW timezone")).scalar() == "Pacific/Chatham"
        collations = dict(
            conn.execute(
                text(
                    "SELECT column_name, collation_name FROM information_schema.columns "
                    "WHERE table_name = 'sf_task' AND column_name IN ('Id', 'OwnerId', 'Subject')"
                )
            ).all()
        )
    assert collations == {"Id": "C", "OwnerId": "C", "Subject": None}


def test_create_read_and_naive_utc_datetimes_survive_a_non_utc_server_zone(org, sf, pg, clock):
    created = sf.Task.create({"Subject": "Call Ann", "ActivityDate": "2026-12-01", "Priority": "High"})
    assert created["success"] is True and created["id"].startswith("00T")
    got = sf.Task.get(created["id"])
    assert got["CreatedDate"] == got["SystemModstamp"] == "2026-11-28T12:00:00.000+0000"
    assert (got["ActivityDate"], got["IsHighPriority"], got["IsClosed"]) == ("2026-12-01", True, False)
    with pg.connect() as conn:
        stored = conn.execute(text('SELECT "CreatedDate" FROM sf_task')).scalar()
    assert stored == datetime(2026, 11, 28, 12, 0)  # naive UTC, not shifted to Chatham time
    found = sf.query("SELECT Id FROM Task WHERE CreatedDate = 2026-11-28T12:00:00Z")["records"]
    assert [r["Id"] for r in found] == [created["id"]]
    none = sf.query("SELECT Id FROM Task WHERE CreatedDate > 2026-11-28T12:00:00.000+0000")
    assert none["totalSize"] == 0
    assert sf.query("SELECT COUNT() FROM Task WHERE CreatedDate = TODAY")["totalSize"] == 1
    clock.advance(days=2)
    assert sf.query("SELECT COUNT() FROM Task WHERE CreatedDate = LAST_N_DAYS:1")["totalSize"] == 0
    assert sf.query("SELECT COUNT() FROM Task WHERE CreatedDate = LAST_N_DAYS:3")["totalSize"] == 1


def test_order_by_id_and_keyset_pages_on_systemmodstamp_id_are_byte_order(org, sf, clock):
    """2,500 tasks on one SystemModstamp: every id shares the stamp, so Id alone decides the order, and
    ids differ in case (`…0aEAA` vs `…0AEAQ`): a linguistic collation would interleave them."""
    org.seed(2500, seed=11)
    everything = sf.query_all("SELECT Id, SystemModstamp FROM Task ORDER BY SystemModstamp, Id")["records"]
    expected = sorted(stamp_and_id(r) for r in everything)  # Python compares str byte-wise
    assert [stamp_and_id(r) for r in everything] == expected and len(expected) == 2500
    # ...and a case-insensitive (linguistic) order would be a different one: this test can fail.
    assert expected != sorted(expected, key=lambda k: (k[0], k[1].lower()))
    # The sync's keyset read: strictly after (stamp, id), 200 at a time, until nothing is left.
    seen: list[tuple[str, str]] = []
    where = ""
    while True:
        page = sf.query(f"SELECT Id, SystemModstamp FROM Task {where} ORDER BY SystemModstamp, Id LIMIT 200")[
            "records"
        ]
        if not page:
            break
        seen += [stamp_and_id(r) for r in page]
        stamp, last = seen[-1]
        stamp = stamp.replace(".000+0000", "Z")
        where = f"WHERE SystemModstamp > {stamp} OR (SystemModstamp = {stamp} AND Id > '{last}')"
    assert seen == expected


def test_next_records_url_pages_cover_every_task_once_in_order(org, sf):
    org.seed(2300, seed=5, spread_days=2)
    first = sf.query(
        "SELECT Id, SystemModstamp FROM Task ORDER BY SystemModstamp DESC, Id DESC",
        headers={"Sforce-Query-Options": "batchSize=500"},
    )
    assert (first["totalSize"], len(first["records"]), first["done"]) == (2300, 500, False)
    records = list(first["records"])
    page = first
    while not page["done"]:
        page = sf.query_more(page["nextRecordsUrl"], identifier_is_url=True)
        records += page["records"]
    keys = [stamp_and_id(r) for r in records]
    assert keys == sorted(keys, reverse=True) and len(set(keys)) == 2300


def test_upsert_by_external_id_is_case_insensitive_and_unique(org, sf):
    assert sf.Task.upsert("SIA_Task_Id__c/tsk_ABC", {"Subject": "first"}) == 201
    assert sf.Task.upsert("SIA_Task_Id__c/TSK_abc", {"Subject": "second"}) == 200  # same record
    rows = sf.query("SELECT Id, Subject, SIA_Task_Id__c FROM Task")["records"]
    assert [(r["Subject"], r["SIA_Task_Id__c"]) for r in rows] == [("second", "tsk_ABC")]
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.Task.create({"Subject": "dup", "SIA_Task_Id__c": "Tsk_Abc"})
    assert caught.value.content[0]["errorCode"] == "DUPLICATE_VALUE"
    by_ext = sf.Task.get_by_custom_id("SIA_Task_Id__c", "TSK_ABC")
    assert by_ext["Id"] == rows[0]["Id"]
    # Collections upsert: a batch keyed case-insensitively, one new and one existing record.
    result = sf.restful(
        "composite/sobjects/Task/SIA_Task_Id__c",
        method="PATCH",
        json={
            "allOrNone": False,
            "records": [
                {"attributes": {"type": "Task"}, "SIA_Task_Id__c": "tsk_abc", "Subject": "third"},
                {"attributes": {"type": "Task"}, "SIA_Task_Id__c": "tsk_new", "Subject": "new"},
            ],
        },
    )
    assert [(r["success"], r["created"]) for r in result] == [(True, False), (True, True)]
    assert sf.query("SELECT COUNT() FROM Task")["totalSize"] == 2


def test_recycle_bin_query_all_deleted_restore_and_purge(org, sf, clock):
    keep = sf.Task.create({"Subject": "keep"})["id"]
    gone = sf.Task.create({"Subject": "gone"})["id"]
    clock.advance(minutes=5)
    assert sf.Task.delete(gone) == 204
    assert [r["Id"] for r in sf.query("SELECT Id FROM Task")["records"]] == [keep]
    every = {
        r["Id"]: r["IsDeleted"]
        for r in sf.query_all("SELECT Id, IsDeleted FROM Task", include_deleted=True)["records"]
    }
    assert every == {keep: False, gone: True}
    clock.advance(minutes=5)
    deleted = sf.Task.deleted(T0, clock.now())
    assert [d["id"] for d in deleted["deletedRecords"]] == [gone]
    assert deleted["deletedRecords"][0]["deletedDate"] == "2026-11-28T12:05:00.000+0000"
    sf.Task.update(keep, {"Description": "touched"})
    clock.advance(minutes=1)
    updated = sf.Task.updated(T0 + timedelta(minutes=1), clock.now())
    assert updated["ids"] == [keep]  # deleted rows are getDeleted's, not getUpdated's
    assert org.restore(gone) == [gone]
    assert sf.query("SELECT COUNT() FROM Task")["totalSize"] == 2
    sf.Task.delete(gone)
    clock.advance(days=16)  # SF-ORG: the recycle bin keeps 15 days
    assert org.recycle_bin() == []
    assert sf.query("SELECT COUNT() FROM Task", include_deleted=True)["totalSize"] == 1  # queryAll


def test_a_second_app_on_the_same_database_finds_the_org_and_keeps_counting_ids(pg_url, clock):
    with mock_salesforce(config={"DB_URL": pg_url, "CLOCK": clock}) as first:
        sf = Salesforce(**LOGIN)
        made = [sf.Task.create({"Subject": f"t{i}", "SIA_Task_Id__c": f"x{i}"})["id"] for i in range(70)]
        org_id, user = first.org_id, first.create_user({"Username": "bob@example.com"})
        first.engine.dispose()
    with mock_salesforce(config={"DB_URL": pg_url, "CLOCK": clock}) as second:
        assert second.org_id == org_id
        sf = Salesforce(username="bob@example.com", password="password", security_token="token")
        assert sf.query("SELECT COUNT() FROM Task")["totalSize"] == 70
        newer = sf.Task.create({"Subject": "after restart"})["id"]
        assert newer not in made and newer > max(made)  # the counter resumed after the highest id
        assert sf.Task.upsert("SIA_Task_Id__c/X3", {"Subject": "still unique"}) == 200
        owner = sf.query(f"SELECT OwnerId FROM Task WHERE Id = '{newer}'")["records"][0]["OwnerId"]
        assert owner == user["Id"]
        second.engine.dispose()


def test_nul_characters_are_refused_in_salesforce_words_not_500(org, sf):
    """Decided: PostgreSQL text cannot hold NUL, so the org refuses it (on every database alike)."""
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.Task.create({"Subject": "a\u0000b"})
    assert caught.value.content[0]["errorCode"] == "JSON_PARSER_ERROR"
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.Task.upsert("SIA_Task_Id__c/tsk%00x", {"Subject": "x"})
    assert caught.value.content[0]["errorCode"] == "JSON_PARSER_ERROR"
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.query("SELECT Id FROM Task WHERE Subject = 'a\u0000b'")
    assert caught.value.content[0]["errorCode"] == "MALFORMED_QUERY"
    assert sf.query("SELECT COUNT() FROM Task")["totalSize"] == 0


def test_admin_values_wider_than_their_columns_are_admin_errors(org):
    from mock_core.errors import AdminError

    with pytest.raises(AdminError, match="Username"):
        org.create_user({"Username": "u" * 80 + "@example.com"})
    with pytest.raises(AdminError, match="FirstName"):
        org.create_user({"Username": "f@example.com", "FirstName": "F" * 41})
    with pytest.raises(AdminError, match="at most 40 characters before __c"):
        org.declare_field("Task", "F" * 41 + "__c")
    assert [u["Username"] for u in org.list_users()] == ["admin@example.com"]


def test_offset_paged_answers_with_ties_in_the_order_repeat_and_miss_nothing(org, sf, monkeypatch):
    """Over SNAPSHOT_MAX rows the org re-runs the query per page (keyset, after the last row's keys);
    on PostgreSQL equal sort keys come back in a different order per LIMIT unless the Id breaks ties."""
    import mock_salesforce.query as query

    monkeypatch.setattr(query, "SNAPSHOT_MAX", 1000)  # the same path as for 50,000+ rows, made small
    org.seed(6000, seed=2)  # one SystemModstamp for all, five Status values
    for soql in ("SELECT Id FROM Task ORDER BY Status", "SELECT Id FROM Task ORDER BY SystemModstamp DESC"):
        ids = [r["Id"] for r in sf.query_all(soql)["records"]]
        assert len(ids) == len(set(ids)) == 6000, soql
