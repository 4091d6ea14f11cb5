"""Filter text -> syntax tree: the lexer, the typed values of each field, and the parser.

`parse_filter` is the entry point; every problem is a `FilterError` pointing at its text.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from flowtui.core.fields import FIELDS, Field, FieldKind
from flowtui.core.filter.syntax import (
    SHORTHANDS,
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
    Or,
    Span,
    Term,
    Text,
    Value,
    Wildcard,
    resolve_target,
)
from flowtui.core.timeparse import TimeSpecError, parse_time

_PORT_FIELDS = frozenset({"srcport", "dstport"})
_PROTOCOL_FIELD = "protocol"
_TCP_FLAGS_FIELD = "tcp-flags"
_KEYWORDS = frozenset({"and", "or", "not"})
_OPERATOR_CHARS = "=!<>"
_IDENT_START = re.compile(r"[A-Za-z_]")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_DIGIT_RANGE = re.compile(r"^(\d+)-(\d+)$")
_IPV4_WILDCARD = re.compile(r"^((?:\d{1,3}\.){0,3})\*(?:\.\*)*$")


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
    if target == _TCP_FLAGS_FIELD and not _is_digits(text):
        from flowtui.core.decode import tcp_flags_value

        flags = tcp_flags_value(text)
        if flags is None:
            raise _bad(
                item,
                f"'{text}' is not a tcp-flags value (a number, or flag names: syn, ack, fin, "
                "rst, psh, urg, joined as in syn-ack)",
            )
        return flags
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
