"""The time range: how it reads in the status bar, and the picker `T` opens.

Ranges are `core.query.TimeRange`s: relative ones ("the last hour") are resolved against the
injected clock when a fetch starts. "Load earlier" keeps what is loaded and fetches the span
just before it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from flowtui.core.query import TimeRange, TimeRangeError, check_time_range
from flowtui.core.timeparse import TimeSpecError, is_relative_time, parse_duration, parse_time
from flowtui.ui.formatting import format_clock

PRESETS: tuple[tuple[str, int], ...] = (
    ("15m", 15 * 60),
    ("1h", 3600),
    ("6h", 6 * 3600),
    ("24h", 24 * 3600),
    ("7d", 7 * 86400),
)
EARLIER = "earlier"


@dataclass(frozen=True, slots=True)
class TimeRangeChoice:
    """The range to show from now on; `earlier` is the slice to add without clearing."""

    time_range: TimeRange
    earlier: TimeRange | None = None


def short_duration(seconds: int) -> str:
    """The largest whole unit: 900 -> `15m`, 3600 -> `1h`, 604800 -> `7d`."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def describe_range(time_range: TimeRange, local: bool) -> str:
    """`last 1h`, or `2026-11-27 10:00:00 → 2026-11-27 11:00:00`."""
    if time_range.lookback_ms is not None:
        return f"last {short_duration(max(time_range.lookback_ms // 1000, 1))}"
    start = "…" if time_range.start_ms is None else format_clock(time_range.start_ms // 1000, local)
    end = "now" if time_range.end_ms is None else format_clock(time_range.end_ms // 1000, local)
    return f"{start} → {end}"


def earlier_choice(time_range: TimeRange, now_ms: int) -> TimeRangeChoice:
    """Extend the range back by its own length; only the new slice is fetched."""
    start, end = time_range.resolve(now_ms)
    span = max(end - start, 60_000)
    earlier = TimeRange.between(start - span, start)
    if time_range.lookback_ms is not None:
        return TimeRangeChoice(TimeRange(lookback_ms=time_range.lookback_ms + span), earlier)
    return TimeRangeChoice(TimeRange.between(start - span, time_range.end_ms), earlier)


def check_range(time_range: TimeRange, now_s: int) -> TimeRange:
    """`time_range` if it can hold records (`core.query.check_time_range`, as the command line
    checks it); TimeSpecError saying why not. A range reaching before 1970 is refused rather
    than clamped: here it is a typo (99999d), and loading all of history is never a keystroke
    away. The backend narrows a range to the group's retention by itself."""
    try:
        checked = check_time_range(time_range, now_s * 1000)
    except TimeRangeError as error:
        raise TimeSpecError(str(error)) from None
    if checked.note is not None:
        longest = short_duration(now_s - now_s % 86400)
        raise TimeSpecError(
            "that range starts before 1970, the earliest time CloudWatch Logs accepts "
            f"(the longest reaches back {longest})"
        )
    return time_range


def absolute_choice(start_text: str, end_text: str, now_s: int) -> TimeRangeChoice:
    """From the two absolute inputs; TimeSpecError (with a readable message) when invalid.

    A relative start with no end (`-3h`) stays relative: "the last 3 hours", not the three
    hours before the moment it was typed (a saved view means the same thing tomorrow).
    """
    if not start_text.strip():
        raise TimeSpecError("give a start time, such as 2026-11-27T10:00Z or -2h")
    if is_relative_time(start_text) and not end_text.strip() and start_text.strip() != "now":
        return relative_choice(start_text, now_s)
    start = parse_time(start_text, now_s)
    end = parse_time(end_text, now_s) if end_text.strip() else None
    if end is not None and end <= start:
        raise TimeSpecError("the end must be after the start")
    time_range = TimeRange.between(start * 1000, None if end is None else end * 1000)
    return TimeRangeChoice(check_range(time_range, now_s))


def relative_choice(text: str, now_s: int) -> TimeRangeChoice:
    """`2h` (or `-2h`): the last two hours, always counted back from now."""
    seconds = parse_duration(text.strip().lstrip("-"))
    if seconds <= 0:
        raise TimeSpecError("a relative range must be longer than 0s")
    return TimeRangeChoice(check_range(TimeRange.last(seconds), now_s))


class TimeRangeScreen(ModalScreen[TimeRangeChoice | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_none", "Cancel", id="time_range_cancel")
    ]

    DEFAULT_CSS = """
    TimeRangeScreen { align: center middle; background: $background 60%; }
    TimeRangeScreen > Vertical {
        width: 64; max-width: 100%; height: auto; max-height: 100%;
        background: $surface; border: round $primary; padding: 0 1;
    }
    TimeRangeScreen OptionList { height: auto; max-height: 8; border: none; padding: 0; }
    TimeRangeScreen Label { color: $secondary; margin-top: 1; }
    TimeRangeScreen Input { margin: 0; }
    TimeRangeScreen #time-error { color: $error; text-style: bold; height: auto; }
    """

    def __init__(self, current: TimeRange, now_s: Callable[[], int], local: bool) -> None:
        super().__init__()
        self._current = current
        self._now_s = now_s
        self._local = local

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(f"Time range: {describe_range(self._current, self._local)}"))
            options = [Option(f"Last {label}", id=label) for label, _ in PRESETS]
            options.append(Option("Load earlier: add the span before what is loaded", id=EARLIER))
            yield OptionList(*options, id="presets")
            yield Label("Relative (15m, 2h, 3d) then Enter")
            yield Input(placeholder="2h", id="relative", compact=True)
            yield Label("From / to: 2026-11-27T10:00Z, epoch s or -3h (empty to: now)")
            yield Input(placeholder="from", id="start", compact=True)
            yield Input(placeholder="to", id="end", compact=True)
            yield Static("", id="time-error")

    def on_mount(self) -> None:
        for field in self.query(Input):
            field.cursor_blink = False
        self.query_one(OptionList).focus()

    def action_dismiss_none(self) -> None:
        self.dismiss(None)

    @on(OptionList.OptionSelected)
    def _preset(self, event: OptionList.OptionSelected) -> None:
        if event.option.id == EARLIER:
            choice = earlier_choice(self._current, self._now_s() * 1000)
            try:
                check_range(choice.time_range, self._now_s())
            except TimeSpecError as error:
                self._show_error(str(error))
                return
            self.dismiss(choice)
            return
        seconds = dict(PRESETS)[str(event.option.id)]
        self.dismiss(TimeRangeChoice(TimeRange.last(seconds)))

    @on(Input.Submitted, "#relative")
    def _relative(self, event: Input.Submitted) -> None:
        try:
            self.dismiss(relative_choice(event.value, self._now_s()))
        except TimeSpecError as error:
            self._show_error(str(error))

    @on(Input.Submitted, "#start")
    @on(Input.Submitted, "#end")
    def _absolute(self) -> None:
        start = self.query_one("#start", Input).value
        end = self.query_one("#end", Input).value
        try:
            self.dismiss(absolute_choice(start, end, self._now_s()))
        except TimeSpecError as error:
            self._show_error(str(error))

    def _show_error(self, message: str) -> None:
        self.query_one("#time-error", Static).update(Text(message))
