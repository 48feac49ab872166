"""sObject Collections (composite/sobjects) and the replication calls (updated/, deleted/)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest

ROLLED_BACK = {
    "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "message": "Record rolled back because not all records were valid and the request was using "
    "AllOrNone header",
    "fields": [],
}


def task(**fields) -> dict:
    return {"attributes": {"type": "Task"}, **fields}


def test_create_200_records_in_one_call(sfx, sf):
    records = [task(Subject=f"bulk {n}", SIA_Task_Id__c=f"k{n}") for n in range(200)]
    results = sf.restful("composite/sobjects", method="POST", json={"allOrNone": False, "records": records})
    assert len(results) == 200 and all(r["success"] and r["id"].startswith("00T") for r in results)
    assert list(results[0]) == ["id", "success", "errors"]
    assert sf.query("SELECT COUNT() FROM Task")["totalSize"] == 200
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.restful("composite/sobjects", method="POST", json={"records": records + [task(Subject="201st")]})
    assert info.value.content[0]["errorCode"] == "EXCEEDED_ID_LIMIT"


def test_partial_success_reports_errors_per_record(sf):
    results = sf.restful(
        "composite/sobjects",
        method="POST",
        json={
            "allOrNone": False,
            "records": [task(Subject="ok"), task(Status="Bogus"), {"Subject": "no type"}],
        },
    )
    assert results[0]["success"] is True
    assert results[1] == {
        "id": None,
        "success": False,
        "errors": [
            {
                "statusCode": "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                "message": "Status: bad value for restricted picklist field: Bogus",
                "fields": ["Status"],
            }
        ],
    }
    assert results[2]["errors"][0]["statusCode"] == "INVALID_TYPE"
    assert sf.query("SELECT COUNT() FROM Task")["totalSize"] == 1


def test_all_or_none_rolls_everything_back(sf):
    results = sf.restful(
        "composite/sobjects",
        method="POST",
        json={"allOrNone": True, "records": [task(Subject="fine"), task(Subject="x" * 300)]},
    )
    assert results[0] == {"id": None, "success": False, "errors": [ROLLED_BACK]}
    assert results[1]["errors"][0]["statusCode"] == "STRING_TOO_LONG"
    assert sf.query("SELECT COUNT() FROM Task")["totalSize"] == 0


def test_duplicates_inside_one_batch_are_caught(sf):
    results = sf.restful(
        "composite/sobjects",
        method="POST",
        json={"records": [task(SIA_Task_Id__c="same"), task(SIA_Task_Id__c="SAME")]},
    )
    assert results[0]["success"] is True
    assert results[1]["errors"][0]["statusCode"] == "DUPLICATE_VALUE"


def test_update_and_delete_collections(sfx, sf):
    ids = [
        r["id"]
        for r in sf.restful(
            "composite/sobjects", method="POST", json={"records": [task(Subject=f"u{n}") for n in range(3)]}
        )
    ]
    sfx.org.clock.advance(seconds=1)
    updated = sf.restful(
        "composite/sobjects",
        method="PATCH",
        json={
            "allOrNone": False,
            "records": [
                task(Id=ids[0], Status="Completed"),
                task(Id="bad", Subject="x"),
                task(Subject="no id"),
            ],
        },
    )
    assert updated[0] == {"id": ids[0], "success": True, "errors": []}
    assert updated[1]["errors"][0]["statusCode"] == "MALFORMED_ID"
    assert updated[2]["errors"][0]["statusCode"] == "MISSING_ARGUMENT"
    assert sf.Task.get(ids[0])["IsClosed"] is True
    deleted = sf.restful(
        "composite/sobjects", method="DELETE", params={"ids": f"{ids[1]},{ids[2]},nope", "allOrNone": "false"}
    )
    assert [d["success"] for d in deleted] == [True, True, False]
    assert deleted[2]["errors"][0]["statusCode"] == "MALFORMED_ID"
    again = sf.restful("composite/sobjects", method="DELETE", params={"ids": ids[1]})
    assert again[0]["errors"][0]["statusCode"] == "ENTITY_IS_DELETED"


def test_upsert_collection_by_external_id(sf):
    first = sf.restful(
        "composite/sobjects/Task/SIA_Task_Id__c",
        method="PATCH",
        json={
            "allOrNone": False,
            "records": [task(SIA_Task_Id__c="a", Subject="A"), task(SIA_Task_Id__c="b", Subject="B")],
        },
    )
    assert [r["created"] for r in first] == [True, True]
    assert list(first[0]) == ["id", "success", "errors", "created"]
    second = sf.restful(
        "composite/sobjects/Task/SIA_Task_Id__c",
        method="PATCH",
        json={
            "records": [
                task(SIA_Task_Id__c="A", Subject="A2"),
                task(SIA_Task_Id__c="c", Subject="C"),
                task(Subject="no key"),
                task(SIA_Task_Id__c="d"),
                task(SIA_Task_Id__c="d"),
            ]
        },
    )
    assert second[0] == {"id": first[0]["id"], "success": True, "errors": [], "created": False}
    assert second[1]["created"] is True
    assert second[2]["errors"][0]["statusCode"] == "MISSING_ARGUMENT"
    assert second[3]["errors"][0]["statusCode"] == "DUPLICATE_EXTERNAL_ID"
    assert sf.Task.get(first[0]["id"])["Subject"] == "A2"


def test_retrieve_collection(sf):
    ids = [
        r["id"]
        for r in sf.restful(
            "composite/sobjects", method="POST", json={"records": [task(Subject="r1"), task(Subject="r2")]}
        )
    ]
    got = sf.restful(
        "composite/sobjects/Task",
        params={"ids": ",".join([*ids, "00T5e0000000999AAA"]), "fields": "Id,Subject"},
    )
    assert [g and g["Subject"] for g in got] == ["r1", "r2", None]
    posted = sf.restful("composite/sobjects/Task", method="POST", json={"ids": ids, "fields": ["Subject"]})
    assert list(posted[1]) == ["attributes", "Subject"]
    with pytest.raises(SalesforceMalformedRequest):
        sf.restful("composite/sobjects/Task", params={"ids": ids[0], "fields": "Nope"})


def test_updated_and_deleted_windows(sfx, sf):
    now = sfx.org.clock.now()
    a = sf.Task.create({"Subject": "a"})["id"]
    b = sf.Task.create({"Subject": "b"})["id"]
    sfx.org.clock.advance(minutes=2)
    sf.Task.delete(b)
    sfx.org.clock.advance(minutes=2)
    start, end = now - timedelta(minutes=1), sfx.org.clock.now()
    changed = sf.Task.updated(start, end)
    assert changed["ids"] == [a] and changed["latestDateCovered"] == "2026-11-28T12:04:00.000+0000"
    gone = sf.Task.deleted(start, end)
    assert gone["deletedRecords"] == [{"id": b, "deletedDate": "2026-11-28T12:02:00.000+0000"}]
    assert gone["earliestDateAvailable"] == "2026-11-13T12:04:00.000+0000"


@pytest.mark.parametrize(("call", "days"), [("updated", 31), ("deleted", 16)])
def test_replication_windows_are_bounded(sfx, sf, call, days):
    end = sfx.org.clock.now()
    with pytest.raises(SalesforceMalformedRequest) as info:
        getattr(sf.Task, call)(end - timedelta(days=days), end)
    assert info.value.content[0]["errorCode"] == "INVALID_REPLICATION_DATE"
    with pytest.raises(SalesforceMalformedRequest) as info:
        getattr(sf.Task, call)(end, end + timedelta(seconds=59))  # seconds are truncated: no minute between
    assert info.value.content[0]["message"] == "startDate must be at least one minute greater than endDate"
    with pytest.raises(SalesforceMalformedRequest):
        getattr(sf.Task, call)(end, end - timedelta(minutes=5))
    assert getattr(sf.Task, call)(end - timedelta(days=days - 2), end)["latestDateCovered"]


def test_naive_datetimes_from_the_client_are_refused(sf):
    from datetime import datetime

    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.Task.updated(datetime(2026, 11, 28, 10), datetime(2026, 11, 28, 11))
    assert info.value.content[0]["errorCode"] == "INVALID_REPLICATION_DATE"


def test_one_batch_naming_a_record_twice_writes_both_changes_and_a_failed_item_writes_nothing(sfx, sf):
    """A batch reads each record once and keeps it (mock_salesforce.unit): the second item sees the first
    item's change, the row is written once with both, and an item that fails its checks changes nothing."""
    rid = sf.Task.create({"Subject": "Twice"})["id"]
    results = sf.restful(
        "composite/sobjects",
        method="PATCH",
        json={
            "allOrNone": False,
            "records": [
                task(Id=rid, Status="Completed"),
                task(Id=rid, Priority="High"),
                task(Id=rid, Subject="x" * 256),  # too long: refused, the others stay
            ],
        },
    )
    assert [r["success"] for r in results] == [True, True, False]
    assert results[2]["errors"][0]["statusCode"] == "STRING_TOO_LONG"
    stored = sfx.org.get_task(rid)
    assert (stored["Subject"], stored["Status"], stored["Priority"]) == ("Twice", "Completed", "High")
    assert stored["IsClosed"] is True and stored["IsHighPriority"] is True
