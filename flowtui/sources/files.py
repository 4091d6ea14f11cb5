"""Local files and stdin: plain or gzip, read in blocks of whole lines.

Blocks keep memory flat for big files: each is handed to the parser before the next is read.
"""

from __future__ import annotations

import gzip
import io
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

from flowtui.core.fastpath import line_count
from flowtui.core.tabular import looks_like_csv_header

BLOCK_BYTES = 12 * 1024 * 1024
_GZIP_MAGIC = b"\x1f\x8b"


class InputError(OSError):
    """A file that cannot be read; the message is one line naming it."""


@dataclass(frozen=True, slots=True)
class RawBlock:
    """Whole lines of an input, as bytes; the parser splits and reads them."""

    data: bytes
    first_line_number: int
    origin: str


def read_blocks(path: str, block_bytes: int = BLOCK_BYTES) -> Iterator[RawBlock]:
    """Yield `path` ('-' for stdin) in blocks of whole lines; gzip is detected by its magic."""
    origin = "-" if path == "-" else path
    with _open(path) as stream:
        line_number = 1
        for block in _byte_blocks(stream, block_bytes, origin):
            yield RawBlock(block, line_number, origin)
            line_number += line_count(block)


def sniff(path: str) -> Literal["lines", "jsonl", "csv"]:
    """What kind of text `path` holds, from its first non-blank line (stdin is peeked)."""
    with _open(path) as stream:
        head = _peek(stream)
    first = next((line for line in head.splitlines() if line.strip()), "")
    if first.lstrip().startswith("{"):
        return "jsonl"
    if looks_like_csv_header(first):
        return "csv"
    return "lines"


def read_text(path: str) -> str:
    """The whole input as text (CSV and JSON Lines exports are read whole)."""
    with _open(path) as stream:
        try:
            return stream.read().decode("utf-8", errors="replace")
        except (OSError, EOFError) as error:
            raise InputError(f"{path}: cannot read ({error})") from None


def _peek(stream: BinaryIO) -> str:
    if isinstance(stream, io.BufferedReader):
        data = stream.peek(65536)[:65536]
    else:
        data = stream.read(65536)
    return data.decode("utf-8", errors="replace")


def _open(path: str) -> BinaryIO:
    if path == "-":
        raw: BinaryIO = sys.stdin.buffer
    else:
        try:
            raw = Path(path).open("rb")  # noqa: SIM115 - closed by the caller's with block
        except FileNotFoundError:
            raise InputError(f"{path}: no such file") from None
        except IsADirectoryError:
            raise InputError(f"{path}: is a directory") from None
        except PermissionError:
            raise InputError(f"{path}: permission denied") from None
        except OSError as error:
            raise InputError(f"{path}: cannot read ({error.strerror})") from None
    peek = raw.peek(2)[:2] if isinstance(raw, io.BufferedReader) else b""
    if peek == _GZIP_MAGIC:
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    return raw


def _byte_blocks(stream: BinaryIO, block_bytes: int, origin: str) -> Iterator[bytes]:
    carry = b""
    while True:
        try:
            data = stream.read(block_bytes)
        except (OSError, EOFError) as error:
            raise InputError(f"{origin}: cannot read ({error})") from None
        if not data:
            break
        data = carry + data
        cut = data.rfind(b"\n")
        if cut < 0:
            carry = data
            continue
        carry = data[cut + 1 :]
        yield data[: cut + 1]
    if carry:
        yield carry
