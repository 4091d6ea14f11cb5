"""Export the rows as shown (`e`): CSV, JSON Lines or raw flow-log lines, to a chosen file.

The rows are the explorer's, filtered and in its sort order. `flowtui.core.export` writes the
file atomically in a thread worker (a progress bar follows large exports; Esc cancels and
leaves no file behind); an existing file is only replaced after asking. A failure is one line
in the dialog, which stays open to try another path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, ProgressBar, RadioButton, RadioSet, Static
from textual.worker import get_current_worker

from flowtui.core.export import (
    ExportError,
    ExportKind,
    ExportResult,
    check_target,
    export,
)
from flowtui.core.store import StoreSnapshot
from flowtui.core.view import ViewIndex
from flowtui.ui.formatting import byte_size, sanitize
from flowtui.ui.keys import EXPORT_KEYS, bindings
from flowtui.ui.screens.confirm import ConfirmScreen


@dataclass(frozen=True, slots=True)
class ExportFormat:
    kind: ExportKind
    title: str
    suffix: str


EXPORT_FORMATS: tuple[ExportFormat, ...] = (
    ExportFormat("csv", "CSV", ".csv"),
    ExportFormat("jsonl", "JSON Lines", ".jsonl"),
    ExportFormat("raw", "Raw flow-log lines (read back by flowtui and S3-style readers)", ".log"),
)
_SUFFIXES = {fmt.suffix for fmt in EXPORT_FORMATS}


def export_summary(result: ExportResult) -> str:
    rows = "1 row" if result.rows == 1 else f"{result.rows:,} rows"
    return f"Exported {rows} ({byte_size(result.bytes)}) to {result.path}"


def with_suffix(text: str, suffix: str) -> str:
    """The path with the new format's suffix, when it ends in another format's suffix."""
    path = Path(text)
    return str(path.with_suffix(suffix)) if path.suffix in _SUFFIXES else text


class _CancelledError(Exception):
    """Raised from the progress callback to stop an export the user cancelled."""


@dataclass
class _Progress(Message):
    done: int
    total: int

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, _Progress)


@dataclass
class _Finished(Message):
    result: ExportResult | None
    error: str = ""


class ExportScreen(ModalScreen[ExportResult | None]):
    AUTO_FOCUS = "#path"
    BINDINGS: ClassVar[list[BindingType]] = bindings(EXPORT_KEYS)

    DEFAULT_CSS = """
    ExportScreen { align: center middle; background: $background 60%; }
    ExportScreen > Vertical {
        width: 76; max-width: 100%; height: auto; max-height: 100%;
        background: $surface; border: round $primary; padding: 0 1;
    }
    ExportScreen #what { text-style: bold; margin-bottom: 1; }
    ExportScreen .label { color: $secondary; margin-top: 1; }
    ExportScreen #path { width: 1fr; }
    ExportScreen RadioSet { border: none; padding: 0; width: 1fr; background: $surface; }
    ExportScreen ProgressBar { display: none; margin-top: 1; }
    ExportScreen ProgressBar.-running { display: block; }
    ExportScreen #problem { color: $error; height: auto; margin-top: 1; display: none; }
    ExportScreen #buttons { height: auto; margin-top: 1; }
    ExportScreen Button { margin-right: 2; }
    """

    def __init__(
        self,
        snapshot: StoreSnapshot,
        view: ViewIndex,
        default_path: str,
        *,
        cwd: Callable[[], Path] = Path.cwd,
    ) -> None:
        super().__init__()
        self._snapshot = snapshot
        self._view = view
        self._default_path = default_path
        self._cwd = cwd
        self.running = False
        self._cancel = False

    def compose(self) -> ComposeResult:
        rows = len(self._view)
        noun = "row" if rows == 1 else "rows"
        with Vertical() as box:
            box.border_title = "Export"
            yield Static(
                Text(f"{rows:,} {noun}, as shown: filtered and in the table's order"), id="what"
            )
            yield Static("File", classes="label")
            yield Input(self._default_path, id="path", compact=True)
            yield Static("Format (^n switches)", classes="label")
            with RadioSet(id="format"):
                for index, fmt in enumerate(EXPORT_FORMATS):
                    yield RadioButton(fmt.title, value=index == 0, compact=True)
            yield ProgressBar(total=max(rows, 1), show_eta=False, id="progress")
            yield Static("", id="problem")
            with Horizontal(id="buttons"):
                yield Button("Export", id="run", variant="primary", compact=True)
                yield Button("Cancel", id="cancel", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#path", Input).cursor_blink = False

    # --- choices ---------------------------------------------------------------------------

    @property
    def format(self) -> ExportFormat:
        index = self.query_one(RadioSet).pressed_index
        return EXPORT_FORMATS[index if index >= 0 else 0]

    def action_next_format(self) -> None:
        index = (self.query_one(RadioSet).pressed_index + 1) % len(EXPORT_FORMATS)
        self.query(RadioButton)[index].value = True

    @on(RadioSet.Changed)
    def _format_changed(self) -> None:
        field = self.query_one("#path", Input)
        field.value = with_suffix(field.value, self.format.suffix)

    def _target(self) -> Path | None:
        text = self.query_one("#path", Input).value.strip()
        if not text:
            self._problem("Give the file to write")
            return None
        path = Path(text).expanduser()
        return path if path.is_absolute() else self._cwd() / path

    # --- running ---------------------------------------------------------------------------

    @on(Input.Submitted)
    @on(Button.Pressed, "#run")
    def action_run(self) -> None:
        if self.running:
            return
        path = self._target()
        if path is None:
            return
        try:
            # Refuse a device, pipe or dangling link before asking to replace it.
            check_target(path, overwrite=True)
        except ExportError as error:
            self._problem(str(error))
            return
        if path.exists():

            def answered(yes: bool | None) -> None:
                if yes:
                    self._start(path, overwrite=True)

            question = f"{path} exists. Replace it?"
            self.app.push_screen(ConfirmScreen(question), answered)
            return
        self._start(path, overwrite=False)

    def _start(self, path: Path, overwrite: bool) -> None:
        self.running = True
        self._cancel = False
        self._problem("")
        self.query_one("#path", Input).disabled = True
        self.query_one(ProgressBar).add_class("-running")
        self._export(path, self.format.kind, overwrite)

    @work(thread=True, exclusive=True, group="export", exit_on_error=False)
    def _export(self, path: Path, kind: ExportKind, overwrite: bool) -> None:
        worker = get_current_worker()

        def progress(done: int, total: int) -> None:
            if self._cancel or worker.is_cancelled:
                raise _CancelledError
            self.post_message(_Progress(done, total))

        try:
            frame = self._snapshot.rows(self._view.row_ids)
            result = export(
                frame, self._snapshot.formats, path, kind, progress=progress, overwrite=overwrite
            )
        except _CancelledError:
            self.post_message(_Finished(None))
        except ExportError as error:
            self.post_message(_Finished(None, str(error)))
        except Exception as error:  # one line, never a traceback
            self.post_message(_Finished(None, f"cannot export to {path}: {error}"))
        else:
            self.post_message(_Finished(result))

    @on(_Progress)
    def _progress(self, message: _Progress) -> None:
        self.query_one(ProgressBar).update(total=max(message.total, 1), progress=message.done)

    @on(_Finished)
    def _finished(self, message: _Finished) -> None:
        self.running = False
        self.query_one(ProgressBar).remove_class("-running")
        field = self.query_one("#path", Input)
        field.disabled = False
        if message.result is not None:
            self.dismiss(message.result)
        elif message.error:
            self._problem(message.error)
            field.focus()
        else:
            self.dismiss(None)

    def _problem(self, text: str) -> None:
        line = self.query_one("#problem", Static)
        line.update(Text(sanitize(text)))
        line.display = bool(text)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        if self.running:
            self._cancel = True
            return
        self.dismiss(None)
