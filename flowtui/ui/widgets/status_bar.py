"""One line of state under the flow table; the least important parts go first when narrow."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from flowtui.core.wording import counted
from flowtui.ui.backend import FeedStatus
from flowtui.ui.formatting import sanitize

PROGRESS_CELLS = 5
#: The applied filter is shortened to this many cells (and further on a narrow line).
FILTER_CELLS = 40
_DIVIDER = " │ "


@dataclass(frozen=True, slots=True)
class StatusInfo:
    total_rows: int = 0
    shown_rows: int = 0
    filtered: bool = False
    #: The filter applied (shown shortened at every width: the rows count means nothing without).
    filter_text: str = ""
    time_range: str = ""
    source: str = ""
    #: "" (not following), "following" or "paused" (following, but scrolled up).
    follow: str = ""
    events_per_s: float | None = None
    feed: FeedStatus = field(default_factory=FeedStatus)
    evicted_rows: int = 0
    row_cap: int = 0
    search: str = ""
    busy: str = ""
    time_zone: str = "UTC"


@dataclass(frozen=True, slots=True)
class _Part:
    text: str
    priority: int
    style: str = ""
    #: Never dropped: shortened instead when the line is too narrow.
    keep: bool = False


def progress_text(progress: float | None) -> str:
    if progress is None:
        return "fetching…"
    filled = round(max(0.0, min(progress, 1.0)) * PROGRESS_CELLS)
    return f"fetching {'▰' * filled}{'▱' * (PROGRESS_CELLS - filled)} {progress:.0%}"


def loaded_text(feed: FeedStatus) -> str:
    """What a running fetch has received: "40,000 ev, 4 pages, 4.8 MB, ~3 s left"."""
    text = f"{feed.fetched:,} ev, {counted(feed.pages, 'page')}, {feed.bytes / 1e6:.1f} MB"
    if feed.eta_s is not None:
        eta = feed.eta_s
        left = f"{eta:.0f} s" if eta < 90 else f"{eta / 60:.0f} min"
        text += f", ~{left} left"
    return text


def status_parts(info: StatusInfo) -> list[_Part]:
    """Every part in display order, each with a priority (lower drops last)."""
    rows = counted(info.total_rows, "row")
    if info.filtered:
        rows = f"{info.shown_rows:,}/{rows}"
    parts = [_Part(rows, 0)]
    if info.filter_text:
        shown = shorten(" ".join(sanitize(info.filter_text).split()), FILTER_CELLS)
        parts.append(_Part(f"filter {shown}", 1, keep=True))
    if info.time_range:
        parts.append(_Part(f"{info.time_range} {info.time_zone}", 4))
    if info.follow == "following":
        parts.append(_Part("● follow", 1, "good"))
    elif info.follow == "paused":
        parts.append(_Part("‖ paused: G resumes", 1, "warning"))
    feed = info.feed
    if feed.fetching:
        parts.append(_Part(progress_text(feed.progress), 2, "busy"))
        if feed.pages:
            parts.append(_Part(loaded_text(feed), 4, "busy"))
    if feed.throttled:
        parts.append(_Part("throttled", 2, "warning"))
    if feed.reconnecting:
        parts.append(_Part("reconnecting", 2, "warning"))
    if info.evicted_rows:
        dropped = f"{info.evicted_rows:,} oldest dropped (cap {info.row_cap:,})"
        parts.append(_Part(dropped, 3, "warning"))
    if info.busy:
        parts.append(_Part(info.busy, 5, "busy"))
    if info.search:
        parts.append(_Part(info.search, 5))
    if info.events_per_s is not None:
        parts.append(_Part(f"{info.events_per_s:,.0f} ev/s", 6))
    if feed.api_calls:
        parts.append(_Part(counted(feed.api_calls, "API call"), 7))
    if feed.pushdown:
        parts.append(_Part(feed.pushdown, 7))
    if info.source:
        parts.append(_Part(sanitize(info.source), 8))
    if feed.detail:
        parts.append(_Part(sanitize(feed.detail), 9, "warning"))
    return parts


def shorten(text: str, cells: int) -> str:
    """`text` cut to `cells` characters, the cut marked with an ellipsis."""
    return text if len(text) <= cells else text[: max(cells - 1, 0)] + "…"


def fitting_parts(parts: list[_Part], width: int) -> list[_Part]:
    """Drop the least important parts until the line fits `width`; the first part and the
    parts to keep always stay (those are shortened when nothing else is left to drop)."""
    kept = list(parts)
    while _length(kept) > width:
        droppable = [part for part in kept[1:] if not part.keep]
        if not droppable:
            break
        kept.remove(max(droppable, key=lambda part: part.priority))
    excess = _length(kept) - width
    for index, part in enumerate(kept):
        if excess > 0 and part.keep:
            cells = max(len(part.text) - excess, 8)
            excess -= len(part.text) - cells
            kept[index] = replace(part, text=shorten(part.text, cells))
    return kept


def _length(parts: list[_Part]) -> int:
    return 1 + sum(len(part.text) for part in parts) + len(_DIVIDER) * (len(parts) - 1)


class StatusBar(Widget):
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "status-bar--good",
        "status-bar--warning",
        "status-bar--busy",
    }

    DEFAULT_CSS = """
    StatusBar { height: 1; background: $panel; color: $foreground; }
    StatusBar > .status-bar--good { color: $success; text-style: bold; }
    StatusBar > .status-bar--warning { color: $warning; text-style: bold; }
    StatusBar > .status-bar--busy { color: $accent; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._info = StatusInfo()

    @property
    def info(self) -> StatusInfo:
        return self._info

    def show(self, info: StatusInfo) -> None:
        """Repaint only when something visible changed (idle means no terminal writes)."""
        if info != self._info:
            self._info = info
            self.refresh()

    def render(self) -> Text:
        text = Text(" ", no_wrap=True, overflow="ellipsis", end="")
        for index, part in enumerate(fitting_parts(status_parts(self._info), self.size.width)):
            if index:
                text.append(_DIVIDER)
            style = self._style(part.style)
            text.append(part.text, style)
        return text

    def _style(self, name: str) -> Style | str:
        if not name:
            return ""
        return self.get_component_rich_style(f"status-bar--{name}", partial=True)
