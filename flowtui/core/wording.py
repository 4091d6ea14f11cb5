"""Counted nouns for messages people read: "1 stream", "2 streams", "1,204 events"."""

from __future__ import annotations


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """`count` with thousands separators and the noun in the number it needs."""
    word = noun if count == 1 else (plural or f"{noun}s")
    return f"{count:,} {word}"
