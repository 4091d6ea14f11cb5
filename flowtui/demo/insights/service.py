"""Logs Insights on the demo endpoint: StartQuery, GetQueryResults, StopQuery, DescribeQueries.

moto 5.2.5 runs a query synchronously, understands only `fields`, `sort` and `limit`, has no
StopQuery and no statistics. `install()` replaces its four handlers (in the process that serves
moto) with these, which evaluate the query (`flowtui.demo.insights.evaluate`) over the events
moto stores, with the behaviours of CloudWatch Logs Insights that a client must handle:

- status: `Scheduled` until the first poll, then `Running` while the events are scanned one
  chunk per GetQueryResults (partial results and growing statistics each time), then
  `Complete`; a query nobody polled for `idle_finish_s` finishes by itself on its next poll;
- statistics: `recordsScanned`, `recordsMatched`, `bytesScanned` (the events' message bytes);
- at most 50 log groups per query, StartQuery's time range in epoch seconds, inclusive;
- the result row cap (the `limit` parameter, at most 10,000 rows);
- a concurrency limit per account and region: StartQuery over it raises
  LimitExceededException;
- StopQuery of a running query makes it `Cancelled` (its partial results stay readable);
  of a finished one, an InvalidParameterException;
- a query that does not parse is a MalformedQueryException from StartQuery.

Knobs (`settings`) come from `FLOWTUI_DEMO_INSIGHTS_MAX_CONCURRENT` and
`FLOWTUI_DEMO_INSIGHTS_SCAN_STEPS` in the serving process, or `configure()` in-process.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import orjson

from flowtui.demo.insights.evaluate import LogEvent, Run
from flowtui.demo.insights.language import MalformedQueryError, parse_query

MAX_GROUPS = 50
ACTIVE = ("Scheduled", "Running")


@dataclass
class InsightsSettings:
    #: Queries that may be Scheduled or Running at once per account and region.
    max_concurrent: int = 30
    #: GetQueryResults polls that scan the events: results are partial before the last one.
    scan_steps: int = 3
    #: A query not polled for this long is no longer counted as running.
    idle_finish_s: float = 30.0
    #: A poll answers after scanning at most this long, so partial results come quickly.
    poll_budget_s: float = 0.5


def _from_environment() -> InsightsSettings:
    settings = InsightsSettings()
    if value := os.environ.get("FLOWTUI_DEMO_INSIGHTS_MAX_CONCURRENT"):
        settings.max_concurrent = max(1, int(value))
    if value := os.environ.get("FLOWTUI_DEMO_INSIGHTS_SCAN_STEPS"):
        settings.scan_steps = max(1, int(value))
    return settings


settings = _from_environment()


def configure(
    *,
    max_concurrent: int | None = None,
    scan_steps: int | None = None,
    idle_finish_s: float | None = None,
) -> None:
    """Change the knobs of the endpoint served in this process."""
    if max_concurrent is not None:
        settings.max_concurrent = max_concurrent
    if scan_steps is not None:
        settings.scan_steps = scan_steps
    if idle_finish_s is not None:
        settings.idle_finish_s = idle_finish_s


@dataclass
class _Query:
    query_id: str
    query_string: str
    groups: list[str]
    created_ms: int
    run: Run
    #: The events in the range, as moto keeps them: converted chunk by chunk while scanning,
    #: so StartQuery answers at once even over hundreds of thousands of events.
    events: list[tuple[str, str, int, Any]]
    account: str
    status: str = "Scheduled"
    position: int = 0
    polls: int = 0
    last_touched: float = field(default_factory=time.monotonic)

    @property
    def chunk(self) -> int:
        return max(1, -(-len(self.events) // max(1, settings.scan_steps)))

    def idle(self, now: float) -> bool:
        return now - self.last_touched > settings.idle_finish_s

    def advance(self) -> None:
        """One poll: scan the next chunk (all of it when the query sat idle)."""
        now = time.monotonic()
        was_idle = self.idle(now)
        self.last_touched = now
        self.polls += 1
        if self.status not in ACTIVE:
            return
        if self.status == "Scheduled" and self.polls == 1 and not was_idle:
            return  # the first poll sees it queued
        self.status = "Running"
        end = len(self.events) if was_idle else min(len(self.events), self.position + self.chunk)
        deadline = None if was_idle else time.monotonic() + settings.poll_budget_s
        while self.position < end:
            piece = min(end, self.position + 2000)
            self.run.scan(self._converted(self.position, piece))
            self.position = piece
            if deadline is not None and time.monotonic() > deadline:
                break
        if self.position >= len(self.events):
            self.status = "Complete"

    def _converted(self, first: int, end: int) -> list[LogEvent]:
        return [
            LogEvent(
                timestamp_ms=event.timestamp,
                ingestion_ms=event.ingestion_time,
                message=event.message,
                stream=stream,
                group=group,
                account=self.account,
                pointer=f"{group}/{stream}/{index}",
            )
            for group, stream, index, event in self.events[first:end]
        ]

    def statistics(self) -> dict[str, float]:
        return {
            "recordsMatched": float(self.run.records_matched),
            "recordsScanned": float(self.run.records_scanned),
            "estimatedRecordsSkipped": 0.0,
            "bytesScanned": float(self.run.bytes_scanned),
            "estimatedBytesSkipped": 0.0,
            "logGroupsScanned": float(len(self.groups)),
        }


@dataclass
class _State:
    lock: threading.Lock = field(default_factory=threading.Lock)
    queries: dict[str, _Query] = field(default_factory=dict)

    def active(self) -> int:
        now = time.monotonic()
        return sum(1 for q in self.queries.values() if q.status in ACTIVE and not q.idle(now))


def _error(code: str, message: str) -> Exception:
    from moto.core.exceptions import JsonRESTError

    return JsonRESTError(code, message)


def _state(response: Any) -> _State:
    backend = response.logs_backend
    state = backend.__dict__.get("_flowtui_insights")
    if state is None:
        state = backend.__dict__.setdefault("_flowtui_insights", _State())
    assert isinstance(state, _State)
    return state


def _group_names(response: Any) -> list[str]:
    name = response._get_param("logGroupName")
    names = response._get_param("logGroupNames") or []
    identifiers = response._get_param("logGroupIdentifiers") or []
    if sum(1 for given in (name, names, identifiers) if given) != 1:
        raise _error(
            "InvalidParameterException",
            "Specify exactly one of logGroupName, logGroupNames and logGroupIdentifiers",
        )
    chosen = [name] if name else list(names or identifiers)
    if len(chosen) > MAX_GROUPS:
        raise _error(
            "InvalidParameterException", f"A query can search at most {MAX_GROUPS} log groups"
        )
    # An identifier may be an ARN: arn:aws:logs:REGION:ACCOUNT:log-group:NAME[:*]
    return [
        item.split(":log-group:", 1)[1].removesuffix(":*") if ":log-group:" in item else item
        for item in chosen
    ]


def _events(
    response: Any, groups: list[str], start_s: int, end_s: int
) -> list[tuple[str, str, int, Any]]:
    """(group, stream, index, moto's event) of every event in the range, in no particular
    order: Insights scans streams in parallel, so partial results come from anywhere."""
    backend = response.logs_backend
    first_ms, last_ms = start_s * 1000, end_s * 1000 + 999  # both ends inclusive, in seconds
    found: list[tuple[str, str, int, Any]] = []
    for group_name in groups:
        group = backend.groups.get(group_name)
        if group is None:
            raise _error("ResourceNotFoundException", "The specified log group does not exist.")
        for stream_name, stream in group.streams.items():
            found.extend(
                (group_name, stream_name, index, event)
                for index, event in enumerate(stream.events)
                if first_ms <= event.timestamp <= last_ms
            )
    return found


def start_query(response: Any) -> str:
    groups = _group_names(response)
    query_string = response._get_param("queryString") or ""
    start_s = response._get_int_param("startTime")
    end_s = response._get_int_param("endTime")
    if start_s is None or end_s is None or end_s < start_s:
        raise _error("InvalidParameterException", "endTime must not be before startTime")
    try:
        parsed = parse_query(query_string)
        run = Run(parsed, response._get_int_param("limit"))
    except MalformedQueryError as error:
        raise _error("MalformedQueryException", str(error)) from None
    state = _state(response)
    with state.lock:
        if state.active() >= settings.max_concurrent:
            raise _error(
                "LimitExceededException",
                f"Account maximum query concurrency limit of [{settings.max_concurrent}] reached.",
            )
        query = _Query(
            query_id=str(uuid.uuid4()),
            query_string=query_string,
            groups=groups,
            created_ms=int(time.time() * 1000),
            run=run,
            events=_events(response, groups, start_s, end_s),
            account=response.current_account,
        )
        state.queries[query.query_id] = query
    return orjson.dumps({"queryId": query.query_id}).decode()


def _query(state: _State, response: Any) -> _Query:
    query = state.queries.get(response._get_param("queryId") or "")
    if query is None:
        raise _error("ResourceNotFoundException", "The specified query does not exist.")
    return query


def get_query_results(response: Any) -> str:
    state = _state(response)
    with state.lock:
        query = _query(state, response)
        query.advance()
        results = query.run.results() if query.status != "Scheduled" else []
        body = {"results": results, "statistics": query.statistics(), "status": query.status}
    return orjson.dumps(body).decode()


def stop_query(response: Any) -> str:
    state = _state(response)
    with state.lock:
        query = _query(state, response)
        if query.status not in ACTIVE:
            raise _error(
                "InvalidParameterException",
                f"Query {query.query_id} is not running (status {query.status})",
            )
        query.status = "Cancelled"
    return orjson.dumps({"success": True}).decode()


def describe_queries(response: Any) -> str:
    group = response._get_param("logGroupName")
    status = response._get_param("status")
    state = _state(response)
    with state.lock:
        listed = [
            {
                "queryId": query.query_id,
                "queryString": query.query_string,
                "status": query.status,
                "createTime": query.created_ms,
                "logGroupName": query.groups[0],
            }
            for query in state.queries.values()
            if (not group or group in query.groups) and (not status or query.status == status)
        ]
    listed.sort(key=lambda item: int(str(item["createTime"])), reverse=True)
    return orjson.dumps({"queries": listed}).decode()


def install() -> None:
    """Serve these four actions instead of moto's, in this process; idempotent."""
    from moto.logs.responses import LogsResponse

    patched: Any = LogsResponse
    patched.start_query = start_query
    patched.get_query_results = get_query_results
    patched.stop_query = stop_query
    patched.describe_queries = describe_queries
