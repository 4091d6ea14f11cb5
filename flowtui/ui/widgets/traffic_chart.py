"""Traffic over time as text bars: records and bytes per time bucket, ACCEPT and REJECT apart.

One column of block characters per bucket (neighbouring buckets are summed when there are
more buckets than columns); each series is scaled to its own maximum, which is printed at the
end of its line (with room for the widest, so units never wrap). Few buckets are drawn several
columns wide so the chart fills its width, and the time axis labels buckets wherever a label
fits. Colours come from the theme's `$flow-accept` and `$flow-reject`, so the chart reads in
16 colours too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import ClassVar

from rich.console import RenderableType
from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.widget import Widget

from flowtui.ui.formatting import byte_size

BLOCKS = " ▁▂▃▄▅▆▇█"
LEVELS = len(BLOCKS) - 1
LABEL_WIDTH = 15
MAX_WIDTH = 12
MIN_BARS = 8
DAY = 86_400
#: Each series' label and height in lines: records get more resolution than bytes.
SERIES_HEIGHTS: tuple[tuple[str, int], ...] = (
    ("records ACCEPT", 2),
    ("        REJECT", 2),
    ("  bytes ACCEPT", 1),
    ("        REJECT", 1),
)


@dataclass(frozen=True, slots=True)
class TrafficData:
    """Sums per bucket, oldest first; `first_bucket` is the first bucket's start (epoch s)."""

    bucket_seconds: int
    first_bucket: int | None = None
    records_accept: tuple[int, ...] = ()
    records_reject: tuple[int, ...] = ()
    bytes_accept: tuple[int, ...] = ()
    bytes_reject: tuple[int, ...] = ()
    #: Why there is no chart ("needs start, which these records do not have"), or "".
    unavailable: str = ""

    @property
    def buckets(self) -> int:
        return len(self.records_accept)


def bucket_text(seconds: int) -> str:
    """`1 min`, `15 min`, `2 h`, `1 day` buckets."""
    if seconds % DAY == 0:
        days = seconds // DAY
        return f"{days} day" if days == 1 else f"{days} days"
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"


def grouped(values: Sequence[int], width: int) -> tuple[list[int], int]:
    """Values summed in runs so that at most `width` columns remain; (columns, run length)."""
    if not values:
        return [], 1
    run = -(-len(values) // max(width, 1))
    return [sum(values[i : i + run]) for i in range(0, len(values), run)], run


def bar_rows(values: Sequence[int], height: int) -> list[str]:
    """`height` lines of block characters, top line first; zero stays blank, any count shows."""
    top = max(values, default=0)
    steps = height * LEVELS
    levels = [
        0 if value <= 0 or top <= 0 else max(1, round(value / top * steps)) for value in values
    ]
    lines = []
    for row in range(height):
        floor = (height - 1 - row) * LEVELS
        lines.append("".join(BLOCKS[min(max(level - floor, 0), LEVELS)] for level in levels))
    return lines


def _clock(seconds: int, bucket_seconds: int, local: bool) -> str:
    moment = datetime.fromtimestamp(seconds) if local else datetime.fromtimestamp(seconds, UTC)
    return moment.strftime("%m-%d" if bucket_seconds >= DAY else "%H:%M")


def axis_line(
    first: int, bucket_seconds: int, columns: int, *, cell: int, local: bool, width: int
) -> str:
    """Times under the bars: the first bucket's, then one wherever the next label fits.

    `columns` buckets are drawn `cell` characters wide each, starting at `first` (epoch s).
    """
    line = ""
    for index in range(columns):
        position = index * cell
        label = _clock(first + index * bucket_seconds, bucket_seconds, local)
        gap = 0 if not line else 2
        if position >= len(line) + gap and position + len(label) <= width:
            line = line.ljust(position) + label
    return line


def max_text_width(texts: Sequence[str]) -> int:
    """Room for the `max ...` texts after the bars (so units never wrap)."""
    return max((len(text) for text in texts), default=0) + 1


@dataclass(frozen=True, slots=True)
class _Series:
    label: str
    values: tuple[int, ...]
    style: str
    height: int
    show: Callable[[int], str]


class TrafficChart(Widget):
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "traffic-chart--title",
        "traffic-chart--accept",
        "traffic-chart--reject",
        "traffic-chart--label",
    }

    DEFAULT_CSS = """
    TrafficChart { height: auto; padding: 0 1; }
    TrafficChart > .traffic-chart--title { color: $primary; text-style: bold; }
    TrafficChart > .traffic-chart--accept { color: $flow-accept; }
    TrafficChart > .traffic-chart--reject { color: $flow-reject; }
    TrafficChart > .traffic-chart--label { color: $flow-muted; }
    """

    def __init__(self, *, local_time: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self._data: TrafficData | None = None
        self.local_time = local_time

    @property
    def data(self) -> TrafficData | None:
        return self._data

    def show(self, data: TrafficData) -> None:
        self._data = data
        self.refresh(layout=True)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """Known without drawing: a title, the series' lines and the time axis."""
        data = self._data
        if data is None:
            return 1
        if data.unavailable or not data.buckets:
            return 2
        return 1 + sum(height for _, height in SERIES_HEIGHTS) + 1

    def render(self) -> RenderableType:
        data = self._data
        title = self._style("title")
        if data is None:
            return Text("Traffic over time: counting…", title)
        zone = "local" if self.local_time else "UTC"
        buckets = bucket_text(data.bucket_seconds)
        text = Text(f"Traffic over time ({buckets} buckets, {zone})", title)
        if data.unavailable or not data.buckets:
            text.append("\n")
            text.append(data.unavailable or "No records with a start time", self._style("label"))
            return text
        count = "{:,}".format
        values = (data.records_accept, data.records_reject, data.bytes_accept, data.bytes_reject)
        shows = (count, count, byte_size, byte_size)
        series = [
            _Series(label, line_values, label.split()[-1].lower(), height, show)
            for (label, height), line_values, show in zip(
                SERIES_HEIGHTS, values, shows, strict=True
            )
        ]
        # The widest "max ..." text sets the room after the bars: units never wrap.
        room = max(self.size.width - LABEL_WIDTH - MAX_WIDTH, MIN_BARS)
        shown_series = [grouped(line.values, room) for line in series]
        maxima = [
            f"max {line.show(max(shown, default=0))}"
            for line, (shown, _) in zip(series, shown_series, strict=True)
        ]
        bars_width = max(self.size.width - LABEL_WIDTH - max_text_width(maxima), MIN_BARS)
        shown_series = [grouped(line.values, bars_width) for line in series]
        columns, run = len(shown_series[0][0]), shown_series[0][1]
        # Few buckets are drawn wider, so the chart uses the width it has.
        cell = max(bars_width // max(columns, 1), 1)
        for line, (shown, _) in zip(series, shown_series, strict=True):
            rows = bar_rows(shown, line.height)
            for index, bars in enumerate(rows):
                text.append("\n")
                label = line.label if index == len(rows) - 1 else ""
                text.append(f"{label:<{LABEL_WIDTH - 1}} ", self._style("label"))
                wide = "".join(block * cell for block in bars)
                text.append(wide.ljust(bars_width), self._style(line.style))
                if index == len(rows) - 1:
                    text.append(f" max {line.show(max(shown, default=0))}", self._style("label"))
        first = data.first_bucket or 0
        text.append("\n")
        text.append(" " * LABEL_WIDTH)
        seconds = run * data.bucket_seconds
        axis = axis_line(
            first, seconds, columns, cell=cell, local=self.local_time, width=bars_width
        )
        text.append(axis, self._style("label"))
        return text

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"traffic-chart--{name}", partial=True)
