"""A yes/no question, such as before a fetch the source expects to be large.

`wide=True` is for a long detail (a plan with JSON and commands): a wider box whose detail
scrolls (arrows, PgUp/PgDn) so that it fits at 80x24 with the question and keys in view.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from flowtui.ui.formatting import sanitize


class ConfirmScreen(ModalScreen[bool]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes", id="confirm_yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm_no"),
    ]

    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; background: $background 60%; }
    ConfirmScreen > Vertical {
        width: 70; max-width: 100%; height: auto;
        background: $surface; border: round $warning; padding: 1 2;
    }
    ConfirmScreen #question { text-style: bold; }
    ConfirmScreen #keys { color: $foreground 70%; margin-top: 1; }
    ConfirmScreen > Vertical.wide { width: 110; max-height: 100%; padding: 0 1; }
    ConfirmScreen #detail-scroll { height: auto; max-height: 75vh; margin-top: 1; }
    """

    def __init__(self, question: str, detail: str = "", *, wide: bool = False) -> None:
        super().__init__()
        self._question = question
        self._detail = detail
        self._wide = wide

    def compose(self) -> ComposeResult:
        with Vertical(classes="wide" if self._wide else ""):
            yield Static(Text(sanitize(self._question)), id="question")
            # Each line sanitized on its own: the detail's line breaks are kept.
            detail = Text("\n".join(sanitize(line) for line in self._detail.split("\n")))
            if self._detail and self._wide:
                with VerticalScroll(id="detail-scroll"):
                    yield Static(detail, id="detail")
            elif self._detail:
                yield Static(detail)
            keys = "y: yes   n / Esc: no" + ("   ↑↓ PgUp PgDn: scroll" if self._wide else "")
            yield Static(Text(keys), id="keys")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
