"""Test and benchmark tooling: a fault-injecting WSGI wrapper around moto's app, endpoints
using it (in this process or a child), a manual clock, and synthetic flow-log records.

AWS throttles, fails, drops connections and caps pages at 1 MB; moto does none of that. Tests
and benchmarks wrap moto with `FaultInjector` to reproduce each of these on demand:

- throttling of every Nth call of an action (HTTP 400 ThrottlingException "Rate exceeded"),
- server errors (HTTP 5xx) on every Nth call, and missing IAM permissions per action,
- connection resets on every Nth call,
- an outage: every call fails for N seconds of the injected clock, or until switched back on,
- latency per call, a calls-per-second cap (throttling above it),
- AWS's 1 MB page cap for FilterLogEvents and GetLogEvents (moto has none): pages are trimmed
  and carry a token of the injector's own that continues exactly where the page stopped,
- a call counter per action.

All knobs may be changed while the endpoint serves requests.
"""

from __future__ import annotations

import base64
import json
import random
import socket
import struct
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum
from io import BytesIO
from typing import Any, Protocol
from urllib.parse import parse_qs

#: Per-event overhead CloudWatch counts towards a page's 1 MB (as for PutLogEvents).
_EVENT_OVERHEAD = 26
ONE_MB = 1_048_576
_TOKEN_PREFIX = "faults:"
_PAGE_EVENTS = 10_000
_CAPPED_ACTIONS = frozenset({"FilterLogEvents", "GetLogEvents"})

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class _Fault(Enum):
    RESET = "reset"
    THROTTLE = "throttle"
    DENY = "deny"
    ERROR = "error"


class _Clock(Protocol):
    def monotonic(self) -> float: ...


class _SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()


class ManualClock:
    """A clock that only moves when told; `sleep` advances it instantly.

    Implements the sources' `Clock` protocol, so one instance can drive a rate limiter, a
    tailer, the traffic written by a test, and this injector's outage window together.
    """

    def __init__(self, start_ms: int) -> None:
        self._lock = threading.Lock()
        self._elapsed_s = 0.0
        self._start_ms = start_ms

    def monotonic(self) -> float:
        with self._lock:
            return self._elapsed_s

    def now_ms(self) -> int:
        with self._lock:
            return self._start_ms + round(self._elapsed_s * 1000)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._elapsed_s += max(0.0, seconds)

    def sleep(self, seconds: float, cancel: threading.Event | None) -> bool:
        if cancel is not None and cancel.is_set():
            return False
        self.advance(seconds)
        return True


@dataclass
class FaultInjector:
    """WSGI middleware; see the module docstring. Counts are per AWS action name."""

    app: WsgiApp
    clock: _Clock = field(default_factory=_SystemClock)
    sleep: Callable[[float], None] = time.sleep
    throttle_every: dict[str, int] = field(default_factory=dict)
    error_every: dict[str, tuple[int, int]] = field(default_factory=dict)
    reset_every: dict[str, int] = field(default_factory=dict)
    denied: set[str] = field(default_factory=set)
    #: Calls of an action that pass before its deny / fail rule applies.
    rule_after: dict[str, int] = field(default_factory=dict)
    latency_s: float = 0.0
    max_calls_per_s: float | None = None
    page_cap_bytes: int | None = None
    down: bool = False
    outage_until: float | None = None
    counts: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    _recent: deque[float] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # --- knobs ----------------------------------------------------------------------------

    def throttle(self, action: str, every: int) -> None:
        """Answer every `every`-th call of `action` with ThrottlingException."""
        self.throttle_every[action] = every

    def fail(self, action: str, every: int, status: int = 500, *, after: int = 0) -> None:
        """Answer every `every`-th call of `action` with HTTP `status`, once `after` calls
        have passed (a failure in the middle of a fetch)."""
        self.error_every[action] = (every, status)
        self.rule_after[action] = after

    def deny(self, action: str, *, after: int = 0) -> None:
        """Answer every call of `action` as AWS does without the IAM permission, once
        `after` calls have passed."""
        self.denied.add(action)
        self.rule_after[action] = after

    def reset_connections(self, action: str, every: int) -> None:
        self.reset_every[action] = every

    def outage(self, seconds: float) -> None:
        """Every call fails (connection reset) for `seconds` of the injector's clock."""
        self.outage_until = self.clock.monotonic() + seconds

    def cap_pages(self, max_bytes: int | None = ONE_MB) -> None:
        self.page_cap_bytes = max_bytes

    def cap_rate(self, calls_per_s: float | None) -> None:
        self.max_calls_per_s = calls_per_s

    def clear(self) -> None:
        """Remove every fault and reset the counters."""
        with self._lock:
            self.throttle_every.clear()
            self.error_every.clear()
            self.reset_every.clear()
            self.denied.clear()
            self.rule_after.clear()
            self.latency_s = 0.0
            self.max_calls_per_s = None
            self.page_cap_bytes = None
            self.down = False
            self.outage_until = None
            self.counts.clear()
            self.faults.clear()
            self._recent.clear()

    def clear_counts(self) -> None:
        with self._lock:
            self.counts.clear()
            self.faults.clear()

    def calls(self, action: str | None = None) -> int:
        with self._lock:
            return self.counts[action] if action else sum(self.counts.values())

    # --- WSGI -----------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        body = _read_body(environ)
        action = _action(environ, body)
        fault = self._decide(action)
        is_json = bool(environ.get("HTTP_X_AMZ_TARGET"))
        if fault is _Fault.RESET:
            _reset_connection(environ)
        if fault is _Fault.THROTTLE:
            code = "ThrottlingException" if is_json else "RequestLimitExceeded"
            return _error(start_response, 400, code, "Rate exceeded", is_json=is_json)
        if fault is _Fault.DENY:
            code = "AccessDeniedException" if is_json else "UnauthorizedOperation"
            message = f"You are not authorized to perform this operation ({action})."
            return _error(start_response, 403 if is_json else 400, code, message, is_json=is_json)
        if fault is _Fault.ERROR:
            status = self.error_every[action][1]
            message = "injected server error"
            return _error(start_response, status, "InternalFailure", message, is_json=is_json)
        if self.latency_s:
            self.sleep(self.latency_s)
        if self.page_cap_bytes is not None and action in _CAPPED_ACTIONS:
            return self._capped(environ, body, action, start_response, self.page_cap_bytes)
        return self.app(environ, start_response)

    def _decide(self, action: str) -> _Fault | None:
        with self._lock:
            self.counts[action] += 1
            count = self.counts[action]
            now = self.clock.monotonic()
            fault: _Fault | None = None
            if self.down or (self.outage_until is not None and now < self.outage_until):
                fault = _Fault.RESET
            elif self._over_rate(now) or _every(self.throttle_every.get(action), count):
                fault = _Fault.THROTTLE
            elif action in self.denied and count > self.rule_after.get(action, 0):
                fault = _Fault.DENY
            elif (
                (rule := self.error_every.get(action))
                and count > self.rule_after.get(action, 0)
                and _every(rule[0], count)
            ):
                fault = _Fault.ERROR
            elif _every(self.reset_every.get(action), count):
                fault = _Fault.RESET
            if fault is not None:
                self.faults[f"{action}:{fault.value}"] += 1
            return fault

    def _over_rate(self, now: float) -> bool:
        if self.max_calls_per_s is None:
            return False
        while self._recent and now - self._recent[0] >= 1.0:
            self._recent.popleft()
        if len(self._recent) >= self.max_calls_per_s:
            return True
        self._recent.append(now)
        return False

    # --- the 1 MB page cap ----------------------------------------------------------------

    def _capped(
        self,
        environ: dict[str, Any],
        body: bytes,
        action: str,
        start_response: StartResponse,
        cap: int,
    ) -> Iterable[bytes]:
        """Serve pages as AWS does: full up to 1 MB (or `limit`, or 10,000 events), however
        moto cuts its own pages; a page's token continues right after its last event."""
        request = json.loads(body or b"{}")
        client_token = request.get("nextToken")
        token_key = "nextToken" if action == "FilterLogEvents" else "nextForwardToken"
        max_events = min(int(request.get("limit") or _PAGE_EVENTS), _PAGE_EVENTS)
        moto_token, skip = _decode_token(client_token)
        collected: list[dict[str, Any]] = []
        room = cap
        while True:
            if moto_token is None:
                request.pop("nextToken", None)
            else:
                request["nextToken"] = moto_token
            status, headers, payload = _invoke(self.app, environ, json.dumps(request).encode())
            if not status.startswith("200"):
                start_response(status, headers)
                return [payload]
            response = json.loads(payload)
            events = response.get("events", [])[skip:]
            kept = _fit(events, room, max_events - len(collected), at_least_one=not collected)
            collected += events[:kept]
            room -= _size(events[:kept])
            moto_next = response.get(token_key)
            if kept < len(events):
                response[token_key] = _encode_token(moto_token, skip + kept)
                break
            if not moto_next or moto_next == moto_token:
                # The end: GetLogEvents answers with the token it was given.
                if moto_next and not collected:
                    response[token_key] = client_token
                break
            moto_token, skip = moto_next, 0
        response["events"] = collected
        data = json.dumps(response).encode()
        start_response(status, _with_length(headers, len(data)))
        return [data]


def _every(n: int | None, count: int) -> bool:
    return n is not None and n > 0 and count % n == 0


def _fit(events: list[dict[str, Any]], room: int, max_events: int, *, at_least_one: bool) -> int:
    """How many leading events fit in `room` bytes and `max_events`."""
    total = 0
    for index, event in enumerate(events[: max(0, max_events)]):
        total += _size([event])
        if total > room:
            return max(1, index) if at_least_one else index
    return min(len(events), max(0, max_events))


def _size(events: list[dict[str, Any]]) -> int:
    return sum(len(str(e.get("message", "")).encode()) + _EVENT_OVERHEAD for e in events)


def _encode_token(moto_token: str | None, skip: int) -> str:
    raw = json.dumps({"t": moto_token, "s": skip}).encode()
    return _TOKEN_PREFIX + base64.urlsafe_b64encode(raw).decode()


def _decode_token(token: str | None) -> tuple[str | None, int]:
    if not token or not token.startswith(_TOKEN_PREFIX):
        return token, 0
    data = json.loads(base64.urlsafe_b64decode(token.removeprefix(_TOKEN_PREFIX)))
    return data["t"], int(data["s"])


def _read_body(environ: dict[str, Any]) -> bytes:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = BytesIO(body)
    return body


def _action(environ: dict[str, Any], body: bytes) -> str:
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        return str(target).rsplit(".", 1)[-1]
    values = parse_qs(body.decode("utf-8", "replace")).get("Action")
    return values[0] if values else "unknown"


def _invoke(app: WsgiApp, environ: dict[str, Any], body: bytes) -> tuple[str, list[Any], bytes]:
    inner = dict(environ)
    inner["wsgi.input"] = BytesIO(body)
    inner["CONTENT_LENGTH"] = str(len(body))
    captured: dict[str, Any] = {}

    def start_response(status: str, headers: list[Any], exc_info: Any = None) -> None:
        captured["status"], captured["headers"] = status, headers

    result = app(inner, start_response)
    try:
        payload = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return captured["status"], captured["headers"], payload


def _with_length(headers: list[Any], length: int) -> list[Any]:
    kept = [(k, v) for k, v in headers if k.lower() != "content-length"]
    return [*kept, ("Content-Length", str(length))]


def _error(
    start_response: StartResponse, status: int, code: str, message: str, *, is_json: bool
) -> list[bytes]:
    """An error as the service's protocol spells it: JSON for logs, XML for ec2."""
    if is_json:
        data = json.dumps({"__type": code, "message": message}).encode()
        content_type = "application/x-amz-json-1.1"
    else:
        data = (
            f"<?xml version='1.0' encoding='UTF-8'?><Response><Errors><Error><Code>{code}</Code>"
            f"<Message>{message}</Message></Error></Errors><RequestID>faults</RequestID>"
            "</Response>"
        ).encode()
        content_type = "text/xml"
    reasons = {400: "Bad Request", 403: "Forbidden", 500: "Internal Server Error"}
    start_response(
        f"{status} {reasons.get(status, 'Error')}",
        [("Content-Type", content_type), ("Content-Length", str(len(data)))],
    )
    return [data]


def _reset_connection(environ: dict[str, Any]) -> None:
    """Abort the TCP connection (RST) without answering, as a dropped link would."""
    sock = environ.get("werkzeug.socket")
    if isinstance(sock, socket.socket):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RDWR)
    # werkzeug treats ConnectionResetError as a dropped client: no log, socket closed.
    raise ConnectionResetError("injected connection reset")


# --- an in-process endpoint ---------------------------------------------------------------


class InProcessEndpoint:
    """moto in a thread of this process on 127.0.0.1 (free port), behind a FaultInjector.

    Its request log is silenced. moto's state is per process: `reset()` clears it.
    """

    def __init__(self, clock: _Clock | None = None) -> None:
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        class QuietHandler(MotoRequestHandler):
            def log(self, type: str, message: str, *args: Any) -> None:
                """The request log never reaches the terminal."""

        self.faults = FaultInjector(
            DomainDispatcherApplication(create_backend_app), clock=clock or _SystemClock()
        )
        self._server = make_server(
            "127.0.0.1", 0, self.faults, threaded=True, request_handler=QuietHandler
        )
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> InProcessEndpoint:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def reset(self) -> None:
        """Clear moto's state and every injected fault."""
        import urllib.request

        self.faults.clear()
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass

    def __enter__(self) -> InProcessEndpoint:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


# --- the same endpoint in its own process (benchmarks: its CPU is not the client's) ---------


class EndpointProcess:
    """`InProcessEndpoint` in a child process, with its faults set at start.

    The child answers one command per line on stdin: `counts` (prints the per-action call
    counts as JSON) and `clear` (resets them).
    """

    def __init__(
        self,
        *,
        page_cap_bytes: int | None = None,
        calls_per_s: float | None = None,
        latency_s: float = 0.0,
    ):
        import subprocess
        import sys

        args = [sys.executable, "-m", "flowtui.demo.faults"]
        if page_cap_bytes is not None:
            args += ["--page-cap", str(page_cap_bytes)]
        if calls_per_s is not None:
            args += ["--calls-per-s", str(calls_per_s)]
        if latency_s:
            args += ["--latency", str(latency_s)]
        self._process = subprocess.Popen(
            args,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self._process.stdout is not None
        self.url = self._process.stdout.readline().strip()
        if not self.url.startswith("http"):
            raise RuntimeError("the endpoint process did not start")

    def _ask(self, command: str) -> str:
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.write(command + "\n")
        self._process.stdin.flush()
        return self._process.stdout.readline().strip()

    def counts(self) -> dict[str, int]:
        return dict(json.loads(self._ask("counts")))

    def clear_counts(self) -> None:
        self._ask("clear")

    def stop(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        self._process.wait(timeout=30)

    def __enter__(self) -> EndpointProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _serve(argv: list[str]) -> None:
    import argparse
    import sys

    parser = argparse.ArgumentParser(description="moto behind a fault injector")
    parser.add_argument("--page-cap", type=int, default=None)
    parser.add_argument("--calls-per-s", type=float, default=None)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each answer")
    options = parser.parse_args(argv)
    with InProcessEndpoint() as endpoint:
        endpoint.faults.cap_pages(options.page_cap)
        endpoint.faults.cap_rate(options.calls_per_s)
        endpoint.faults.latency_s = options.latency
        print(endpoint.url, flush=True)
        for line in sys.stdin:
            command = line.strip()
            if command == "counts":
                print(json.dumps(dict(endpoint.faults.counts)), flush=True)
            elif command == "clear":
                endpoint.faults.clear_counts()
                print("ok", flush=True)


# --- synthetic flow-log records for tests and benchmarks ------------------------------------

ACCOUNT = "123456789012"
_MAX_PUT_EVENTS = 10_000


def eni_id(number: int) -> str:
    return f"eni-{number:017x}"


def stream_of(number: int) -> str:
    return f"{eni_id(number)}-all"


def flow_line(rng: random.Random, eni: str, sequence: int, timestamp_ms: int) -> str:
    """A realistic v2 record; `sequence` in the byte count makes every line unique."""
    start = timestamp_ms // 1000
    action = "REJECT" if rng.random() < 0.15 else "ACCEPT"
    return (
        f"2 {ACCOUNT} {eni} 10.0.{rng.randrange(1, 4)}.{rng.randrange(2, 250)} "
        f"{rng.choice(['203.0.113.7', '198.51.100.23', '10.0.2.15'])} "
        f"{rng.randrange(1024, 65535)} {rng.choice([443, 80, 22, 5432, 53])} "
        f"{rng.choice([6, 6, 6, 17, 1])} {rng.randrange(1, 50)} {1000 + sequence} "
        f"{start} {start + 60} {action} OK"
    )


#: (stream, timestamp ms, message)
Event = tuple[str, int, str]


def spread_events(
    *, enis: int, total: int, start_ms: int, end_ms: int, seed: int = 1
) -> list[Event]:
    """`total` unique records spread over `enis` streams and the time range, in random order."""
    rng = random.Random(seed)
    events = []
    for sequence in range(total):
        number = sequence % enis
        timestamp = rng.randrange(start_ms, end_ms + 1)
        line = flow_line(rng, eni_id(number), sequence, timestamp)
        events.append((stream_of(number), timestamp, line))
    return events


def write_events(logs: Any, group: str, events: Iterable[Event], streams: set[str]) -> None:
    """PutLogEvents as AWS requires (moto does not check): per stream, chronological batches of
    at most 10,000 events and 1 MB. Streams not in `streams` are created and added to it."""
    by_stream: dict[str, list[tuple[int, str]]] = {}
    for stream, timestamp, message in events:
        by_stream.setdefault(stream, []).append((timestamp, message))
    for stream, items in by_stream.items():
        if stream not in streams:
            logs.create_log_stream(logGroupName=group, logStreamName=stream)
            streams.add(stream)
        items.sort()
        batch: list[dict[str, Any]] = []
        size = 0
        for timestamp, message in items:
            event_size = len(message.encode()) + _EVENT_OVERHEAD
            if batch and (len(batch) >= _MAX_PUT_EVENTS or size + event_size > ONE_MB):
                logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=batch)
                batch, size = [], 0
            batch.append({"timestamp": timestamp, "message": message})
            size += event_size
        if batch:
            logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=batch)


if __name__ == "__main__":
    import sys

    _serve(sys.argv[1:])
