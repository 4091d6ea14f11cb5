"""Raw events as sources hand them to the parser: columnar lists, one entry per log event."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TypeVar

import polars as pl

T = TypeVar("T")


@dataclass(slots=True)
class EventBatch:
    """A batch of raw flow-log lines with their CloudWatch metadata (absent for files).

    All lists have the same length as `messages`; metadata lists are None when the source has
    no such data (a local file has no streams, event ids or ingestion times).
    """

    messages: list[str]
    streams: list[str] | None = None
    #: CloudWatch event timestamps, ms since the epoch.
    timestamps: list[int] | None = None
    #: CloudWatch ingestion times, ms since the epoch.
    ingestion_times: list[int] | None = None
    #: 64-bit hashes of CloudWatch event ids (see `event_id_hash`).
    event_ids: list[int] | None = None
    #: Line numbers in the input (1-based), for messages about malformed lines in files.
    line_numbers: list[int] | None = None
    #: Where the lines came from ("FILE" or "-"), for messages about malformed lines.
    origin: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.messages)

    def select(self, keep: list[int]) -> EventBatch:
        """The events at positions `keep`, in that order, with their metadata."""

        def pick(column: list[T] | None) -> list[T] | None:
            return None if column is None else [column[i] for i in keep]

        return EventBatch(
            messages=[self.messages[i] for i in keep],
            streams=pick(self.streams),
            timestamps=pick(self.timestamps),
            ingestion_times=pick(self.ingestion_times),
            event_ids=pick(self.event_ids),
            line_numbers=pick(self.line_numbers),
            origin=self.origin,
            extra=dict(self.extra),
        )


def _hash64(data: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


def event_id_hash(event_id: str) -> int:
    """A 64-bit hash of a CloudWatch event id (ids are 56-digit strings), stable within one
    process (polars' string hash: the ids are only compared with ids hashed by this run)."""
    return event_id_hashes([event_id])[0]


def event_id_hashes(event_ids: list[str]) -> list[int]:
    """`event_id_hash` of each id, hashed natively in one call per page."""
    hashes: list[int] = pl.Series(event_ids, dtype=pl.String).hash(seed=0).to_list()
    return hashes


def content_key_hash(stream: str, timestamp: int, message: str) -> int:
    """A 64-bit identity for events without an id (GetLogEvents, Live Tail)."""
    return _hash64(f"{stream}\x00{timestamp}\x00{message}".encode())


def content_key_hashes(stream: str, timestamps: list[int], messages: list[str]) -> list[int]:
    """`content_key_hash` of each event of one stream."""
    blake2b, from_bytes = hashlib.blake2b, int.from_bytes
    return [
        from_bytes(blake2b(f"{stream}\x00{t}\x00{m}".encode(), digest_size=8).digest(), "little")
        for t, m in zip(timestamps, messages, strict=True)
    ]
