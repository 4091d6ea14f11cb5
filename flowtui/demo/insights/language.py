"""The part of the CloudWatch Logs Insights query language the demo endpoint understands.

Text -> a `Query` of piped commands: `fields`/`display`, `filter`, `parse`, `stats ... by`,
`sort`, `limit`. Expressions: `and/or/not`, comparisons `= != < <= > >=`, `in [..]`,
`like "text"`, `like /regex/`, `=~ /regex/`, arithmetic `+ - * / %`, function calls
(`isIpv4InSubnet`, `ispresent`, `floor`, `bin`, ...), strings, numbers, durations (`5m`) and
fields (plain, `@`-prefixed or in backticks). Anything else is a `MalformedQueryError`, which the
endpoint answers as `MalformedQueryException`, as StartQuery does in AWS.

This is demo tooling: flowtui's own query path never imports it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class MalformedQueryError(ValueError):
    """The query text cannot be run; the message says where and why."""


# --- expressions -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Literal:
    value: str | int | float


@dataclass(frozen=True, slots=True)
class Duration:
    """`5m` in `bin(5m)`: a length of time in milliseconds."""

    ms: int


@dataclass(frozen=True, slots=True)
class Regex:
    pattern: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class FieldRef:
    name: str


@dataclass(frozen=True, slots=True)
class Call:
    name: str  # lower case
    args: tuple[Expr, ...]
    star: bool = False  # count(*)


@dataclass(frozen=True, slots=True)
class Unary:
    op: str  # "not" or "-"
    operand: Expr


@dataclass(frozen=True, slots=True)
class Binary:
    op: str  # and or = != < <= > >= =~ like + - * / %
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class InList:
    operand: Expr
    items: tuple[Expr, ...]
    negated: bool


Expr = Literal | Duration | Regex | FieldRef | Call | Unary | Binary | InList


@dataclass(frozen=True, slots=True)
class Named:
    """An expression and the name its value is shown under (`as name`, else its text)."""

    expr: Expr
    name: str


# --- commands ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Fields:
    items: tuple[Named, ...]
    display_only: bool  # `display`: choose output columns, compute nothing new


@dataclass(frozen=True, slots=True)
class Filter:
    condition: Expr


@dataclass(frozen=True, slots=True)
class Parse:
    source: str
    pattern: re.Pattern[str]
    names: tuple[str, ...]  # empty for a regex with named groups


@dataclass(frozen=True, slots=True)
class Stats:
    aggregations: tuple[Named, ...]
    by: tuple[Named, ...]


@dataclass(frozen=True, slots=True)
class Sort:
    keys: tuple[tuple[Expr, bool], ...]  # (expression, descending)


@dataclass(frozen=True, slots=True)
class Limit:
    count: int


Command = Fields | Filter | Parse | Stats | Sort | Limit


@dataclass(frozen=True, slots=True)
class Query:
    commands: tuple[Command, ...]

    @property
    def stats(self) -> Stats | None:
        found = [command for command in self.commands if isinstance(command, Stats)]
        return found[0] if found else None


AGGREGATES = frozenset({"count", "sum", "avg", "min", "max", "count_distinct"})
FUNCTIONS = frozenset(
    {
        "isipv4insubnet",
        "isipv6insubnet",
        "isipinsubnet",
        "ispresent",
        "isempty",
        "isblank",
        "floor",
        "ceil",
        "abs",
        "bin",
        "tolower",
        "toupper",
        "strlen",
        "concat",
        "coalesce",
    }
)
_DURATION_MS = {
    "ms": 1,
    "s": 1000,
    "sec": 1000,
    "m": 60_000,
    "min": 60_000,
    "h": 3_600_000,
    "hr": 3_600_000,
    "d": 86_400_000,
    "w": 604_800_000,
}


# --- lexer ---------------------------------------------------------------------------------


class _Kind(StrEnum):
    WORD = "word"
    NUMBER = "number"
    DURATION = "duration"
    STRING = "string"
    REGEX = "regex"
    OP = "op"
    END = "end"


@dataclass(frozen=True, slots=True)
class _Token:
    kind: _Kind
    text: str  # the value: unquoted string, regex source, operator, word
    start: int
    end: int


_WORD = re.compile(r"[@A-Za-z_][A-Za-z0-9_.@$]*")
_NUMBER = re.compile(r"\d+(?:\.\d+)?(?:[A-Za-z]+)?")
_OPERATORS: tuple[str, ...] = ("!=", "<=", ">=", "=~", "|", "=", "<", ">", "(", ")", "[", "]")
_OPERATORS += (",", "+", "-", "*", "%", "/")
_OPERAND_ENDS = (_Kind.WORD, _Kind.NUMBER, _Kind.DURATION, _Kind.STRING)


def _tokens(text: str) -> list[_Token]:
    found: list[_Token] = []
    pos = 0
    while pos < len(text):
        char = text[pos]
        if char.isspace():
            pos += 1
            continue
        start = pos
        if char in "\"'":
            value, pos = _quoted(text, pos, char)
            found.append(_Token(_Kind.STRING, value, start, pos))
        elif char == "`":
            end = text.find("`", pos + 1)
            if end < 0:
                raise MalformedQueryError(f"unclosed backtick at {pos}")
            found.append(_Token(_Kind.WORD, text[pos + 1 : end], start, end + 1))
            pos = end + 1
        elif char == "/" and not _after_operand(found):
            value, pos = _quoted(text, pos, "/")
            found.append(_Token(_Kind.REGEX, value, start, pos))
        elif match := _WORD.match(text, pos):
            pos = match.end()
            found.append(_Token(_Kind.WORD, match.group(), start, pos))
        elif match := _NUMBER.match(text, pos):
            pos = match.end()
            kind = _Kind.NUMBER if match.group()[-1].isdigit() else _Kind.DURATION
            found.append(_Token(kind, match.group(), start, pos))
        else:
            operator = next((op for op in _OPERATORS if text.startswith(op, pos)), None)
            if operator is None:
                raise MalformedQueryError(f"unexpected '{char}' at {pos}")
            pos += len(operator)
            found.append(_Token(_Kind.OP, operator, start, pos))
    found.append(_Token(_Kind.END, "", len(text), len(text)))
    return found


def _after_operand(found: list[_Token]) -> bool:
    if not found:
        return False
    last = found[-1]
    if len(found) >= 2 and found[-2].kind is _Kind.WORD and found[-2].text.lower() == "parse":
        return False  # parse @message /regex/
    if last.kind is _Kind.WORD:
        return last.text.lower() not in {"like", "and", "or", "not", "parse", "filter"}
    return last.kind in _OPERAND_ENDS or (last.kind is _Kind.OP and last.text in ")]")


def _quoted(text: str, pos: int, quote: str) -> tuple[str, int]:
    """The text between `quote`s from `pos`; a backslash keeps the next character."""
    out: list[str] = []
    index = pos + 1
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            following = text[index + 1]
            # In a regex the backslash stays (it means something there) unless it escapes "/".
            out.append(following if quote != "/" or following == "/" else char + following)
            index += 2
            continue
        if char == quote:
            return "".join(out), index + 1
        out.append(char)
        index += 1
    raise MalformedQueryError(f"unclosed {quote} at {pos}")


# --- parser --------------------------------------------------------------------------------


def _compile_regex(source: str) -> re.Pattern[str]:
    # Insights names groups as (?<name>...); Python wants (?P<name>...).
    python_source = re.sub(r"\(\?<(?=[A-Za-z_])", "(?P<", source)
    try:
        return re.compile(python_source, re.DOTALL)
    except re.error as error:
        raise MalformedQueryError(f"invalid regular expression /{source}/: {error}") from None


def glob_regex(glob: str) -> re.Pattern[str]:
    """A parse glob (`"* * *"`): each `*` captures; the last one runs to the end."""
    parts = glob.split("*")
    pieces = [re.escape(parts[0])]
    for index, part in enumerate(parts[1:]):
        last = index == len(parts) - 2
        pieces.append("(.*)" if last else "(.*?)")
        pieces.append(re.escape(part))
    return re.compile("^" + "".join(pieces) + "$", re.DOTALL)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.index = 0

    # token helpers
    def peek(self, offset: int = 0) -> _Token:
        return self.tokens[min(self.index + offset, len(self.tokens) - 1)]

    def take(self) -> _Token:
        token = self.peek()
        self.index += 1
        return token

    def at_word(self, *words: str) -> bool:
        token = self.peek()
        return token.kind is _Kind.WORD and token.text.lower() in words

    def at_op(self, *ops: str) -> bool:
        token = self.peek()
        return token.kind is _Kind.OP and token.text in ops

    def expect_op(self, op: str) -> None:
        if not self.at_op(op):
            raise self.error(f"expected '{op}'")
        self.take()

    def error(self, message: str) -> MalformedQueryError:
        token = self.peek()
        found = f"'{token.text}'" if token.kind is not _Kind.END else "the end"
        return MalformedQueryError(f"{message} at {token.start}, found {found}")

    def at_command_end(self) -> bool:
        return self.peek().kind is _Kind.END or self.at_op("|")

    # commands
    def query(self) -> Query:
        commands: list[Command] = []
        while True:
            commands.append(self.command())
            if self.peek().kind is _Kind.END:
                break
            self.expect_op("|")
        return Query(tuple(commands))

    def command(self) -> Command:
        token = self.take()
        name = token.text.lower() if token.kind is _Kind.WORD else ""
        if name in ("fields", "display"):
            return Fields(self.named_list(), display_only=name == "display")
        if name == "filter":
            return Filter(self.expression())
        if name == "parse":
            return self.parse_command()
        if name == "stats":
            return self.stats_command()
        if name == "sort":
            return self.sort_command()
        if name == "limit":
            number = self.take()
            if number.kind is not _Kind.NUMBER or not number.text.isdigit():
                raise MalformedQueryError(f"limit needs a whole number at {number.start}")
            return Limit(int(number.text))
        raise MalformedQueryError(f"unknown command '{token.text}' at {token.start}")

    def named_list(self) -> tuple[Named, ...]:
        items = [self.named()]
        while self.at_op(","):
            self.take()
            items.append(self.named())
        return tuple(items)

    def named(self) -> Named:
        start = self.peek().start
        expr = self.expression()
        end = self.tokens[self.index - 1].end
        if self.at_word("as"):
            self.take()
            alias = self.take()
            if alias.kind is not _Kind.WORD:
                raise MalformedQueryError(f"expected a name after 'as' at {alias.start}")
            return Named(expr, alias.text)
        if isinstance(expr, FieldRef):
            return Named(expr, expr.name)
        return Named(expr, re.sub(r"\s+", "", self.text[start:end]))

    def parse_command(self) -> Parse:
        source = self.take()
        if source.kind is not _Kind.WORD:
            raise MalformedQueryError(f"parse needs a field at {source.start}")
        pattern = self.take()
        if pattern.kind is _Kind.REGEX:
            regex = _compile_regex(pattern.text)
            if not regex.groupindex:
                raise MalformedQueryError("a parse regex needs named groups (?<name>...)")
            return Parse(source.text, regex, ())
        if pattern.kind is not _Kind.STRING:
            raise MalformedQueryError(f"parse needs a glob string or a regex at {pattern.start}")
        if not self.at_word("as"):
            raise self.error("expected 'as' after the parse glob")
        self.take()
        names = [self.take().text]
        while self.at_op(","):
            self.take()
            names.append(self.take().text)
        regex = glob_regex(pattern.text)
        if regex.groups != len(names):
            raise MalformedQueryError(
                f"the glob has {regex.groups} '*' but {len(names)} names follow 'as'"
            )
        return Parse(source.text, regex, tuple(names))

    def stats_command(self) -> Stats:
        aggregations = self.named_list()
        for item in aggregations:
            if not isinstance(item.expr, Call) or item.expr.name not in AGGREGATES:
                raise MalformedQueryError(f"'{item.name}' is not an aggregation function")
        by: tuple[Named, ...] = ()
        if self.at_word("by"):
            self.take()
            by = self.named_list()
        return Stats(aggregations, by)

    def sort_command(self) -> Sort:
        keys: list[tuple[Expr, bool]] = []
        while True:
            expr = self.additive()
            descending = False
            if self.at_word("asc", "desc"):
                descending = self.take().text.lower() == "desc"
            keys.append((expr, descending))
            if not self.at_op(","):
                return Sort(tuple(keys))
            self.take()

    # expressions, loosest first
    def expression(self) -> Expr:
        left = self.conjunction()
        while self.at_word("or"):
            self.take()
            left = Binary("or", left, self.conjunction())
        return left

    def conjunction(self) -> Expr:
        left = self.negation()
        while self.at_word("and"):
            self.take()
            left = Binary("and", left, self.negation())
        return left

    def negation(self) -> Expr:
        if self.at_word("not"):
            self.take()
            return Unary("not", self.negation())
        return self.comparison()

    def comparison(self) -> Expr:
        left = self.additive()
        negated = False
        if self.at_word("not") and self.peek(1).text.lower() in ("in", "like"):
            self.take()
            negated = True
        if self.at_word("in"):
            self.take()
            self.expect_op("[")
            items = [self.additive()]
            while self.at_op(","):
                self.take()
                items.append(self.additive())
            self.expect_op("]")
            return InList(left, tuple(items), negated)
        if self.at_word("like"):
            self.take()
            pattern = self.take()
            if pattern.kind is _Kind.REGEX:
                like: Binary = Binary("=~", left, Regex(_compile_regex(pattern.text)))
            elif pattern.kind is _Kind.STRING:
                like = Binary("like", left, Literal(pattern.text))
            else:
                raise MalformedQueryError(f"like needs a string or a regex at {pattern.start}")
            return Unary("not", like) if negated else like
        if self.at_op("=", "!=", "<", "<=", ">", ">=", "=~"):
            op = self.take().text
            if op == "=~":
                pattern = self.take()
                if pattern.kind is not _Kind.REGEX:
                    raise MalformedQueryError(f"=~ needs a /regex/ at {pattern.start}")
                return Binary(op, left, Regex(_compile_regex(pattern.text)))
            return Binary(op, left, self.additive())
        return left

    def additive(self) -> Expr:
        left = self.multiplicative()
        while self.at_op("+", "-"):
            op = self.take().text
            left = Binary(op, left, self.multiplicative())
        return left

    def multiplicative(self) -> Expr:
        left = self.unary()
        while self.at_op("*", "/", "%"):
            op = self.take().text
            left = Binary(op, left, self.unary())
        return left

    def unary(self) -> Expr:
        if self.at_op("-"):
            self.take()
            return Unary("-", self.unary())
        return self.primary()

    def primary(self) -> Expr:
        token = self.take()
        if token.kind is _Kind.NUMBER:
            return Literal(float(token.text) if "." in token.text else int(token.text))
        if token.kind is _Kind.DURATION:
            return _duration(token)
        if token.kind is _Kind.STRING:
            return Literal(token.text)
        if token.kind is _Kind.REGEX:
            return Regex(_compile_regex(token.text))
        if token.kind is _Kind.OP and token.text == "(":
            inner = self.expression()
            self.expect_op(")")
            return inner
        if token.kind is _Kind.WORD:
            if self.at_op("("):
                return self.call(token)
            return FieldRef(token.text)
        self.index -= 1
        raise self.error("expected a value")

    def call(self, name_token: _Token) -> Call:
        name = name_token.text.lower()
        if name not in FUNCTIONS and name not in AGGREGATES:
            raise MalformedQueryError(f"unknown function '{name_token.text}' at {name_token.start}")
        self.expect_op("(")
        if self.at_op("*"):
            self.take()
            self.expect_op(")")
            return Call(name, (), star=True)
        args: list[Expr] = []
        if not self.at_op(")"):
            args.append(self.expression())
            while self.at_op(","):
                self.take()
                args.append(self.expression())
        self.expect_op(")")
        return Call(name, tuple(args))


def _duration(token: _Token) -> Duration:
    match = re.fullmatch(r"(\d+)([A-Za-z]+)", token.text)
    unit = match.group(2).lower() if match else ""
    if match is None or unit not in _DURATION_MS:
        raise MalformedQueryError(f"'{token.text}' is not a duration such as 5m at {token.start}")
    return Duration(int(match.group(1)) * _DURATION_MS[unit])


def parse_query(text: str) -> Query:
    """Parse an Insights query; MalformedQueryError says what is wrong and where."""
    if not text.strip():
        raise MalformedQueryError("the query is empty")
    try:
        return _Parser(text).query()
    except RecursionError:
        raise MalformedQueryError("the query is nested too deeply") from None
