"""Find (`ctrl+f`): from an IP address, instance id or Name tag to its ENI and stream."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from flowtui.ui.backend import FindHit, error_text
from flowtui.ui.formatting import MISSING, sanitize
from flowtui.ui.widgets.pick_list import PickColumn, PickList, PickRow


@dataclass
class _Found(Message):
    hits: Sequence[FindHit]


@dataclass
class _FindFailed(Message):
    message: str


def hit_row(index: int, hit: FindHit) -> PickRow:
    if hit.group is None:
        cells = (hit.eni_id or MISSING, hit.description, hit.reason or "no flow log covers it")
        return PickRow(str(index), cells, hit.description, ("muted", "", "warning"))
    where = f"{hit.group} › {hit.stream}" if hit.stream else hit.group
    return PickRow(str(index), (hit.eni_id or MISSING, hit.description, where), hit.description)


class FindScreen(ModalScreen[FindHit | None]):
    """Enter in the field looks up; Enter on a covered result opens its stream."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_none", "Close", id="find_close"),
        Binding("down", "to_results", "Results", show=False),
        Binding("enter", "choose", "Open", show=False),
    ]

    DEFAULT_CSS = """
    FindScreen { align: center middle; background: $background 60%; }
    FindScreen > Vertical {
        width: 100; max-width: 100%; height: 20; max-height: 100%;
        background: $surface; border: round $primary; padding: 0 1;
    }
    FindScreen Input { margin: 0 0 1 0; }
    FindScreen #find-state { height: auto; color: $foreground 70%; }
    """

    def __init__(self, lookup: Callable[[str], Sequence[FindHit]]) -> None:
        super().__init__()
        self._lookup = lookup
        self.hits: list[FindHit] = []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text("Find the ENI and stream of an IP address, instance id or Name tag"))
            yield Input(placeholder="10.0.1.10, i-0abc…, web-1 (Enter looks up)", compact=True)
            yield PickList(
                (
                    PickColumn("ENI", 21),
                    PickColumn("what", None, minimum=16),
                    PickColumn("group › stream", None, minimum=16),
                ),
                empty_message="Type and press Enter",
            )
            yield Static("", id="find-state")

    def on_mount(self) -> None:
        field = self.query_one(Input)
        field.cursor_blink = False
        field.focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        if not text:
            return
        self.query_one("#find-state", Static).update(Text(f"Looking up {sanitize(text)}…"))
        self._find(text)

    @work(thread=True, exclusive=True, group="find", exit_on_error=False)
    def _find(self, text: str) -> None:
        try:
            hits = self._lookup(text)
        except Exception as error:
            self.post_message(_FindFailed(error_text(error)))
            return
        self.post_message(_Found(hits))

    @on(_Found)
    def _found(self, message: _Found) -> None:
        self.hits = list(message.hits)
        results = self.query_one(PickList)
        results.empty_message = "Nothing found"
        results.set_rows([hit_row(index, hit) for index, hit in enumerate(self.hits)])
        covered = sum(1 for hit in self.hits if hit.group is not None)
        state = f"{len(self.hits)} found, {covered} covered by a flow log"
        if self.hits and not covered:
            state = "No flow log covers it: " + (self.hits[0].reason or "no matching interface")
        self.query_one("#find-state", Static).update(Text(sanitize(state)))
        if self.hits:
            results.focus()

    @on(_FindFailed)
    def _failed(self, message: _FindFailed) -> None:
        self.query_one("#find-state", Static).update(Text(sanitize(message.message)))

    def action_to_results(self) -> None:
        self.query_one(PickList).focus()

    def action_choose(self) -> None:
        results = self.query_one(PickList)
        key = results.current_key
        if key is None:
            return
        hit = self.hits[int(key)]
        if hit.group is None:
            self.app.notify(sanitize(hit.reason or "No flow log covers it"), severity="warning")
            return
        self.dismiss(hit)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
