"""The seam between the app and the data side: plain rows in, a filling store out.

The app never fetches or parses. It asks a `Backend` (implemented by the source wiring) for
lists of groups and streams, for find results, to explain a record against today's network
rules, for where a saved view loads from, and to open a `Feed`: a record store the source
fills from its own threads. Backend methods are called from worker threads and may block;
they raise an exception with a one-line `.message` (the sources' `SourceError`) on failure.

While a feed is open, the source reports through the `FeedReporter` it was given (thread-safe):
API calls, throttling, fetch progress, and what addresses and interfaces belong to.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from flowtui.core.explain.verdict import Verdict
from flowtui.core.query import Query
from flowtui.core.store import RecordStore
from flowtui.core.views import ViewSource
from flowtui.ui.formatting import Ownership


@dataclass(frozen=True, slots=True)
class GroupRow:
    """One log group in the group list."""

    name: str
    is_flow_log: bool = False
    #: One short description per flow-log format delivered here ("default v2", "custom v5").
    formats: tuple[str, ...] = ()
    #: Delivery status of the flow logs writing here: "" unknown, "ok", else the failure.
    delivery: str = ""
    #: Coverage warnings ("ACCEPT-only flow log", "delivery failed: ...").
    warnings: tuple[str, ...] = ()
    stored_bytes: int | None = None
    last_event_ms: int | None = None


@dataclass(frozen=True, slots=True)
class StreamRow:
    """One log stream (normally one ENI) in the stream list."""

    name: str
    eni_id: str | None = None
    name_tag: str = ""
    #: Interface type ("interface", "nat_gateway", "lambda"...).
    kind: str = ""
    instance_id: str = ""
    addresses: tuple[str, ...] = ()
    last_event_ms: int | None = None
    last_ingestion_ms: int | None = None


@dataclass(frozen=True, slots=True)
class FindHit:
    """Where an IP, instance id or Name tag leads; `group` None means no flow log covers it."""

    eni_id: str | None
    description: str
    group: str | None = None
    stream: str | None = None
    #: Why it is not covered (when `group` is None).
    reason: str = ""


@dataclass(frozen=True, slots=True)
class CoverageRow:
    """One ENI in the coverage view, with the flow logs that capture it."""

    eni_id: str
    vpc: str
    subnet: str
    label: str
    covered_by: tuple[str, ...]
    #: "all", "accept-only", "reject-only", "not-delivering" or "uncovered".
    state: str
    #: What is missed, or None when nothing is.
    warning: str | None
    #: One line per covering flow log: scope, traffic, destination, format, status.
    details: tuple[str, ...] = ()
    #: Where its records are: a delivering flow log's group and the ENI's stream (None: none).
    open_group: str | None = None
    open_stream: str | None = None
    #: The covering flow logs whose delivery fails (AWS says so, or their role cannot deliver).
    failing: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FlowLogRow:
    """One flow log of the region, and what stops being logged if it is deleted."""

    flow_log_id: str
    resource_id: str
    traffic_type: str
    destination: str
    format: str
    status: str
    #: One line per ENI whose capture changes without it ("eni-1 (web-1): all -> uncovered").
    stops: tuple[str, ...] = ()
    #: What the change form starts from (None/"" when not known).
    log_group: str | None = None
    role_arn: str | None = None
    #: The format as AWS stores it ("" for an unreadable one).
    format_text: str = ""
    aggregation_s: int | None = None


@dataclass(frozen=True, slots=True)
class FlowLogForm:
    """What the app's create form asks for; the backend checks it before creating anything."""

    resource_id: str
    traffic_type: str
    group: str
    #: The delivery role's ARN, or None with `create_role` naming a role to create.
    role_arn: str | None
    create_role: str | None = None
    #: None: AWS's default format.
    log_format: str | None = None
    max_aggregation_s: int = 600
    #: Retention of a group the backend creates (None: never expire).
    retention_days: int | None = None
    #: The flow log this one replaces (a change: delete and recreate); None for a new one.
    replaces: str | None = None


@dataclass(frozen=True, slots=True)
class CheckRow:
    """One line of the doctor: a capability or a flow log, and what failing it blocks."""

    key: str
    #: "ok", "FAIL" or "cannot tell".
    status: str
    name: str
    action: str
    blocks: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class FeedStatus:
    """What the source reports about an open feed, for the status bar."""

    api_calls: int = 0
    throttled: bool = False
    reconnecting: bool = False
    fetching: bool = False
    #: Fetch progress from 0 to 1 while fetching, None when unknown.
    progress: float | None = None
    #: One line worth showing ("waiting 2 s after throttling", the last error); may be "".
    detail: str = ""
    #: Whether part of the filter was sent to the source ("push-down"), for the status bar.
    pushdown: str = ""
    #: While fetching: events, pages and bytes received so far, and the time probably left.
    fetched: int = 0
    pages: int = 0
    bytes: int = 0
    eta_s: float | None = None


@dataclass(frozen=True, slots=True)
class FetchEstimate:
    """The source's guess at a fetch's size; `large` asks the user before fetching."""

    events: int | None
    large: bool
    text: str


@dataclass(frozen=True, eq=False)
class Feed:
    """A store being filled by a source; compared by identity."""

    store: RecordStore
    source_name: str
    ownership: Ownership = field(default_factory=Ownership)


class FeedReporter(Protocol):
    """How a source talks back about an open feed; every method is safe from any thread."""

    def status(self, status: FeedStatus) -> None: ...

    def ownership(self, ownership: Ownership) -> None: ...

    def error(self, message: str) -> None: ...


class Backend(Protocol):
    @property
    def source_name(self) -> str:
        """Where the records come from, for people ("https://... eu-west-1")."""
        ...

    def list_groups(self) -> Sequence[GroupRow]: ...

    def list_streams(self, group: str) -> Sequence[StreamRow]: ...

    def find(self, text: str) -> Sequence[FindHit]: ...

    def estimate(self, query: Query) -> FetchEstimate | None:
        """The expected size of fetching `query` (None: no idea, just fetch)."""
        ...

    def open(self, query: Query, reporter: FeedReporter) -> Feed:
        """Start fetching `query` into a new store and return at once."""
        ...

    def refetch(self, feed: Feed, query: Query) -> None:
        """Clear the feed's store and fetch `query` (a new time range, or the same again)."""
        ...

    def fetch_more(self, feed: Feed, query: Query) -> None:
        """Fetch `query` (an earlier time slice) into the feed without clearing it."""
        ...

    def filter_applied(self, feed: Feed, query: Query) -> None:
        """The explorer applied `query.filter_text`: refetch if the loaded rows were narrowed
        by an earlier push-down that the new filter does not stay within."""
        ...

    def set_follow(self, feed: Feed, follow: bool) -> None:
        """Start or stop tailing new events into the feed."""
        ...

    def cancel_fetch(self, feed: Feed) -> bool:
        """Stop the feed's running load, keeping what arrived; False when none was running."""
        ...

    def close(self, feed: Feed) -> None:
        """The explorer showing the feed was closed: stop its fetches."""
        ...

    def explain(self, record: Mapping[str, object], refresh: bool = False) -> Verdict:
        """Which network ACL rule or security group decides `record` under today's rules.

        `record` holds the fields of the record's own format (AWS names; IPv4 addresses as
        integers with their '<field>_v6' companions). `refresh` reads the rules again instead
        of from the cache.
        """
        ...

    def view_source(self, group: str, streams: Sequence[str]) -> ViewSource:
        """Where a saved view of `group` should load from again (never credentials)."""
        ...

    def coverage(self) -> Sequence[CoverageRow]:
        """Every ENI of the region's VPCs with the flow logs that capture it."""
        ...

    def doctor(self) -> Sequence[CheckRow]:
        """What the credentials can do here, then each flow log's delivery."""
        ...

    def flow_logs(self) -> Sequence[FlowLogRow]:
        """Every flow log of the region, with what deleting each would stop logging."""
        ...

    def delete_flow_log(self, flow_log_id: str) -> str:
        """Delete one flow log; returns one line saying so."""
        ...

    def create_flow_log(self, form: FlowLogForm) -> str:
        """Check the form (resource, group, format, role), create what it asks; returns one
        line saying what was created. Nothing is changed when a check fails."""
        ...

    def plan_flow_log(self, form: FlowLogForm) -> str:
        """Check the form as `create_flow_log` / `change_flow_log` will, change nothing, and
        return what they will do: the text `flowtui flowlogs create|change --dry-run` prints
        (settings, before/after, role JSON, AWS CLI commands)."""
        ...

    def change_flow_log(self, form: FlowLogForm) -> str:
        """Replace `form.replaces` by the flow log the form describes (delete and recreate,
        as `flowtui flowlogs change` does); returns one line saying what was done."""
        ...


def error_text(error: BaseException) -> str:
    """The one line to show for a backend failure."""
    message = getattr(error, "message", None)
    return message if isinstance(message, str) and message else f"{type(error).__name__}: {error}"
