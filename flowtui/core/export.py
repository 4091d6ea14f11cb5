"""Export records as raw flow-log lines, JSON Lines or CSV, built column-wise with polars.

Only AWS fields leave the store, plus where a CloudWatch record came from (`log_stream`,
`ingestion_time`). Bookkeeping and anything else a frame might carry never does, so nothing
about the source (profile, endpoint, ...) can reach an export.

Raw lines are rebuilt canonically in each record's own format (`_fmt`): single spaces, `-` for
nulls, IPv4 in dotted quads, IPv6 exactly as read, `start`/`end` in seconds. Records are
written grouped by format (formats in order of first appearance, rows in their order within
each), and a header line (S3 style) starts each format's block, except a first block in the
default format: the parser switches format on any header line, so one header per format
suffices, where interleaved formats would repeat a header at every change.
"""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal, TextIO

import orjson
import polars as pl

from flowtui.core.config import write_atomically
from flowtui.core.fields import FIELDS, Field, FieldKind
from flowtui.core.formats import DEFAULT_FORMAT, LogFormat
from flowtui.core.schema import FORMAT_INDEX, INGEST, STREAM, ipv4_text, v6_column

ExportKind = Literal["csv", "jsonl", "raw"]
EXPORT_KINDS: tuple[ExportKind, ...] = ("csv", "jsonl", "raw")

#: Turns a record (AWS field name -> typed value) into its decoded meanings.
Decoder = Callable[[Mapping[str, object]], dict[str, object]]
#: Called with (rows written, rows in total) after each chunk.
Progress = Callable[[int, int], None]

LOG_STREAM = "log_stream"
INGESTION_TIME = "ingestion_time"
NULL_TEXT = "-"
CHUNK_ROWS = 50_000

_POSITION = "__position"
_OUT = "__out"
_RUN_START = "__run_start"
_CANONICAL = "__canonical_fmt"


class ExportError(Exception):
    """An export that cannot be written; the message is one line naming the path."""


@dataclass(frozen=True, slots=True)
class ExportResult:
    rows: int
    bytes: int
    path: Path


# --- column expressions ----------------------------------------------------------------------


def _text_value(spec: Field, columns: Collection[str]) -> pl.Expr:
    """The field as text, exactly as a flow-log line spells it; null where the record has `-`."""
    if spec.name not in columns:
        return pl.lit(None, dtype=pl.String).alias(spec.name)
    if spec.kind is FieldKind.ADDRESS:
        companion = v6_column(spec.name)
        ipv6 = (
            pl.col(companion).cast(pl.String) if companion in columns else pl.lit(None, pl.String)
        )
        return pl.coalesce(ipv4_text(pl.col(spec.name)), ipv6).alias(spec.name)
    return pl.col(spec.name).cast(pl.String)


def _typed_value(spec: Field, columns: Collection[str]) -> pl.Expr:
    """Integers and timestamps stay numbers; everything else is text."""
    if spec.name in columns and spec.kind in (FieldKind.INTEGER, FieldKind.TIMESTAMP):
        return pl.col(spec.name)
    return _text_value(spec, columns)


def _has_values(frame: pl.DataFrame, column: str) -> bool:
    return column in frame.columns and frame.get_column(column).null_count() < frame.height


#: Export name -> (store column, value) of where a CloudWatch record came from.
_ORIGIN: dict[str, tuple[str, pl.Expr]] = {
    LOG_STREAM: (STREAM, pl.col(STREAM).cast(pl.String)),
    INGESTION_TIME: (INGEST, pl.col(INGEST)),
}


def _origin_names(frame: pl.DataFrame) -> list[str]:
    """`log_stream` and `ingestion_time`, each when some record of the frame has it."""
    return [name for name, (column, _) in _ORIGIN.items() if _has_values(frame, column)]


def _origin_columns(frame: pl.DataFrame) -> list[pl.Expr]:
    return [_ORIGIN[name][1].alias(name) for name in _origin_names(frame)]


def _per_format(
    chunk: pl.DataFrame, formats: Sequence[LogFormat], build: Callable[[LogFormat], pl.Expr]
) -> pl.Series:
    """One string per row, built by `build` for the row's own format, in row order."""
    indexes = chunk.get_column(FORMAT_INDEX).unique(maintain_order=True).to_list()
    if len(indexes) <= 1:
        if not indexes:
            return pl.Series(_OUT, [], dtype=pl.String)
        return chunk.select(build(formats[indexes[0]]).alias(_OUT)).to_series()
    numbered = chunk.with_row_index(_POSITION)
    parts = [
        numbered.filter(pl.col(FORMAT_INDEX) == index).select(
            pl.col(_POSITION), build(formats[index]).alias(_OUT)
        )
        for index in indexes
    ]
    return pl.concat(parts).sort(_POSITION).get_column(_OUT)


def _check_formats(frame: pl.DataFrame, formats: Sequence[LogFormat]) -> None:
    """Every row must name one of `formats`: a frame from another store is a caller's bug."""
    if FORMAT_INDEX not in frame.columns:
        raise ValueError(
            f"the frame has no '{FORMAT_INDEX}' column: it is not a record store frame"
        )
    indexes = frame.get_column(FORMAT_INDEX)
    if indexes.null_count():
        raise ValueError(f"some rows have no format ('{FORMAT_INDEX}' is null)")
    highest = indexes.max()
    if isinstance(highest, int) and highest >= len(formats):
        raise ValueError(f"a row uses format {highest}, but only {len(formats)} formats were given")


def _chunks(frame: pl.DataFrame) -> Iterator[pl.DataFrame]:
    return frame.iter_slices(CHUNK_ROWS)


# --- raw lines -------------------------------------------------------------------------------


def _raw_line(columns: Collection[str]) -> Callable[[LogFormat], pl.Expr]:
    def build(log_format: LogFormat) -> pl.Expr:
        values = [_text_value(spec, columns).fill_null(NULL_TEXT) for spec in log_format.catalog()]
        return pl.concat_str(values, separator=" ")

    return build


def _raw_line_series(chunk: pl.DataFrame, formats: Sequence[LogFormat]) -> pl.Series:
    return _per_format(chunk, formats, _raw_line(chunk.columns))


def raw_lines(frame: pl.DataFrame, formats: Sequence[LogFormat]) -> Iterator[str]:
    """Each record's line in its own format, in row order, without header lines."""
    _check_formats(frame, formats)
    for chunk in _chunks(frame):
        yield from _raw_line_series(chunk, formats)


def _mark_format_runs(
    frame: pl.DataFrame, formats: Sequence[LogFormat], previous: LogFormat | None
) -> pl.DataFrame:
    """Add the canonical format of each row and whether a header line must precede it.

    Equal formats listed twice count as one, so a repeated format never gets a needless header.
    `previous` is the format of the line written just before (for output written in batches).
    """
    canonical = {index: formats.index(log_format) for index, log_format in enumerate(formats)}
    already = previous or DEFAULT_FORMAT
    before_first = formats.index(already) if already in formats else len(formats)
    fmt = pl.col(FORMAT_INDEX).replace_strict(canonical, return_dtype=pl.Int32)
    return frame.with_columns(fmt.alias(_CANONICAL)).with_columns(
        (pl.col(_CANONICAL) != pl.col(_CANONICAL).shift(1, fill_value=before_first)).alias(
            _RUN_START
        )
    )


def _raw_text(chunk: pl.DataFrame, formats: Sequence[LogFormat]) -> str:
    """The chunk's lines (with their header lines), newline-terminated."""
    headers = {index: log_format.header_line() for index, log_format in enumerate(formats)}
    header = pl.col(_CANONICAL).replace_strict(headers, return_dtype=pl.String)
    lines = chunk.with_columns(_raw_line_series(chunk, formats).alias(_OUT)).select(
        pl.when(pl.col(_RUN_START))
        .then(pl.concat_str([header, pl.col(_OUT)], separator="\n"))
        .otherwise(pl.col(_OUT))
    )
    return str(lines.to_series().str.join("\n").item()) + "\n"


def write_raw(
    frame: pl.DataFrame,
    formats: Sequence[LogFormat],
    out: TextIO,
    progress: Progress | None = None,
    previous: LogFormat | None = None,
) -> LogFormat | None:
    """Raw flow-log lines that flowtui and S3-style readers read back, grouped by format with
    one header line per format block (see the module docstring).

    Returns the format of the last line written; pass it as `previous` when writing the next
    batch of the same output, so that a header line is written only when the format changes.
    """
    _check_formats(frame, formats)
    if frame.is_empty():
        return previous
    grouped = _grouped_by_format(frame, formats, previous)
    marked = _mark_format_runs(grouped, formats, previous)
    done = 0
    for chunk in _chunks(marked):
        out.write(_raw_text(chunk, formats))
        done += chunk.height
        _report(progress, done, frame.height)
    return formats[int(grouped[FORMAT_INDEX][-1])]


def _grouped_by_format(
    frame: pl.DataFrame, formats: Sequence[LogFormat], previous: LogFormat | None
) -> pl.DataFrame:
    """The rows grouped by format: `previous`'s block first when there is one (it needs no
    header), then in order of first appearance; row order kept within each block."""
    canonical = {index: formats.index(log_format) for index, log_format in enumerate(formats)}
    fmt = pl.col(FORMAT_INDEX).replace_strict(canonical, return_dtype=pl.Int32)
    order: list[int] = frame.select(fmt).to_series().unique(maintain_order=True).to_list()
    if len(order) <= 1:
        return frame
    before = formats.index(previous) if previous in formats else None
    if before in order:
        order.remove(before)
        order.insert(0, before)
    rank = {index: position for position, index in enumerate(order)}
    return frame.sort(fmt.replace_strict(rank, return_dtype=pl.Int32), maintain_order=True)


# --- JSON Lines ------------------------------------------------------------------------------


def _json_object(
    columns: Collection[str], origin: list[pl.Expr], sometimes_null: list[str]
) -> Callable[[LogFormat], pl.Expr]:
    def build(log_format: LogFormat) -> pl.Expr:
        values = [_typed_value(spec, columns).alias(spec.name) for spec in log_format.catalog()]
        encoded = pl.struct([*values, *origin]).struct.json_encode()
        # Keys are unique and quotes inside JSON strings are escaped, so this exact text can
        # only be the origin key itself: drop it from records without that origin.
        for key in sometimes_null:
            encoded = encoded.str.replace(f',"{key}":null', "", literal=True)
        return encoded

    return build


def _json_series(chunk: pl.DataFrame, formats: Sequence[LogFormat]) -> pl.Series:
    origin = _origin_names(chunk)
    sometimes_null = [name for name in origin if chunk.get_column(_ORIGIN[name][0]).has_nulls()]
    build = _json_object(chunk.columns, _origin_columns(chunk), sometimes_null)
    return _per_format(chunk, formats, build)


def _with_decoded(line: str, decode: Decoder) -> bytes:
    record = orjson.loads(line)
    record["decoded"] = decode(record)
    return orjson.dumps(record)


def jsonl_records(
    frame: pl.DataFrame, formats: Sequence[LogFormat], decode: Decoder | None = None
) -> Iterator[bytes]:
    """One JSON object per record (no trailing newline), keys in its format's order.

    Integer and timestamp fields are numbers, the rest text, `-` is null; `log_stream` and
    `ingestion_time` follow when the record has them. `decode` adds a "decoded" object.
    """
    _check_formats(frame, formats)
    for chunk in _chunks(frame):
        lines = _json_series(chunk, formats)
        if decode is None:
            yield from (line.encode() for line in lines)
        else:
            yield from (_with_decoded(line, decode) for line in lines)


def write_jsonl(
    frame: pl.DataFrame,
    formats: Sequence[LogFormat],
    out: TextIO,
    decode: Decoder | None = None,
    progress: Progress | None = None,
) -> None:
    """JSON Lines as `jsonl_records` makes them, one per line."""
    _check_formats(frame, formats)
    done = 0
    for chunk in _chunks(frame):
        if decode is None:
            out.write(str(_json_series(chunk, formats).str.join("\n").item()) + "\n")
        else:
            records = b"".join(record + b"\n" for record in jsonl_records(chunk, formats, decode))
            out.write(records.decode())
        done += chunk.height
        _report(progress, done, frame.height)


# --- CSV -------------------------------------------------------------------------------------


def csv_columns(frame: pl.DataFrame, formats: Sequence[LogFormat]) -> list[str]:
    """The CSV header: the rows' format's fields in its order (the union in catalog order when
    the rows mix formats), then the origin columns."""
    _check_formats(frame, formats)
    used = frame.get_column(FORMAT_INDEX).unique().to_list() or range(len(formats))
    if len(used) == 1:
        return list(formats[used[0]].fields) + _origin_names(frame)
    present = {name for index in used for name in formats[index].fields}
    return [name for name in FIELDS if name in present] + _origin_names(frame)


def write_csv(
    frame: pl.DataFrame,
    formats: Sequence[LogFormat],
    out: TextIO,
    progress: Progress | None = None,
) -> None:
    """CSV with a header row; values as raw lines spell them, `-` for nulls."""
    header = csv_columns(frame, formats)
    fields = [_typed_value(FIELDS[name], frame.columns) for name in header if name in FIELDS]
    selected = frame.select([*fields, *_origin_columns(frame)])
    if frame.is_empty():
        out.write(selected.write_csv(None, null_value=NULL_TEXT))
        return
    done = 0
    for chunk in _chunks(selected):
        out.write(chunk.write_csv(None, include_header=done == 0, null_value=NULL_TEXT))
        done += chunk.height
        _report(progress, done, frame.height)


# --- files -----------------------------------------------------------------------------------


def _report(progress: Progress | None, done: int, total: int) -> None:
    if progress is not None:
        progress(done, total)


def check_target(path: Path | str, overwrite: bool) -> Path:
    """The regular file an export to `path` writes, or ExportError saying why not.

    A symbolic link is written through: the file it points to is replaced (atomically), the
    link stays. Never replaced: a directory, a device (`/dev/full`), a named pipe, a socket, a
    link that points nowhere; nor an existing file without `overwrite`. A caller about to ask
    "replace it?" calls this with `overwrite=True` first, so it never offers what it refuses.
    """
    given = Path(path).expanduser()
    target = given
    if given.is_symlink():
        try:
            target = given.resolve(strict=True)
        except (OSError, RuntimeError):
            raise ExportError(
                f"cannot export to {given}: it is a symbolic link to {os.readlink(given)}, "
                "which does not exist"
            ) from None
    directory = target.parent
    if not directory.exists():
        raise ExportError(f"cannot export to {given}: directory {directory} does not exist")
    if not directory.is_dir():
        raise ExportError(f"cannot export to {given}: {directory} is not a directory")
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        mode = None
    except OSError as error:
        raise ExportError(f"cannot export to {given}: {error.strerror or error}") from None
    if mode is not None:
        if not stat.S_ISREG(mode):
            raise ExportError(
                f"cannot export to {given}: it is {_not_a_file(mode)}, not a regular file"
            )
        if not overwrite:
            raise ExportError(f"cannot export to {given}: file exists")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise ExportError(f"cannot export to {given}: directory {directory} is not writable")
    return target


def _not_a_file(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def _writer(
    frame: pl.DataFrame,
    formats: Sequence[LogFormat],
    kind: ExportKind,
    progress: Progress | None,
    decode: Decoder | None,
) -> Callable[[IO[bytes]], None]:
    def write(stream: IO[bytes]) -> None:
        text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
        if kind == "jsonl":
            write_jsonl(frame, formats, text, decode, progress)
        elif kind == "csv":
            write_csv(frame, formats, text, progress)
        else:
            write_raw(frame, formats, text, progress)
        text.flush()
        text.detach()

    return write


def export(
    frame: pl.DataFrame,
    formats: Sequence[LogFormat],
    path: Path | str,
    kind: ExportKind,
    *,
    progress: Progress | None = None,
    overwrite: bool = False,
    decode: Decoder | None = None,
) -> ExportResult:
    """Write `frame` to `path` as `kind`, all or nothing (never a half-written file).

    `decode` applies to JSON Lines only. The file is created with mode 0600: flow logs reveal
    a network's layout. A symbolic link is written through (`check_target`); the result's
    `path` is the file written. ExportError (one line) when the path cannot be written.
    """
    if kind not in EXPORT_KINDS:
        raise ExportError(f"unknown export kind '{kind}': choose csv, jsonl or raw")
    target = check_target(path, overwrite)
    writer = _writer(frame, formats, kind, progress, decode)
    try:
        size = write_atomically(target, writer, overwrite=overwrite)
    except FileExistsError:
        raise ExportError(f"cannot export to {target}: file exists") from None
    except OSError as error:
        raise ExportError(f"cannot export to {target}: {error.strerror or error}") from None
    return ExportResult(rows=frame.height, bytes=size, path=target)
