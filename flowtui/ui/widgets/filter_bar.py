"""The input line for filters and searches, with a message line under it.

The bar only edits text: it reports every change and the final Enter, keeps a history (up and
down), completes the word being typed (Tab or →, from a `suggest` function given by its
owner), and shows whatever message its owner hands back, such as a filter error pointing at
the offending characters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.suggester import Suggester
from textual.widget import Widget
from textual.widgets import Input, Label, Static

from flowtui.ui.formatting import sanitize

#: Completions for the word being typed: (word) -> full replacements for that word.
SuggestFunction = Callable[[str], list[str]]
SHOWN_SUGGESTIONS = 4


def last_word(text: str) -> tuple[str, str]:
    """(everything before the word being typed, the word): completion replaces the word."""
    cut = max(text.rfind(" "), text.rfind("("))
    return text[: cut + 1], text[cut + 1 :]


class _WordSuggester(Suggester):
    def __init__(self, suggest: SuggestFunction) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self._suggest = suggest

    async def get_suggestion(self, value: str) -> str | None:
        head, word = last_word(value)
        if not word:
            return None
        for choice in self._suggest(word):
            if choice.lower().startswith(word.lower()) and len(choice) > len(word):
                return head + choice
        return None


@dataclass(frozen=True, slots=True)
class BarProblem:
    """A problem to point at: `length` characters from `position`, and what is wrong."""

    message: str
    position: int
    length: int = 1


class QueryBar(Widget):
    """A prompt, an input and a message line; hidden until opened."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="bar_close"),
        Binding("up", "history(-1)", "Earlier entry", show=False, id="bar_history_back"),
        Binding("down", "history(1)", "Later entry", show=False, id="bar_history_forward"),
        Binding("tab", "complete", "Complete", show=False, priority=True, id="bar_complete"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {"query-bar--error", "query-bar--hint"}

    DEFAULT_CSS = """
    QueryBar { height: auto; display: none; background: $panel; }
    QueryBar.-open { display: block; }
    QueryBar > Horizontal { height: 1; }
    QueryBar Label { width: auto; padding: 0 0 0 1; color: $primary; text-style: bold; }
    QueryBar Input { width: 1fr; }
    QueryBar > Static { height: auto; padding: 0 0; }
    QueryBar > .query-bar--error { color: $error; text-style: bold; }
    QueryBar > .query-bar--hint { color: $flow-muted; }
    """

    @dataclass
    class Changed(Message):
        bar: QueryBar
        text: str

        @property
        def control(self) -> QueryBar:
            return self.bar

    @dataclass
    class Submitted(Message):
        bar: QueryBar
        text: str

        @property
        def control(self) -> QueryBar:
            return self.bar

    @dataclass
    class Closed(Message):
        bar: QueryBar

        @property
        def control(self) -> QueryBar:
            return self.bar

    def __init__(
        self,
        prompt: str,
        placeholder: str,
        history: list[str],
        suggest: SuggestFunction | None = None,
        *,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self._prompt = prompt
        self._placeholder = placeholder
        self._history = history
        self._history_index: int | None = None
        self._suggest = suggest
        self._message: Text = Text("")

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Label(self._prompt)
            suggester = _WordSuggester(self._suggest) if self._suggest else None
            field = Input(placeholder=self._placeholder, suggester=suggester, compact=True)
            field.cursor_blink = False
            yield field
        yield Static(self._message)

    @property
    def input(self) -> Input:
        return self.query_one(Input)

    @property
    def text(self) -> str:
        return self.input.value

    @property
    def is_open(self) -> bool:
        return self.has_class("-open")

    def set_prompt(self, prompt: str) -> None:
        self._prompt = prompt
        self.query_one(Label).update(Text(prompt))

    def open(self, text: str) -> None:
        self.add_class("-open")
        self._history_index = None
        self.input.value = text
        self.input.cursor_position = len(text)
        self.input.focus()

    def action_close(self) -> None:
        self.remove_class("-open")
        self.post_message(self.Closed(self))

    def remember(self, text: str) -> None:
        """Add an entry to the shared history (most recent last, no repeats)."""
        if not text.strip():
            return
        if text in self._history:
            self._history.remove(text)
        self._history.append(text)

    def action_history(self, step: int) -> None:
        if not self._history:
            return
        last = len(self._history)
        index = last if self._history_index is None else self._history_index
        index = max(0, min(index + step, last))
        self._history_index = index
        text = self._history[index] if index < last else ""
        self.input.value = text
        self.input.cursor_position = len(text)

    def action_complete(self) -> None:
        # Tab completes; with nothing to complete it does nothing (focus stays in the bar).
        self.input.action_cursor_right()

    # --- messages --------------------------------------------------------------------------

    def show_problem(self, problem: BarProblem | None, hint: str = "") -> None:
        """Point at a problem under the input, or show a hint line when there is none."""
        if problem is None:
            style = self.get_component_rich_style("query-bar--hint", partial=True)
            self._message = Text(f" {sanitize(hint)}", style=style) if hint else Text("")
        else:
            style = self.get_component_rich_style("query-bar--error", partial=True)
            indent = 1 + len(self._prompt) + problem.position
            line = " " * indent + "^" * max(problem.length, 1)
            message = sanitize(problem.message)
            room = self.size.width - len(line) - 1
            text = f"{line} {message}" if room >= len(message) else f"{line}\n {message}"
            self._message = Text(text, style=style)
        self.query_one(Static).update(self._message)

    def suggestions_hint(self) -> str:
        if self._suggest is None:
            return ""
        _, word = last_word(self.text)
        if not word:
            return ""
        choices = self._suggest(word)[:SHOWN_SUGGESTIONS]
        return ("Tab completes: " + "  ".join(choices)) if choices else ""

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.Changed(self, event.value))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.remember(event.value)
        self._history_index = None
        self.post_message(self.Submitted(self, event.value))
