"""Task rows: create/get/update/delete, derived fields, validation in Salesforce's words, upsert, describe."""

from __future__ import annotations

import pytest
from simple_salesforce.exceptions import (
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceMoreThanOneRecord,
    SalesforceResourceNotFound,
)
from simple_salesforce.format import format_external_id

from mock_salesforce.ids import checksum


def error_of(info) -> dict:
    return info.value.content[0]


def test_get_returns_every_field_with_canonical_names_and_formats(sfx, sf):
    new_id = sf.Task.create({"subject": "Call Ann", "activitydate": "2026-12-01", "PRIORITY": "High"})["id"]
    record = sf.Task.get(new_id)
    assert record["attributes"] == {"type": "Task", "url": f"/services/data/v59.0/sobjects/Task/{new_id}"}
    assert record["Subject"] == "Call Ann" and record["ActivityDate"] == "2026-12-01"
    assert (
        record["Status"] == "Not Started"
        and record["Priority"] == "High"
        and record["IsHighPriority"] is True
    )
    assert record["IsClosed"] is False and record["IsDeleted"] is False
    assert record["OwnerId"] == sfx.org.default_user()["Id"] == record["CreatedById"]
    assert record["CreatedDate"] == record["SystemModstamp"] == "2026-11-28T12:00:00.000+0000"
    assert "SIA_Task_Id__c" in record
    only = sf.Task.get(new_id, params={"fields": "Id,subject"})
    assert list(only) == ["attributes", "Id", "Subject"]


def test_fifteen_character_ids_are_accepted(sf):
    new_id = sf.Task.create({"Subject": "short id"})["id"]
    assert sf.Task.get(new_id[:15])["Id"] == new_id
    assert sf.Task.get(new_id.lower())["Id"] == new_id


def test_update_bumps_modstamps_and_derives_closed(sfx, sf):
    new_id = sf.Task.create({"Subject": "x"})["id"]
    sfx.org.clock.advance(seconds=61.5)
    assert sf.Task.update(new_id, {"Status": "Completed", "Description": "done"}) == 204
    record = sf.Task.get(new_id)
    assert record["IsClosed"] is True and record["CompletedDateTime"] == "2026-11-28T12:01:01.500+0000"
    assert record["LastModifiedDate"] == record["SystemModstamp"] == "2026-11-28T12:01:01.500+0000"
    assert record["CreatedDate"] == "2026-11-28T12:00:00.000+0000"
    sf.Task.update(new_id, {"Status": "In Progress"})
    assert sf.Task.get(new_id)["CompletedDateTime"] is None


def test_delete_then_get_update_delete_again(sfx, sf):
    new_id = sf.Task.create({"Subject": "x"})["id"]
    sfx.org.clock.advance(seconds=5)
    assert sf.Task.delete(new_id) == 204
    with pytest.raises(SalesforceResourceNotFound) as info:
        sf.Task.get(new_id)
    assert error_of(info)["errorCode"] == "NOT_FOUND"
    with pytest.raises(SalesforceResourceNotFound) as info:
        sf.Task.delete(new_id)
    assert error_of(info) == {"message": "entity is deleted", "errorCode": "ENTITY_IS_DELETED", "fields": []}
    with pytest.raises(SalesforceResourceNotFound):
        sf.Task.update(new_id, {"Subject": "y"})
    stored = sfx.org.get_task(new_id)
    assert stored["IsDeleted"] is True and stored["SystemModstamp"] == "2026-11-28T12:00:05.000+0000"


def test_unknown_and_malformed_ids(sf):
    with pytest.raises(SalesforceResourceNotFound) as info:
        sf.Task.get("abc")
    assert error_of(info)["message"] == "Provided external ID field does not exist or is not accessible: abc"
    missing = "00T5e0000000999"
    with pytest.raises(SalesforceResourceNotFound) as info:
        sf.Task.get(missing + checksum(missing))
    assert error_of(info) == {"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}
    with pytest.raises(SalesforceResourceNotFound):
        sf.Task.get("0055e0000000001AAA")  # a User id on the Task endpoint


@pytest.mark.parametrize(
    ("body", "code", "fields"),
    [
        ({"Bogus__c": 1}, "INVALID_FIELD", None),
        ({"IsClosed": True}, "INVALID_FIELD_FOR_INSERT_UPDATE", ["IsClosed"]),
        ({"Subject": "x" * 256}, "STRING_TOO_LONG", ["Subject"]),
        ({"Status": "Nope"}, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", ["Status"]),
        ({"Priority": None}, "REQUIRED_FIELD_MISSING", ["Priority"]),
        ({"OwnerId": "xyz"}, "MALFORMED_ID", ["OwnerId"]),
        (
            {"OwnerId": "0055e0000000999" + checksum("0055e0000000999")},
            "INVALID_CROSS_REFERENCE_KEY",
            ["OwnerId"],
        ),
        ({"ActivityDate": "28/11/2026"}, "JSON_PARSER_ERROR", ["ActivityDate"]),
        ({"Id": "00T5e0000000001EAA"}, "INVALID_FIELD_FOR_INSERT_UPDATE", ["Id"]),
    ],
)
def test_create_validation_errors(sf, body, code, fields):
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.Task.create(body)
    error = error_of(info)
    assert error["errorCode"] == code and error["message"]
    assert error.get("fields") == fields


def test_validation_messages_are_salesforces(sf):
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.Task.create({"Status": "Nope"})
    assert error_of(info)["message"] == "Status: bad value for restricted picklist field: Nope"
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.Task.create({"Foo": 1})
    assert error_of(info)["message"] == "No such column 'Foo' on sobject of type Task"
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.Task.create({"IsClosed": True, "IsHighPriority": True})
    assert error_of(info)["message"].startswith("Unable to create/update fields: IsClosed, IsHighPriority.")
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.Task.create({"Subject": "s" * 300})
    assert error_of(info)["message"] == f"Subject: data value too large: {'s' * 300} (max length=255)"


def test_update_validation_and_task_subtype_is_create_only(sf):
    new_id = sf.Task.create({"Subject": "x", "TaskSubtype": "Call"})["id"]
    assert sf.Task.get(new_id)["TaskSubtype"] == "Call"
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.Task.update(new_id, {"TaskSubtype": "Email"})
    assert error_of(info)["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.Task.update(new_id, {"Status": None})
    assert error_of(info) == {
        "message": "Required fields are missing: [Status]",
        "errorCode": "REQUIRED_FIELD_MISSING",
        "fields": ["Status"],
    }
    assert sf.Task.get(new_id)["Status"] == "Not Started"  # nothing was half-written


def test_malformed_json_body(sf):
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.restful("sobjects/Task/", method="POST", data="{")
    assert error_of(info)["errorCode"] == "JSON_PARSER_ERROR"
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.restful("sobjects/Task/", method="POST", data="[1]")
    assert error_of(info)["errorCode"] == "JSON_PARSER_ERROR"


def test_picklist_restriction_is_configurable(sfx, sf):
    sfx.org.configure_picklist("Status", restricted=False)
    new_id = sf.Task.create({"Status": "Custom State"})["id"]
    assert sf.Task.get(new_id)["Status"] == "Custom State"


def test_owner_can_be_another_active_user(sfx, sf):
    other = sfx.org.create_user({"Username": "bo@example.com", "FirstName": "Bo", "LastName": "Lee"})
    new_id = sf.Task.create({"Subject": "for Bo", "OwnerId": other["Id"]})["id"]
    assert sf.Task.get(new_id)["OwnerId"] == other["Id"]
    sfx.org.set_user_active(other["Id"], False)
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.Task.create({"OwnerId": other["Id"]})
    assert error_of(info)["errorCode"] == "INACTIVE_OWNER_OR_USER"


def test_upsert_by_external_id_creates_201_then_updates_200(sf):
    t = sf.Task
    assert t.upsert("SIA_Task_Id__c/sia-1", {"Subject": "first"}) == 201
    response = t.upsert("SIA_Task_Id__c/SIA-1", {"Subject": "second"}, raw_response=True)  # case-insensitive
    assert response.status_code == 200
    assert response.json()["created"] is False and response.json()["success"] is True
    record = t.get_by_custom_id("SIA_Task_Id__c", "sia-1")
    assert record["Subject"] == "second" and record["SIA_Task_Id__c"] == "sia-1"
    created = t.upsert(format_external_id("SIA_Task_Id__c", "a/b c"), {"Subject": "slash"}, raw_response=True)
    assert created.status_code == 201 and created.json()["created"] is True
    assert t.get(created.json()["id"])["SIA_Task_Id__c"] == "a/b c"
    t.upsert(format_external_id("SIA_Task_Id__c", "x/y.z"), {"Subject": "dots"})
    assert t.get_by_custom_id("SIA_Task_Id__c", "x/y.z")["Subject"] == "dots"


def test_upsert_before_api_46_answers_204(sfx):
    sf = sfx.client(username="admin@example.com", password="password", security_token="token", version="45.0")
    assert sf.Task.upsert("SIA_Task_Id__c/old", {"Subject": "a"}) == 201
    assert sf.Task.upsert("SIA_Task_Id__c/old", {"Subject": "b"}) == 204


def test_unique_external_id_rejects_duplicates(sf):
    sf.Task.create({"SIA_Task_Id__c": "dup"})
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.Task.create({"SIA_Task_Id__c": "DUP"})
    assert error_of(info)["errorCode"] == "DUPLICATE_VALUE"


def test_upsert_several_matches_is_300_and_unknown_field_404(sfx, sf):
    sfx.org.declare_field("Task", "Legacy_Id__c", external_id=True, unique=False)
    a = sf.Task.create({"Legacy_Id__c": "L1"})["id"]
    b = sf.Task.create({"Legacy_Id__c": "L1"})["id"]
    with pytest.raises(SalesforceMoreThanOneRecord) as info:
        sf.Task.upsert("Legacy_Id__c/L1", {"Subject": "which?"})
    assert info.value.content == [
        f"/services/data/v59.0/sobjects/Task/{a}",
        f"/services/data/v59.0/sobjects/Task/{b}",
    ]
    with pytest.raises(SalesforceMoreThanOneRecord):
        sf.Task.get_by_custom_id("Legacy_Id__c", "L1")
    with pytest.raises(SalesforceResourceNotFound) as info:
        sf.Task.upsert("Nope__c/1", {"Subject": "x"})
    assert (
        error_of(info)["message"] == "Provided external ID field does not exist or is not accessible: Nope__c"
    )
    with pytest.raises(SalesforceResourceNotFound):
        sf.Task.get_by_custom_id("SIA_Task_Id__c", "missing")


def test_upsert_body_value_must_match_the_url(sf):
    assert sf.Task.upsert("SIA_Task_Id__c/k1", {"SIA_Task_Id__c": "k1", "Subject": "same"}) == 201
    with pytest.raises(SalesforceMalformedRequest):
        sf.Task.upsert("SIA_Task_Id__c/k2", {"SIA_Task_Id__c": "other"})


def test_describe_and_metadata(sf):
    described = sf.Task.describe()
    assert described["name"] == "Task" and described["keyPrefix"] == "00T"
    fields = {f["name"]: f for f in described["fields"]}
    assert fields["Subject"]["length"] == 255 and fields["Subject"]["type"] == "combobox"
    assert fields["Description"]["length"] == 32000 and fields["Description"]["filterable"] is False
    assert [v["value"] for v in fields["Status"]["picklistValues"]][:3] == [
        "Not Started",
        "In Progress",
        "Completed",
    ]
    assert (
        fields["Status"]["defaultValue"] == "Not Started" and fields["Status"]["restrictedPicklist"] is True
    )
    assert fields["IsClosed"]["createable"] is False and fields["IsClosed"]["updateable"] is False
    ext = fields["SIA_Task_Id__c"]
    assert (
        ext["externalId"] is True and ext["unique"] is True and ext["custom"] is True and ext["length"] == 255
    )
    assert sf.Task.metadata()["objectDescribe"]["name"] == "Task"
    names = [o["name"] for o in sf.describe()["sobjects"]]
    assert {"Task", "User"} <= set(names)
    assert sf.User.describe()["keyPrefix"] == "005"


def test_unknown_resources_and_methods(sf):
    with pytest.raises(SalesforceResourceNotFound):
        sf.restful("sobjects/Nope/describe")
    with pytest.raises(SalesforceResourceNotFound):
        sf.restful("no/such/thing")
    with pytest.raises(SalesforceGeneralError) as info:
        sf.restful("limits", method="DELETE")
    assert info.value.status == 405 and error_of(info)["errorCode"] == "METHOD_NOT_ALLOWED"


def test_head_and_http_method_override(sf):
    new_id = sf.Task.create({"Subject": "x"})["id"]
    head = sf.session.head(f"{sf.base_url}sobjects/Task/{new_id}", headers=sf.headers)
    assert head.status_code == 200 and head.content == b""
    override = sf.session.post(
        f"{sf.base_url}sobjects/Task/{new_id}?_HttpMethod=PATCH",
        headers=sf.headers,
        json={"Subject": "patched"},
    )
    assert override.status_code == 204
    assert sf.Task.get(new_id)["Subject"] == "patched"


def test_users_are_readable(sfx, sf):
    admin = sfx.org.default_user()
    user = sf.User.get(admin["Id"])
    assert user["Username"] == "admin@example.com" and user["IsActive"] is True
    assert user["attributes"]["type"] == "User"
