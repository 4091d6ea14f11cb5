"""A log group's streams: one per ENI, with what the interface belongs to and how fresh it is."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import ClassVar

from textual.binding import BindingType

from flowtui.core.query import Query
from flowtui.ui.backend import StreamRow
from flowtui.ui.formatting import MISSING, age
from flowtui.ui.keys import LIST_KEYS, bindings
from flowtui.ui.messages import OpenExplorer
from flowtui.ui.screens.lists import ListScreen
from flowtui.ui.widgets.pick_list import PickColumn, PickRow


def stream_row(stream: StreamRow, now_s: float) -> PickRow:
    cells = (
        stream.eni_id or stream.name,
        stream.name_tag or MISSING,
        stream.kind or MISSING,
        stream.instance_id or MISSING,
        ", ".join(stream.addresses) or MISSING,
        age(stream.last_event_ms, now_s),
        age(stream.last_ingestion_ms, now_s),
    )
    search = " ".join(
        (
            stream.name,
            stream.eni_id or "",
            stream.name_tag,
            stream.kind,
            stream.instance_id,
            *stream.addresses,
        )
    )
    styles = ("", "", "muted", "muted", "", "", "muted")
    return PickRow(stream.name, cells, search, styles)


def describe_stream(stream: StreamRow) -> str:
    parts = [stream.name]
    if stream.name_tag:
        parts.append(stream.name_tag)
    if stream.kind:
        parts.append(stream.kind)
    if stream.instance_id:
        parts.append(stream.instance_id)
    if stream.addresses:
        parts.append(", ".join(stream.addresses))
    return " · ".join(parts)


class StreamsScreen(ListScreen[StreamRow]):
    BINDINGS: ClassVar[list[BindingType]] = bindings(LIST_KEYS)
    MULTI_SELECT = True
    COLUMNS = (
        PickColumn("ENI", 21, minimum=21),
        PickColumn("name", None, minimum=10),
        PickColumn("type", 11, drop=3),
        PickColumn("instance", 19, drop=4),
        PickColumn("addresses", 15, drop=2),
        PickColumn("last event", 10, numeric=True),
        PickColumn("ingested", 8, numeric=True, drop=1),
    )
    EMPTY = "No streams in this group"

    def __init__(
        self,
        group: str,
        load: Callable[[], Sequence[StreamRow]],
        clock: Callable[[], float],
        query: Query,
    ) -> None:
        super().__init__(load, clock)
        self.group = group
        self._query = query

    def loading_text(self) -> str:
        return f"Listing the streams of {self.group}…"

    def title_text(self) -> str:
        return f"Streams of {self.group}: space selects, a selects all, Enter opens"

    def key(self, item: StreamRow) -> str:
        return item.name

    def row(self, item: StreamRow) -> PickRow:
        return stream_row(item, self.clock())

    def describe(self, item: StreamRow) -> str:
        return describe_stream(item)

    def open(self, keys: list[str]) -> None:
        # Every stream selected means the whole group (and streams that appear later).
        every = set(keys) == set(self.items) and len(keys) > 1
        streams = () if every else tuple(keys)
        self.post_message(OpenExplorer(replace(self._query, group=self.group, streams=streams)))
