"""CloudWatch Logs groups and their streams (one per ENI): listing, resolving, naming.

Lists log groups with the flow logs that deliver to each, and a group's streams with the ENI
each belongs to (through the shared EC2 lookups). `resolve_group` turns a name or an ARN into
the `GroupRef` that requests name the group by; fetching events from it is
`flowtui.sources.fetch`.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING

from flowtui.core.formats import LogFormat
from flowtui.sources.aws import AwsConnection
from flowtui.sources.ec2 import Ec2Lookups, shared_lookups
from flowtui.sources.ec2_resources import EniInfo, FlowLogInfo, distinct_formats
from flowtui.sources.ratelimit import RateLimiter

if TYPE_CHECKING:
    from mypy_boto3_logs.type_defs import (
        DescribeLogGroupsRequestTypeDef,
        DescribeLogGroupsResponseTypeDef,
        DescribeLogStreamsRequestTypeDef,
        DescribeLogStreamsResponseTypeDef,
        FilterLogEventsRequestTypeDef,
        GetLogEventsRequestTypeDef,
        LogGroupTypeDef,
        LogStreamTypeDef,
    )

_ENI_PREFIX = re.compile(r"^(eni-[0-9a-f]+)")
_GROUP_ARN = re.compile(
    r"^arn:[\w-]+:logs:[\w-]+:(?P<account>\d{12}):log-group:(?P<name>.+?)(:\*)?$"
)


# --- groups -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LogGroupInfo:
    name: str
    arn: str
    creation_time_ms: int | None
    retention_days: int | None
    #: The flow logs delivering to this group (empty when none or unknown).
    flow_logs: tuple[FlowLogInfo, ...] = ()
    #: False when ec2:DescribeFlowLogs could not be read: formats must be detected.
    flow_logs_known: bool = True

    @property
    def receives_flow_logs(self) -> bool:
        return bool(self.flow_logs)

    @property
    def formats(self) -> tuple[LogFormat, ...]:
        """Every distinct record format delivered to this group, for the parser."""
        return distinct_formats(self.flow_logs)


@dataclass(frozen=True, slots=True)
class GroupRef:
    """How to name a group in requests: by name in this account, by ARN across accounts."""

    name: str
    #: Set only for groups shared from another account (moto resolves ARNs wrongly, and
    #: same-account groups never need one).
    identifier: str | None = None

    @property
    def display(self) -> str:
        return self.identifier or self.name

    def describe(self) -> str:
        return f"log group {self.display}"


def list_log_groups(
    conn: AwsConnection,
    limiter: RateLimiter,
    *,
    prefix: str | None = None,
    lookups: Ec2Lookups | None = None,
    cancel: threading.Event | None = None,
    mark_flow_logs: bool = True,
) -> list[LogGroupInfo]:
    """All log groups (paged), each marked with the flow logs that deliver to it (unless
    `mark_flow_logs` is False: then no EC2 call is made and `flow_logs_known` is False)."""
    raw = _describe_groups(conn, limiter, prefix, cancel)
    flow_logs = (lookups or shared_lookups(conn, limiter)).flow_logs() if mark_flow_logs else None
    by_group: dict[str, list[FlowLogInfo]] = {}
    for flow_log in flow_logs or ():
        if flow_log.log_group:
            by_group.setdefault(flow_log.log_group, []).append(flow_log)
    return [
        LogGroupInfo(
            name=item.get("logGroupName", ""),
            arn=_group_arn(item),
            creation_time_ms=item.get("creationTime"),
            retention_days=item.get("retentionInDays"),
            flow_logs=tuple(by_group.get(item.get("logGroupName", ""), ())),
            flow_logs_known=flow_logs is not None,
        )
        for item in raw
    ]


def _describe_groups(
    conn: AwsConnection, limiter: RateLimiter, prefix: str | None, cancel: threading.Event | None
) -> list[LogGroupTypeDef]:
    groups: list[LogGroupTypeDef] = []
    token: str | None = None
    while True:
        request: DescribeLogGroupsRequestTypeDef = {"limit": 50}
        if prefix:
            request["logGroupNamePrefix"] = prefix
        if token:
            request["nextToken"] = token
        response: DescribeLogGroupsResponseTypeDef = limiter.call(
            partial(conn.logs.describe_log_groups, **request), "logs:DescribeLogGroups", cancel
        )
        groups.extend(response.get("logGroups", []))
        next_token = response.get("nextToken")
        if not next_token or next_token == token:
            return groups
        token = next_token


def _group_arn(item: LogGroupTypeDef) -> str:
    return item.get("logGroupArn") or item.get("arn", "").removesuffix(":*")


_group_refs: dict[tuple[str, str], GroupRef] = {}
_group_refs_lock = threading.Lock()


def resolve_group(
    conn: AwsConnection, limiter: RateLimiter, group: str, cancel: threading.Event | None = None
) -> GroupRef:
    """A GroupRef for a name or an ARN; an ARN of this account's group becomes its name."""
    match = _GROUP_ARN.match(group)
    if match is None:
        return GroupRef(group)
    key = (conn.limiter_key, group)
    with _group_refs_lock:
        cached = _group_refs.get(key)
    if cached is not None:
        return cached
    name = match.group("name")
    own = [
        item
        for item in _describe_groups(conn, limiter, name, cancel)
        if item.get("logGroupName") == name
        and _group_arn(item).split(":")[4] == match.group("account")
    ]
    ref = GroupRef(name) if own else GroupRef(name, identifier=group.removesuffix(":*"))
    with _group_refs_lock:
        _group_refs[key] = ref
    return ref


# --- streams ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StreamInfo:
    """A log stream; flow logs write one per ENI. Stored bytes are 0 on AWS, so not kept."""

    name: str
    eni_id: str | None
    first_event_ms: int | None
    last_event_ms: int | None
    last_ingestion_ms: int | None
    creation_ms: int | None
    eni: EniInfo | None = None

    @property
    def label(self) -> str:
        return self.eni.label if self.eni is not None else self.name

    def may_hold(self, start_ms: int, end_ms: int) -> bool:
        """Whether the stream's metadata allows events in [start, end] (metadata lags)."""
        first = self.first_event_ms if self.first_event_ms is not None else self.creation_ms
        last = max(self.last_event_ms or 0, self.last_ingestion_ms or 0) or None
        if first is None or last is None:
            return True
        return first <= end_ms and last >= start_ms


def eni_of_stream(name: str) -> str | None:
    """The ENI id of a flow-log stream name such as "eni-0abc...-all"."""
    match = _ENI_PREFIX.match(name)
    return match.group(1) if match else None


def list_streams(
    conn: AwsConnection,
    limiter: RateLimiter,
    group: str,
    *,
    prefix: str | None = None,
    enrich: bool = True,
    lookups: Ec2Lookups | None = None,
    cancel: threading.Event | None = None,
) -> list[StreamInfo]:
    """All streams of a group (paged), with what each ENI belongs to when `enrich`."""
    ref = resolve_group(conn, limiter, group, cancel)
    streams = [_stream(item) for item in describe_streams(conn, limiter, ref, prefix, cancel)]
    if not enrich:
        return streams
    lookups = lookups or shared_lookups(conn, limiter)
    enis = lookups.network_interfaces(s.eni_id for s in streams if s.eni_id)
    return [replace(s, eni=enis[s.eni_id]) if s.eni_id else s for s in streams]


def describe_streams(
    conn: AwsConnection,
    limiter: RateLimiter,
    ref: GroupRef,
    prefix: str | None,
    cancel: threading.Event | None,
) -> list[LogStreamTypeDef]:
    """Every stream of the group (paged), as DescribeLogStreams returns them."""
    streams: list[LogStreamTypeDef] = []
    token: str | None = None
    while True:
        request: DescribeLogStreamsRequestTypeDef = {"limit": 50}
        name_group(request, ref)
        if prefix:
            request["logStreamNamePrefix"] = prefix
        if token:
            request["nextToken"] = token
        response: DescribeLogStreamsResponseTypeDef = limiter.call(
            partial(conn.logs.describe_log_streams, **request),
            "logs:DescribeLogStreams",
            cancel,
            resource=ref.describe(),
        )
        streams.extend(response.get("logStreams", []))
        next_token = response.get("nextToken")
        if not next_token or next_token == token:
            return streams
        token = next_token


def _stream(item: LogStreamTypeDef) -> StreamInfo:
    name = item.get("logStreamName", "")
    return StreamInfo(
        name=name,
        eni_id=eni_of_stream(name),
        first_event_ms=item.get("firstEventTimestamp"),
        last_event_ms=item.get("lastEventTimestamp"),
        last_ingestion_ms=item.get("lastIngestionTime"),
        creation_ms=item.get("creationTime"),
    )


def name_group(
    request: FilterLogEventsRequestTypeDef
    | GetLogEventsRequestTypeDef
    | DescribeLogStreamsRequestTypeDef,
    ref: GroupRef,
) -> None:
    """Name the group in a request: by identifier (ARN) when shared, else by name."""
    if ref.identifier:
        request["logGroupIdentifier"] = ref.identifier
    else:
        request["logGroupName"] = ref.name
