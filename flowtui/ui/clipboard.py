"""Copying over SSH: OSC 52 to the terminal's clipboard, and always a file as the fallback.

Many terminals accept OSC 52 (it works through SSH), some ignore it silently; so every copy
is also written to `clipboard.txt` in flowtui's state directory, where the user can read it.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO

from textual.app import App

from flowtui.core.config import state_dir, write_atomically

CLIPBOARD_FILE = "clipboard.txt"


def clipboard_path() -> Path:
    return state_dir() / CLIPBOARD_FILE


def save_copy(text: str) -> Path:
    """Write `text` to the clipboard file (replacing the last copy); OSError when it cannot."""
    path = clipboard_path()
    path.parent.mkdir(parents=True, exist_ok=True)

    def write(stream: IO[bytes]) -> None:
        stream.write(text.encode())
        stream.write(b"\n")

    write_atomically(path, write, overwrite=True)
    return path


def copy_text(app: App[object], text: str, what: str) -> None:
    """Copy `text` with OSC 52, save it to the clipboard file, and say where it went."""
    app.copy_to_clipboard(text)
    try:
        path = save_copy(text)
    except OSError as error:
        app.notify(f"Copied {what} (OSC 52); no file copy: {error.strerror}", severity="warning")
        return
    app.notify(f"Copied {what} (OSC 52). Also in {path}")
