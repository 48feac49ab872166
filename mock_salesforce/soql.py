"""SOQL for the Salesforce org emulator: parse the query text with lark, compile it to SQLAlchemy.

One entry point, `compile_soql(text, objects, now=..., tz=...)`. It returns a `CompiledQuery` whose
WHERE / ORDER BY / LIMIT / OFFSET are SQLAlchemy expressions over the columns the store hands in
(`ObjectInfo` / `FieldInfo`), so the database does the filtering and sorting — a million Tasks stay
fast as long as the store indexes what the sync filters on (OwnerId, SystemModstamp, Id).

The subset is what a Task sync sends (reference/salesforce-rest-api.md §2.10-2.11):
SELECT field list or COUNT(); FROM one object; WHERE with AND / OR / NOT and parentheses,
= != <> < <= > >= IN, NOT IN, LIKE, null, booleans, numbers, quoted strings with SOQL escapes,
unquoted date and dateTime values and relative date literals (TODAY, LAST_N_DAYS:n, ...);
ORDER BY with ASC / DESC and NULLS FIRST / LAST; LIMIT; OFFSET. Anything else is refused the way
Salesforce refuses it: an error code plus the message with Salesforce's caret block, never a
Python exception. Soft-deleted rows are the caller's business (query hides them, queryAll does not).

Behaviour notes (each is a Salesforce fact or a decision recorded for the rule catalogue):
- SF-SOQL-1 keywords, object and field names are case-insensitive; results use canonical names.
- SF-SOQL-2 string comparisons (=, !=, <, >, IN, LIKE) are case-insensitive, as for every
  non-unique-case-sensitive field [DOC sforce_api_calls_soql_select_comparisonoperators].
  Both sides go through the database's lower(), so SQLite folds ASCII only; PostgreSQL folds Unicode.
- SF-SOQL-3 ids compare by their 18-character form; 15-character literals are accepted.
- SF-SOQL-4 decided: two-valued logic. A null field makes a comparison false, except `!=` and
  `NOT IN`, which are true for nulls (Salesforce treats null as a value); NOT inverts exactly.
  Boolean `= null` means `= false` [DOC sforce_api_calls_soql_null].
- SF-SOQL-5 AND and OR cannot be mixed without parentheses (Salesforce: "unexpected token: 'OR'").
- SF-SOQL-6 relative date literals are day ranges in the org/user time zone (see `date_range`).
- SF-SOQL-7 decided: the caret block echoes the error's row cut to four tokens either side, as
  seen in real error bodies (`CreatedById,OCE__ActualCap__c,TPI_Product__c,Name,OCE__JobId__c`).
- SF-SOQL-8 default order: ASC puts nulls first, DESC puts nulls last [DOC ..._soql_select_orderby];
  text sorts case-insensitively. Picklists sort alphabetically here (Salesforce uses the
  picklist's defined order — not emulated).
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NoReturn
from zoneinfo import ZoneInfo

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from sqlalchemy import Boolean, and_, false, func, literal, not_, or_, true, type_coerce
from sqlalchemy.sql.elements import ColumnElement, Grouping

from mock_salesforce.ids import to18
from mock_salesforce.soql_values import (
    ESCAPE_RE,
    ESCAPES,
    SURROGATE_RE,
    CompiledQuery,
    DateRange,
    FieldInfo,
    ObjectInfo,
    OrderKey,
    SoqlError,
    after_row,
    date_range,
    decode_string,
    is_nullable,
)
from tasksync_common.instants import parse_instant

__all__ = ["CompiledQuery", "FieldInfo", "ObjectInfo", "OrderKey", "SoqlError", "after_row", "compile_soql"]

# --------------------------------------------------------------------------------------------------
# Grammar. LALR with the basic lexer (keywords are reserved everywhere, as in SOQL); built once per
# process — the parser object holds no per-parse state.

_GRAMMAR = r"""
query: _SELECT select_list _FROM NAME where_clause? order_clause? limit_clause? offset_clause?
select_list: count_all | NAME ("," NAME)*
count_all: _COUNT "(" ")"
where_clause: _WHERE cond
?cond: unary | and_chain | or_chain
and_chain: unary (_AND unary)+
or_chain: unary (_OR unary)+
?unary: not_expr | "(" cond ")" | comparison
not_expr: _NOT unary
comparison: NAME OP value                             -> cmp
          | NAME LIKE value                           -> like
          | NAME IN "(" value ("," value)* ")"        -> in_list
          | NAME _NOT IN "(" value ("," value)* ")"   -> not_in_list
value: STRING | NUMBER | DATETIME | DATE | TRUE | FALSE | NULL | DATE_N | NAME
order_clause: _ORDER _BY order_item ("," order_item)*
order_item: NAME (ASC | DESC)? (_NULLS (FIRST | LAST))?
limit_clause: _LIMIT NUMBER
offset_clause: _OFFSET NUMBER

_SELECT: "select"i
_FROM: "from"i
_COUNT: "count"i
_WHERE: "where"i
_AND: "and"i
_OR: "or"i
_NOT: "not"i
LIKE: "like"i
IN: "in"i
TRUE: "true"i
FALSE: "false"i
NULL: "null"i
_ORDER: "order"i
_BY: "by"i
ASC: "asc"i
DESC: "desc"i
_NULLS: "nulls"i
FIRST: "first"i
LAST: "last"i
_LIMIT: "limit"i
_OFFSET: "offset"i
NAME: /[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*/i
STRING: /'(?:[^'\\]|\\.)*'/s
DATETIME.4: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})/i
DATE.3: /\d{4}-\d{2}-\d{2}/
DATE_N.2: /[a-z_0-9]+:[+-]?\d+/i
NUMBER: /[+-]?(\d+(\.\d*)?|\.\d+)/
OP: /!=|<>|<=|>=|=|<|>/
%import common.WS
%ignore WS
"""

_PARSER = Lark(_GRAMMAR, start="query", parser="lalr", lexer="basic", maybe_placeholders=False)

# --------------------------------------------------------------------------------------------------
# Salesforce's messages

_NO_SUCH_COLUMN = (
    "No such column '{field}' on entity '{entity}'. If you are attempting to use a custom field, be sure "
    "to append the '__c' after the custom field name. Please reference your WSDL or the describe call "
    "for the appropriate names."
)
_NOT_SUPPORTED = (
    "sObject type '{name}' is not supported. If you are attempting to use a custom object, be sure to "
    "append the '__c' after the entity name. Please reference your WSDL or the describe call for the "
    "appropriate names."
)
_BAD_RELATIONSHIP = (
    "Didn't understand relationship '{name}' in field path. If you are attempting to use a custom "
    "relationship, be sure to append the '__r' after the custom relationship name. Please reference "
    "your WSDL or the describe call for the appropriate names."
)
_WRONG_TYPE = "value of filter criterion for field '{field}' must be of type {type} and {quotes}"
_SOAP_TYPE = {
    "id": "id", "reference": "id", "string": "string", "textarea": "string", "picklist": "string",
    "combobox": "string", "date": "date", "datetime": "dateTime", "boolean": "boolean",
    "int": "integer", "double": "double", "currency": "double", "percent": "double", "email": "string",
    "phone": "string", "url": "string",
}  # fmt: skip
_TEXT_TYPES = frozenset({"string", "textarea", "picklist", "combobox", "email", "phone", "url"})
_NUMBER_TYPES = frozenset({"int", "double", "currency", "percent"})
_ID_TYPES = frozenset({"id", "reference"})
_MAX_OFFSET = 2000  # "Maximum SOQL offset allowed is 2000" [DOC sforce_api_calls_soql_select_offset]
_MAX_STATEMENT = 100_000  # "SOQL statements cannot exceed 100,000 characters" [DOC soql_sosl limits]
_MAX_INT = 2**31 - 1  # LIMIT/OFFSET are Java ints: a bigger number is not a number to Salesforce
# Bounds of this mock (Salesforce only says "too complicated"): nesting depth and literal count.
_MAX_NESTING = 100
_MAX_LITERALS = 4_000
_BALANCE_AT = 64  # long AND/OR chains are grouped as a balanced tree (SQLite's expression depth is 1000)
# Salesforce's date range: 1700-01-01T00:00:00Z .. 4000-12-31T00:00:00Z [DOC valid date ranges]
_MIN_DATE, _MAX_DATE = date(1700, 1, 1), date(4000, 12, 31)
_WINDOW_TOKENS = 4  # SF-SOQL-7


# --------------------------------------------------------------------------------------------------
# Entry point


def compile_soql(
    text: str, objects: dict[str, ObjectInfo], *, now: datetime, tz: str = "UTC"
) -> CompiledQuery:
    """Parse `text` and compile it against `objects` (keyed by lower-cased object name).

    `now` is the injected clock's aware instant; `tz` is the org/user time zone used for relative
    date literals. Raises `SoqlError` for every query Salesforce would refuse.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if len(text) > _MAX_STATEMENT:
        raise SoqlError(
            "MALFORMED_QUERY", f"SOQL statements cannot be longer than {_MAX_STATEMENT:,} characters"
        )
    try:
        tree = _PARSER.parse(text)
    except UnexpectedInput as exc:
        raise _syntax_error(text, exc) from None
    _check_complexity(tree)
    return _Compiler(text, objects, now, tz).query(tree)


def _check_complexity(tree: Tree) -> None:
    """Refuse what the compiler (recursive) and the database (expression depth) cannot take."""
    literals = 0
    stack: list[tuple[Tree, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > _MAX_NESTING:
            raise SoqlError(
                "QUERY_TOO_COMPLICATED", f"Query is too complicated: nested deeper than {_MAX_NESTING} levels"
            )
        for child in node.children:
            if isinstance(child, Tree):
                stack.append((child, depth + 1))
            else:
                literals += 1
    if literals > _MAX_LITERALS * 2:
        raise SoqlError(
            "QUERY_TOO_COMPLICATED",
            f"Query is too complicated: more than {_MAX_LITERALS:,} conditions and values",
        )


def _balanced(combine, parts: list) -> ColumnElement:
    """`combine(*parts)` as a balanced tree of parenthesised groups, so its depth stays logarithmic."""
    if len(parts) <= _BALANCE_AT:
        return combine(*parts)
    middle = len(parts) // 2
    # type_coerce keeps SQLAlchemy from flattening the groups back into one long chain.
    halves = (_balanced(combine, parts[:middle]), _balanced(combine, parts[middle:]))
    return combine(*(type_coerce(Grouping(half), Boolean) for half in halves))


# --------------------------------------------------------------------------------------------------
# Error rendering


def _caret_block(text: str, line: int, column: int) -> str:
    """Salesforce's positional prefix: the row (cut around the error), a caret, `ERROR at Row:C`."""
    rows = text.split("\n")
    row = rows[line - 1] if 0 < line <= len(rows) else ""
    col0 = column - 1
    spans = _token_spans(row)
    at = next((i for i, (start, _end) in enumerate(spans) if start >= col0), len(spans))
    if at < len(spans) and spans[at][0] != col0:
        # The position is inside a token (or the row could not be tokenised that far).
        at = next((i for i, (start, end) in enumerate(spans) if start <= col0 < end), at)
    first = max(0, at - _WINDOW_TOKENS)
    last = min(len(spans) - 1, at + _WINDOW_TOKENS)
    start = min(spans[first][0], col0) if spans else col0
    end = max(spans[last][1], col0) if spans else col0
    snippet = row[start:end]
    return f"\n{snippet}\n{' ' * (col0 - start)}^\nERROR at Row:{line}:Column:{column}\n"


def _token_spans(row: str) -> list[tuple[int, int]]:
    """(start, end) of each token on one row, using the grammar's own lexer; stops at a bad char."""
    spans: list[tuple[int, int]] = []
    try:
        for tok in _PARSER.lex(row):
            spans.append((tok.start_pos, tok.end_pos))
    except UnexpectedInput as exc:
        pos = getattr(exc, "pos_in_stream", None)
        if pos is not None and pos < len(row):
            spans.append((pos, pos + 1))
    return spans


def _positional(code: str, text: str, message: str, tok: Token) -> SoqlError:
    return SoqlError(code, _caret_block(text, tok.line or 1, tok.column or 1) + message)


def _syntax_error(text: str, exc: UnexpectedInput) -> SoqlError:
    """MALFORMED_QUERY in Salesforce's words: unexpected token / no viable alternative."""
    if isinstance(exc, UnexpectedToken) and exc.token.type != "$END":
        tok = exc.token
        return SoqlError(
            "MALFORMED_QUERY",
            _caret_block(text, tok.line, tok.column) + f"unexpected token: '{tok.value}'",
        )
    if isinstance(exc, UnexpectedCharacters):
        char = text[exc.pos_in_stream] if exc.pos_in_stream < len(text) else "<EOF>"
        return SoqlError(
            "MALFORMED_QUERY",
            _caret_block(text, exc.line, exc.column) + f"no viable alternative at character '{char}'",
        )
    if isinstance(exc, UnexpectedToken | UnexpectedEOF):
        # End of input: point just after the last non-blank character.
        stripped = text.rstrip()
        line = stripped.count("\n") + 1
        column = len(stripped.rsplit("\n", 1)[-1]) + 1
        return SoqlError("MALFORMED_QUERY", _caret_block(text, line, column) + "unexpected token: '<EOF>'")
    return SoqlError("MALFORMED_QUERY", str(exc))  # pragma: no cover - lark has no other kinds


# --------------------------------------------------------------------------------------------------
# Compiler


class _Compiler:
    def __init__(self, text: str, objects: dict[str, ObjectInfo], now: datetime, tz: str) -> None:
        self.text = text
        self.objects = objects
        self.now = now
        self.zone = ZoneInfo(tz)
        self.today = now.astimezone(self.zone).date()
        self.obj: ObjectInfo | None = None

    # -- errors ---------------------------------------------------------------------------------
    def fail(self, code: str, message: str, tok: Token) -> NoReturn:
        raise _positional(code, self.text, message, tok)

    # -- query ----------------------------------------------------------------------------------
    def query(self, tree: Tree) -> CompiledQuery:
        select_list, obj_tok, *clauses = tree.children
        obj = self.objects.get(str(obj_tok).lower())
        if obj is None:
            self.fail("INVALID_TYPE", _NOT_SUPPORTED.format(name=obj_tok), obj_tok)
        self.obj = obj

        count_only = isinstance(select_list.children[0], Tree)
        fields: list[FieldInfo] = []
        if not count_only:
            seen: set[str] = set()
            for tok in select_list.children:
                info = self.field(tok)
                if info.name in seen:
                    self.fail("MALFORMED_QUERY", f"duplicate field selected: {info.name}", tok)
                seen.add(info.name)
                fields.append(info)

        where = None
        order_by: list = []
        order_keys: list[OrderKey] = []
        limit = offset = None
        for clause in clauses:
            kind = clause.data
            if kind == "where_clause":
                where = self.cond(clause.children[0], negate=False)
            elif kind == "order_clause":
                order_keys = [self.order_key(item) for item in clause.children]
                order_by = [key.clause() for key in order_keys]
            elif kind == "limit_clause":
                limit = self.count(clause.children[0])
            elif kind == "offset_clause":
                offset = self.count(clause.children[0])
                if offset > _MAX_OFFSET:
                    raise SoqlError(
                        "NUMBER_OUTSIDE_VALID_RANGE", f"Maximum SOQL offset allowed is {_MAX_OFFSET}"
                    )
        return CompiledQuery(obj, fields, count_only, where, order_by, limit, offset, order_keys)

    def count(self, tok: Token) -> int:
        if not re.fullmatch(r"\d+", tok) or len(tok) > 10 or int(tok) > _MAX_INT:
            self.fail("MALFORMED_QUERY", f"unexpected token: '{tok}'", tok)
        return int(tok)

    def field(self, tok: Token) -> FieldInfo:
        assert self.obj is not None
        name = str(tok)
        if "." in name:
            head, rest = name.split(".", 1)
            if head.lower() != self.obj.name.lower() or "." in rest:
                self.fail("INVALID_FIELD", _BAD_RELATIONSHIP.format(name=head), tok)
            name = rest  # `Task.Subject` on Task is the plain field
        info = self.obj.fields.get(name.lower())
        if info is None:
            self.fail("INVALID_FIELD", _NO_SUCH_COLUMN.format(field=name, entity=self.obj.name), tok)
        return info

    # -- ORDER BY -------------------------------------------------------------------------------
    def order_key(self, item: Tree) -> OrderKey:
        name_tok, *mods = item.children
        info = self.field(name_tok)
        if not info.sortable:
            self.fail("INVALID_FIELD", f"field '{info.name}' can not be sorted in a query call", name_tok)
        kinds = {m.type for m in mods}
        descending = "DESC" in kinds
        # SF-SOQL-8: nulls first unless DESC; explicit NULLS FIRST/LAST wins.
        nulls_first = "FIRST" in kinds or ("LAST" not in kinds and not descending)
        expr = func.lower(info.column) if info.type in _TEXT_TYPES else info.column
        return OrderKey(expr, descending, nulls_first, is_nullable(info.column))

    # -- WHERE ----------------------------------------------------------------------------------
    def cond(self, node: Tree, *, negate: bool) -> ColumnElement:
        """Compile a condition; with `negate`, its exact two-valued negation (SF-SOQL-4)."""
        kind = node.data
        if kind == "not_expr":
            return self.cond(node.children[0], negate=not negate)
        if kind in ("and_chain", "or_chain"):
            parts = [self.cond(child, negate=negate) for child in node.children]
            conjunction = (kind == "and_chain") != negate  # De Morgan
            return _balanced(and_ if conjunction else or_, parts)
        name_tok = node.children[0]
        info = self.field(name_tok)
        if not info.filterable:
            self.fail("INVALID_FIELD", f"field '{info.name}' can not be filtered in query call", name_tok)
        values = [child.children[0] for child in node.children[1:] if isinstance(child, Tree)]
        if kind == "cmp":
            op = str(node.children[1])
            op = "!=" if op == "<>" else op
            return self.compare(info, op, values[0], negate=negate)
        if kind == "like":
            return self.like(info, name_tok, values[0], negate=negate)
        # IN (...) is an OR of equalities; NOT IN (...) the negation of that (true for nulls).
        parts = [self.compare(info, "=", value, negate=False) for value in values]
        positive = kind == "in_list"
        if positive != negate:
            return _balanced(or_, parts)
        return self.compare_in_negated(info, parts, values)

    def compare_in_negated(self, info: FieldInfo, parts: list, values: list[Token]) -> ColumnElement:
        has_null = any(v.type == "NULL" for v in values)
        body = not_(Grouping(_balanced(or_, parts)))
        if is_nullable(info.column) and not has_null:
            return or_(body, info.column.is_(None))
        return body

    def like(self, info: FieldInfo, name_tok: Token, tok: Token, *, negate: bool) -> ColumnElement:
        if info.type not in _TEXT_TYPES:
            soap = _SOAP_TYPE.get(info.type, info.type)
            self.fail("INVALID_QUERY_FILTER_OPERATOR", f"invalid operator on {soap} field", name_tok)
        if tok.type != "STRING":
            self.wrong_type(info, tok)
        pattern = decode_string(tok, like=True)
        if pattern is None:
            self.bad_escape(tok, like=True)
        positive = func.lower(info.column).like(func.lower(literal(pattern)), escape="\\")
        return self.two_valued(info, positive, null_true=False, negate=negate)

    def compare(self, info: FieldInfo, op: str, tok: Token, *, negate: bool) -> ColumnElement:
        col = info.column
        if tok.type == "NULL":
            if info.type == "boolean":  # `= null` is `= false` on a checkbox [DOC soql_null]
                return self.compare_bool(col, op, False, tok, info, negate=negate)
            if op == "=":
                return col.is_not(None) if negate else col.is_(None)
            if op == "!=":
                return col.is_(None) if negate else col.is_not(None)
            return true() if negate else false()  # ordering against null matches nothing
        if info.type == "boolean":
            if tok.type not in ("TRUE", "FALSE"):
                self.wrong_type(info, tok)
            return self.compare_bool(col, op, tok.type == "TRUE", tok, info, negate=negate)
        if info.type in ("date", "datetime") and tok.type in ("NAME", "DATE_N"):
            return self.compare_range(info, op, self.date_literal(tok), negate=negate)
        value, expr = self.bind(info, tok)
        positive = _OPS[op](expr, value)
        return self.two_valued(info, positive, null_true=op == "!=", negate=negate)

    def compare_bool(self, col, op, value: bool, tok: Token, info: FieldInfo, *, negate: bool):
        if op not in ("=", "!="):
            self.fail("INVALID_QUERY_FILTER_OPERATOR", "invalid operator on boolean field", tok)
        wanted = value if op == "=" else not value
        if negate:
            wanted = not wanted
        if not is_nullable(col):
            return col == wanted  # noqa: E712 - SQL comparison, not Python truthiness
        # A null checkbox reads as false.
        return col == True if wanted else or_(col == False, col.is_(None))  # noqa: E712

    def compare_range(self, info: FieldInfo, op: str, rng: DateRange, *, negate: bool) -> ColumnElement:
        col = info.column
        if info.type == "date":
            lo, hi_excl = rng.first, rng.last + timedelta(days=1)
        else:  # the local-midnight boundaries as naive UTC instants (the store's convention)
            lo, hi_excl = self.utc_midnight(rng.first), self.utc_midnight(rng.last + timedelta(days=1))
        positive = {
            "=": and_(col >= lo, col < hi_excl),
            "!=": or_(col < lo, col >= hi_excl),
            "<": col < lo,
            "<=": col < hi_excl,
            ">": col >= hi_excl,
            ">=": col >= lo,
        }[op]
        return self.two_valued(info, positive, null_true=op == "!=", negate=negate)

    def utc_midnight(self, day: date) -> datetime:
        local = datetime.combine(day, time(0), tzinfo=self.zone)
        return local.astimezone(UTC).replace(tzinfo=None)

    def two_valued(self, info: FieldInfo, positive, *, null_true: bool, negate: bool) -> ColumnElement:
        """SF-SOQL-4: make `positive` (NULL when the column is null) two-valued, then maybe negate."""
        nullable = is_nullable(info.column)
        if not negate:
            return or_(positive, info.column.is_(None)) if (null_true and nullable) else positive
        if null_true or not nullable:
            return not_(positive)  # NULL stays NULL -> excluded, as wanted
        return or_(not_(positive), info.column.is_(None))

    # -- literal binding ------------------------------------------------------------------------
    def bind(self, info: FieldInfo, tok: Token) -> tuple[Any, Any]:
        """(bound value, column expression) for a comparison of `info` against literal `tok`."""
        kind = info.type
        if kind in _TEXT_TYPES:
            if tok.type != "STRING":
                self.wrong_type(info, tok)
            value = decode_string(tok, like=False)
            if value is None:
                self.bad_escape(tok)
            return func.lower(literal(value)), func.lower(info.column)
        if kind in _ID_TYPES:
            if tok.type != "STRING":
                self.wrong_type(info, tok)
            raw = decode_string(tok, like=False)
            try:
                return to18(raw or ""), info.column
            except ValueError:
                self.fail("MALFORMED_QUERY", f"invalid ID field: {raw}", tok)
        if kind in _NUMBER_TYPES:
            if tok.type != "NUMBER":
                self.wrong_type(info, tok)
            number = float(tok)
            if not math.isfinite(number) or abs(number) > 2**63 - 1:
                self.fail("MALFORMED_QUERY", f"Invalid number: {tok}", tok)
            return (int(number) if kind == "int" and number.is_integer() else number), info.column
        if kind == "date":
            if tok.type != "DATE":
                self.wrong_type(info, tok)
            try:
                day = date.fromisoformat(str(tok))
                if not _MIN_DATE <= day <= _MAX_DATE:
                    raise ValueError(str(tok))
                return day, info.column
            except ValueError:
                self.fail("MALFORMED_QUERY", f"Invalid date: {tok}", tok)
        if kind == "datetime":
            if tok.type != "DATETIME":
                self.wrong_type(info, tok)
            try:
                instant = parse_instant(str(tok)).replace(tzinfo=None)
                if not _MIN_DATE <= instant.date() <= _MAX_DATE:
                    raise ValueError(str(tok))
                return instant, info.column
            except ValueError:
                self.fail("MALFORMED_QUERY", f"Invalid dateTime: {tok}", tok)
        raise SoqlError("INVALID_FIELD", f"field '{info.name}' has unsupported type {kind}")

    def date_literal(self, tok: Token) -> DateRange:
        name, _, count = str(tok).partition(":")
        if count and len(count.lstrip("+-")) > 7:  # beyond any date Salesforce stores
            self.fail("MALFORMED_QUERY", f"unexpected token: '{tok}'", tok)
        n = int(count) if count else None
        try:
            rng = date_range(name, n, self.today) if n is None or n >= 0 else None
        except OverflowError:
            rng = None
        if rng is not None and not (rng.first >= _MIN_DATE and rng.last <= _MAX_DATE):
            self.fail("MALFORMED_QUERY", f"date literal out of the valid range 1700..4000: '{tok}'", tok)
        if rng is None:
            self.fail("MALFORMED_QUERY", f"unexpected token: '{tok}'", tok)
        return rng

    def wrong_type(self, info: FieldInfo, tok: Token) -> NoReturn:
        soap = _SOAP_TYPE.get(info.type, info.type)
        quotes = "should be enclosed in quotes" if soap in ("id", "string") else (
            "should not be enclosed in quotes")  # fmt: skip
        self.fail("INVALID_FIELD", _WRONG_TYPE.format(field=info.name, type=soap, quotes=quotes), tok)

    def bad_escape(self, tok: Token, *, like: bool = False) -> NoReturn:
        allowed = set(ESCAPES) | ({"%", "_"} if like else set())

        def _ok(seq: str) -> bool:
            if len(seq) == 5 and seq[0] == "u":
                return not SURROGATE_RE.match(chr(int(seq[1:], 16)))  # a lone surrogate is refused
            return seq in allowed

        bad = next((m.group(0) for m in ESCAPE_RE.finditer(tok[1:-1]) if not _ok(m.group(1))), "\\")
        self.fail(
            "MALFORMED_QUERY",
            f"Invalid string literal '{tok}'. Illegal character sequence '{bad}' in string literal.",
            tok,
        )


_OPS = {
    "=": lambda col, v: col == v,
    "!=": lambda col, v: col != v,
    "<": lambda col, v: col < v,
    "<=": lambda col, v: col <= v,
    ">": lambda col, v: col > v,
    ">=": lambda col, v: col >= v,
}
