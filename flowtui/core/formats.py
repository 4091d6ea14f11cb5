"""Flow-log record formats: which fields a record holds, in which order.

A format is written three ways: the AWS `${field} ${field}` string (as in DescribeFlowLogs),
plain space-separated names, or an S3 file's header line (the same names). All three parse here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flowtui.core.fields import FIELDS, Field, UnknownFieldError, closest_field


class FormatError(ValueError):
    """A format string that cannot be used; the message says why."""


_TOKEN = re.compile(r"^\$\{([^}]*)\}$")


@dataclass(frozen=True, slots=True)
class LogFormat:
    """An ordered tuple of AWS field names."""

    fields: tuple[str, ...]

    @property
    def version(self) -> int:
        """The version AWS writes for this format: the highest version among its fields."""
        return max(FIELDS[name].version for name in self.fields)

    @property
    def is_default(self) -> bool:
        return self == DEFAULT_FORMAT

    def summary(self) -> str:
        """A short name for lists: "default v2", "custom v5 (21 fields)", "transit gateway v6"."""
        if self == DEFAULT_FORMAT:
            return "default v2"
        if self == TGW_DEFAULT_FORMAT:
            return "transit gateway v6"
        return f"custom v{self.version} ({len(self.fields)} fields)"

    def aws_string(self) -> str:
        """`${version} ${account-id} ...`, as CreateFlowLogs and DescribeFlowLogs spell it."""
        return " ".join(f"${{{name}}}" for name in self.fields)

    def header_line(self) -> str:
        """The S3 header line: the field names separated by spaces."""
        return " ".join(self.fields)

    def catalog(self) -> tuple[Field, ...]:
        return tuple(FIELDS[name] for name in self.fields)

    def __len__(self) -> int:
        return len(self.fields)

    def __str__(self) -> str:
        return self.header_line()


def parse_format(text: str) -> LogFormat:
    """Parse a format in any of its spellings; unknown or repeated names are errors."""
    tokens = text.split()
    if not tokens:
        raise FormatError("the format is empty: give field names such as '${version} ${srcaddr}'")
    names: list[str] = []
    for token in tokens:
        match = _TOKEN.match(token)
        name = match.group(1) if match else token
        if not match and ("$" in token or "{" in token or "}" in token):
            raise FormatError(
                f"'{token}' is not a field: write fields as ${{name}} or as plain names"
            )
        if name not in FIELDS:
            raise UnknownFieldError(name, closest_field(name))
        if name in names:
            raise FormatError(f"field '{name}' appears twice in the format")
        names.append(name)
    return LogFormat(tuple(names))


def looks_like_header(line: str) -> bool:
    """True when every token of `line` is a field name: an S3 header line."""
    tokens = line.split()
    return (
        bool(tokens)
        and all(token in FIELDS for token in tokens)
        and len(set(tokens)) == len(tokens)
    )


DEFAULT_FORMAT = parse_format(
    "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} "
    "${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}"
)

#: The default format of transit-gateway flow logs (all TGW fields of versions 2 to 6).
TGW_DEFAULT_FORMAT = parse_format(
    "version resource-type account-id tgw-id tgw-attachment-id tgw-src-vpc-account-id "
    "tgw-dst-vpc-account-id tgw-src-vpc-id tgw-dst-vpc-id tgw-src-subnet-id tgw-dst-subnet-id "
    "tgw-src-eni tgw-dst-eni tgw-src-az-id tgw-dst-az-id tgw-pair-attachment-id srcaddr dstaddr "
    "srcport dstport protocol packets bytes start end log-status type packets-lost-no-route "
    "packets-lost-blackhole packets-lost-mtu-exceeded packets-lost-ttl-expired tcp-flags region "
    "flow-direction pkt-src-aws-service pkt-dst-aws-service"
)

#: Formats recognised without `--log-format`: a record is detected as one of these only when
#: exactly one of them fits it.
KNOWN_FORMATS: tuple[LogFormat, ...] = (DEFAULT_FORMAT, TGW_DEFAULT_FORMAT)
