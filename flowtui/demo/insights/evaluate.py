"""Running a parsed Insights query over log events, incrementally, as Insights does.

A `Run` takes events in chunks (`scan`) and can say at any point what the results are so far
(`results`), which is how the endpoint serves partial results while a query is Running.

Semantics kept from CloudWatch Logs Insights:
- default-format VPC flow-log lines get their fields discovered under Insights' names
  (`srcAddr`, `startTime`, `logStatus`, ...) as text; a `-` stays the text "-";
- custom formats get fields only through `parse`; a line that does not match leaves them absent;
- comparisons are numeric when both sides are numbers, else on text; a comparison with an absent
  field is false, and `not` of it true; arithmetic on a non-number is absent;
- `stats` aggregates per group (`sum`/`avg`/`min`/`max` skip values that are not numbers,
  `count(field)` counts events where the field is present), `bin(5m)` buckets `@timestamp`;
- results are rows of `{field, value}` with text values; absent fields are left out of a row;
  timestamps are written `YYYY-MM-DD HH:MM:SS.mmm`; rows stop at the limit (at most 10,000).

Demo tooling only: flowtui's own query path never imports it.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flowtui.demo.insights.language import (
    Binary,
    Call,
    Duration,
    Expr,
    FieldRef,
    Fields,
    Filter,
    InList,
    Limit,
    Literal,
    MalformedQueryError,
    Named,
    Parse,
    Query,
    Regex,
    Sort,
    Stats,
    Unary,
)

#: Insights' names for the fields of a default-format (version 2) flow-log line, in order.
DISCOVERED_FIELDS = (
    "version",
    "accountId",
    "interfaceId",
    "srcAddr",
    "dstAddr",
    "srcPort",
    "dstPort",
    "protocol",
    "packets",
    "bytes",
    "startTime",
    "endTime",
    "action",
    "logStatus",
)
RESULT_ROW_CAP = 10_000
_INTEGER = re.compile(r"-?\d+")
_DECIMAL = re.compile(r"-?(\d+\.\d*|\.\d+)([eE][-+]?\d+)?")


@dataclass(frozen=True, slots=True, order=True)
class Timestamp:
    """Milliseconds since the epoch; written the way Insights writes `@timestamp`."""

    ms: int

    def text(self) -> str:
        moment = datetime.fromtimestamp(self.ms / 1000, UTC)
        return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{self.ms % 1000:03d}"


Value = str | int | float | bool | Timestamp | None
Record = dict[str, Value]


@dataclass(frozen=True, slots=True)
class LogEvent:
    """One event as the endpoint stores it."""

    timestamp_ms: int
    ingestion_ms: int
    message: str
    stream: str
    group: str
    account: str
    pointer: str


def discovered(message: str) -> dict[str, Value]:
    """The fields Insights discovers in a default-format flow-log line (none for others)."""
    tokens = message.split(" ")
    if len(tokens) != len(DISCOVERED_FIELDS) or tokens[0] != "2":
        return {}
    return dict(zip(DISCOVERED_FIELDS, tokens, strict=True))


def event_record(event: LogEvent) -> Record:
    record: Record = {
        "@timestamp": Timestamp(event.timestamp_ms),
        "@ingestionTime": Timestamp(event.ingestion_ms),
        "@message": event.message,
        "@logStream": event.stream,
        "@log": f"{event.account}:{event.group}",
        "@ptr": event.pointer,
    }
    record.update(discovered(event.message))
    return record


# --- values --------------------------------------------------------------------------------


def number(value: Value) -> int | float | None:
    """The value as a number, or None when it is not one."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, Timestamp):
        return value.ms
    text = value.strip()
    if _INTEGER.fullmatch(text):
        return int(text)
    if _DECIMAL.fullmatch(text):
        return float(text)
    return None


def text_of(value: Value) -> str:
    if isinstance(value, Timestamp):
        return value.text()
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return format(value, ".15g")
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _compare(op: str, left: Value, right: Value) -> bool:
    if left is None or right is None:
        return False
    left_number, right_number = number(left), number(right)
    a: Any
    b: Any
    if left_number is not None and right_number is not None:
        a, b = left_number, right_number
    else:
        a, b = text_of(left), text_of(right)
    if op == "=":
        return bool(a == b)
    if op == "!=":
        return bool(a != b)
    if op == "<":
        return bool(a < b)
    if op == "<=":
        return bool(a <= b)
    if op == ">":
        return bool(a > b)
    return bool(a >= b)


def _arithmetic(op: str, left: Value, right: Value) -> Value:
    a, b = number(left), number(right)
    if a is None or b is None:
        return None
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if b == 0:
        return None
    return a / b if op == "/" else a % b


def _in_subnet(family: int | None) -> Callable[[Value, Value], bool]:
    def check(address: Value, cidr: Value) -> bool:
        if address is None or cidr is None:
            return False
        try:
            parsed = ipaddress.ip_address(text_of(address))
            network = ipaddress.ip_network(text_of(cidr), strict=False)
        except ValueError:
            return False
        if family is not None and parsed.version != family:
            return False
        return parsed.version == network.version and parsed in network

    return check


def _blank(value: Value, strip: bool) -> bool:
    if value is None:
        return True
    text = text_of(value)
    return not (text.strip() if strip else text)


def _rounded(function: Callable[[float], float]) -> Callable[[Value], Value]:
    def apply(value: Value) -> Value:
        found = number(value)
        return None if found is None else int(function(found))

    return apply


def _absolute(value: Value) -> Value:
    found = number(value)
    return None if found is None else abs(found)


def _text_function(function: Callable[[str], Value]) -> Callable[[Value], Value]:
    return lambda value: None if value is None else function(text_of(value))


_SCALAR_FUNCTIONS: dict[str, Callable[..., Value]] = {
    "isipv4insubnet": _in_subnet(4),
    "isipv6insubnet": _in_subnet(6),
    "isipinsubnet": _in_subnet(None),
    "ispresent": lambda value: value is not None,
    "isempty": lambda value: _blank(value, strip=False),
    "isblank": lambda value: _blank(value, strip=True),
    "floor": _rounded(math.floor),
    "ceil": _rounded(math.ceil),
    "abs": _absolute,
    "tolower": _text_function(str.lower),
    "toupper": _text_function(str.upper),
    "strlen": _text_function(len),
    "concat": lambda *values: "".join(text_of(v) for v in values if v is not None),
    "coalesce": lambda *values: next((v for v in values if v is not None), None),
}


def evaluate(expr: Expr, record: Record) -> Value:
    """The value of an expression for one record (or one stats row)."""
    if isinstance(expr, FieldRef):
        return record.get(expr.name)
    if isinstance(expr, Literal):
        return expr.value
    if isinstance(expr, Duration):
        return expr.ms
    if isinstance(expr, Regex):
        return expr.pattern.pattern
    if isinstance(expr, Unary):
        if expr.op == "not":
            return not truthy(evaluate(expr.operand, record))
        found = number(evaluate(expr.operand, record))
        return None if found is None else -found
    if isinstance(expr, InList):
        value = evaluate(expr.operand, record)
        hit = any(_compare("=", value, evaluate(item, record)) for item in expr.items)
        return hit != expr.negated
    if isinstance(expr, Binary):
        return _binary(expr, record)
    return _call(expr, record)


def _binary(expr: Binary, record: Record) -> Value:
    if expr.op == "and":
        return truthy(evaluate(expr.left, record)) and truthy(evaluate(expr.right, record))
    if expr.op == "or":
        return truthy(evaluate(expr.left, record)) or truthy(evaluate(expr.right, record))
    left = evaluate(expr.left, record)
    if expr.op == "=~":
        assert isinstance(expr.right, Regex)
        return left is not None and expr.right.pattern.search(text_of(left)) is not None
    if expr.op == "like":
        return left is not None and text_of(evaluate(expr.right, record)) in text_of(left)
    right = evaluate(expr.right, record)
    if expr.op in ("+", "-", "*", "/", "%"):
        return _arithmetic(expr.op, left, right)
    return _compare(expr.op, left, right)


def _call(expr: Call, record: Record) -> Value:
    if expr.name == "bin":
        if len(expr.args) != 1 or not isinstance(expr.args[0], Duration):
            raise MalformedQueryError("bin() takes one duration, as in bin(5m)")
        stamp = record.get("@timestamp")
        if not isinstance(stamp, Timestamp):
            return None
        size = expr.args[0].ms
        return Timestamp(stamp.ms // size * size)
    function = _SCALAR_FUNCTIONS.get(expr.name)
    if function is None:
        raise MalformedQueryError(f"{expr.name}() can only be used in stats")
    return function(*(evaluate(arg, record) for arg in expr.args))


def truthy(value: Value) -> bool:
    return value is not None and value is not False and value != ""


# --- stats ---------------------------------------------------------------------------------


@dataclass(slots=True)
class _Accumulator:
    """One aggregation of one group."""

    function: str
    count: int = 0
    total: int | float = 0
    extreme: int | float | None = None
    distinct: set[str] = field(default_factory=set)

    def add(self, value: Value, star: bool) -> None:
        if self.function == "count":
            self.count += 1 if star or value is not None else 0
            return
        if self.function == "count_distinct":
            if value is not None:
                self.distinct.add(text_of(value))
            return
        found = number(value)
        if found is None:
            return
        self.count += 1
        self.total += found
        if self.function == "min":
            self.extreme = found if self.extreme is None else min(self.extreme, found)
        elif self.function == "max":
            self.extreme = found if self.extreme is None else max(self.extreme, found)

    def result(self) -> Value:
        if self.function == "count":
            return self.count
        if self.function == "count_distinct":
            return len(self.distinct)
        if self.count == 0:
            return None
        if self.function == "sum":
            return self.total
        if self.function == "avg":
            return self.total / self.count
        return self.extreme


def _key_text(value: Value) -> tuple[int, str]:
    return (0, "") if value is None else (1, text_of(value))


class _Aggregation:
    def __init__(self, stats: Stats) -> None:
        self.stats = stats
        self.groups: dict[tuple[tuple[int, str], ...], tuple[list[Value], list[_Accumulator]]] = {}

    def add(self, record: Record) -> None:
        values = [evaluate(item.expr, record) for item in self.stats.by]
        key = tuple(_key_text(value) for value in values)
        group = self.groups.get(key)
        if group is None:
            accumulators = [_accumulator(item) for item in self.stats.aggregations]
            group = self.groups[key] = (values, accumulators)
        for item, accumulator in zip(self.stats.aggregations, group[1], strict=True):
            call = item.expr
            assert isinstance(call, Call)
            argument = evaluate(call.args[0], record) if call.args else None
            accumulator.add(argument, call.star or not call.args)

    def rows(self) -> list[Record]:
        rows: list[Record] = []
        for key in sorted(self.groups):
            values, accumulators = self.groups[key]
            row: Record = {
                item.name: value for item, value in zip(self.stats.by, values, strict=True)
            }
            for item, accumulator in zip(self.stats.aggregations, accumulators, strict=True):
                row[item.name] = accumulator.result()
            rows.append(row)
        return rows


def _accumulator(item: Named) -> _Accumulator:
    assert isinstance(item.expr, Call)
    return _Accumulator(item.expr.name)


# --- a run ---------------------------------------------------------------------------------


def _sort_key(value: Value) -> tuple[int, float, str]:
    found = number(value)
    if found is not None:
        return (1, float(found), "")
    return (0, 0.0, "") if value is None else (2, 0.0, text_of(value))


def _sorted(rows: list[Record], sort: Sort | None) -> list[Record]:
    if sort is None:
        return rows
    ordered = rows
    for expr, descending in reversed(sort.keys):  # stable sorts, last key first
        ordered = sorted(
            ordered, key=lambda row: _sort_key(evaluate(expr, row)), reverse=descending
        )
    return ordered


def _output(row: Record, names: Sequence[str] | None) -> list[dict[str, str]]:
    keys = names if names is not None else list(row)
    return [{"field": key, "value": text_of(row[key])} for key in keys if row.get(key) is not None]


class Run:
    """One query over a stream of events: `scan` chunks, read `results` at any time."""

    def __init__(self, query: Query, limit: int | None) -> None:
        self.query = query
        self.cap = min(limit or RESULT_ROW_CAP, RESULT_ROW_CAP)
        stats_index = next(
            (i for i, command in enumerate(query.commands) if isinstance(command, Stats)), None
        )
        split = len(query.commands) if stats_index is None else stats_index
        self.event_stage = query.commands[:split]
        self.row_stage = query.commands[split + 1 :] if stats_index is not None else ()
        self.aggregation = (
            _Aggregation(query.commands[split]) if stats_index is not None else None  # type: ignore[arg-type]
        )
        if stats_index is None:
            self.row_stage = tuple(c for c in self.event_stage if isinstance(c, Sort | Limit))
            self.event_stage = tuple(c for c in self.event_stage if not isinstance(c, Sort | Limit))
        elif any(isinstance(c, Sort | Limit) for c in self.event_stage):
            raise MalformedQueryError("the demo endpoint runs sort and limit after stats only")
        self.matched: list[Record] = []
        self.records_scanned = 0
        self.records_matched = 0
        self.bytes_scanned = 0

    def scan(self, events: Iterable[LogEvent]) -> None:
        for event in events:
            self.records_scanned += 1
            self.bytes_scanned += len(event.message.encode("utf-8"))
            record = self._through_event_stage(event_record(event))
            if record is None:
                continue
            self.records_matched += 1
            if self.aggregation is not None:
                self.aggregation.add(record)
            else:
                self.matched.append(record)

    def _through_event_stage(self, record: Record) -> Record | None:
        for command in self.event_stage:
            if isinstance(command, Filter):
                if not truthy(evaluate(command.condition, record)):
                    return None
            elif isinstance(command, Parse):
                _parse_into(command, record)
            elif isinstance(command, Fields) and not command.display_only:
                for item in command.items:
                    record[item.name] = evaluate(item.expr, record)
        return record

    def results(self) -> list[list[dict[str, str]]]:
        """The rows so far (all of them once every event was scanned)."""
        if self.aggregation is not None:
            rows = self.aggregation.rows()
            names: list[str] | None = [
                item.name
                for item in (*self.aggregation.stats.by, *self.aggregation.stats.aggregations)
            ]
            default_sort: Sort | None = None
        else:
            rows = [dict(record) for record in self.matched]
            names = self._display_names()
            default_sort = Sort(((FieldRef("@timestamp"), True),))
        rows, names = self._row_stage(rows, names, default_sort)
        return [_output(row, names) for row in rows[: self.cap]]

    def _display_names(self) -> list[str] | None:
        chosen = [c for c in self.event_stage if isinstance(c, Fields)]
        if not chosen:
            return None
        names = [item.name for command in chosen for item in command.items]
        return [*dict.fromkeys(names), "@ptr"]

    def _row_stage(
        self, rows: list[Record], names: list[str] | None, default_sort: Sort | None
    ) -> tuple[list[Record], list[str] | None]:
        sorted_already = False
        for command in self.row_stage:
            if isinstance(command, Filter):
                rows = [row for row in rows if truthy(evaluate(command.condition, row))]
            elif isinstance(command, Sort):
                rows = _sorted(rows, command)
                sorted_already = True
            elif isinstance(command, Limit):
                if not sorted_already:
                    rows = _sorted(rows, default_sort)
                    sorted_already = True
                rows = rows[: command.count]
            elif isinstance(command, Fields):
                for row in rows:
                    for item in command.items:
                        row[item.name] = evaluate(item.expr, row)
                names = [item.name for item in command.items]
        if not sorted_already:
            rows = _sorted(rows, default_sort)
        return rows, names


def _parse_into(command: Parse, record: Record) -> None:
    source = record.get(command.source)
    if source is None:
        return
    match = command.pattern.search(text_of(source))
    if match is None:
        return
    if command.names:
        record.update(zip(command.names, match.groups(), strict=True))
    else:
        record.update(
            {name: value for name, value in match.groupdict().items() if value is not None}
        )
