"""The store's single writer: parse what a source delivers and append it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from flowtui.core.events import EventBatch
from flowtui.core.formats import LogFormat
from flowtui.core.parse import FormatUndetectedError, LineParser, MalformedLine, ParseResult
from flowtui.core.store import AppendResult, RecordStore


@dataclass(frozen=True, slots=True)
class IngestResult:
    appended: AppendResult
    malformed: list[MalformedLine]
    blank_lines: int


class Ingestor:
    """Parses batches of one input and appends them to the store, in arrival order."""

    def __init__(self, store: RecordStore, formats: Sequence[LogFormat] | None = None) -> None:
        self.store = store
        self.parser = LineParser(store.registry, formats)
        self.lines_seen = 0

    def add_lines(self, lines: pl.Series, first_line_number: int, origin: str) -> IngestResult:
        self.lines_seen += len(lines)
        return self._append(self.parser.parse_lines(lines, first_line_number, origin))

    def add_block(self, block: bytes, first_line_number: int, origin: str) -> IngestResult:
        return self._append(self.parser.parse_block(block, first_line_number, origin))

    def add_events(self, batch: EventBatch) -> IngestResult:
        self.lines_seen += len(batch)
        return self._append(self.parser.parse_batch(batch))

    def check_detected(self) -> None:
        """After all input: with no format given and none fitting, say so (once, clearly)."""
        if self.parser.detecting and self.parser.records == 0 and self.store.malformed_count:
            raise FormatUndetectedError(
                "no known flow-log format fits these records: give the format with --log-format"
                " (for example --log-format '${version} ${srcaddr} ...')"
            )

    def _append(self, parsed: ParseResult) -> IngestResult:
        appended = self.store.append(parsed.frame)
        self.store.add_malformed(parsed.malformed, parsed.blank_lines)
        return IngestResult(appended, parsed.malformed, parsed.blank_lines)
