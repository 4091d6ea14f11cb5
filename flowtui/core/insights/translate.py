"""The project's filter language, translated exactly into a CloudWatch Logs Insights query head.

`query_head(fields, ast, now_s)` gives the `parse` and `filter` commands that select, on the
server, exactly the records the local filter keeps (`flowtui.core.filter`), or raises
`NotTranslatableError` with the reason. Nothing is ever widened: a stat over a superset of the
records would be wrong.

Field names: a group whose records are all in the default format uses the names Insights
discovers (`srcAddr`, `dstPort`, `startTime`, `logStatus`, ...); a custom format is split with
`parse @message "* * ..." as ...` into the AWS names with `_` for `-` (`log_status`,
`pkt_srcaddr`). A group receiving several formats gets one anchored regex `parse` per format
and a `fields coalesce(...)` merging them under the same names; formats with as many fields
cannot be told apart and are refused.

Missing values: a flow-log `-` reaches Insights as the text "-" (or, after a parse that did not
match, as an absent field). So:
- `field=-` becomes `(not ispresent(f) or f = "-")`;
- an ordering or range test is guarded with `f != "-"`, because Insights orders text against
  numbers as text;
- a negated test is `(not ispresent(f) or not (test))`, so it holds on a missing value whichever
  way Insights negates a test on an absent field (`field!=v` is true when the value is missing).
The rest maps one to one: CIDRs to `isIpv4InSubnet`/`isIpv6InSubnet` (a single IPv4 address
to `=`, which field indexes can use), lists to `in [...]`, wildcards to anchored regexes,
ranges to `>=`/`<=`, protocol and port names to their numbers, times to epoch seconds.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass

from flowtui.core.fields import FIELDS, FieldKind
from flowtui.core.filter.syntax import (
    And,
    Comparison,
    FilterAst,
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
from flowtui.core.formats import DEFAULT_FORMAT, LogFormat
from flowtui.core.timeparse import parse_time

#: The names CloudWatch Logs Insights discovers in default-format VPC flow-log records.
DISCOVERED_NAMES: dict[str, str] = {
    "version": "version",
    "account-id": "accountId",
    "interface-id": "interfaceId",
    "srcaddr": "srcAddr",
    "dstaddr": "dstAddr",
    "srcport": "srcPort",
    "dstport": "dstPort",
    "protocol": "protocol",
    "packets": "packets",
    "bytes": "bytes",
    "start": "startTime",
    "end": "endTime",
    "action": "action",
    "log-status": "logStatus",
}


class NotTranslatableError(ValueError):
    """The request cannot be run exactly in Insights; the message says why."""


@dataclass(frozen=True, slots=True)
class InsightsFields:
    """How the records of a group are read in Insights: the commands that give their fields
    names (`parse`, and `fields` to merge several formats; none for the default format) and the
    Insights name of each AWS field they hold."""

    formats: tuple[LogFormat, ...]
    commands: tuple[str, ...]
    names: dict[str, str]

    def name(self, aws_field: str) -> str:
        found = self.names.get(aws_field)
        if found is None:
            raise NotTranslatableError(f"field '{aws_field}' is not in these records' format")
        return found

    def has(self, aws_field: str) -> bool:
        return aws_field in self.names


def parsed_name(aws_field: str) -> str:
    """The name a custom-format field gets from flowtui's `parse`: `log-status` -> `log_status`."""
    return aws_field.replace("-", "_")


def insights_fields(formats: Sequence[LogFormat]) -> InsightsFields:
    """How to read a group whose flow logs write `formats` (from DescribeFlowLogs)."""
    distinct = tuple(dict.fromkeys(formats))
    if not distinct:
        raise NotTranslatableError(
            "the group's record format is unknown (no flow log describes it): "
            "use the local engine, or give --log-format"
        )
    if len(distinct) > 1:
        return _several_formats(distinct)
    fmt = distinct[0]
    if fmt == DEFAULT_FORMAT:
        return InsightsFields(distinct, (), dict(DISCOVERED_NAMES))
    names = {name: parsed_name(name) for name in fmt.fields}
    glob = " ".join("*" for _ in fmt.fields)
    command = f'parse @message "{glob}" as {", ".join(names.values())}'
    return InsightsFields(distinct, (command,), names)


def _several_formats(formats: tuple[LogFormat, ...]) -> InsightsFields:
    """Several formats in one group (a VPC's default flow log beside a subnet's custom one):
    one anchored regex per format, told apart by their number of fields, each into its own
    names (`f1srcaddr`), then merged with `coalesce` under the common name (`srcaddr`)."""
    counts = [len(fmt.fields) for fmt in formats]
    if len(set(counts)) < len(counts):
        summaries = ", ".join(fmt.summary() for fmt in formats)
        raise NotTranslatableError(
            f"the group receives records in {len(formats)} formats ({summaries}), two of them "
            "with as many fields, which Insights cannot tell apart: use the local engine"
        )
    commands: list[str] = []
    sources: dict[str, list[str]] = {}
    for index, fmt in enumerate(formats, start=1):
        groups = []
        for name in fmt.fields:
            # Group names of letters and digits only: the strictest regex dialects allow no more.
            own = f"f{index}{name.replace('-', '')}"
            groups.append(f"(?<{own}>\\S+)")
            sources.setdefault(name, []).append(own)
        commands.append(f"parse @message /^{' '.join(groups)}$/")
    ordered = [name for name in FIELDS if name in sources]
    merged = ", ".join(
        f"coalesce({', '.join(sources[name])}) as {parsed_name(name)}" for name in ordered
    )
    commands.append(f"fields {merged}")
    return InsightsFields(formats, tuple(commands), {n: parsed_name(n) for n in ordered})


# --- literals --------------------------------------------------------------------------------


def string_literal(text: str) -> str:
    """A double-quoted Insights string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


_REGEX_SPECIAL = set(r".^$*+?()[]{}|\/")


def _regex_literal(wildcard: Wildcard) -> str:
    """`eni-0a*` -> `/^eni-0a.*$/`: anchored, every other character literal."""
    parts = [
        "".join("\\" + c if c in _REGEX_SPECIAL else c for c in piece)
        for piece in wildcard.pattern.split("*")
    ]
    return "/^" + ".*".join(parts) + "$/"


# --- the filter ------------------------------------------------------------------------------


class _Translator:
    def __init__(self, fields: InsightsFields, now_s: int) -> None:
        self.fields = fields
        self.now_s = now_s

    def node(self, node: Node, negated: bool) -> str | None:
        """The condition for `node` (negated when asked); None means "every record"."""
        if isinstance(node, Not):
            return self.node(node.operand, not negated)
        if isinstance(node, Term):
            return self.term(node, negated)
        if not node.operands:
            if negated:
                raise NotTranslatableError(
                    "'not ()' matches nothing; there is nothing to ask Insights"
                )
            return None
        parts = [self.node(child, negated) for child in node.operands]
        # De Morgan: a negated AND is an OR of negations, and the other way round.
        conjunction = isinstance(node, And) != negated
        if conjunction:
            present = [part for part in parts if part is not None]
            if not present:
                return None
            return present[0] if len(present) == 1 else "(" + " and ".join(present) + ")"
        if any(part is None for part in parts):
            return None  # one alternative matches everything
        texts = [part for part in parts if part is not None]
        return texts[0] if len(texts) == 1 else "(" + " or ".join(texts) + ")"

    def term(self, term: Term, negated: bool) -> str:
        present = [name for name in term.fields if self.fields.has(name)]
        if not present:
            label = term.target if term.target in FIELDS else " or ".join(term.fields)
            raise NotTranslatableError(f"field '{label}' is not in these records' formats")
        if term.op is Comparison.NE:
            negated = not negated
            op = Comparison.EQ
        else:
            op = term.op
        per_field = [self.field_test(name, op, term.values, negated) for name in present]
        if len(per_field) == 1:
            return per_field[0]
        # Either field (shorthands): any of them; negated, none of them.
        joiner = " and " if negated else " or "
        return "(" + joiner.join(per_field) + ")"

    def field_test(
        self, aws_field: str, op: Comparison, values: tuple[Value, ...], negated: bool
    ) -> str:
        name = self.fields.name(aws_field)
        if op.orders:
            bound = self.scalar(aws_field, values[0])
            test = f'({name} != "-" and {name} {op.value} {bound})'
            return f"(not ispresent({name}) or not {test})" if negated else test
        pieces: list[str] = []
        exact = [
            self.scalar(aws_field, v) for v in values if isinstance(v, Number | Text | Instant)
        ]
        if len(exact) == 1:
            pieces.append(f"{name} = {exact[0]}")
        elif exact:
            pieces.append(f"{name} in [{', '.join(exact)}]")
        for value in values:
            if not isinstance(value, Number | Text | Instant | Missing):
                pieces.append(self.match(name, value))
        wants_missing = any(isinstance(value, Missing) for value in values)
        if not negated:
            if wants_missing:
                pieces.append(f"not ispresent({name})")
                pieces.append(f'{name} = "-"')
            return pieces[0] if len(pieces) == 1 else "(" + " or ".join(pieces) + ")"
        if wants_missing:
            others = f" and not ({' or '.join(pieces)})" if pieces else ""
            return f'(ispresent({name}) and {name} != "-"{others})'
        return f"(not ispresent({name}) or not ({' or '.join(pieces)}))"

    def scalar(self, aws_field: str, value: Value) -> str:
        if isinstance(value, Number):
            return str(value.value)
        if isinstance(value, Instant):
            return str(parse_time(value.spec, self.now_s))
        if isinstance(value, Text):
            if value.value == "-":
                raise NotTranslatableError(
                    f'{aws_field}="-" (quoted) is a literal dash, which Insights cannot tell '
                    "from a missing value: write it unquoted to mean a missing value"
                )
            return string_literal(value.value)
        raise AssertionError(f"{value!r} is not a single value")

    def match(self, name: str, value: Value) -> str:
        if isinstance(value, NumberRange):
            return f'({name} != "-" and {name} >= {value.low} and {name} <= {value.high})'
        if isinstance(value, Wildcard):
            return f"{name} =~ {_regex_literal(value)}"
        if isinstance(value, Network):
            return _network_test(name, value.network)
        raise AssertionError(f"unexpected value {value!r}")


def _network_test(name: str, network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> str:
    if isinstance(network, ipaddress.IPv4Network):
        if network.prefixlen == 32:
            return f"{name} = {string_literal(str(network.network_address))}"
        return f"isIpv4InSubnet({name}, {string_literal(str(network))})"
    # IPv6 text has several spellings of one address: always compare as addresses.
    return f"isIpv6InSubnet({name}, {string_literal(str(network))})"


def filter_condition(fields: InsightsFields, ast: FilterAst, now_s: int) -> str | None:
    """The Insights condition equal to the filter, or None for the empty filter."""
    try:
        return _Translator(fields, now_s).node(ast.root, negated=False)
    except RecursionError:
        raise NotTranslatableError("the filter is nested too deeply") from None


_OUTER_PARENS = re.compile(r"^\((.*)\)$", re.DOTALL)


def _balanced(text: str) -> bool:
    depth = 0
    quote: str | None = None
    escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif quote:
            quote = None if char == quote else quote
        elif char in '"/':
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def _unwrapped(condition: str) -> str:
    """`(a and b)` -> `a and b` when the outer parentheses enclose everything."""
    match = _OUTER_PARENS.match(condition)
    if match and _balanced(match.group(1)):
        return match.group(1)
    return condition


def query_head(
    fields: InsightsFields, ast: FilterAst | None, now_s: int, extra: Sequence[str] = ()
) -> list[str]:
    """The commands before a query's `stats`: parse (custom formats), then one `filter` of the
    filter and every condition in `extra` (already in Insights syntax), ANDed."""
    commands = list(fields.commands)
    conditions = [] if ast is None else [filter_condition(fields, ast, now_s)]
    conditions += list(extra)
    present = [condition for condition in conditions if condition]
    if len(present) == 1:
        commands.append(f"filter {_unwrapped(present[0])}")
    elif present:
        commands.append("filter " + " and ".join(present))
    return commands


def field_kind(aws_field: str) -> FieldKind:
    return FIELDS[aws_field].kind
