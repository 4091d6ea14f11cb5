"""A lookup started in a daemon thread, so that its wait for AWS overlaps other calls.

A command that needs several independent answers before its first page (the group's flow-log
formats from EC2, its retention from CloudWatch Logs) pays one round trip instead of several.
The thread is a daemon: a command that fails on another call exits without waiting for it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar, cast

T = TypeVar("T")


class Background(Generic[T]):
    """`fn()` running in its own thread; `result()` waits for it and raises what it raised."""

    def __init__(self, fn: Callable[[], T], name: str) -> None:
        self._value: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(fn,), name=name, daemon=True)
        self._thread.start()

    def _run(self, fn: Callable[[], T]) -> None:
        try:
            self._value = fn()
        except BaseException as exc:  # handed to the caller of result()
            self._error = exc

    def result(self) -> T:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return cast(T, self._value)
