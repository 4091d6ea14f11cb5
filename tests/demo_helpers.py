"""Importable helpers for the demo tests: the endpoint's child process loads these by name."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

MARK_HEADER = ("X-Flowtui-Test", "wrapped")


def mark_responses(app: WsgiApp) -> WsgiApp:
    """A WSGI middleware that adds MARK_HEADER to every response."""

    def wrapped(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        def start(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            return start_response(status, [*headers, MARK_HEADER], *args)

        return app(environ, start)

    return wrapped
