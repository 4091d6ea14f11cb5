"""Pages of log events decoded straight from the response body, skipping botocore's parser.

botocore parses every response by walking the operation's output shape member by member: for
a page of 10,000 events that is ~60,000 `_parse_shape` calls and a stdlib JSON decode, most of
a fetch's client CPU. For the calls that carry events (FilterLogEvents, GetLogEvents) botocore
still signs, sends, resolves endpoints and credentials and turns errors into `ClientError`, but
a successful page's body is decoded here with orjson into columns (`PageColumns`): a handler on
botocore's `before-parse.cloudwatch-logs.<Operation>` event takes the body, stores the columns
under `PAGE_KEY` of the parsed response, and leaves botocore an empty body to parse. The raw
bytes are released when the call returns; no per-event dict outlives the decode.

Only calls made inside `raw_page_call` are decoded this way (a thread-local switch): every other
caller of the same client gets botocore's usual dicts. Error responses (status >= 300), bodies
that are not JSON, and responses that never reach the parser (the botocore Stubber in tests)
take botocore's usual path; `page_columns` turns such a parsed dict into the same columns.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson

T = TypeVar("T")

#: Where the decoded columns appear in the response dict the client call returns.
PAGE_KEY = "FlowtuiPage"
_OPERATIONS = ("FilterLogEvents", "GetLogEvents")
_HANDLER_ID = "flowtui-raw-pages"

_switch = threading.local()


@dataclass(slots=True)
class PageColumns:
    """One page of events as columns, with its paging tokens and its body size."""

    messages: list[str]
    timestamps: list[int]
    ingestion_times: list[int]
    #: FilterLogEvents: each event's stream; GetLogEvents pages have none (one stream).
    streams: list[str] | None
    #: FilterLogEvents: CloudWatch event ids; GetLogEvents returns none.
    event_ids: list[str] | None
    next_token: str | None
    next_forward_token: str | None
    #: Bytes of the response body (0 when it was parsed by botocore).
    body_bytes: int = 0

    def __len__(self) -> int:
        return len(self.messages)


def page_columns(page: Mapping[str, Any], body_bytes: int = 0) -> PageColumns:
    """The columns of a decoded FilterLogEvents or GetLogEvents response."""
    events: list[dict[str, Any]] = page.get("events") or []
    has_streams = bool(events) and "logStreamName" in events[0]
    streams: list[str] | None = None
    if has_streams:
        # One str object per distinct stream, not one per event.
        names: dict[str, str] = {}
        streams = [names.setdefault(s, s) for s in (e.get("logStreamName", "") for e in events)]
    has_ids = bool(events) and "eventId" in events[0]
    return PageColumns(
        messages=[e.get("message", "") for e in events],
        timestamps=[e.get("timestamp", 0) for e in events],
        ingestion_times=[e.get("ingestionTime", 0) for e in events],
        streams=streams,
        event_ids=[e.get("eventId", "") for e in events] if has_ids else None,
        next_token=page.get("nextToken"),
        next_forward_token=page.get("nextForwardToken"),
        body_bytes=body_bytes,
    )


def raw_page_call(client: Any, fn: Callable[[], Mapping[str, Any]]) -> PageColumns:
    """Call `fn` (an event-carrying operation of `client`) and return its page as columns."""
    _install(client)
    previous = getattr(_switch, "active", False)
    _switch.active = True
    try:
        response = fn()
    finally:
        _switch.active = previous
    decoded = response.get(PAGE_KEY)
    if isinstance(decoded, PageColumns):
        return decoded
    return page_columns(response)


def _install(client: Any) -> None:
    events = client.meta.events
    service = client.meta.service_model.service_id.hyphenize()
    for operation in _OPERATIONS:
        # A unique id makes this idempotent: botocore ignores a second registration.
        events.register(
            f"before-parse.{service}.{operation}",
            _decode_body,
            unique_id=f"{_HANDLER_ID}-{operation}",
        )


def _decode_body(
    operation_model: Any,
    response_dict: dict[str, Any],
    customized_response_dict: dict[str, Any],
    **_: Any,
) -> None:
    """botocore's before-parse hook: decode a successful page and leave an empty body."""
    if not getattr(_switch, "active", False) or response_dict.get("status_code", 500) >= 300:
        return
    if operation_model.service_model.resolved_protocol != "json":
        return
    body = response_dict.get("body")
    if not isinstance(body, bytes | bytearray) or not body:
        return
    try:
        page = orjson.loads(body)
    except orjson.JSONDecodeError:
        return  # botocore parses it and reports what it can
    if not isinstance(page, dict):
        return
    customized_response_dict[PAGE_KEY] = page_columns(page, len(body))
    del page
    response_dict["body"] = b""
