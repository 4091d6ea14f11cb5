"""Vectorised parsing of flow-log lines into typed columns (see schema.py for the layout).

The hot path has no per-line Python: lines live in a polars Series, are routed to a candidate
format by token count, split with `str.split_exact` and cast column by column in one lazy
`select`, so polars runs the columns in parallel. Python only touches the rare malformed lines,
to say what is wrong with them.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import polars as pl

from flowtui.core.events import EventBatch
from flowtui.core.fastpath import first_token_count, parse_clean_block
from flowtui.core.fields import FIELDS, Field, FieldKind
from flowtui.core.formats import KNOWN_FORMATS, LogFormat, looks_like_header, parse_format
from flowtui.core.schema import (
    EVENT_ID,
    FORMAT_INDEX,
    INGEST,
    STREAM,
    field_columns,
    field_dtype,
    v6_column,
    valid_ipv6_mask,
)

#: Timestamps above this are milliseconds (flowlogs-reader saw such records, contra the docs).
_MAX_SECONDS = 2**31 - 1
_UNREADABLE = "[\\x00-\\x08\\x0a-\\x1f\\x7f\ufffd]"
_REPLACEMENT = "\ufffd"
_IPV4_SHAPE = r"^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$"
_MIN_PARTITION_ROWS = 10_000
_LINE = "line"
_NUMBER = "line_number"


class FormatUndetectedError(ValueError):
    """No known format fits the input and none was given."""


@dataclass(frozen=True, slots=True)
class MalformedLine:
    origin: str
    line_number: int | None
    reason: str
    raw: str
    stream: str | None = None

    def location(self) -> str:
        where = self.origin or (self.stream or "")
        return f"{where}:{self.line_number}" if self.line_number is not None else where


class FormatRegistry:
    """The formats records were read in; a record's `_fmt` column indexes this list."""

    def __init__(self, formats: Iterable[LogFormat] = ()) -> None:
        self._formats: list[LogFormat] = []
        for fmt in formats:
            self.index_of(fmt)

    def index_of(self, fmt: LogFormat) -> int:
        try:
            return self._formats.index(fmt)
        except ValueError:
            self._formats.append(fmt)
            return len(self._formats) - 1

    @property
    def formats(self) -> tuple[LogFormat, ...]:
        return tuple(self._formats)

    def field_names(self) -> set[str]:
        return {name for fmt in self._formats for name in fmt.fields}


@dataclass(slots=True)
class ParseResult:
    """Typed records (no `_row_id` yet: the store assigns it) and what could not be read."""

    frame: pl.DataFrame
    malformed: list[MalformedLine] = field(default_factory=list)
    blank_lines: int = 0
    header_lines: int = 0


class LineParser:
    """Parses a sequence of line batches of one input (a file, stdin, a log group).

    Stateful across batches: an S3 header line switches the format for every later line.
    With no formats given, each line is matched against the known formats (`detected`).
    """

    def __init__(
        self, registry: FormatRegistry, formats: Sequence[LogFormat] | None = None
    ) -> None:
        self.registry = registry
        self.detecting = not formats
        self._candidates: tuple[LogFormat, ...] = tuple(formats) if formats else KNOWN_FORMATS
        self.records = 0
        self.headers_seen = 0

    @property
    def candidates(self) -> tuple[LogFormat, ...]:
        return self._candidates

    def parse_batch(self, batch: EventBatch, *, fast: bool = True) -> ParseResult:
        """Parse a batch of events; a clean page of CloudWatch events takes the CSV-reader
        fast path of file blocks (`fast=False` forces the careful path, for comparisons)."""
        if fast and batch.line_numbers is None:
            clean = self._clean_batch(batch)
            if clean is not None:
                return clean
        lines = pl.Series(_LINE, batch.messages, dtype=pl.String)
        frame = pl.DataFrame({_LINE: lines})
        if batch.line_numbers is not None:
            frame = frame.with_columns(pl.Series(_NUMBER, batch.line_numbers, dtype=pl.Int64))
        else:
            frame = frame.with_columns(pl.lit(None, dtype=pl.Int64).alias(_NUMBER))
        metadata = _metadata_columns(batch)
        if metadata:
            frame = frame.with_columns(metadata)
        return self.parse_frame(frame, batch.origin)

    def _clean_batch(self, batch: EventBatch) -> ParseResult | None:
        """The batch's records when every message is one clean line of one format, else None."""
        if not batch.messages:
            return None
        block = "\n".join(batch.messages).encode()
        # A message holding a newline would shift every later event's metadata by a line.
        if block.count(b"\n") != len(batch) - 1:
            return None
        fmt = self._block_format(block)
        frame = parse_clean_block(block, fmt) if fmt is not None else None
        if fmt is None or frame is None or frame.height != len(batch):
            return None
        metadata = _metadata_columns(batch)
        if metadata:  # first, as on the careful path
            frame = pl.DataFrame(metadata).hstack(frame)
        frame = frame.with_columns(
            pl.lit(self.registry.index_of(fmt), dtype=pl.UInt16).alias(FORMAT_INDEX)
        )
        self.records += frame.height
        return ParseResult(frame=frame)

    def parse_block(self, block: bytes, first_line_number: int, origin: str) -> ParseResult:
        """A block of whole lines from a file; clean blocks take the CSV-reader fast path."""
        fmt = self._block_format(block)
        if fmt is not None:
            frame = parse_clean_block(block, fmt)
            if frame is not None:
                frame = frame.with_columns(
                    pl.lit(self.registry.index_of(fmt), dtype=pl.UInt16).alias(FORMAT_INDEX)
                )
                self.records += frame.height
                return ParseResult(frame=frame)
        return self.parse_lines(lines_of(block), first_line_number, origin)

    def _block_format(self, block: bytes) -> LogFormat | None:
        fitting = [f for f in self._candidates if len(f) == first_token_count(block)]
        return fitting[0] if len(fitting) == 1 else None

    def parse_lines(self, lines: pl.Series, first_line_number: int, origin: str) -> ParseResult:
        numbers = pl.int_range(first_line_number, first_line_number + len(lines), eager=True)
        frame = pl.DataFrame({_LINE: lines.cast(pl.String), _NUMBER: numbers.cast(pl.Int64)})
        return self.parse_frame(frame, origin)

    def parse_frame(self, frame: pl.DataFrame, origin: str) -> ParseResult:
        """`frame` has a `line` column, a `line_number` column and optional metadata columns."""
        frame = frame.with_columns(_rewrite_where(pl.col(_LINE).fill_null(""), "\r", _strip_cr))
        blank = frame.select(~pl.col(_LINE).str.contains("[^ ]")).to_series()
        blank_count = int(blank.sum())
        if blank_count:
            frame = frame.filter(~blank)
        frame = frame.with_row_index("row_key")
        result = ParseResult(frame=pl.DataFrame(), blank_lines=blank_count)
        parts: list[pl.DataFrame] = []
        for segment, candidates in self._segments(frame, result):
            parsed, malformed = _parse_segment(segment, candidates, self.registry, origin)
            parts.append(parsed)
            result.malformed.extend(malformed)
        parts = [p for p in parts if p.height]
        result.frame = _in_input_order(parts)
        result.malformed.sort(key=lambda m: m.line_number or 0)
        self.records += result.frame.height
        return result

    def _segments(
        self, frame: pl.DataFrame, result: ParseResult
    ) -> Iterable[tuple[pl.DataFrame, tuple[LogFormat, ...]]]:
        """Split at S3 header lines; each header switches the candidates from there on."""
        maybe_header = frame.select(
            ~pl.col(_LINE).str.contains(r"[0-9]") & pl.col(_LINE).str.contains(r"[a-z]-?[a-z]")
        ).to_series()
        positions = [i for i in maybe_header.arg_true().to_list() if _is_header(frame, i)]
        start = 0
        for position in positions:
            if position > start:
                yield frame.slice(start, position - start), self._candidates
            header = frame[_LINE][position]
            self._candidates = (parse_format(header),)
            self.detecting = False
            self.headers_seen += 1
            result.header_lines += 1
            start = position + 1
        if start < frame.height:
            yield frame.slice(start), self._candidates


def lines_of(block: bytes) -> pl.Series:
    """The lines of a block of bytes (invalid UTF-8 becomes U+FFFD and is reported later)."""
    if b"\x00" in block:
        # NUL would split a line in the CSV reader; hostile input takes the exact, slow split.
        lines = block.decode("utf-8", errors="replace").split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        return pl.Series(_LINE, lines, dtype=pl.String)
    frame = pl.read_csv(
        io.BytesIO(block),
        separator="\x00",
        has_header=False,
        quote_char=None,
        schema={_LINE: pl.String()},
        encoding="utf8-lossy",
    )
    return frame[_LINE]


def _in_input_order(parts: list[pl.DataFrame]) -> pl.DataFrame:
    """Concatenate parsed parts (grouped by format) back into input order."""
    if not parts:
        return pl.DataFrame()
    combined = parts[0] if len(parts) == 1 else pl.concat(parts, how="diagonal_relaxed")
    if not combined["row_key"].is_sorted():
        combined = combined.sort("row_key")
    return combined.drop("row_key")


def _is_header(frame: pl.DataFrame, index: int) -> bool:
    return looks_like_header(str(frame[_LINE][index]))


def _metadata_columns(batch: EventBatch) -> list[pl.Series]:
    columns: list[pl.Series] = []
    if batch.streams is not None:
        columns.append(pl.Series(STREAM, batch.streams, dtype=pl.String))
    if batch.event_ids is not None:
        columns.append(pl.Series(EVENT_ID, batch.event_ids, dtype=pl.UInt64))
    if batch.ingestion_times is not None:
        columns.append(pl.Series(INGEST, batch.ingestion_times, dtype=pl.Int64))
    return columns


# --- one segment: lines that share a candidate list ---------------------------------------


def _parse_segment(
    frame: pl.DataFrame,
    candidates: tuple[LogFormat, ...],
    registry: FormatRegistry,
    origin: str,
) -> tuple[pl.DataFrame, list[MalformedLine]]:
    line = pl.col(_LINE)
    frame = frame.with_columns(
        _rewrite_where(line, "^ | $|  ", _single_spaces).alias("tokens_text")
    ).with_columns(
        (pl.col("tokens_text").str.count_matches(" ", literal=True) + 1).alias("token_count"),
        line.str.contains(_UNREADABLE).alias("unreadable"),
    )
    unreadable = frame["unreadable"]
    remaining = frame.filter(~unreadable) if unreadable.any() else frame
    malformed = _unreadable_lines(frame.filter(unreadable), origin)
    parsed: list[pl.DataFrame] = []
    first_errors: dict[int, str] = {}
    for fmt in candidates:
        subset_mask = remaining["token_count"] == len(fmt)
        subset = remaining if subset_mask.all() else remaining.filter(subset_mask)
        if subset.height == 0:
            continue
        good, bad = _parse_as(subset, fmt, registry.index_of(fmt))
        parsed.append(good)
        for key, reason in bad.items():
            first_errors.setdefault(key, reason)
        keep = subset_mask.not_() | pl.Series(_row_keys(remaining)).is_in(list(bad))
        remaining = remaining.filter(keep)
    malformed.extend(_mismatched_lines(remaining, candidates, first_errors, origin))
    parsed = [p for p in parsed if p.height]
    return (pl.concat(parsed, how="diagonal_relaxed") if parsed else pl.DataFrame()), malformed


def _rewrite_where(
    column: pl.Expr, pattern: str, rewrite: Callable[[pl.Series], pl.Series]
) -> pl.Expr:
    """Apply `rewrite` only to the (rare) values matching `pattern`; the rest are not copied."""

    def apply(values: pl.Series) -> pl.Series:
        hits = values.str.contains(pattern).fill_null(False)
        if not hits.any():
            return values
        positions = hits.arg_true()
        return values.scatter(positions, rewrite(values.gather(positions)))

    return column.map_batches(apply, return_dtype=pl.String)


def _strip_cr(values: pl.Series) -> pl.Series:
    return values.str.strip_chars_end("\r")


def _single_spaces(values: pl.Series) -> pl.Series:
    return values.str.replace_all(" +", " ").str.strip_chars(" ")


def _row_keys(frame: pl.DataFrame) -> pl.Series:
    return frame["row_key"]


def _parse_as(
    subset: pl.DataFrame, fmt: LogFormat, format_index: int
) -> tuple[pl.DataFrame, dict[int, str]]:
    """Parse `subset` (all with len(fmt) tokens) as `fmt`; returns good rows and bad row reasons."""
    carried = ["row_key", *[c for c in (STREAM, EVENT_ID, INGEST) if c in subset.columns]]
    typed_exprs: list[pl.Expr] = []
    error_exprs: list[pl.Expr] = []
    for name in fmt.fields:
        values, error = _typed(FIELDS[name])
        typed_exprs.extend(values)
        error_exprs.append(error.alias(f"err:{name}"))
    helpers = [
        helper
        for name in fmt.fields
        if FIELDS[name].kind is FieldKind.ADDRESS
        for helper in _address_helpers(name)
    ]
    error_columns = [f"err:{name}" for name in fmt.fields]
    plans = [
        part.lazy()
        .select(*carried, _split_tokens(fmt).struct.unnest())
        .with_columns(helpers)
        .select(*carried, *typed_exprs, *error_exprs)
        .with_columns(pl.any_horizontal(error_columns).alias("bad"))
        for part in _partitions(subset)
    ]
    checked = pl.concat(pl.collect_all(plans), rechunk=False)
    bad_rows: dict[int, str] = {}
    if checked["bad"].any():
        bad = checked.filter(pl.col("bad"))
        texts = subset.filter(pl.col("row_key").is_in(bad["row_key"].implode()))
        tokens = texts.select(_split_tokens(fmt).struct.unnest())
        for position, key in enumerate(bad["row_key"].to_list()):
            bad_rows[int(key)] = _first_error(bad, tokens, position, fmt)
        checked = checked.filter(~pl.col("bad"))
    good = checked.drop([*error_columns, "bad"]).with_columns(
        pl.lit(format_index, dtype=pl.UInt16).alias(FORMAT_INDEX)
    )
    return good, bad_rows


def _partitions(frame: pl.DataFrame) -> list[pl.DataFrame]:
    """Slices parsed side by side: string splitting runs on one thread per expression."""
    workers = max(pl.thread_pool_size(), 1)
    if frame.height < 2 * _MIN_PARTITION_ROWS or workers == 1:
        return [frame]
    size = -(-frame.height // workers)
    return [frame.slice(offset, size) for offset in range(0, frame.height, size)]


def _split_tokens(fmt: LogFormat) -> pl.Expr:
    return (
        pl.col("tokens_text")
        .str.split_exact(" ", len(fmt) - 1)
        .struct.rename_fields(list(fmt.fields))
    )


def _first_error(checked: pl.DataFrame, tokens: pl.DataFrame, position: int, fmt: LogFormat) -> str:
    for name in fmt.fields:
        if checked[f"err:{name}"][position]:
            return _describe_bad_value(FIELDS[name], str(tokens[name][position]))
    return "unreadable record"


def _describe_bad_value(spec: Field, token: str) -> str:
    shown = token if len(token) <= 40 else token[:40] + "..."
    if spec.kind is FieldKind.INTEGER:
        limit = 2**spec.bits - 1
        if token.isdigit():
            return f"{spec.name}: {shown} is out of range (0 to {limit})"
        return f"{spec.name}: '{shown}' is not a number"
    if spec.kind is FieldKind.TIMESTAMP:
        return f"{spec.name}: '{shown}' is not a Unix time"
    if spec.kind is FieldKind.ENUM:
        return f"{spec.name}: '{shown}' is not one of {', '.join(spec.values)}"
    if spec.kind is FieldKind.ADDRESS:
        return f"{spec.name}: '{shown}' is not an IP address"
    return f"{spec.name}: '{shown}' is not valid"


def _typed(spec: Field) -> tuple[list[pl.Expr], pl.Expr]:
    """Expressions for a field's typed column(s), and one for "this token is invalid".

    Tokens never contain spaces (lines are split on them), so a non-strict cast is exact:
    anything it cannot read becomes null, and a null that was not '-' is an error.
    """
    token = pl.col(spec.name)
    missing = token == "-"
    if spec.kind is FieldKind.ADDRESS:
        return _address(spec.name)
    if spec.kind is FieldKind.TEXT:
        value = pl.when(missing).then(None).otherwise(token).cast(pl.Categorical)
        return [value.alias(spec.name)], pl.lit(False)
    if spec.kind is FieldKind.TIMESTAMP:
        raw = token.cast(pl.UInt64, strict=False)
        value = pl.when(raw > _MAX_SECONDS).then(raw // 1000).otherwise(raw).cast(pl.Int64)
        return [value.alias(spec.name)], raw.is_null() & ~missing
    value = token.cast(field_dtype(spec), strict=False)
    return [value.alias(spec.name)], value.is_null() & ~missing


def _address_helpers(name: str) -> list[pl.Expr]:
    """First-stage columns for an address: its dotted-quad split and shape check.

    Computed once in their own stage: referenced four times in one expression, polars would
    split the text four times.
    """
    token = pl.col(name)
    return [
        token.str.split_exact(".", 3).alias(f"octets:{name}"),
        token.str.contains(_IPV4_SHAPE).alias(f"dotted:{name}"),
    ]


def _address(name: str) -> tuple[list[pl.Expr], pl.Expr]:
    token = pl.col(name)
    missing = token == "-"
    octets = pl.col(f"octets:{name}")
    # UInt8 casts reject octets above 255; the shape check rejects signs and extra parts.
    numbers = [
        octets.struct.field(f"field_{i}").cast(pl.UInt8, strict=False).cast(pl.UInt32)
        for i in range(4)
    ]
    is_v4 = pl.col(f"dotted:{name}") & pl.all_horizontal([n.is_not_null() for n in numbers])
    ipv4 = numbers[0] * 16777216 + numbers[1] * 65536 + numbers[2] * 256 + numbers[3]
    is_v6 = token.str.contains(":", literal=True)
    v6_valid = pl.when(is_v6).then(token).map_batches(valid_ipv6_mask, return_dtype=pl.Boolean)
    values = [
        pl.when(is_v4).then(ipv4).alias(name),
        pl.when(v6_valid).then(token).cast(pl.Categorical).alias(v6_column(name)),
    ]
    error = ~missing & ~is_v4.fill_null(False) & ~v6_valid.fill_null(False)
    return values, error


def _unreadable_lines(frame: pl.DataFrame, origin: str) -> list[MalformedLine]:
    result = []
    for row in frame.iter_rows(named=True):
        reason = "non-UTF-8 bytes" if _REPLACEMENT in str(row[_LINE]) else "control characters"
        result.append(_malformed(row, reason, origin))
    return result


def _mismatched_lines(
    frame: pl.DataFrame,
    candidates: tuple[LogFormat, ...],
    type_errors: dict[int, str],
    origin: str,
) -> list[MalformedLine]:
    expected = sorted({len(fmt) for fmt in candidates})
    result = []
    for row in frame.iter_rows(named=True):
        key = int(row["row_key"])
        if key in type_errors:
            reason = type_errors[key]
        else:
            reason = _count_reason(row["tokens_text"], int(row["token_count"]), expected)
        result.append(_malformed(row, reason, origin))
    return result


def _count_reason(text: str, found: int, expected: list[int]) -> str:
    wanted = " or ".join(str(n) for n in expected)
    if " #" in text and found > min(expected):
        annotation = text[text.index(" #") + 1 :]
        shown = annotation if len(annotation) <= 30 else annotation[:30] + "..."
        return f"trailing text after the record: '{shown}'"
    return f"expected {wanted} fields, found {found}"


def _malformed(row: dict[str, object], reason: str, origin: str) -> MalformedLine:
    number = row.get(_NUMBER)
    stream = row.get(STREAM)
    return MalformedLine(
        origin=origin,
        line_number=int(number) if isinstance(number, int) else None,
        reason=reason,
        raw=str(row[_LINE]),
        stream=str(stream) if stream is not None else None,
    )


def empty_frame(field_names: Iterable[str]) -> pl.DataFrame:
    """A zero-row frame with the typed columns of `field_names`."""
    schema: dict[str, pl.DataType] = {}
    for name in field_names:
        schema.update(field_columns(FIELDS[name]))
    return pl.DataFrame(schema=schema)
