"""The app's backend for CloudWatch Logs: sources' data turned into the rows the screens show.

No fetching or parsing happens here: listing, finding and estimating call the sources, and an
open explorer is a `LiveFeed` (flowtui/sources/feeds.py) filling a record store. This module
only translates between the two sides and keeps which feed belongs to which explorer.
"""

from __future__ import annotations

import argparse
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace

from flowtui.core.config import Settings
from flowtui.core.explain.verdict import Verdict
from flowtui.core.filter.parser import parse_filter
from flowtui.core.filter.syntax import FilterError
from flowtui.core.formats import LogFormat
from flowtui.core.insights.values import EngineChoice, auto_engine
from flowtui.core.pushdown import pattern_within, to_filter_pattern
from flowtui.core.query import Query, TimeRangeError, check_time_range
from flowtui.core.store import RecordStore
from flowtui.core.views import ViewSource
from flowtui.sources.aws import (
    AwsConnection,
    ConnectionOptions,
    SourceError,
    connect,
    is_custom_endpoint,
)
from flowtui.sources.coverage import group_notices
from flowtui.sources.ec2 import shared_lookups
from flowtui.sources.ec2_resources import EniInfo
from flowtui.sources.feeds import FeedState, LiveFeed
from flowtui.sources.fetch_estimate import estimate_fetch
from flowtui.sources.find import find
from flowtui.sources.flowlogs import delete_flow_log
from flowtui.sources.insights import slots_for
from flowtui.sources.log_groups import (
    LogGroupInfo,
    StreamInfo,
    list_log_groups,
    list_streams,
)
from flowtui.sources.network import explain_row
from flowtui.sources.ratelimit import RateLimiter, limiter_for
from flowtui.ui.backend import (
    CheckRow,
    CoverageRow,
    Feed,
    FeedReporter,
    FeedStatus,
    FetchEstimate,
    FindHit,
    FlowLogForm,
    FlowLogRow,
    GroupRow,
    StreamRow,
)
from flowtui.ui.flowlog_rows import (
    change_from_form,
    coverage_rows,
    create_from_form,
    doctor_rows,
    flow_log_rows,
    plan_from_form,
)
from flowtui.ui.formatting import Ownership
from flowtui.ui.insights_engine import InsightsEngine, InsightsScope

#: Above this many events (estimated) the app asks before fetching.
LARGE_FETCH_EVENTS = 500_000
#: Until AWS (or the endpoint) has answered once, an unreachable endpoint is given up on after
#: this long (a mistyped --endpoint-url is said in seconds, not after a minute of spinner);
#: once it has answered, an outage is ridden out this long, reconnecting.
FIRST_CONTACT_PATIENCE_S = 10.0
LIVE_PATIENCE_S = 60.0


class CloudWatchBackend:
    """Backend over one AWS connection (an account and region, or the demo endpoint)."""

    def __init__(self, conn: AwsConnection, limiter: RateLimiter, settings: Settings) -> None:
        self.conn = conn
        self.limiter = limiter
        self.settings = settings
        self.lookups = shared_lookups(conn, limiter)
        self._groups: dict[str, LogGroupInfo] = {}
        self._streams: dict[str, list[StreamInfo]] = {}
        self._feeds: dict[Feed, LiveFeed] = {}
        #: The filter pattern each feed's rows were fetched with (None: everything).
        self._patterns: dict[Feed, str | None] = {}
        #: What the status bar says about push-down, per feed.
        self._pushdown_notes: dict[Feed, str] = {}
        #: The last estimate made (the app estimates right before opening): its query and
        #: event count, for the time left while that query loads.
        self._last_estimate: tuple[Query, int] | None = None
        self._lock = threading.Lock()
        self._answered = False
        limiter.set_patience(FIRST_CONTACT_PATIENCE_S, per_outage=True)

    def _reached(self) -> None:
        """The endpoint answered: from now on outages are ridden out, not given up on."""
        if not self._answered:
            self._answered = True
            self.limiter.set_patience(LIVE_PATIENCE_S)

    @property
    def source_name(self) -> str:
        where = self.conn.endpoint_url or self.conn.profile or "default credentials"
        return f"{where} {self.conn.region}"

    # --- lists -----------------------------------------------------------------------------

    def list_groups(self) -> Sequence[GroupRow]:
        groups = list_log_groups(self.conn, self.limiter, lookups=self.lookups)
        self._reached()
        with self._lock:
            self._groups = {group.name: group for group in groups}
        return [_group_row(group) for group in groups]

    def list_streams(self, group: str) -> Sequence[StreamRow]:
        streams = list_streams(self.conn, self.limiter, group)
        self._reached()
        with self._lock:
            self._streams[group] = streams
        return [_stream_row(stream) for stream in streams]

    def find(self, text: str) -> Sequence[FindHit]:
        groups = [name for name, info in self._groups.items() if info.flow_logs] or [
            group.name for group in list_log_groups(self.conn, self.limiter) if group.flow_logs
        ]
        hits: list[FindHit] = []
        for result in find(self.conn, self.limiter, text, groups=groups, lookups=self.lookups):
            description = f"{result.eni.label} (matched by {result.matched_by})"
            if not result.streams:
                hits.append(FindHit(result.eni.id, description, reason=result.coverage))
            for location in result.streams:
                hits.append(FindHit(result.eni.id, description, location.group, location.stream))
        return hits

    def estimate(self, query: Query) -> FetchEstimate | None:
        estimate = estimate_fetch(
            self.conn, self.limiter, query, streams=self._known_streams(query)
        )
        if estimate.events is not None:
            self._reached()
            self._last_estimate = (query, estimate.events)
        large = estimate.events is not None and estimate.events > LARGE_FETCH_EVENTS
        return FetchEstimate(estimate.events, large, estimate.summary())

    def insights_engine(self, query: Query) -> InsightsEngine:
        """The stats view's Insights engine over what `query` loads."""
        scope = InsightsScope(
            group=query.group,
            formats=lambda: self._formats(query.group) or (),
            streams=tuple(query.streams),
            time_range=query.time_range,
        )
        slots_for(self.conn).set_limit(self.settings.insights_max_queries)
        return InsightsEngine(
            self.conn,
            self.limiter,
            scope,
            confirm_above_usd=self.settings.insights_confirm_usd,
        )

    def engine_choice(self, query: Query, feed: Feed) -> EngineChoice:
        """`auto` for the stats view and value counts: Insights when the feed's store is full
        (it dropped records, or will: the range does not fit) or the range is estimated above
        the row cap."""
        estimated = self._last_estimate
        same = estimated is not None and (estimated[0].group, estimated[0].time_range) == (
            query.group,
            query.time_range,
        )
        events = estimated[1] if estimated is not None and same else None
        return auto_engine(
            estimated_records=events,
            row_cap=self.settings.row_cap,
            loaded=feed.store.evicted_rows == 0 and feed.store.row_count < self.settings.row_cap,
        )

    def _known_streams(self, query: Query) -> list[StreamInfo] | None:
        streams = self._streams.get(query.group)
        if streams is None or not query.streams:
            return streams
        return [stream for stream in streams if stream.name in query.streams]

    # --- feeds -----------------------------------------------------------------------------

    def open(self, query: Query, reporter: FeedReporter) -> Feed:
        self._within_retention(query)  # a range that can hold no record opens nothing
        formats = self._formats(query.group)
        store = RecordStore(row_cap=self.settings.row_cap)
        feed = Feed(store, f"{query.group} @ {self.source_name}")
        live = LiveFeed(
            self.conn,
            self.limiter,
            store,
            formats,
            on_state=lambda state: reporter.status(_status(state, self._pushdown_text(feed))),
            on_error=reporter.error,
            lookback_s=self.settings.lookback_minutes * 60,
        )
        with self._lock:
            self._feeds[feed] = live
        self._load(feed, query, clear=False)
        threading.Thread(
            target=self._report_ownership, args=(query.group, reporter), daemon=True
        ).start()
        return feed

    def refetch(self, feed: Feed, query: Query) -> None:
        self._load(feed, query, clear=True)

    def fetch_more(self, feed: Feed, query: Query) -> None:
        self._load(feed, query, clear=False)

    def filter_applied(self, feed: Feed, query: Query) -> None:
        """Narrowing works on the loaded rows; a filter that widens past what an earlier
        push-down loaded refetches the time range (with the new pattern)."""
        with self._lock:
            loaded = self._patterns.get(feed)
        wanted = self._pushdown(query)[0].pushdown_pattern
        if not pattern_within(wanted, loaded):
            self._load(feed, query, clear=True)

    def _load(self, feed: Feed, query: Query, *, clear: bool) -> None:
        estimated = self._last_estimate
        expected = estimated[1] if estimated is not None and estimated[0] == query else None
        query = self._within_retention(query)
        pushed, note = self._pushdown(query)
        with self._lock:
            live = self._feeds[feed]
            # More rows ("load earlier") keep the loaded pattern: they are fetched with it.
            if clear or feed not in self._patterns:
                self._patterns[feed] = pushed.pushdown_pattern
                self._pushdown_notes[feed] = note
            else:
                pushed = replace(pushed, pushdown_pattern=self._patterns[feed])
        live.load(pushed, clear=clear, expected_events=expected)

    def _within_retention(self, query: Query) -> Query:
        """The query's range narrowed to what the group can hold (its retention, its creation):
        nothing older exists, so nothing is lost, and CloudWatch is never asked for a start it
        refuses. SourceError (one line) when no record can be in the range."""
        info = self._groups.get(query.group)
        try:
            checked = check_time_range(
                query.time_range,
                int(time.time() * 1000),
                retention_days=info.retention_days if info else None,
                created_ms=info.creation_time_ms if info else None,
            )
        except TimeRangeError as error:
            raise SourceError(f"nothing loaded: {error}") from None
        return replace(query, time_range=checked.time_range)

    def _pushdown_text(self, feed: Feed) -> str:
        return self._pushdown_notes.get(feed, "")

    def set_follow(self, feed: Feed, follow: bool) -> None:
        self._feeds[feed].follow(follow)

    def cancel_fetch(self, feed: Feed) -> bool:
        with self._lock:
            live = self._feeds.get(feed)
        return live is not None and live.cancel_fetch()

    def close(self, feed: Feed) -> None:
        with self._lock:
            live = self._feeds.pop(feed, None)
            self._patterns.pop(feed, None)
            self._pushdown_notes.pop(feed, None)
        if live is not None:
            live.close()

    # --- explain and saved views -----------------------------------------------------------

    def explain(self, record: Mapping[str, object], refresh: bool = False) -> Verdict:
        return explain_row(self.lookups, record, refresh=refresh)

    def view_source(self, group: str, streams: Sequence[str]) -> ViewSource:
        """Profile, region and a custom endpoint: what `--view` needs to connect again."""
        endpoint = self.conn.endpoint_url
        return ViewSource(
            log_group=group,
            profile=self.conn.profile,
            region=self.conn.region,
            endpoint_url=endpoint if is_custom_endpoint(endpoint, "logs") else None,
            streams=tuple(streams),
        )

    def coverage(self) -> Sequence[CoverageRow]:
        return coverage_rows(self.conn, self.limiter)

    def doctor(self) -> Sequence[CheckRow]:
        return doctor_rows(self.conn, self.limiter)

    def create_flow_log(self, form: FlowLogForm) -> str:
        return create_from_form(self.conn, self.limiter, form)

    def plan_flow_log(self, form: FlowLogForm) -> str:
        return plan_from_form(self.conn, self.limiter, form)

    def change_flow_log(self, form: FlowLogForm) -> str:
        return change_from_form(self.conn, self.limiter, form)

    def flow_logs(self) -> Sequence[FlowLogRow]:
        return flow_log_rows(self.conn, self.limiter)

    def delete_flow_log(self, flow_log_id: str) -> str:
        delete_flow_log(self.conn, self.limiter, flow_log_id)
        return f"deleted flow log {flow_log_id}"

    # --- helpers ---------------------------------------------------------------------------

    def _formats(self, group: str) -> list[LogFormat] | None:
        info = self._groups.get(group)
        if info is not None and info.formats:
            return list(info.formats)
        return list(self.lookups.formats_for_group(group)) or None

    def _pushdown(self, query: Query) -> tuple[Query, str]:
        """The query with the part of its filter CloudWatch can evaluate (a superset of the
        matching records; the whole filter is applied again locally), and a status note."""
        formats = self._formats(query.group)
        plain = replace(query, pushdown_pattern=None)
        if not query.filter_text:
            return plain, ""
        if not formats:
            return plain, "no push-down: the group's formats are unknown"
        try:
            ast = parse_filter(query.filter_text)
            result = to_filter_pattern(ast, formats, now_s=int(time.time()))
        except FilterError:
            return plain, ""
        if result.pattern is None:
            why = result.dropped[0] if result.dropped else "nothing in the filter can be sent"
            return plain, f"no push-down: {why}"
        exactly = "exact" if result.exact else "superset"
        return replace(query, pushdown_pattern=result.pattern), f"push-down: on ({exactly})"

    def _report_ownership(self, group: str, reporter: FeedReporter) -> None:
        """What each address and ENI belongs to: the group's own ENIs first (from its streams),
        then every ENI of the account (one cached EC2 listing, shared with `find`), since the
        records name addresses of interfaces whose flow logs go to other groups."""
        addresses: dict[str, str] = {}
        interfaces: dict[str, str] = {}
        try:
            streams = self._streams.get(group) or list_streams(self.conn, self.limiter, group)
        except SourceError:
            streams = []
        _add_owners([s.eni for s in streams if s.eni is not None], addresses, interfaces)
        if interfaces:
            reporter.ownership(Ownership(addresses=dict(addresses), interfaces=dict(interfaces)))
        try:
            account = self.lookups.all_interfaces()
        except SourceError:
            return
        others = [eni for eni in account if eni.id not in interfaces]
        if _add_owners(others, addresses, interfaces) or not streams:
            reporter.ownership(Ownership(addresses=addresses, interfaces=interfaces))


def _add_owners(
    enis: Sequence[EniInfo], addresses: dict[str, str], interfaces: dict[str, str]
) -> bool:
    """Label each known ENI and its addresses (kept labels win); whether any was added."""
    added = False
    for eni in enis:
        if not eni.known or eni.id in interfaces:
            continue
        short = _short_label(eni)
        interfaces[eni.id] = short
        added = True
        for address in (*eni.private_ips, *eni.ipv6_ips):
            addresses.setdefault(address, short)
        if eni.public_ip:
            addresses.setdefault(eni.public_ip, f"{short} (public)")
    return added


def _short_label(eni: EniInfo) -> str:
    return eni.instance_name or eni.name_tag or eni.description or eni.interface_type or eni.id


def _group_row(group: LogGroupInfo) -> GroupRow:
    statuses = {f.delivery_status for f in group.flow_logs if f.delivery_status}
    delivery = (
        "ok"
        if statuses == {"SUCCESS"}
        else ", ".join(
            f"{f.id}: {f.delivery_error or f.delivery_status}"
            for f in group.flow_logs
            if f.delivery_status and f.delivery_status != "SUCCESS"
        )
    )
    return GroupRow(
        name=group.name,
        is_flow_log=group.receives_flow_logs,
        formats=tuple(fmt.summary() for fmt in group.formats),
        delivery=delivery,
        warnings=tuple(notice.message for notice in group_notices(group)),
    )


def _stream_row(stream: StreamInfo) -> StreamRow:
    eni = stream.eni
    if eni is None:
        return StreamRow(
            stream.name,
            stream.eni_id,
            last_event_ms=stream.last_event_ms,
            last_ingestion_ms=stream.last_ingestion_ms,
        )
    return StreamRow(
        name=stream.name,
        eni_id=stream.eni_id,
        name_tag=eni.instance_name or eni.name_tag or eni.description,
        kind=eni.interface_type,
        instance_id=eni.instance_id or "",
        addresses=(*eni.private_ips, *eni.ipv6_ips),
        last_event_ms=stream.last_event_ms,
        last_ingestion_ms=stream.last_ingestion_ms,
    )


def _status(state: FeedState, pushdown: str) -> FeedStatus:
    return FeedStatus(
        pushdown=pushdown,
        api_calls=state.calls,
        throttled=state.throttled,
        reconnecting=state.reconnecting,
        fetching=state.fetching,
        progress=state.progress if state.fetching else None,
        detail=state.detail,
        fetched=state.fetched if state.fetching else 0,
        pages=state.pages if state.fetching else 0,
        bytes=state.bytes if state.fetching else 0,
        eta_s=state.eta_s if state.fetching else None,
    )


def create_backend(args: argparse.Namespace, settings: Settings) -> CloudWatchBackend:
    """Connect before the app starts, so credential prompts and errors stay in the terminal."""
    options = ConnectionOptions(
        profile=getattr(args, "profile", None),
        region=getattr(args, "region", None),
        endpoint_url=getattr(args, "endpoint_url", None),
    )
    conn = connect(options)
    limiter = limiter_for(conn)
    budget = getattr(args, "rate_budget", None) or settings.rate_budget
    if budget:
        limiter.set_budget(budget)
    return CloudWatchBackend(conn, limiter, settings)


__all__ = ["CloudWatchBackend", "SourceError", "create_backend"]
