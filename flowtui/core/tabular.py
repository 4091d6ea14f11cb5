"""Records exported as CSV or JSON Lines, turned back into flow-log lines for the parser.

flowtui's own exports name their columns after the AWS fields, so reading one back is a matter
of rebuilding each record's line in a format made of those columns. Going through the parser
keeps one way of typing and validating records.
"""

from __future__ import annotations

from collections.abc import Sequence

import orjson
import polars as pl

from flowtui.core.events import EventBatch
from flowtui.core.fields import FIELDS
from flowtui.core.formats import LogFormat
from flowtui.core.parse import MalformedLine

STREAM_KEY = "log_stream"
INGESTION_KEY = "ingestion_time"


def csv_to_table(text: str, origin: str) -> pl.DataFrame:
    """Rows of a CSV export, every value as text, with their line numbers."""
    frame = pl.read_csv(text.encode(), infer_schema=False, truncate_ragged_lines=False)
    return frame.with_columns(pl.int_range(2, frame.height + 2).alias(LINE_KEY))


def looks_like_csv_header(line: str) -> bool:
    names = [name.strip() for name in line.split(",")]
    return len(names) > 1 and all(n in FIELDS or n in (STREAM_KEY, INGESTION_KEY) for n in names)


LINE_KEY = "__line_number"


def table_to_batch(frame: pl.DataFrame, origin: str) -> tuple[LogFormat, EventBatch]:
    """Rebuild flow-log lines from a table of AWS-named columns (values as text or numbers).

    `frame` carries the input line number of each record in its `LINE_KEY` column.
    """
    fields = tuple(name for name in frame.columns if name in FIELDS)
    if not fields:
        raise ValueError(f"{origin}: no flow-log field among the columns {frame.columns[:8]}")
    cells = [
        pl.col(name).cast(pl.String).fill_null("-").replace("", "-").str.replace_all(" ", "_")
        for name in fields
    ]
    lines = frame.select(pl.concat_str(cells, separator=" ").alias("line"))["line"].to_list()
    batch = EventBatch(
        lines,
        line_numbers=frame[LINE_KEY].cast(pl.Int64).to_list(),
        origin=origin,
    )
    if STREAM_KEY in frame.columns and frame[STREAM_KEY].null_count() < frame.height:
        batch.streams = frame[STREAM_KEY].cast(pl.String).fill_null("").to_list()
    if INGESTION_KEY in frame.columns and frame[INGESTION_KEY].null_count() == 0:
        batch.ingestion_times = frame[INGESTION_KEY].cast(pl.Int64, strict=False).to_list()
    return LogFormat(fields), batch


def jsonl_to_table(
    lines: Sequence[str], origin: str, first_line: int
) -> tuple[pl.DataFrame, list[MalformedLine]]:
    """Objects of a JSON Lines export; lines that are not JSON objects are reported."""
    records: list[dict[str, object]] = []
    malformed: list[MalformedLine] = []
    for offset, text in enumerate(lines):
        if not text.strip():
            continue
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError as error:
            malformed.append(
                MalformedLine(origin, first_line + offset, f"not JSON ({error})", text)
            )
            continue
        if not isinstance(value, dict):
            malformed.append(MalformedLine(origin, first_line + offset, "not a JSON object", text))
            continue
        record = {k: v for k, v in value.items() if not isinstance(v, dict | list)}
        record[LINE_KEY] = first_line + offset
        records.append(record)
    if not records:
        return pl.DataFrame(), malformed
    frame = pl.DataFrame(records, infer_schema_length=None)
    return frame.select(pl.all().cast(pl.String)), malformed
