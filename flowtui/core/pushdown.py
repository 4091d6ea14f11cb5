"""Push-down: a filter as a CloudWatch space-delimited filter pattern, and a reference matcher.

The pattern must select a SUPERSET of the records the filter keeps (the filter is always
re-applied locally), so only what CloudWatch can match exactly, or more loosely, is translated:

- one slot per field of the (single) format, named after the field with '-' -> '_';
- `=` on numbers, enum values (in AWS's case), text, wildcards with `*` at the ends, IPv4
  addresses and octet-aligned CIDRs (`10.0.2.*`); lists as `f = a || f = b`;
- ranges as `f >= a && f <= b`; `<` `<=` `>` `>=` on numbers; `start`/`end` only with `>`/`>=`
  (records that carry milliseconds are larger still, so those stay supersets);
- `!=` (and `not` pushed down to single terms): a negated condition matches `-` too, which is
  exactly flowtui's rule for missing values.

Left out, each with its reason in `PushdownResult.dropped`: IPv6 values, prefixes off octet
boundaries, `-`, an OR across fields (`addr=X`, `port=X`, `a=1 or b=2`) or with a branch that
cannot be written, negated ranges and comparisons (they must keep missing values), and terms
that do not fit in 1,024 characters. Dropping one term of an AND leaves a superset; an OR is
kept whole or dropped whole.

`matches_pattern` evaluates the documented delimited-pattern semantics (see
shared/reference/filter-patterns.md, section 2) so tests can check the superset property.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from flowtui.core.filter.syntax import (
    Comparison,
    FilterAst,
    Instant,
    Missing,
    Network,
    Node,
    Not,
    Number,
    NumberRange,
    Or,
    Term,
    Text,
    Value,
    Wildcard,
    node_span,
)
from flowtui.core.formats import LogFormat
from flowtui.core.timeparse import is_relative_time, parse_time

MAX_PATTERN_LENGTH = 1024
_BARE_VALUE = re.compile(r"^[A-Za-z0-9._-]+$")
_QUOTABLE_VALUE = re.compile(r'^[^"\\\s]+$')
_TIME_FIELDS = frozenset({"start", "end"})
_OCTET_PREFIXES = {32: 4, 24: 3, 16: 2, 8: 1}


@dataclass(frozen=True, slots=True)
class PushdownResult:
    """`pattern` is None when nothing can be pushed (then every record is fetched).

    `exact` is True when the pattern selects exactly the filter's records; `dropped` says,
    term by term, what was left out of the pattern or loosened, and why.
    """

    pattern: str | None
    exact: bool
    dropped: list[str] = field(default_factory=list)


def slot_name(field_name: str) -> str:
    return field_name.replace("-", "_")


class _UntranslatableError(Exception):
    """A term that cannot be written as a pattern condition; the message says why."""


# --- negation normal form -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Literal:
    """`field op values` on one real field; negated means `not (field op values)`."""

    field: str
    op: Comparison
    values: tuple[Value, ...]
    negated: bool
    source: str


@dataclass(frozen=True, slots=True)
class _All:
    operands: tuple[_Nnf, ...]


@dataclass(frozen=True, slots=True)
class _Any:
    operands: tuple[_Nnf, ...]
    source: str


_Nnf = _Literal | _All | _Any


def _nnf(node: Node, negate: bool, text: str) -> _Nnf:
    """Push `not` down to the terms (De Morgan); expand `addr`/`port` into their fields."""
    if isinstance(node, Term):
        return _term_nnf(node, negate, text)
    if isinstance(node, Not):
        return _nnf(node.operand, not negate, text)
    operands = tuple(_nnf(child, negate, text) for child in node.operands)
    span = node_span(node)
    disjunction = isinstance(node, Or) != negate
    return _Any(operands, text[span.start : span.end]) if disjunction else _All(operands)


def _term_nnf(term: Term, negate: bool, text: str) -> _Nnf:
    source = text[term.span.start : term.span.end]
    op = Comparison.EQ if term.op is Comparison.NE else term.op
    negated = negate != (term.op is Comparison.NE)
    literals = tuple(_Literal(name, op, term.values, negated, source) for name in term.fields)
    if len(literals) == 1:
        return literals[0]
    # Either field satisfies the term; negated, neither does.
    return _All(literals) if negated else _Any(literals, source)


# --- literals to slot conditions ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Chain:
    """Conditions on one slot joined by one operator (mixing && and || is undocumented)."""

    field: str
    joiner: str
    conditions: tuple[str, ...]
    source: str


@dataclass(frozen=True, slots=True)
class _Conjunction:
    chains: tuple[_Chain, ...]
    exact: bool


def _literal_chain(literal: _Literal, now_s: int | None) -> tuple[_Chain, bool]:
    slot = slot_name(literal.field)
    if literal.negated:
        if literal.op.orders:
            raise _UntranslatableError(
                "negated, it keeps missing values, which a comparison never matches"
            )
        conditions = tuple(_negated_condition(slot, value) for value in literal.values)
        return _Chain(literal.field, "&&", conditions, literal.source), True
    if literal.op.orders:
        condition = _ordered_condition(literal, now_s)
        return _Chain(literal.field, "&&", (condition,), literal.source), True
    if len(literal.values) == 1 and isinstance(literal.values[0], NumberRange):
        bounds = literal.values[0]
        conditions = (f"{slot} >= {bounds.low}", f"{slot} <= {bounds.high}")
        return _Chain(literal.field, "&&", conditions, literal.source), True
    translated = [_equal_condition(slot, value) for value in literal.values]
    conditions = tuple(condition for condition, _ in translated)
    exact = all(is_exact for _, is_exact in translated)
    joiner = "||" if len(conditions) > 1 else "&&"
    return _Chain(literal.field, joiner, conditions, literal.source), exact


def _ordered_condition(literal: _Literal, now_s: int | None) -> str:
    slot = slot_name(literal.field)
    value = literal.values[0]
    if isinstance(value, Number):
        return f"{slot} {literal.op} {value.value}"
    assert isinstance(value, Instant)
    if literal.field not in _TIME_FIELDS or literal.op not in (Comparison.GT, Comparison.GE):
        raise _UntranslatableError("times go in the pattern only as start/end > or >=")
    if is_relative_time(value.spec) and now_s is None:
        raise _UntranslatableError("a relative time needs the current time")
    return f"{slot} {literal.op} {parse_time(value.spec, now_s or 0)}"


def _equal_condition(slot: str, value: Value) -> tuple[str, bool]:
    """`slot = value` and whether it is exact (False: a looser superset)."""
    if isinstance(value, NumberRange):
        raise _UntranslatableError("a range inside a list would mix && and || in one slot")
    if isinstance(value, Wildcard) and not _ends_only_wildcard(value.pattern):
        return f"{slot} = {_loosened_wildcard(value.pattern)}", False
    return f"{slot} = {_pattern_value(value)}", True


def _negated_condition(slot: str, value: Value) -> str:
    if isinstance(value, NumberRange):
        raise _UntranslatableError(
            "negated, it keeps missing values, which a comparison never matches"
        )
    if isinstance(value, Wildcard) and not _ends_only_wildcard(value.pattern):
        raise _UntranslatableError("a '*' inside a value cannot be negated exactly")
    return f"{slot} != {_pattern_value(value)}"


def _pattern_value(value: Value) -> str:
    if isinstance(value, Number):
        return str(value.value)
    if isinstance(value, Text):
        return _quoted(value.value)
    if isinstance(value, Wildcard):
        return _wildcard_value(value.pattern)
    if isinstance(value, Network):
        return _network_value(value.network)
    if isinstance(value, Missing):
        raise _UntranslatableError("matching '-' is not documented for patterns")
    if isinstance(value, Instant):
        raise _UntranslatableError("times go in the pattern only as start/end > or >=")
    raise _UntranslatableError(f"{value!r} has no pattern form")


def _quoted(text: str) -> str:
    """Text as a pattern value: bare when safe; quoted when it has other characters, or when
    it looks like a number (bare, `012345678901` would equal `12345678901` numerically)."""
    if _BARE_VALUE.match(text) and not _NUMERIC.match(text):
        return text
    if _QUOTABLE_VALUE.match(text):
        return f'"{text}"'
    raise _UntranslatableError(f"'{text}' cannot be written in a pattern")


def _ends_only_wildcard(pattern: str) -> bool:
    return "*" not in pattern.strip("*")


def _wildcard_value(pattern: str) -> str:
    core = pattern.strip("*")
    if not core:
        raise _UntranslatableError("'*' alone matches any value")
    if not _BARE_VALUE.match(core):
        raise _UntranslatableError(f"'{pattern}' would need quotes, which may turn off '*'")
    return pattern


def _loosened_wildcard(pattern: str) -> str:
    """A pattern with `*` only at its ends that matches everything `pattern` matches."""
    head, _, rest = pattern.partition("*")
    tail = rest.rpartition("*")[2]
    if head:
        return _wildcard_value(head + "*")
    if tail:
        return _wildcard_value("*" + tail)
    inner = next(part for part in pattern.split("*") if part)
    return _wildcard_value(f"*{inner}*")


def _network_value(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> str:
    if isinstance(network, ipaddress.IPv6Network):
        raise _UntranslatableError("IPv6 addresses are not pushed down")
    if network.prefixlen == 0:
        raise _UntranslatableError("it matches any IPv4 address")
    octets = _OCTET_PREFIXES.get(network.prefixlen)
    if octets is None:
        raise _UntranslatableError(f"/{network.prefixlen} is not on an octet boundary")
    kept = str(network.network_address).split(".")[:octets]
    return ".".join(kept) if octets == 4 else ".".join(kept) + ".*"


# --- the tree to a conjunction of slot chains ---------------------------------------------


class _Translator:
    def __init__(self, fields: frozenset[str], now_s: int | None) -> None:
        self.fields = fields
        self.now_s = now_s
        self.dropped: list[str] = []

    def translate(self, node: _Nnf) -> _Conjunction | None:
        """The node as slot chains (None: nothing left, every record passes)."""
        if isinstance(node, _Literal):
            return self._literal(node)
        if isinstance(node, _All):
            return self._all(node)
        return self._any(node)

    def _literal(self, literal: _Literal) -> _Conjunction | None:
        try:
            if literal.field not in self.fields:
                raise _UntranslatableError(f"{literal.field} is not in the format")
            chain, exact = _literal_chain(literal, self.now_s)
        except _UntranslatableError as reason:
            self.dropped.append(f"{literal.source}: {reason}")
            return None
        if not exact:
            self.dropped.append(f"{literal.source}: a '*' inside a value is loosened to the ends")
        return _Conjunction((chain,), exact)

    def _all(self, node: _All) -> _Conjunction | None:
        parts = [self.translate(child) for child in node.operands]
        chains = tuple(chain for part in parts if part is not None for chain in part.chains)
        if not chains:
            return None
        return _Conjunction(chains, all(part is not None and part.exact for part in parts))

    def _any(self, node: _Any) -> _Conjunction | None:
        outer = self.dropped
        self.dropped = []
        parts = [self.translate(child) for child in node.operands]
        inner, self.dropped = self.dropped, outer
        branch_chains = [part.chains for part in parts if part is not None]
        if len(branch_chains) < len(parts):
            self.dropped.append(f"{node.source}: an OR is pushed whole or not at all")
            return None
        fields = {chain.field for chains in branch_chains for chain in chains}
        single = all(len(chains) == 1 for chains in branch_chains)
        if len(fields) != 1 or not single:
            self.dropped.append(f"{node.source}: a pattern cannot OR across fields")
            return None
        chains = [chains[0] for chains in branch_chains]
        if any(chain.joiner == "&&" and len(chain.conditions) > 1 for chain in chains):
            self.dropped.append(f"{node.source}: would mix && and || in one slot")
            return None
        self.dropped.extend(inner)
        conditions = tuple(condition for chain in chains for condition in chain.conditions)
        merged = _Chain(fields.pop(), "||", conditions, node.source)
        return _Conjunction((merged,), all(part is not None and part.exact for part in parts))


def _slot_conditions(chains: Sequence[_Chain], dropped: list[str]) -> dict[str, str]:
    """One condition string per field: its && chains together, or else its first || chain."""
    by_field: dict[str, list[_Chain]] = {}
    for chain in chains:
        by_field.setdefault(chain.field, []).append(chain)
    slots: dict[str, str] = {}
    for name, field_chains in by_field.items():
        conjunctive = [c for c in field_chains if c.joiner == "&&" or len(c.conditions) == 1]
        disjunctive = [c for c in field_chains if c not in conjunctive]
        if conjunctive:
            slots[name] = " && ".join(cond for c in conjunctive for cond in c.conditions)
            left_out = disjunctive
        else:
            slots[name] = " || ".join(disjunctive[0].conditions)
            left_out = disjunctive[1:]
        dropped += [
            f"{c.source}: {name} already has conditions it cannot mix with" for c in left_out
        ]
    return slots


def _render(log_format: LogFormat, slots: dict[str, str]) -> str:
    return "[" + ", ".join(slots.get(n, slot_name(n)) for n in log_format.fields) + "]"


def to_filter_pattern(
    ast: FilterAst, formats: Sequence[LogFormat], now_s: int | None = None
) -> PushdownResult:
    """The CloudWatch pattern for a filter over records of `formats` (one format only).

    `now_s` resolves relative times (`start>-15m`); without it they are left out.
    """
    distinct = list(dict.fromkeys(formats))
    if len(distinct) != 1:
        why = (
            "the format is not known"
            if not distinct
            else f"the group mixes {len(distinct)} formats"
        )
        return PushdownResult(None, False, [f"{why}; a pattern fits one format"])
    if ast.is_empty:
        return PushdownResult(None, True, [])
    log_format = distinct[0]
    translator = _Translator(frozenset(log_format.fields), now_s)
    conjunction = translator.translate(_nnf(ast.root, False, ast.text))
    dropped = translator.dropped
    chains = list(conjunction.chains) if conjunction else []
    slots = _slot_conditions(chains, dropped)
    while slots and len(_render(log_format, slots)) > MAX_PATTERN_LENGTH:
        longest = max(slots, key=lambda name: len(slots[name]))
        dropped.append(f"{slots.pop(longest)}: left out to fit {MAX_PATTERN_LENGTH} characters")
    if not slots:
        return PushdownResult(None, False, dropped)
    exact = conjunction is not None and conjunction.exact and not dropped
    return PushdownResult(_render(log_format, slots), exact, dropped)


# --- reference matcher --------------------------------------------------------------------


class PatternSyntaxError(ValueError):
    """A pattern outside the documented delimited subset this matcher evaluates."""


_CONDITION = re.compile(r"^\s*([A-Za-z0-9_-]+)\s*(!=|<=|>=|=|<|>)\s*(\S.*?)\s*$")
_NAME = re.compile(r"^\s*[A-Za-z0-9_-]+\s*$")
_NUMERIC = re.compile(r"^-?\d+(?:\.\d+)?$")


@dataclass(frozen=True, slots=True)
class _Condition:
    op: str
    value: str
    quoted: bool


def matches_pattern(pattern: str, line: str) -> bool:
    """Whether a space-delimited pattern `[a, b = 1, ...]` selects a log line.

    Documented semantics: fields are split on spaces and matched by position, one slot each;
    `=`/`!=` compare strings (numerically when both sides are numbers), with `*` at the start
    or end of an unquoted value as a wildcard; `<` `<=` `>` `>=` are numeric and never match a
    non-number such as `-`; `&&` or `||` join conditions on the slot's own field.
    """
    slots = _split_outside_quotes(_strip_brackets(pattern), ",")
    tokens = line.split(" ")
    if len(tokens) != len(slots):
        return False
    return all(_slot_matches(slot, token) for slot, token in zip(slots, tokens, strict=True))


def pattern_within(narrow: str | None, wide: str | None) -> bool:
    """True when every line `narrow` selects is surely selected by `wide` too.

    Sufficient, not necessary: the patterns must have the same slots, and each slot of `wide`
    is either unconstrained or the very same condition as in `narrow`. That is what adding
    terms to a filter produces, so narrowing a filter never needs a refetch.
    """
    if wide is None:
        return True
    if narrow is None:
        return False
    narrow_slots = [slot.strip() for slot in _split_outside_quotes(_strip_brackets(narrow), ",")]
    wide_slots = [slot.strip() for slot in _split_outside_quotes(_strip_brackets(wide), ",")]
    if len(narrow_slots) != len(wide_slots):
        return False
    return all(
        _NAME.match(mine) is not None or mine == theirs
        for mine, theirs in zip(wide_slots, narrow_slots, strict=True)
    )


def _strip_brackets(pattern: str) -> str:
    text = pattern.strip()
    if not (text.startswith("[") and text.endswith("]")):
        raise PatternSyntaxError("a delimited pattern is written [field, field = value, ...]")
    return text[1:-1]


def _split_outside_quotes(text: str, separator: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    in_quote = False
    index = 0
    while index < len(text):
        if text[index] == '"':
            in_quote = not in_quote
        if not in_quote and text.startswith(separator, index):
            parts.append("".join(current))
            current = []
            index += len(separator)
            continue
        current.append(text[index])
        index += 1
    parts.append("".join(current))
    return parts


def _slot_matches(slot: str, token: str) -> bool:
    has_and = len(_split_outside_quotes(slot, "&&")) > 1
    has_or = len(_split_outside_quotes(slot, "||")) > 1
    if has_and and has_or:
        raise PatternSyntaxError(f"'{slot}' mixes && and ||, which is not documented")
    if _NAME.match(slot):
        return True  # a bare name: no condition
    parts = _split_outside_quotes(slot, "&&" if has_and else "||")
    conditions = [_parse_condition(part, parts[0]) for part in parts]
    results = (_condition_matches(condition, token) for condition in conditions)
    return any(results) if has_or else all(results)


def _parse_condition(text: str, first: str) -> _Condition:
    match = _CONDITION.match(text)
    first_match = _CONDITION.match(first)
    if match is None or first_match is None:
        raise PatternSyntaxError(f"'{text.strip()}' is not a condition")
    if match.group(1) != first_match.group(1):
        raise PatternSyntaxError(f"'{text.strip()}' names another field than its slot")
    raw = match.group(3)
    quoted = len(raw) >= 2 and raw.startswith('"') and raw.endswith('"')
    return _Condition(match.group(2), raw[1:-1] if quoted else raw, quoted)


def _condition_matches(condition: _Condition, token: str) -> bool:
    if condition.op == "=":
        return _equals(condition, token)
    if condition.op == "!=":
        return not _equals(condition, token)
    if not _NUMERIC.match(condition.value) or condition.quoted:
        raise PatternSyntaxError(f"'{condition.op}' needs a number, not '{condition.value}'")
    if not _NUMERIC.match(token):
        return False
    left, right = Decimal(token), Decimal(condition.value)
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[
        condition.op
    ]


def _equals(condition: _Condition, token: str) -> bool:
    value = condition.value
    if condition.quoted:
        return token == value
    if value.startswith("*") or value.endswith("*"):
        core = value.strip("*")
        if value.startswith("*") and value.endswith("*") and len(value) > 1:
            return core in token
        return token.startswith(core) if value.endswith("*") else token.endswith(core)
    if _NUMERIC.match(value) and _NUMERIC.match(token):
        return Decimal(value) == Decimal(token)
    return token == value
