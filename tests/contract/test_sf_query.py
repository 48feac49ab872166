"""query / queryAll with cursors, COUNT(), SOQL errors, recycle bin and restore."""

from __future__ import annotations

from datetime import timedelta

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest, SalesforceResourceNotFound
from simple_salesforce.format import format_soql


def test_2500_tasks_come_in_two_pages(sfx, sf):
    sfx.org.seed(2500, seed=7)
    first = sf.query("SELECT Id, Subject FROM Task ORDER BY Id")
    assert first["totalSize"] == 2500 and first["done"] is False and len(first["records"]) == 2000
    assert first["nextRecordsUrl"].startswith("/services/data/v59.0/query/01g")
    assert first["nextRecordsUrl"].endswith("-2000")
    second = sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)
    assert second["done"] is True and len(second["records"]) == 500 and "nextRecordsUrl" not in second
    ids = [r["Id"] for r in first["records"] + second["records"]]
    assert ids == sorted(ids) and len(set(ids)) == 2500
    assert list(first["records"][0]) == ["attributes", "Id", "Subject"]


def test_batch_size_header_and_query_all_iter(sfx, sf):
    sfx.org.seed(1100, seed=3)
    headers = {"Sforce-Query-Options": "batchSize=500"}
    page = sf.query("SELECT Id FROM Task", headers=headers)
    assert len(page["records"]) == 500 and page["nextRecordsUrl"].endswith("-500")
    assert len(list(sf.query_all_iter("SELECT Id FROM Task", headers=headers))) == 1100
    small = sf.query("SELECT Id FROM Task", headers={"Sforce-Query-Options": "batchSize=10"})
    assert len(small["records"]) == 200  # clamped to the minimum of 200
    assert sf.query_all("SELECT Id FROM Task")["totalSize"] == 1100


def test_cursor_is_a_stable_snapshot(sfx, sf):
    sfx.org.seed(450, seed=1)
    headers = {"Sforce-Query-Options": "batchSize=200"}
    first = sf.query("SELECT Id FROM Task ORDER BY Id", headers=headers)
    sf.Task.create({"Subject": "late arrival"})
    rest = list(sf.query_all_iter("SELECT Id FROM Task ORDER BY Id", headers=headers))
    assert len(rest) == 451
    second = sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)
    assert second["totalSize"] == 450


def test_invalid_and_expired_locators(sfx, sf):
    sfx.org.seed(300, seed=1)
    page = sf.query("SELECT Id FROM Task", headers={"Sforce-Query-Options": "batchSize=200"})
    with pytest.raises(SalesforceResourceNotFound) as info:
        sf.query_more("01g000000000000AAA-200")
    assert info.value.content[0]["errorCode"] == "INVALID_QUERY_LOCATOR"
    sfx.org.clock.advance(days=2, minutes=1)  # cursors live two days
    sfx.org.new_session()
    with pytest.raises(SalesforceResourceNotFound):
        sf.query_more(page["nextRecordsUrl"], identifier_is_url=True)


def test_filters_order_limit_offset_and_count(sfx, sf):
    owner = sfx.org.default_user()["Id"]
    for n, status in enumerate(["Not Started", "Completed", "In Progress", "Completed"]):
        sf.Task.create({"Subject": f"t{n}", "Status": status, "ActivityDate": f"2026-12-0{n + 1}"})
        sfx.org.clock.advance(seconds=1)
    soql = format_soql(
        "SELECT Subject, IsClosed FROM Task WHERE OwnerId = {} AND Status IN {} "
        "ORDER BY ActivityDate DESC LIMIT 5",
        owner,
        ["Completed", "In Progress"],
    )
    result = sf.query(soql)
    assert [r["Subject"] for r in result["records"]] == ["t3", "t2", "t1"]
    assert result["records"][0]["IsClosed"] is True
    page = sf.query("SELECT Subject FROM Task ORDER BY Subject LIMIT 2 OFFSET 1")
    assert [r["Subject"] for r in page["records"]] == ["t1", "t2"] and page["totalSize"] == 2
    after = sfx.org.clock.now() - timedelta(seconds=2, milliseconds=500)
    recent = sf.query(format_soql("SELECT Id FROM Task WHERE SystemModstamp > {}", after))
    assert recent["totalSize"] == 2
    count = sf.query("SELECT COUNT() FROM Task WHERE IsClosed = true")
    assert count == {"totalSize": 2, "done": True, "records": []}
    assert (
        sf.query("select subject from task where subject like 'T%' limit 1")["records"][0]["Subject"] == "t0"
    )


def test_soql_errors_are_400s_in_salesforce_words(sf):
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.query("SELECT Foo FROM Task")
    error = info.value.content[0]
    assert error["errorCode"] == "INVALID_FIELD" and "ERROR at Row:1:Column:8" in error["message"]
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.query("SELECT Id Task")
    assert info.value.content[0]["errorCode"] == "MALFORMED_QUERY"
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.query("SELECT Id FROM Nope")
    assert info.value.content[0]["errorCode"] == "INVALID_TYPE"
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.restful("query/", params={})
    assert info.value.content[0]["errorCode"] == "MALFORMED_QUERY"


def test_query_hides_deleted_and_query_all_shows_them(sfx, sf):
    keep = sf.Task.create({"Subject": "keep"})["id"]
    gone = sf.Task.create({"Subject": "gone"})["id"]
    sf.Task.delete(gone)
    assert [r["Id"] for r in sf.query("SELECT Id FROM Task")["records"]] == [keep]
    everything = sf.query("SELECT Id, IsDeleted FROM Task ORDER BY Subject", include_deleted=True)
    assert [(r["Id"], r["IsDeleted"]) for r in everything["records"]] == [(gone, True), (keep, False)]
    assert sf.query_all("SELECT Id FROM Task WHERE IsDeleted = true", include_deleted=True)["totalSize"] == 1


def test_query_all_pages_with_query_locator(sfx, sf):
    sfx.org.seed(250, seed=2)
    ids = [r["Id"] for r in sf.query("SELECT Id FROM Task LIMIT 10")["records"]]
    sf.restful("composite/sobjects", method="DELETE", params={"ids": ",".join(ids)})
    rows = list(
        sf.query_all_iter(
            "SELECT Id FROM Task", include_deleted=True, headers={"Sforce-Query-Options": "batchSize=200"}
        )
    )
    assert len(rows) == 250


def test_recycle_bin_is_purged_after_15_days_and_restore_brings_back(sfx, sf):
    old = sf.Task.create({"Subject": "old"})["id"]
    recent = sf.Task.create({"Subject": "recent"})["id"]
    sf.Task.delete(old)
    sfx.org.clock.advance(days=10)
    sf.Task.delete(recent)
    sfx.org.clock.advance(days=5, minutes=1)
    in_bin = sf.query("SELECT Id FROM Task WHERE IsDeleted = true", include_deleted=True)
    assert [r["Id"] for r in in_bin["records"]] == [recent]  # `old` was purged for good
    assert sfx.org.restore(recent) == [recent]
    record = sf.Task.get(recent)
    assert record["IsDeleted"] is False
    assert record["SystemModstamp"] == "2026-12-13T12:01:00.000+0000"
    assert sfx.org.get_task(old) is None


def test_users_can_be_queried(sfx, sf):
    sfx.org.create_user({"Username": "zed@example.com", "LastName": "Zed"})
    result = sf.query("SELECT Id, Username, Name FROM User WHERE IsActive = true ORDER BY Username")
    assert [r["Username"] for r in result["records"]] == ["admin@example.com", "zed@example.com"]
    assert result["records"][1]["attributes"]["type"] == "User"
