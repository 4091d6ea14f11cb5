"""Filter syntax tree -> polars boolean expression over the record store's columns, and
`Filter`/`check`, which parse and compile in one go for the filter bar."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Collection
from dataclasses import dataclass

import polars as pl

from flowtui.core.fields import FIELDS, FieldKind
from flowtui.core.filter.parser import parse_filter
from flowtui.core.filter.syntax import (
    And,
    Comparison,
    FilterAst,
    FilterError,
    Instant,
    Missing,
    Network,
    Node,
    Not,
    Number,
    NumberRange,
    Term,
    Text,
    Value,
    Wildcard,
)
from flowtui.core.schema import v6_column
from flowtui.core.timeparse import parse_time

# --- compile to polars --------------------------------------------------------------------


def compile_filter(ast: FilterAst, available_fields: Collection[str], now_s: int) -> pl.Expr:
    """A boolean expression over the store's columns; never null (missing values are false).

    `available_fields` are the fields present in the records (store columns may be passed
    as they are). A catalog field that is not among them is a FilterError.
    """
    try:
        return _Compiler(frozenset(available_fields), now_s).node(ast.root)
    except FilterError as error:
        raise error.with_text(ast.text) from None
    except RecursionError:
        raise FilterError("the filter is nested too deeply", 0, len(ast.text), ast.text) from None


class _Compiler:
    def __init__(self, available: frozenset[str], now_s: int) -> None:
        self.available = available
        self.now_s = now_s

    def node(self, node: Node) -> pl.Expr:
        if isinstance(node, Term):
            return self.term(node)
        if isinstance(node, Not):
            return ~self.node(node.operand)
        if not node.operands:
            return pl.lit(True)
        parts = [self.node(child) for child in node.operands]
        return pl.all_horizontal(parts) if isinstance(node, And) else pl.any_horizontal(parts)

    def term(self, term: Term) -> pl.Expr:
        present = [name for name in term.fields if name in self.available]
        if not present:
            label = term.target if term.target in FIELDS else " or ".join(term.fields)
            raise FilterError(
                f"field '{label}' is not in these records' formats",
                term.field_span.start,
                term.field_span.length,
            )
        if term.op is Comparison.NE:
            return ~self._any_field(present, Comparison.EQ, term.values)
        return self._any_field(present, term.op, term.values)

    def _any_field(self, names: list[str], op: Comparison, values: tuple[Value, ...]) -> pl.Expr:
        per_field = [self._field(name, op, values).fill_null(False) for name in names]
        return per_field[0] if len(per_field) == 1 else pl.any_horizontal(per_field)

    def _field(self, name: str, op: Comparison, values: tuple[Value, ...]) -> pl.Expr:
        column = pl.col(name)
        if op.orders:
            return _ordered(column, op, self._scalar(values[0]))
        exact = [self._scalar(v) for v in values if isinstance(v, Number | Text | Instant)]
        checks = [column.is_in(exact)] if exact else []
        checks += [
            self._match(name, v) for v in values if not isinstance(v, Number | Text | Instant)
        ]
        return checks[0] if len(checks) == 1 else pl.any_horizontal(checks)

    def _scalar(self, value: Value) -> int | str:
        if isinstance(value, Number):
            return value.value
        if isinstance(value, Text):
            return value.value
        if isinstance(value, Instant):
            return parse_time(value.spec, self.now_s)
        raise AssertionError(f"{value!r} is not a single value")

    def _match(self, name: str, value: Value) -> pl.Expr:
        column = pl.col(name)
        if isinstance(value, Missing):
            if FIELDS[name].kind is FieldKind.ADDRESS:
                return column.is_null() & pl.col(v6_column(name)).is_null()
            return column.is_null()
        if isinstance(value, NumberRange):
            return column.is_between(value.low, value.high)
        if isinstance(value, Wildcard):
            return _on_distinct_text(column, value.regex().fullmatch)
        if isinstance(value, Network):
            return _in_network(name, value.network)
        raise AssertionError(f"unexpected value {value!r}")


def _ordered(column: pl.Expr, op: Comparison, bound: int | str) -> pl.Expr:
    comparisons = {
        Comparison.LT: column.lt,
        Comparison.LE: column.le,
        Comparison.GT: column.gt,
        Comparison.GE: column.ge,
    }
    return comparisons[op](bound)


def _in_network(name: str, network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> pl.Expr:
    if isinstance(network, ipaddress.IPv4Network):
        return pl.col(name).is_between(int(network.network_address), int(network.broadcast_address))

    def inside(text: str) -> bool:
        try:
            return ipaddress.ip_address(text) in network
        except ValueError:
            return False

    return _on_distinct_text(pl.col(v6_column(name)), inside)


def _on_distinct_text(column: pl.Expr, accepts: Callable[[str], object]) -> pl.Expr:
    """Decide on each distinct text value once (there are few), then test membership."""

    def evaluate(series: pl.Series) -> pl.Series:
        distinct = series.drop_nulls().unique().cast(pl.String).to_list()
        return series.is_in([text for text in distinct if accepts(text)])

    return column.map_batches(evaluate, return_dtype=pl.Boolean, is_elementwise=True)


# --- conveniences for the filter bar ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Filter:
    """A parsed and compiled filter, ready to apply to a frame."""

    text: str
    ast: FilterAst
    expr: pl.Expr

    @classmethod
    def compile(cls, text: str, available_fields: Collection[str], now_s: int) -> Filter:
        ast = parse_filter(text)
        return cls(text, ast, compile_filter(ast, available_fields, now_s))

    @property
    def is_empty(self) -> bool:
        return self.ast.is_empty


def check(text: str, available_fields: Collection[str], now_s: int) -> FilterError | None:
    """The problem with a filter as typed so far, or None when it can be applied."""
    try:
        Filter.compile(text, available_fields, now_s)
    except FilterError as error:
        return error
    return None
