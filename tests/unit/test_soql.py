"""SOQL engine: real queries compiled by mock_salesforce.soql and run on a real in-memory SQLite.

Each test asserts the rows the database really returns (or Salesforce's exact error), so a wrong
compilation fails here. Time is a fixed instant, never the wall clock.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

import lark
import pytest
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    func,
    insert,
    select,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from mock_salesforce.ids import IdFactory
from mock_salesforce.soql import CompiledQuery, FieldInfo, ObjectInfo, SoqlError, compile_soql

# Saturday 28 November 2026, 17:00 UTC (09:00 in Los Angeles, Sunday 06:00 in Auckland).
NOW = datetime(2026, 11, 28, 17, 0, tzinfo=UTC)

metadata = MetaData()
task = Table(
    "task",
    metadata,
    Column("Id", String(18), primary_key=True),
    Column("Subject", String(255)),
    Column("Status", String(40), nullable=False),
    Column("Priority", String(40), nullable=False),
    Column("ActivityDate", Date),
    Column("Description", Text),
    Column("OwnerId", String(18), nullable=False),
    Column("WhoId", String(18)),
    Column("IsDeleted", Boolean, nullable=False),
    Column("IsClosed", Boolean, nullable=False),
    Column("IsReminderSet", Boolean),
    Column("CallDurationInSeconds", Integer),
    Column("SystemModstamp", DateTime, nullable=False),
    Column("CreatedDate", DateTime, nullable=False),
)
user = Table(
    "user",
    metadata,
    Column("Id", String(18), primary_key=True),
    Column("Name", String(121), nullable=False),
    Column("IsActive", Boolean, nullable=False),
)

TASK_TYPES = {
    "Id": "id", "Subject": "combobox", "Status": "picklist", "Priority": "picklist", "ActivityDate": "date",
    "Description": "textarea", "OwnerId": "reference", "WhoId": "reference", "IsDeleted": "boolean",
    "IsClosed": "boolean", "IsReminderSet": "boolean", "CallDurationInSeconds": "int",
    "SystemModstamp": "datetime", "CreatedDate": "datetime",
}  # fmt: skip


def object_info(name: str, table: Table, types: dict[str, str]) -> ObjectInfo:
    fields = {}
    for field, kind in types.items():
        long_text = field == "Description"
        fields[field.lower()] = FieldInfo(
            field, kind, table.c[field], filterable=not long_text, sortable=not long_text
        )
    return ObjectInfo(name, fields)


OBJECTS = {
    "task": object_info("Task", task, TASK_TYPES),
    "user": object_info("User", user, {"Id": "id", "Name": "string", "IsActive": "boolean"}),
}

ids = IdFactory()
OWNER_A, OWNER_B = ids.new("005"), ids.new("005")
T = [ids.new("00T") for _ in range(6)]


def dt(text: str) -> datetime:
    return datetime.fromisoformat(text)


def row(i, subject, status, priority, activity, owner, closed, reminder, duration, modstamp, created, **kw):
    return dict(
        Id=T[i],
        Subject=subject,
        Status=status,
        Priority=priority,
        ActivityDate=activity,
        OwnerId=owner,
        IsClosed=closed,
        IsReminderSet=reminder,
        CallDurationInSeconds=duration,
        SystemModstamp=dt(modstamp),
        CreatedDate=dt(created),
        IsDeleted=False,
        WhoId=None,
        Description=kw.get("Description"),
    )


ROWS = [
    row(0, "Call Alice", "Not Started", "High", date(2026, 11, 28), OWNER_A, False, True, 60,
        "2026-11-27 00:00:00", "2026-11-20 10:00", Description="ring"),
    row(1, "call bob", "Completed", "Normal", date(2026, 11, 27), OWNER_A, True, None, None,
        "2026-11-27 00:00:00", "2026-11-27 23:30"),
    row(2, "Email 50% off_deal", "In Progress", "Low", None, OWNER_B, False, False, 300,
        "2026-11-26 12:00", "2026-11-28 00:30"),
    row(3, None, "Not Started", "Normal", date(2026, 12, 5), OWNER_A, False, False, 0,
        "2026-11-28 10:00", "2026-11-28 16:00"),
    row(4, "O'Brien \\ follow-up\nnext", "Deferred", "High", date(2026, 11, 20), OWNER_B, False, False, None,
        "2026-11-25 08:00", "2026-11-01 09:00"),
    row(5, "Zed Café", "Waiting on someone else", "Normal", date(2026, 11, 29), OWNER_A, False, False, 30,
        "2026-11-27 05:00", "2026-11-10 12:00"),
]  # fmt: skip
NAME = {row["Id"]: f"t{i}" for i, row in enumerate(ROWS)}


@pytest.fixture(scope="module")
def db():
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(task), ROWS)
        conn.execute(
            insert(user),
            [dict(Id=OWNER_A, Name="Ada Admin", IsActive=True), dict(Id=OWNER_B, Name="bo", IsActive=False)],
        )
    with engine.connect() as conn:
        yield conn


def statement(cq: CompiledQuery):
    table = task if cq.object.name == "Task" else user
    stmt = select(func.count()).select_from(table) if cq.count_only else select(table.c.Id)
    if cq.where is not None:
        stmt = stmt.where(cq.where)
    stmt = stmt.order_by(*cq.order_by)
    if cq.limit is not None:
        stmt = stmt.limit(cq.limit)
    if cq.offset is not None:
        stmt = stmt.offset(cq.offset)
    return stmt


def run(db, soql: str, *, tz: str = "UTC", ordered: bool = False):
    """Names (t0..t5) of the Tasks the query returns; a set unless the query orders them."""
    cq = compile_soql(soql, OBJECTS, now=NOW, tz=tz)
    rows = db.execute(statement(cq)).scalars().all()
    if cq.count_only:
        return rows[0]
    names = [NAME.get(r, r) for r in rows]
    return names if ordered else set(names)


def error(soql: str, *, tz: str = "UTC") -> SoqlError:
    with pytest.raises(SoqlError) as info:
        compile_soql(soql, OBJECTS, now=NOW, tz=tz)
    return info.value


def where(db, condition: str, **kw):
    return run(db, f"SELECT Id FROM Task WHERE {condition}", **kw)


# -- SELECT / FROM --------------------------------------------------------------------------------


def test_select_list_is_case_insensitive_and_canonical():
    cq = compile_soql("select id, SUBJECT, activitydate, task.Status FROM tAsK", OBJECTS, now=NOW)
    assert cq.object.name == "Task"
    assert [f.name for f in cq.fields] == ["Id", "Subject", "ActivityDate", "Status"]
    assert not cq.count_only and cq.where is None and cq.limit is None and cq.offset is None


def test_long_text_field_can_be_selected():
    cq = compile_soql("SELECT Id, Description FROM Task", OBJECTS, now=NOW)
    assert [f.name for f in cq.fields] == ["Id", "Description"]


def test_count_only(db):
    cq = compile_soql("SELECT COUNT() FROM Task", OBJECTS, now=NOW)
    assert cq.count_only and cq.fields == []
    assert run(db, "SELECT COUNT() FROM Task") == 6
    assert run(db, f"select count() from task where OwnerId = '{OWNER_A}'") == 4


def test_other_objects(db):
    assert run(db, "SELECT Id, Name FROM User WHERE Name = 'ADA ADMIN'") == {OWNER_A}
    assert run(db, "SELECT Id FROM User WHERE IsActive = false") == {OWNER_B}


def test_unknown_object_is_invalid_type():
    err = error("SELECT Id FROM Foo")
    assert err.error_code == "INVALID_TYPE"
    assert err.message == (
        "\nSELECT Id FROM Foo\n               ^\nERROR at Row:1:Column:16\n"
        "sObject type 'Foo' is not supported. If you are attempting to use a custom object, be sure to "
        "append the '__c' after the entity name. Please reference your WSDL or the describe call for the "
        "appropriate names."
    )


def test_unknown_field_is_invalid_field_with_caret():
    err = error("SELECT Foo FROM Task")
    assert err.error_code == "INVALID_FIELD"
    assert err.message == (
        "\nSELECT Foo FROM Task\n       ^\nERROR at Row:1:Column:8\nNo such column 'Foo' on entity 'Task'. "
        "If you are attempting to use a custom field, be sure to append the '__c' after the custom field "
        "name. Please reference your WSDL or the describe call for the appropriate names."
    )


def test_unknown_field_in_where_and_order_by():
    err = error("SELECT Id FROM Task WHERE Bogus = 'x'")
    assert err.error_code == "INVALID_FIELD"
    assert "\nERROR at Row:1:Column:27\nNo such column 'Bogus' on entity 'Task'." in err.message
    err = error("SELECT Id FROM Task ORDER BY Nope")
    assert "ERROR at Row:1:Column:30\nNo such column 'Nope'" in err.message


def test_caret_block_cuts_long_rows_to_four_tokens_each_side():
    err = error("SELECT CreatedDate,Status,Priority,Subject,Nope,Id,OwnerId,WhoId,IsClosed FROM Task")
    assert err.message.startswith(
        # Commas are tokens too: "Priority , Subject ," before, ", Id , OwnerId" after.
        "\nPriority,Subject,Nope,Id,OwnerId\n"
        "                 ^\nERROR at Row:1:Column:44\nNo such column 'Nope'"
    )


def test_caret_block_on_a_later_row():
    err = error("SELECT Id\nFROM Task\nWHERE Subjekt = 'x'")
    assert err.message.startswith("\nWHERE Subjekt = 'x'\n      ^\nERROR at Row:3:Column:7\n")


def test_duplicate_field_is_refused():
    err = error("SELECT Id, Subject, subject FROM Task")
    assert err.error_code == "MALFORMED_QUERY"
    assert err.message.endswith("ERROR at Row:1:Column:21\nduplicate field selected: Subject")


def test_relationship_paths_are_refused():
    err = error("SELECT Owner.Name FROM Task")
    assert err.error_code == "INVALID_FIELD"
    assert "ERROR at Row:1:Column:8\nDidn't understand relationship 'Owner' in field path." in err.message


# -- WHERE: operators and literals ------------------------------------------------------------------


def test_text_equality_is_case_insensitive(db):
    assert where(db, "Subject = 'CALL ALICE'") == {"t0"}
    assert where(db, "status = 'not started'") == {"t0", "t3"}
    assert where(db, "Subject = 'zed café'") == {"t5"}  # ASCII folding on SQLite; é matched as is


def test_not_equal_includes_nulls(db):
    # SF-SOQL-4: Salesforce returns rows whose value is null for != (null is a value).
    assert where(db, "Subject != 'call bob'") == {"t0", "t2", "t3", "t4", "t5"}
    assert where(db, "Subject <> 'CALL BOB'") == {"t0", "t2", "t3", "t4", "t5"}


def test_ordering_operators(db):
    assert where(db, "CallDurationInSeconds > 30") == {"t0", "t2"}
    assert where(db, "CallDurationInSeconds >= 30") == {"t0", "t2", "t5"}
    assert where(db, "CallDurationInSeconds < 30") == {"t3"}
    assert where(db, "CallDurationInSeconds <= 0") == {"t3"}
    assert where(db, "Subject < 'd'") == {"t0", "t1"}  # case-insensitive: 'Call' and 'call'
    assert where(db, "ActivityDate >= 2026-11-28") == {"t0", "t3", "t5"}


def test_in_and_not_in(db):
    assert where(db, "Status IN ('completed', 'DEFERRED')") == {"t1", "t4"}
    assert where(db, "Subject NOT IN ('call alice', 'Call Bob')") == {"t2", "t3", "t4", "t5"}
    assert where(db, "Subject IN ('Call Alice', null)") == {"t0", "t3"}
    assert where(db, "Subject NOT IN ('Call Alice', null)") == {"t1", "t2", "t4", "t5"}
    assert where(db, f"Id IN ('{T[0]}', '{T[2][:15]}')") == {"t0", "t2"}
    assert where(db, "CallDurationInSeconds IN (0, 60)") == {"t0", "t3"}


def test_like_wildcards_and_escapes(db):
    assert where(db, "Subject LIKE 'call%'") == {"t0", "t1"}
    assert where(db, "Subject LIKE '%ALICE'") == {"t0"}
    assert where(db, "Subject LIKE '_all %'") == {"t0", "t1"}
    assert where(db, "Subject LIKE '%50\\% off\\_deal'") == {"t2"}
    assert where(db, "Subject LIKE '%\\%%'") == {"t2"}
    assert where(db, "Subject LIKE '%f\\_d%'") == {"t2"}
    assert where(db, "Subject LIKE 'call_bob'") == {"t1"}
    assert where(db, "Subject LIKE '%\\_x%'") == set()  # \_ is a literal underscore, not a wildcard
    assert where(db, "Subject LIKE '%\\\\%'") == {"t4"}  # \\ is one backslash
    assert where(db, "NOT Subject LIKE 'call%'") == {"t2", "t3", "t4", "t5"}


def test_null_comparisons(db):
    assert where(db, "Subject = null") == {"t3"}
    assert where(db, "ActivityDate != NULL") == {"t0", "t1", "t3", "t4", "t5"}
    assert where(db, "CallDurationInSeconds = null") == {"t1", "t4"}


def test_booleans(db):
    assert where(db, "IsClosed = true") == {"t1"}
    assert where(db, "IsClosed = FALSE") == {"t0", "t2", "t3", "t4", "t5"}
    assert where(db, "IsClosed != true") == {"t0", "t2", "t3", "t4", "t5"}
    # [DOC soql_null] on a checkbox `= null` means false and `!= null` means true.
    assert where(db, "IsReminderSet = null") == {"t1", "t2", "t3", "t4", "t5"}
    assert where(db, "IsReminderSet != null") == {"t0"}
    assert where(db, "IsReminderSet = false") == {"t1", "t2", "t3", "t4", "t5"}
    assert where(db, "NOT IsReminderSet = true") == {"t1", "t2", "t3", "t4", "t5"}


def test_string_escapes(db):
    assert where(db, "Subject = 'o\\'brien \\\\ follow-up\\nnext'") == {"t4"}
    assert where(db, "Subject = 'Zed Caf\\u00e9'") == {"t5"}
    assert where(db, "Subject = 'Call\\tAlice'") == set()


@pytest.mark.parametrize("literal", ["'a\\q'", "'50\\%'"])
def test_bad_escape_is_malformed(literal):
    err = error(f"SELECT Id FROM Task WHERE Subject = {literal}")
    assert err.error_code == "MALFORMED_QUERY"
    assert "ERROR at Row:1:Column:37\nInvalid string literal" in err.message
    assert "Illegal character sequence" in err.message


def test_date_and_datetime_literals(db):
    assert where(db, "ActivityDate = 2026-11-28") == {"t0"}
    assert where(db, "ActivityDate < 2026-11-28") == {"t1", "t4"}
    for literal in (
        "2026-11-27T00:00:00Z",
        "2026-11-27T01:00:00+01:00",
        "2026-11-26T16:00:00-0800",
        "2026-11-27T00:00:00.000+0000",
        "2026-11-27t00:00:00.000z",
    ):
        assert where(db, f"SystemModstamp = {literal}") == {"t0", "t1"}, literal
    assert where(db, "SystemModstamp > 2026-11-27T00:00:00.000+0000") == {"t3", "t5"}
    assert where(db, "CreatedDate < 2026-11-20T10:00:00.001Z") == {"t0", "t4", "t5"}


def test_date_type_mismatches_use_salesforce_message():
    err = error("SELECT Id FROM Task WHERE ActivityDate = '2026-11-28'")
    assert err.error_code == "INVALID_FIELD"
    assert err.message.endswith(
        "ERROR at Row:1:Column:42\nvalue of filter criterion for field 'ActivityDate' must be of type date "
        "and should not be enclosed in quotes"
    )
    err = error("SELECT Id FROM Task WHERE ActivityDate = 2026-11-28T10:00:00Z")
    assert err.message.endswith(
        "field 'ActivityDate' must be of type date and should not be enclosed in quotes"
    )
    err = error("SELECT Id FROM Task WHERE CreatedDate > 2026-11-28")
    assert err.message.endswith(
        "field 'CreatedDate' must be of type dateTime and should not be enclosed in quotes"
    )


def test_other_type_mismatches():
    err = error("SELECT Id FROM Task WHERE Subject = 5")
    assert err.error_code == "INVALID_FIELD"
    assert err.message.endswith("field 'Subject' must be of type string and should be enclosed in quotes")
    err = error("SELECT Id FROM Task WHERE CallDurationInSeconds = '5'")
    assert err.message.endswith(
        "field 'CallDurationInSeconds' must be of type integer and should not be enclosed in quotes"
    )
    err = error("SELECT Id FROM Task WHERE IsClosed = 'true'")
    assert err.message.endswith(
        "field 'IsClosed' must be of type boolean and should not be enclosed in quotes"
    )
    assert error("SELECT Id FROM Task WHERE ActivityDate = 2026-02-30").message.endswith(
        "Invalid date: 2026-02-30"
    )


def test_operator_not_valid_for_type():
    err = error("SELECT Id FROM Task WHERE IsClosed > true")
    assert err.error_code == "INVALID_QUERY_FILTER_OPERATOR"
    err = error("SELECT Id FROM Task WHERE ActivityDate LIKE '2026%'")
    assert err.error_code == "INVALID_QUERY_FILTER_OPERATOR"
    assert err.message.endswith("invalid operator on date field")


# -- relative date literals ---------------------------------------------------------------------------


def test_day_literals_on_a_date_field(db):
    assert where(db, "ActivityDate = TODAY") == {"t0"}
    assert where(db, "ActivityDate = yesterday") == {"t1"}
    assert where(db, "ActivityDate = TOMORROW") == {"t5"}
    assert where(db, "ActivityDate > TODAY") == {"t3", "t5"}
    assert where(db, "ActivityDate <= TODAY") == {"t0", "t1", "t4"}
    assert where(db, "ActivityDate != TODAY") == {"t1", "t2", "t3", "t4", "t5"}  # null included
    assert where(db, "ActivityDate IN (YESTERDAY, TOMORROW)") == {"t1", "t5"}


def test_n_day_literals(db):
    # LAST_N_DAYS:n includes today (LAST_N_DAYS:1 = yesterday and today); NEXT_N_DAYS:n starts tomorrow.
    assert where(db, "ActivityDate = LAST_N_DAYS:1") == {"t0", "t1"}
    assert where(db, "ActivityDate = LAST_N_DAYS:8") == {"t0", "t1", "t4"}
    assert where(db, "ActivityDate = LAST_N_DAYS:7") == {"t0", "t1"}
    assert where(db, "ActivityDate = NEXT_N_DAYS:7") == {"t3", "t5"}
    assert where(db, "ActivityDate = NEXT_N_DAYS:6") == {"t5"}
    assert where(db, "ActivityDate < LAST_N_DAYS:7") == {"t4"}
    assert where(db, "ActivityDate > NEXT_N_DAYS:6") == {"t3"}
    assert where(db, "ActivityDate = N_DAYS_AGO:8") == {"t4"}
    assert where(db, "CreatedDate = LAST_N_DAYS:1") == {"t1", "t2", "t3"}


def test_week_month_literals(db):
    # Saturday 2026-11-28: THIS_WEEK is Sun 22 .. Sat 28, NEXT_WEEK Sun 29 .. Sat 5 Dec.
    assert where(db, "ActivityDate = THIS_WEEK") == {"t0", "t1"}
    assert where(db, "ActivityDate = NEXT_WEEK") == {"t3", "t5"}
    assert where(db, "ActivityDate = LAST_WEEK") == {"t4"}
    assert where(db, "ActivityDate = THIS_MONTH") == {"t0", "t1", "t4", "t5"}
    assert where(db, "ActivityDate = NEXT_MONTH") == {"t3"}
    assert where(db, "CreatedDate = LAST_MONTH") == set()
    assert where(db, "ActivityDate = THIS_YEAR") == {"t0", "t1", "t3", "t4", "t5"}


def test_date_literals_on_datetime_fields_follow_the_time_zone(db):
    # UTC day 28 Nov: created 00:30 and 16:00.
    assert where(db, "CreatedDate = TODAY") == {"t2", "t3"}
    assert where(db, "CreatedDate > TODAY") == set()
    assert where(db, "CreatedDate < TODAY") == {"t0", "t1", "t4", "t5"}
    # Los Angeles (UTC-8): it is 09:00 on 28 Nov; that day is 08:00Z 28 Nov .. 08:00Z 29 Nov.
    assert where(db, "CreatedDate = TODAY", tz="America/Los_Angeles") == {"t3"}
    assert where(db, "CreatedDate = YESTERDAY", tz="America/Los_Angeles") == {"t1", "t2"}
    assert where(db, "CreatedDate >= TODAY", tz="America/Los_Angeles") == {"t3"}
    assert where(db, "CreatedDate <= YESTERDAY", tz="America/Los_Angeles") == {"t0", "t1", "t2", "t4", "t5"}
    # Auckland (UTC+13): already Sunday 29 Nov there.
    assert where(db, "ActivityDate = TODAY", tz="Pacific/Auckland") == {"t5"}


def test_unknown_date_literal_is_unexpected_token():
    err = error("SELECT Id FROM Task WHERE ActivityDate = SOMEDAY")
    assert err.error_code == "MALFORMED_QUERY"
    assert err.message.endswith("ERROR at Row:1:Column:42\nunexpected token: 'SOMEDAY'")


# -- logic ----------------------------------------------------------------------------------------------


def test_and_or_not_with_parentheses(db):
    assert where(db, "Priority = 'High' AND Status = 'Not Started'") == {"t0"}
    assert where(db, "Priority = 'Low' OR Status = 'Completed' OR Subject = null") == {"t1", "t2", "t3"}
    assert where(db, "(Priority = 'High' OR Priority = 'Low') AND (IsClosed = false)") == {"t0", "t2", "t4"}
    assert where(db, "Priority = 'Normal' AND (NOT (Status = 'Completed' OR Subject = null))") == {"t5"}
    assert where(db, "NOT (Priority = 'Normal' AND IsClosed = false)") == {"t0", "t1", "t2", "t4"}


def test_not_is_the_exact_complement_with_nulls(db):
    assert where(db, "NOT Subject = 'call bob'") == {"t0", "t2", "t3", "t4", "t5"}
    assert where(db, "NOT CallDurationInSeconds > 40") == {"t1", "t3", "t4", "t5"}
    assert where(db, "NOT Subject != 'call bob'") == {"t1"}
    assert where(db, "NOT NOT Subject = 'call bob'") == {"t1"}
    assert where(db, "NOT ActivityDate = THIS_WEEK") == {"t2", "t3", "t4", "t5"}


@pytest.mark.parametrize(
    "condition",
    [
        "Subject = 'call bob'",
        "Subject != 'call bob'",
        "Subject < 'd'",
        "Subject LIKE '%a%'",
        "Subject IN ('Call Alice', 'Zed Café')",
        "Subject NOT IN ('Call Alice')",
        "Subject IN ('Call Alice', null)",
        "Subject = null",
        "CallDurationInSeconds >= 30",
        "CallDurationInSeconds != 60",
        "ActivityDate = THIS_WEEK",
        "ActivityDate != TODAY",
        "ActivityDate > 2026-11-27",
        "CreatedDate <= YESTERDAY",
        "IsReminderSet = true",
        "IsReminderSet = null",
        "IsClosed != false",
        f"OwnerId = '{OWNER_A}'",
        "(Priority = 'High' OR ActivityDate = null) AND CallDurationInSeconds > 10",
        "NOT (Status IN ('Completed') OR Subject LIKE 'z%')",
    ],
)
def test_a_condition_and_its_negation_split_the_rows(db, condition):
    """SF-SOQL-4: two-valued logic, so every row matches exactly one of X and NOT X."""
    matched = where(db, condition)
    rest = where(db, f"NOT ({condition})")
    assert matched.isdisjoint(rest)
    assert matched | rest == {f"t{i}" for i in range(6)}


def test_mixing_and_or_without_parentheses_is_refused():
    err = error("SELECT Id FROM Task WHERE IsClosed = true AND Priority = 'High' OR Subject = null")
    assert err.error_code == "MALFORMED_QUERY"
    assert err.message == (
        "\nAND Priority = 'High' OR Subject = null\n                      ^\n"
        "ERROR at Row:1:Column:65\nunexpected token: 'OR'"
    )


# -- ids --------------------------------------------------------------------------------------------------


def test_ids_accept_15_and_18_characters_in_any_case(db):
    assert where(db, f"Id = '{T[0]}'") == {"t0"}
    assert where(db, f"Id = '{T[0][:15]}'") == {"t0"}
    assert where(db, f"Id = '{T[0].lower()}'") == {"t0"}
    assert where(db, f"OwnerId = '{OWNER_B[:15]}'") == {"t2", "t4"}
    assert where(db, f"OwnerId != '{OWNER_B}'") == {"t0", "t1", "t3", "t5"}
    assert where(db, f"Id > '{T[3]}'") == {"t4", "t5"}
    assert where(db, "WhoId = null") == {"t0", "t1", "t2", "t3", "t4", "t5"}


def test_invalid_id_literal():
    err = error("SELECT Id FROM Task WHERE Id = 'abc'")
    assert err.error_code == "MALFORMED_QUERY"
    assert err.message == (
        "\nTask WHERE Id = 'abc'\n                ^\nERROR at Row:1:Column:32\ninvalid ID field: abc"
    )


def test_long_text_area_cannot_be_filtered_or_sorted():
    err = error("SELECT Id FROM Task WHERE Description = 'x'")
    assert err.error_code == "INVALID_FIELD"
    assert err.message.endswith(
        "ERROR at Row:1:Column:27\nfield 'Description' can not be filtered in query call"
    )
    err = error("SELECT Id FROM Task ORDER BY Description")
    assert err.error_code == "INVALID_FIELD"
    assert err.message.endswith("field 'Description' can not be sorted in a query call")


# -- ORDER BY / LIMIT / OFFSET ----------------------------------------------------------------------------


def test_order_by_text_is_case_insensitive_with_nulls_first(db):
    got = run(db, "SELECT Id FROM Task ORDER BY Subject", ordered=True)
    assert got == ["t3", "t0", "t1", "t2", "t4", "t5"]  # null, Call Alice, call bob, Email, O'Brien, Zed
    got = run(db, "SELECT Id FROM Task ORDER BY Subject DESC", ordered=True)
    assert got == ["t5", "t4", "t2", "t1", "t0", "t3"]  # DESC: nulls last
    got = run(db, "SELECT Id FROM Task ORDER BY Subject ASC NULLS LAST", ordered=True)
    assert got == ["t0", "t1", "t2", "t4", "t5", "t3"]
    got = run(db, "SELECT Id FROM Task ORDER BY Subject DESC NULLS FIRST", ordered=True)
    assert got == ["t3", "t5", "t4", "t2", "t1", "t0"]


def test_order_by_several_fields(db):
    got = run(db, "SELECT Id FROM Task ORDER BY Priority DESC, ActivityDate, Id DESC", ordered=True)
    # Priority DESC: Normal, Low, High; within Normal by ActivityDate ASC.
    assert got == ["t1", "t5", "t3", "t2", "t4", "t0"]
    got = run(db, "SELECT Id FROM Task ORDER BY CallDurationInSeconds DESC NULLS FIRST, Id", ordered=True)
    assert got == ["t1", "t4", "t2", "t0", "t5", "t3"]


def test_limit_and_offset(db):
    assert run(db, "SELECT Id FROM Task ORDER BY Id LIMIT 2", ordered=True) == ["t0", "t1"]
    assert run(db, "SELECT Id FROM Task ORDER BY Id LIMIT 2 OFFSET 3", ordered=True) == ["t3", "t4"]
    assert run(db, "SELECT Id FROM Task ORDER BY Id OFFSET 5", ordered=True) == ["t5"]
    assert run(db, "SELECT Id FROM Task ORDER BY Id OFFSET 2000", ordered=True) == []
    cq = compile_soql("SELECT Id FROM Task LIMIT 0", OBJECTS, now=NOW)
    assert cq.limit == 0


def test_offset_over_2000():
    err = error("SELECT Id FROM Task OFFSET 2001")
    assert err.error_code == "NUMBER_OUTSIDE_VALID_RANGE"
    assert err.message == "Maximum SOQL offset allowed is 2000"


def test_limit_must_be_a_whole_number():
    err = error("SELECT Id FROM Task LIMIT -1")
    assert err.error_code == "MALFORMED_QUERY"
    assert err.message.endswith("ERROR at Row:1:Column:27\nunexpected token: '-1'")


# -- the sync's own query -----------------------------------------------------------------------------------


def test_keyset_page_like_the_sync_sends(db):
    soql = (
        f"SELECT Id, SystemModstamp FROM Task WHERE OwnerId = '{OWNER_A}' AND "
        f"(SystemModstamp > 2026-11-27T00:00:00.000+0000 OR (SystemModstamp = 2026-11-27T00:00:00.000+0000 "
        f"AND Id > '{T[0]}')) ORDER BY SystemModstamp ASC, Id ASC LIMIT 200"
    )
    cq = compile_soql(soql, OBJECTS, now=NOW)
    assert [f.name for f in cq.fields] == ["Id", "SystemModstamp"]
    assert cq.limit == 200
    assert run(db, soql, ordered=True) == ["t1", "t5", "t3"]
    # NOT NULL columns get plain ORDER BY (index friendly); nullable ones an explicit NULLS clause.
    sql = str(statement(cq).compile(dialect=postgresql.dialect()))
    assert 'ORDER BY task."SystemModstamp" ASC, task."Id" ASC' in sql
    nullable = compile_soql("SELECT Id FROM Task ORDER BY ActivityDate", OBJECTS, now=NOW)
    assert "NULLS FIRST" in str(statement(nullable).compile(dialect=postgresql.dialect()))


# -- outside the subset: Salesforce's MALFORMED_QUERY shape -------------------------------------------------


@pytest.mark.parametrize(
    ("soql", "column", "token"),
    [
        ("SELECT Id, (SELECT Id FROM Tasks) FROM User", 12, "("),
        ("SELECT Subject FROM Task GROUP BY Subject", 26, "GROUP"),
        ("SELECT MAX(CallDurationInSeconds) FROM Task", 11, "("),
        ("SELECT COUNT(Id) FROM Task", 14, "Id"),
        ("SELECT FIELDS(ALL) FROM Task", 14, "("),
        ("SELECT TYPEOF What WHEN Account THEN Name END FROM Task", 15, "What"),
        ("SELECT Id FROM Task WHERE Id IN (SELECT WhoId FROM Task)", 34, "SELECT"),
        ("SELECT Id FROM Task WHERE Subject = 'a' LIMIT 5 OFFSET 1 FOR UPDATE", 58, "FOR"),
        ("SELECT FROM Task", 8, "FROM"),
        ("SELECT COUNT(), Id FROM Task", 15, ","),
        ('SELECT Id FROM Task WHERE Subject = "x"', 37, '"'),
    ],
)
def test_unsupported_syntax_is_malformed_query(soql, column, token):
    err = error(soql)
    assert err.error_code == "MALFORMED_QUERY"
    assert f"\nERROR at Row:1:Column:{column}\n" in err.message
    assert err.message.endswith(f"unexpected token: '{token}'") or err.message.endswith(
        f"no viable alternative at character '{token}'"
    )


@pytest.mark.parametrize(
    ("soql", "column"), [("SELECT Id FROM Task WHERE", 26), ("SELECT Id FROM", 15), ("", 1), ("  ", 1)]
)
def test_unexpected_end_of_query(soql, column):
    err = error(soql)
    assert err.error_code == "MALFORMED_QUERY"
    assert err.message.endswith(f"ERROR at Row:1:Column:{column}\nunexpected token: '<EOF>'")


def test_stray_characters():
    err = error("SELECT Id FROM Task WHERE Subject = 'x' # y")
    assert err.message == (
        "\nWHERE Subject = 'x' #\n                    ^\n"
        "ERROR at Row:1:Column:41\nno viable alternative at character '#'"
    )
    err = error("SELECT Id FROM Task WHERE Subject = 'unterminated")
    assert err.message.endswith("ERROR at Row:1:Column:37\nno viable alternative at character '''")


# -- integration details the store relies on ----------------------------------------------------------------


class Base(DeclarativeBase):
    pass


class OrmUser(Base):
    __tablename__ = "orm_user"
    Id: Mapped[str] = mapped_column(String(18), primary_key=True)
    Name: Mapped[str | None] = mapped_column(String(121))


def test_orm_attributes_work_as_columns():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    fields = {"id": FieldInfo("Id", "id", OrmUser.Id), "name": FieldInfo("Name", "string", OrmUser.Name)}
    info = ObjectInfo("User", fields)
    soql = "SELECT Id FROM User WHERE Name != 'ann' ORDER BY Name DESC, Id"
    with engine.begin() as conn:
        conn.execute(insert(OrmUser), [dict(Id=OWNER_A, Name="Ann"), dict(Id=OWNER_B, Name=None)])
        cq = compile_soql(soql, {"user": info}, now=NOW)
        got = conn.execute(select(OrmUser.Id).where(cq.where).order_by(*cq.order_by)).scalars().all()
    assert got == [OWNER_B]
    sql = str(select(OrmUser.Id).order_by(*cq.order_by).compile(dialect=postgresql.dialect()))
    assert "NULLS LAST" in sql and 'orm_user."Id" ASC NULLS' not in sql


def test_naive_now_is_a_programming_error():
    with pytest.raises(ValueError):
        compile_soql("SELECT Id FROM Task", OBJECTS, now=datetime(2026, 11, 28, 17, 0))  # noqa: DTZ001


def test_parser_is_built_once_not_per_call(monkeypatch):
    def no_new_parsers(*_args, **_kwargs):
        raise AssertionError("compile_soql built a lark parser")

    monkeypatch.setattr(lark.Lark, "__init__", no_new_parsers)
    assert compile_soql("SELECT Id FROM Task WHERE IsClosed = false", OBJECTS, now=NOW).where is not None


def test_compile_rate_benchmark():
    """Not a timed assertion: prints how many sync-sized queries compile per second."""
    soql = (
        f"SELECT Id, Subject, Status, Priority, ActivityDate, Description, OwnerId, IsClosed, IsDeleted, "
        f"SystemModstamp FROM Task WHERE OwnerId = '{OWNER_A}' AND (SystemModstamp > 2026-11-27T00:00:00Z "
        f"OR (SystemModstamp = 2026-11-27T00:00:00Z AND Id > '{T[0]}')) ORDER BY SystemModstamp, Id LIMIT 200"
    )
    n = 2000
    start = time.perf_counter()
    for _ in range(n):
        compile_soql(soql, OBJECTS, now=NOW)
    elapsed = time.perf_counter() - start
    print(f"\nSOQL compile: {n} keyset queries in {elapsed:.2f}s = {n / elapsed:,.0f} queries/s")
