"""SOQL's vocabulary and values, apart from the compiler (`soql.py`): what a compiled query is (fields,
order keys and keyset paging after a row), its error type, and the literal values - relative date
ranges (SF-SOQL-6), quoted strings with their escapes, LIKE patterns."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, false, or_
from sqlalchemy.sql.elements import ColumnElement

SURROGATE_RE = re.compile("[\ud800-\udfff]")
ESCAPES = {
    "n": "\n", "N": "\n", "r": "\r", "R": "\r", "t": "\t", "T": "\t", "b": "\b", "B": "\b",
    "f": "\f", "F": "\f", '"': '"', "'": "'", "\\": "\\",
}  # fmt: skip
ESCAPE_RE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)", re.S)

# --------------------------------------------------------------------------------------------------
# Public types


@dataclass(frozen=True)
class FieldInfo:
    name: str  # canonical API name, e.g. "ActivityDate"
    # id, reference, string, textarea, picklist, combobox, email, phone, url, date, datetime, boolean,
    # int, double, currency, percent
    type: str
    column: Any  # SQLAlchemy column (or expression) holding the value
    filterable: bool = True  # long text areas (Task.Description) can't be filtered ...
    sortable: bool = True  # ... or sorted in Salesforce


@dataclass(frozen=True)
class ObjectInfo:
    name: str  # canonical, e.g. "Task"
    fields: dict[str, FieldInfo]  # keyed by lower-cased name


@dataclass(frozen=True)
class OrderKey:
    """One ORDER BY key: what a keyset page needs to say "after this row" in the same order."""

    expr: Any
    descending: bool = False
    nulls_first: bool = True
    nullable: bool = True

    def clause(self) -> Any:
        clause = self.expr.desc() if self.descending else self.expr.asc()
        if self.nullable:
            clause = clause.nulls_first() if self.nulls_first else clause.nulls_last()
        return clause

    def beyond(self, value: Any) -> Any:
        """Rows strictly after `value` in this key's order (SF-SOQL-8's null placement included)."""
        if value is None:
            return self.expr.is_not(None) if self.nulls_first else false()
        after = self.expr < value if self.descending else self.expr > value
        return or_(after, self.expr.is_(None)) if self.nullable and not self.nulls_first else after

    def equal(self, value: Any) -> Any:
        return self.expr.is_(None) if value is None else self.expr == value


def after_row(keys: list[OrderKey], values: tuple) -> Any:
    """Keyset paging: the rows after the one whose keys are `values`, in the order of `keys`."""
    return or_(
        *(
            and_(*(k.equal(v) for k, v in zip(keys[:i], values[:i], strict=True)), key.beyond(values[i]))
            for i, key in enumerate(keys)
        )
    )


@dataclass(frozen=True)
class CompiledQuery:
    object: ObjectInfo
    fields: list[FieldInfo]  # selected fields in SELECT order; empty when count_only
    count_only: bool  # SELECT COUNT() FROM ...
    where: ColumnElement | None
    order_by: list
    limit: int | None
    offset: int | None
    order_keys: list[OrderKey] = field(default_factory=list)  # the same order, for keyset paging


class SoqlError(Exception):
    """A query Salesforce would refuse: HTTP 400 with `errorCode` and Salesforce's message."""

    status = 400

    def __init__(self, error_code: str, message: str) -> None:
        super().__init__(f"{error_code}: {message}")
        self.error_code = error_code
        self.message = message


# --------------------------------------------------------------------------------------------------
# Values


@dataclass(frozen=True)
class DateRange:
    """A relative date literal: the inclusive local dates [first, last]."""

    first: date
    last: date


# SF-SOQL-6: ranges begin at 00:00:00 in the user's/org's time zone. Boundaries per the date
# literal table of developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/
# sforce_api_calls_soql_select_dateformats.htm ("Date Formats and Date Literals in WHERE"; the table
# rows were read from a translation of it, blog.csdn.net/zhilianhe/article/details/123876813):
#   LAST_N_DAYS:n  "starts with the current day and continues for the past n days"; it includes the
#                  current day, so LAST_N_DAYS:1 is yesterday and today -> [today-n, today].
#   NEXT_N_DAYS:n  "starts 00:00:00 of the next day and continues for the next n days" — today is not
#                  included -> [today+1, today+n].
#   LAST_90_DAYS / NEXT_90_DAYS are the n=90 cases; N_DAYS_AGO:n is the single day today-n.
#   Weeks start on Sunday (the en_US locale; Salesforce takes the first day from the user's locale).
def date_range(name: str, n: int | None, today: date) -> DateRange | None:
    key = name.upper()
    if n is None:
        single = {"YESTERDAY": -1, "TODAY": 0, "TOMORROW": 1}
        if key in single:
            day = today + timedelta(days=single[key])
            return DateRange(day, day)
        if key == "LAST_90_DAYS":
            return DateRange(today - timedelta(days=90), today)
        if key == "NEXT_90_DAYS":
            return DateRange(today + timedelta(days=1), today + timedelta(days=90))
        week_start = today - timedelta(days=(today.weekday() + 1) % 7)
        weeks = {"LAST_WEEK": -1, "THIS_WEEK": 0, "NEXT_WEEK": 1}
        if key in weeks:
            first = week_start + timedelta(weeks=weeks[key])
            return DateRange(first, first + timedelta(days=6))
        months = {"LAST_MONTH": -1, "THIS_MONTH": 0, "NEXT_MONTH": 1}
        if key in months:
            index = today.year * 12 + today.month - 1 + months[key]
            first = date(index // 12, index % 12 + 1, 1)
            after = date((index + 1) // 12, (index + 1) % 12 + 1, 1)
            return DateRange(first, after - timedelta(days=1))
        years = {"LAST_YEAR": -1, "THIS_YEAR": 0, "NEXT_YEAR": 1}
        if key in years:
            year = today.year + years[key]
            return DateRange(date(year, 1, 1), date(year, 12, 31))
        return None
    if key == "LAST_N_DAYS":
        return DateRange(today - timedelta(days=n), today)
    if key == "NEXT_N_DAYS":
        return DateRange(today + timedelta(days=1), today + timedelta(days=n))
    if key == "N_DAYS_AGO":
        day = today - timedelta(days=n)
        return DateRange(day, day)
    return None


def decode_string(raw: str, *, like: bool) -> str | None:
    """Undo SOQL escapes [DOC sforce_api_calls_soql_select_quotedstringescapes].

    For LIKE the result is a SQL LIKE pattern with `\\` as escape character (`\\%` and `\\_` are
    literal, `%` and `_` wildcards). Returns None for an escape Salesforce rejects.
    """
    body = raw[1:-1]
    out: list[str] = []
    pos = 0
    for match in ESCAPE_RE.finditer(body):
        plain = body[pos : match.start()]
        out.append(_like_escape(plain, wildcards=True) if like else plain)
        pos = match.end()
        seq = match.group(1)
        if seq in ESCAPES:
            char = ESCAPES[seq]
            out.append(_like_escape(char, wildcards=False) if like else char)
        elif len(seq) == 5 and seq[0] == "u":
            char = chr(int(seq[1:], 16))
            if SURROGATE_RE.match(char):
                return None  # a lone surrogate is no character
            out.append(_like_escape(char, wildcards=False) if like else char)
        elif like and seq in ("%", "_"):
            out.append("\\" + seq)  # LIKE only: a literal percent sign / underscore
        else:
            return None
    rest = body[pos:]
    out.append(_like_escape(rest, wildcards=True) if like else rest)
    return "".join(out)


def _like_escape(text: str, *, wildcards: bool) -> str:
    text = text.replace("\\", "\\\\")
    if not wildcards:
        text = text.replace("%", "\\%").replace("_", "\\_")
    return text


def is_nullable(column: Any) -> bool:
    """False only when the column is declared NOT NULL (lets us skip null handling / NULLS clauses)."""
    expr = column.__clause_element__() if hasattr(column, "__clause_element__") else column
    return getattr(expr, "nullable", True) is not False
