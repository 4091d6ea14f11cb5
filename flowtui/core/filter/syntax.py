"""The filter language's syntax tree and its values, the field names it accepts (aliases,
shorthands, "did you mean" for typos), and `FilterError`, which every stage raises."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from flowtui.core.fields import FIELDS, closest_field

ALIASES: dict[str, str] = {
    "src": "srcaddr",
    "dst": "dstaddr",
    "sport": "srcport",
    "dport": "dstport",
    "proto": "protocol",
    "eni": "interface-id",
    "status": "log-status",
}

SHORTHANDS: dict[str, tuple[str, ...]] = {
    "addr": ("srcaddr", "dstaddr"),
    "port": ("srcport", "dstport"),
}


class FilterError(ValueError):
    """A filter that cannot be used: the message, and where in the text it went wrong."""

    def __init__(self, message: str, position: int, length: int = 1, text: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.position = position
        self.length = max(1, length)
        self.text = text

    def pointer(self) -> str:
        """The expression with carets under the offending part."""
        return f"{self.text}\n{' ' * self.position}{'^' * self.length}"

    def with_text(self, text: str) -> FilterError:
        return FilterError(self.message, self.position, self.length, text)


class Comparison(StrEnum):
    EQ = "="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="

    @property
    def orders(self) -> bool:
        return self not in (Comparison.EQ, Comparison.NE)


# --- values -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Missing:
    """`-`: the field has no value in the record."""


@dataclass(frozen=True, slots=True)
class Number:
    value: int


@dataclass(frozen=True, slots=True)
class NumberRange:
    """Inclusive at both ends."""

    low: int
    high: int


@dataclass(frozen=True, slots=True)
class Text:
    """An exact text (or enum value, in AWS's case)."""

    value: str


@dataclass(frozen=True, slots=True)
class Wildcard:
    """Text with `*` standing for any run of characters; anchored at both ends."""

    pattern: str

    def regex(self) -> re.Pattern[str]:
        return re.compile(".*".join(re.escape(part) for part in self.pattern.split("*")), re.DOTALL)


@dataclass(frozen=True, slots=True)
class Network:
    """An address or CIDR, IPv4 or IPv6 (a single address is a /32 or /128)."""

    network: ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class Instant:
    """A time spec as typed; relative specs are resolved when the filter is compiled."""

    spec: str


Value = Missing | Number | NumberRange | Text | Wildcard | Network | Instant


# --- syntax tree --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    length: int

    @property
    def end(self) -> int:
        return self.start + self.length


@dataclass(frozen=True, slots=True)
class Term:
    """`target op values`; target is a catalog field name or a shorthand (`addr`, `port`)."""

    target: str
    op: Comparison
    values: tuple[Value, ...]
    span: Span
    field_span: Span

    @property
    def fields(self) -> tuple[str, ...]:
        return SHORTHANDS.get(self.target, (self.target,))


@dataclass(frozen=True, slots=True)
class Not:
    operand: Node


@dataclass(frozen=True, slots=True)
class And:
    """All operands hold; no operands (the empty filter) matches everything."""

    operands: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    operands: tuple[Node, ...]


Node = Term | Not | And | Or


@dataclass(frozen=True, slots=True)
class FilterAst:
    text: str
    root: Node

    @property
    def is_empty(self) -> bool:
        return self.root == And(())


def node_span(node: Node) -> Span:
    """The part of the filter text a node was parsed from (parentheses aside)."""
    if isinstance(node, Term):
        return node.span
    children = (node.operand,) if isinstance(node, Not) else node.operands
    if not children:
        return Span(0, 0)
    first, last = node_span(children[0]), node_span(children[-1])
    return Span(first.start, last.end - first.start)


def terms_of(node: Node) -> Iterable[Term]:
    if isinstance(node, Term):
        yield node
    elif isinstance(node, Not):
        yield from terms_of(node.operand)
    else:
        for child in node.operands:
            yield from terms_of(child)


def fields_in(ast: FilterAst) -> frozenset[str]:
    """The catalog fields a filter reads (shorthands expanded)."""
    return frozenset(name for term in terms_of(ast.root) for name in term.fields)


# --- field names -------------------------------------------------------------------------


def resolve_target(word: str, position: int = 0) -> str:
    """A typed field name to its catalog name or shorthand; FilterError names the closest."""
    name = word.strip().lower().replace("_", "-")
    name = ALIASES.get(name, name)
    if name in FIELDS or name in SHORTHANDS:
        return name
    candidates = [*FIELDS, *ALIASES, *SHORTHANDS]
    suggestion = closest_field(word, candidates)
    hint = f" (did you mean '{suggestion}'?)" if suggestion else ""
    raise FilterError(f"unknown field '{word}'{hint}", position, len(word))
