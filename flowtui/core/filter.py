"""The field-level filter language: text -> syntax tree -> polars boolean expression.

Syntax
------
A filter is terms `field op value` (spaces around `op` are allowed):

- ops: `=` `!=` `<` `<=` `>` `>=`; `<`-style ops take one number or time.
- values: numbers (`bytes>1000`), lists (`dstport=22,3389`), ranges (`dstport=1024-65535`),
  addresses and CIDRs, IPv4 and IPv6 (`srcaddr=10.0.0.0/8`, `addr=2001:db8::/32`,
  `srcaddr=10.0.2.*`), wildcards on text (`eni=eni-0a*`), protocol names (`protocol=tcp`),
  port service names (`dstport=ssh`), enum values in any case (`action=reject`), quoted
  strings (`"..."`: taken literally, no wildcard or list), and `-` for a missing value.
- times on `start`/`end`: `start>=2026-11-27T10:00Z`, `start>-15m` (relative to `now`), epoch
  seconds.
- fields are AWS names (`log-status`, or `log_status`), aliases (src, dst, sport, dport, proto,
  eni, status) or the shorthands `addr` (srcaddr or dstaddr) and `port` (srcport or dstport).
- terms side by side are ANDed (`and` may be written); `or`; `not` or `!`; parentheses.
  Precedence: not > and > or. Keywords are case-insensitive.

Semantics
---------
- A missing value (`-`, stored as null) equals nothing and orders with nothing: `dstport=22` and
  `bytes>0` are false for NODATA records. Only `field=-` matches it.
- `field!=v` is exactly `not field=v`, so it is true when the value is missing.
- `addr=X` (and `addr<...`) is true when either address satisfies it; `addr!=X` is
  `not addr=X`: neither address is X. `port` likewise.
- A list means any of its values; `field!=a,b` means none of them.
- Text comparisons are case-sensitive (as in CloudWatch); enum values are not.
- IPv4 and IPv6 values only ever match addresses of their own family.

Every failure is a `FilterError` carrying the position of the offending text, so an input box
can point at it while the user types.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

import polars as pl

from flowtui.core.fields import FIELDS, Field, FieldKind, closest_field
from flowtui.core.schema import v6_column
from flowtui.core.timeparse import TimeSpecError, parse_time

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

_PORT_FIELDS = frozenset({"srcport", "dstport"})
_PROTOCOL_FIELD = "protocol"
_KEYWORDS = frozenset({"and", "or", "not"})
_OPERATOR_CHARS = "=!<>"
_IDENT_START = re.compile(r"[A-Za-z_]")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_DIGIT_RANGE = re.compile(r"^(\d+)-(\d+)$")
_IPV4_WILDCARD = re.compile(r"^((?:\d{1,3}\.){0,3})\*(?:\.\*)*$")


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


# --- lexer --------------------------------------------------------------------------------


class _Kind(StrEnum):
    OPEN = "("
    CLOSE = ")"
    NOT = "not"
    AND = "and"
    OR = "or"
    TERM = "term"


@dataclass(frozen=True, slots=True)
class _Token:
    kind: _Kind
    span: Span
    term: Term | None = None


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def tokens(self) -> list[_Token]:
        found: list[_Token] = []
        while (token := self._next()) is not None:
            found.append(token)
        return found

    def _skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def _peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def _next(self) -> _Token | None:
        self._skip_space()
        char = self._peek()
        start = self.pos
        if not char:
            return None
        if char in "()":
            self.pos += 1
            return _Token(_Kind.OPEN if char == "(" else _Kind.CLOSE, Span(start, 1))
        if char == "!" and self.text[start : start + 2] != "!=":
            self.pos += 1
            return _Token(_Kind.NOT, Span(start, 1))
        if _IDENT_START.match(char):
            return self._word()
        if char in _OPERATOR_CHARS:
            raise FilterError(f"'{self._operator_text()}' needs a field before it", start)
        if char == '"':
            raise FilterError('a quoted value needs a field before it, as in eni="..."', start)
        raise FilterError(f"unexpected '{char}'", start)

    def _operator_text(self) -> str:
        end = self.pos
        while end < len(self.text) and self.text[end] in _OPERATOR_CHARS:
            end += 1
        return self.text[self.pos : end]

    def _word(self) -> _Token:
        start = self.pos
        match = _IDENT.match(self.text, start)
        assert match is not None  # guarded by _IDENT_START
        word = match.group()
        self.pos = match.end()
        after_word = self.pos
        self._skip_space()
        next_char = self._peek()
        if not next_char or next_char not in _OPERATOR_CHARS:
            self.pos = after_word
            if word.lower() in _KEYWORDS:
                return _Token(_Kind(word.lower()), Span(start, len(word)))
            resolve_target(word, start)  # an unknown field says so before anything else
            raise FilterError(
                f"'{word}' needs an operator and a value, as in {word}=...", start, len(word)
            )
        term = self._term(word, start)
        return _Token(_Kind.TERM, term.span, term)

    def _term(self, word: str, start: int) -> Term:
        target = resolve_target(word, start)
        op_start = self.pos
        op_text = self._operator_text()
        try:
            op = Comparison(op_text)
        except ValueError:
            raise FilterError(
                f"'{op_text}' is not an operator (use = != < <= > >=)", op_start, len(op_text)
            ) from None
        self.pos += len(op_text)
        self._skip_space()
        value_start = self.pos
        raw = self._value_text()
        if not raw:
            raise FilterError(f"missing value after '{word}{op_text}'", value_start)
        items = _split_items(raw, value_start)
        values = _parse_values(target, op, items)
        span = Span(start, self.pos - start)
        return Term(target, op, values, span, Span(start, len(word)))

    def _value_text(self) -> str:
        """The value: everything up to a space or a parenthesis outside quotes."""
        start = self.pos
        quote_start: int | None = None
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if quote_start is not None:
                if char == "\\":
                    self.pos += 1
                elif char == '"':
                    quote_start = None
            elif char == '"':
                quote_start = self.pos
            elif char.isspace() or char in "()":
                break
            elif char in _OPERATOR_CHARS:
                raise FilterError(
                    f"unexpected '{char}' in a value (quote the value, or put a space "
                    "between terms)",
                    self.pos,
                )
            self.pos += 1
        if quote_start is not None:
            raise FilterError("this quote is never closed", quote_start)
        return self.text[start : self.pos]


@dataclass(frozen=True, slots=True)
class _Item:
    """One comma-separated piece of a value, unquoted, with where it came from."""

    text: str
    span: Span
    quoted: bool


def _split_items(raw: str, offset: int) -> list[_Item]:
    pieces: list[tuple[int, int]] = []
    piece_start = 0
    in_quote = False
    index = 0
    while index < len(raw):
        char = raw[index]
        if in_quote and char == "\\":
            index += 1
        elif char == '"':
            in_quote = not in_quote
        elif char == "," and not in_quote:
            pieces.append((piece_start, index))
            piece_start = index + 1
        index += 1
    pieces.append((piece_start, len(raw)))
    return [_item(raw[begin:end], Span(offset + begin, end - begin)) for begin, end in pieces]


def _item(piece: str, span: Span) -> _Item:
    if not piece:
        raise FilterError("empty value in the list", span.start)
    if '"' not in piece:
        return _Item(piece, span, quoted=False)
    inner = piece[1:-1]
    whole = len(piece) >= 2 and piece.startswith('"') and piece.endswith('"')
    if not whole or re.search(r'(?<!\\)"', inner):
        raise FilterError("quote the whole value", span.start, span.length)
    unescaped = re.sub(r"\\(.)", r"\1", inner)
    return _Item(unescaped, span, quoted=True)


# --- fields and values --------------------------------------------------------------------


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


def _parse_values(target: str, op: Comparison, items: list[_Item]) -> tuple[Value, ...]:
    spec = FIELDS[SHORTHANDS.get(target, (target,))[0]]
    if op.orders:
        return (_ordering_value(target, spec, op, items),)
    values: list[Value] = []
    for item in items:
        if item.text == "-" and not item.quoted:
            values.append(Missing())
        else:
            values.extend(_equality_values(target, spec, item))
    return tuple(values)


def _ordering_value(target: str, spec: Field, op: Comparison, items: list[_Item]) -> Value:
    first = items[0]
    if spec.kind not in (FieldKind.INTEGER, FieldKind.TIMESTAMP):
        raise FilterError(
            f"'{op}' compares numbers and times; {target} is {spec.kind}",
            first.span.start,
            first.span.length,
        )
    if len(items) > 1:
        raise FilterError(f"'{op}' takes one value, not a list", first.span.start)
    if first.text == "-":
        raise FilterError(
            f"a missing value '-' is neither {op} nor anything else", first.span.start
        )
    value = _equality_values(target, spec, first)[0]
    if isinstance(value, NumberRange):
        raise FilterError(
            f"'{op}' takes one value, not a range", first.span.start, first.span.length
        )
    return value


def _equality_values(target: str, spec: Field, item: _Item) -> tuple[Value, ...]:
    if (
        "*" in item.text
        and not item.quoted
        and spec.kind in (FieldKind.INTEGER, FieldKind.TIMESTAMP)
    ):
        raise _bad(item, f"wildcards work on text fields, not on {target}")
    return _VALUE_PARSERS[spec.kind](target, spec, item)


def _bad(item: _Item, message: str) -> FilterError:
    return FilterError(message, item.span.start, item.span.length)


def _integer_values(target: str, spec: Field, item: _Item) -> tuple[Value, ...]:
    bounds = _DIGIT_RANGE.match(item.text)
    if bounds:
        low, high = (_integer(target, spec, item, part) for part in bounds.groups())
        if low > high:
            raise _bad(item, f"the range '{item.text}' runs backwards")
        return (NumberRange(low, high),)
    return (Number(_integer(target, spec, item, item.text)),)


def _integer(target: str, spec: Field, item: _Item, text: str) -> int:
    highest = (1 << spec.bits) - 1
    if target in _PORT_FIELDS or target == "port":
        number = int(text) if _is_digits(text) else _port_by_name(text)
        if number is None or number > highest:
            raise _bad(item, f"'{text}' is not a port number")
        return number
    if target == _PROTOCOL_FIELD:
        from flowtui.core.protocols import protocol_number

        found = protocol_number(text)
        if found is None:
            raise _bad(item, f"'{text}' is not a protocol name or number")
        return found
    if not _is_digits(text):
        raise _bad(item, f"'{text}' is not a number")
    if int(text) > highest:
        raise _bad(item, f"'{text}' is out of range for {target} (0-{highest})")
    return int(text)


def _is_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _port_by_name(name: str) -> int | None:
    from flowtui.core.ports import port_number

    return port_number(name)


def _time_values(target: str, spec: Field, item: _Item) -> tuple[Value, ...]:
    try:
        parse_time(item.text, 0)
    except TimeSpecError as error:
        raise _bad(item, str(error)) from None
    return (Instant(item.text),)


def _address_values(target: str, spec: Field, item: _Item) -> tuple[Value, ...]:
    text = item.text
    wildcard = _IPV4_WILDCARD.match(text)
    if wildcard and not item.quoted:
        octets = [part for part in wildcard.group(1).split(".") if part]
        if len(octets) + text.count("*") > 4:
            raise _bad(item, f"'{item.text}' has more than four parts")
        text = ".".join([*octets, *["0"] * (4 - len(octets))]) + f"/{8 * len(octets)}"
    try:
        return (Network(ipaddress.ip_network(text, strict=False)),)
    except ValueError:
        raise _bad(item, f"'{item.text}' is not an IP address or CIDR") from None


def _enum_values(target: str, spec: Field, item: _Item) -> tuple[Value, ...]:
    allowed = ", ".join(spec.values)
    if "*" in item.text and not item.quoted:
        regex = Wildcard(item.text.lower()).regex()
        matching = tuple(Text(v) for v in spec.values if regex.fullmatch(v.lower()))
        if not matching:
            raise _bad(item, f"'{item.text}' matches no {target} value ({allowed})")
        return matching
    for value in spec.values:
        if value.lower() == item.text.lower():
            return (Text(value),)
    raise _bad(item, f"'{item.text}' is not a valid {target} ({allowed})")


def _text_values(target: str, spec: Field, item: _Item) -> tuple[Value, ...]:
    if "*" in item.text and not item.quoted:
        return (Wildcard(item.text),)
    return (Text(item.text),)


_VALUE_PARSERS: Mapping[FieldKind, Callable[[str, Field, _Item], tuple[Value, ...]]] = {
    FieldKind.INTEGER: _integer_values,
    FieldKind.TIMESTAMP: _time_values,
    FieldKind.ADDRESS: _address_values,
    FieldKind.ENUM: _enum_values,
    FieldKind.TEXT: _text_values,
}


# --- parser -------------------------------------------------------------------------------


class _Parser:
    def __init__(self, tokens: list[_Token], text: str) -> None:
        self.tokens = tokens
        self.index = 0
        self.text = text

    def _peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def _take(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def parse(self) -> Node:
        if not self.tokens:
            return And(())
        node = self._or()
        extra = self._peek()
        if extra is not None:
            raise FilterError("this ')' has no matching '('", extra.span.start)
        return node

    def _operand_after(self, keyword: _Token) -> None:
        following = self._peek()
        if following is None or following.kind in (_Kind.CLOSE, _Kind.OR, _Kind.AND):
            word = self.text[keyword.span.start : keyword.span.end]
            raise FilterError(
                f"expected a term after '{word}'", keyword.span.start, keyword.span.length
            )

    def _or(self) -> Node:
        operands = [self._and()]
        while (token := self._peek()) is not None and token.kind is _Kind.OR:
            self._operand_after(self._take())
            operands.append(self._and())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def _and(self) -> Node:
        operands = [self._unary()]
        while (token := self._peek()) is not None and token.kind not in (_Kind.OR, _Kind.CLOSE):
            if token.kind is _Kind.AND:
                self._operand_after(self._take())
            operands.append(self._unary())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def _unary(self) -> Node:
        token = self._peek()
        if token is not None and token.kind is _Kind.NOT:
            self._operand_after(self._take())
            return Not(self._unary())
        return self._primary()

    def _primary(self) -> Node:
        token = self._take()
        if token.kind is _Kind.TERM:
            assert token.term is not None
            return token.term
        if token.kind is _Kind.OPEN:
            following = self._peek()
            if following is None:
                raise FilterError("this '(' is never closed", token.span.start)
            if following.kind is _Kind.CLOSE:
                raise FilterError("empty parentheses", token.span.start, 2)
            inner = self._or()
            closing = self._peek()
            if closing is None or closing.kind is not _Kind.CLOSE:
                raise FilterError("this '(' is never closed", token.span.start)
            self._take()
            return inner
        if token.kind is _Kind.CLOSE:
            raise FilterError("this ')' has no matching '('", token.span.start)
        word = self.text[token.span.start : token.span.end]
        raise FilterError(f"expected a term before '{word}'", token.span.start, token.span.length)


def parse_filter(text: str) -> FilterAst:
    """Parse filter text; FilterError (with the text attached) on any problem."""
    try:
        tokens = _Lexer(text).tokens()
        return FilterAst(text, _Parser(tokens, text).parse())
    except FilterError as error:
        raise error.with_text(text) from None
    except RecursionError:
        raise FilterError("the filter is nested too deeply", 0, len(text), text) from None


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


def suggest(
    prefix: str,
    available_fields: Collection[str],
    values_seen: Mapping[str, Iterable[str]],
    limit: int = 10,
) -> list[str]:
    """Completions for the word being typed: field names, or `field=value` once an op is typed.

    Prefix matches come first, then fuzzy matches (rapidfuzz) over field names, aliases,
    enum values and the values seen in the data.
    """
    from rapidfuzz import fuzz, process

    match = re.match(r"^([A-Za-z_][A-Za-z0-9_-]*)\s*(!=|<=|>=|=|<|>)(.*)$", prefix)
    if match is None:
        choices = _field_choices(frozenset(available_fields))
        typed = prefix.strip().lower()
        lead = ""
    else:
        word, op, typed = match.groups()
        typed = typed.strip()
        try:
            target = resolve_target(word)
        except FilterError:
            return []
        choices = _value_choices(target, values_seen)
        lead = f"{word}{op}"
    starts = [choice for choice in choices if choice.lower().startswith(typed.lower())]
    fuzzy = process.extract(typed, choices, scorer=fuzz.WRatio, limit=limit, score_cutoff=60)
    ranked = list(dict.fromkeys([*starts, *(choice for choice, _, _ in fuzzy)]))
    return [lead + choice for choice in ranked[:limit]]


def _field_choices(available: frozenset[str]) -> list[str]:
    names = [name for name in FIELDS if name in available]
    names += [alias for alias, name in ALIASES.items() if name in available]
    names += [short for short, targets in SHORTHANDS.items() if available.intersection(targets)]
    return names


def _value_choices(target: str, values_seen: Mapping[str, Iterable[str]]) -> list[str]:
    names = SHORTHANDS.get(target, (target,))
    seen = [str(value) for name in names for value in values_seen.get(name, ())]
    enum_values = list(FIELDS[names[0]].values)
    return list(dict.fromkeys([*enum_values, *seen]))
