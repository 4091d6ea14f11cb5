"""Fixed, realistic data the UI tests and `make screenshots` are built from (never the demo).

A small VPC: two web servers behind the internet, a database, a bastion, a NAT gateway and the
VPC resolver; SSH probes from the internet are rejected, the database refuses the bastion's
RDP, one interface reports NODATA and one SKIPDATA. Its network (`sample_network`) explains
those REJECTs: the public subnet's network ACL denies SSH from 203.0.113.0/24, the bastion's
security group allows SSH from the office (198.51.100.0/24) only, and the database's group
allows PostgreSQL from the web servers only. Every record is a default-format (v2)
line; timestamps count from SAMPLE_EPOCH (2025-11-27 10:00:00 UTC) and the clock stands an
hour later. Some names are hostile on purpose: markup and escape sequences must show as text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from flowtui.core.events import EventBatch, event_id_hash
from flowtui.core.explain import FlowFacts, RecordError, Verdict, explain
from flowtui.core.formats import DEFAULT_FORMAT
from flowtui.core.ingest import Ingestor
from flowtui.core.netmodel import (
    ALL_PROTOCOLS,
    TCP,
    AclEntry,
    Eni,
    GroupIdentifier,
    NetworkAcl,
    NetworkModel,
    SecurityGroup,
    SgRule,
    Subnet,
    Traffic,
    Vpc,
)
from flowtui.core.query import Query, TimeRange
from flowtui.core.store import RecordStore
from flowtui.core.views import SavedView, ViewSource
from flowtui.ui.backend import (
    Feed,
    FeedReporter,
    FeedStatus,
    FetchEstimate,
    FindHit,
    GroupRow,
    StreamRow,
)
from flowtui.ui.formatting import Ownership

SAMPLE_EPOCH = 1_764_237_600
SAMPLE_NOW = SAMPLE_EPOCH + 3600
ACCOUNT = "123456789012"
REGION = "eu-west-1"
GROUP = "/vpc/flow-logs/prod"
HOSTILE_TEXT = "[bold]boom[/] \x1b[31mred\x1b[0m [link=http://x]y[/link]"


VPC_ID = "vpc-0a1b2c3d4e5f6a000"
PUBLIC_SUBNET = Subnet("subnet-0a1b2c3d4e5f6b000", VPC_ID, ("10.0.0.0/24",), "public")
WEB_SUBNET = Subnet("subnet-0a1b2c3d4e5f6b001", VPC_ID, ("10.0.1.0/24",), "web")
DB_SUBNET = Subnet("subnet-0a1b2c3d4e5f6b002", VPC_ID, ("10.0.2.0/24",), "database")
BASTION_SG = GroupIdentifier("sg-0a1b2c3d4e5f6c000", "bastion")
WEB_SG = GroupIdentifier("sg-0a1b2c3d4e5f6c001", "web")
DB_SG = GroupIdentifier("sg-0a1b2c3d4e5f6c002", "database")
OFFICE_CIDR = "198.51.100.0/24"
BLOCKED_CIDR = "203.0.113.0/24"


@dataclass(frozen=True, slots=True)
class Host:
    eni: str
    address: str
    name: str
    kind: str = "interface"
    instance: str = ""
    subnet: Subnet = WEB_SUBNET
    groups: tuple[GroupIdentifier, ...] = ()


WEB1 = Host(
    "eni-0a1b2c3d4e5f60001", "10.0.1.10", "web-1", instance="i-0aa11bb22cc33dd01", groups=(WEB_SG,)
)
WEB2 = Host(
    "eni-0a1b2c3d4e5f60002", "10.0.1.11", "web-2", instance="i-0aa11bb22cc33dd02", groups=(WEB_SG,)
)
DB1 = Host(
    "eni-0a1b2c3d4e5f60003",
    "10.0.2.20",
    "db-1",
    instance="i-0aa11bb22cc33dd03",
    subnet=DB_SUBNET,
    groups=(DB_SG,),
)
BASTION = Host(
    "eni-0a1b2c3d4e5f60004",
    "10.0.0.10",
    "bastion",
    instance="i-0aa11bb22cc33dd04",
    subnet=PUBLIC_SUBNET,
    groups=(BASTION_SG,),
)
NAT = Host(
    "eni-0a1b2c3d4e5f60005", "10.0.0.5", "nat-gw-a", kind="nat_gateway", subnet=PUBLIC_SUBNET
)
HOSTS = (WEB1, WEB2, DB1, BASTION, NAT)
RESOLVER = "10.0.0.2"
CLIENTS = ("203.0.113.7", "198.51.100.23", "203.0.113.99", "192.0.2.44")


@dataclass(frozen=True, slots=True)
class Flow:
    src: str
    dst: str
    sport: int
    dport: int
    proto: int
    packets: int
    size: int
    #: Seconds after SAMPLE_EPOCH; every window lasts a minute.
    start: int
    action: str


def _line(host: Host, flow: Flow) -> str:
    start = SAMPLE_EPOCH + flow.start
    return (
        f"2 {ACCOUNT} {host.eni} {flow.src} {flow.dst} {flow.sport} {flow.dport} {flow.proto} "
        f"{flow.packets} {flow.size} {start} {start + 60} {flow.action} OK"
    )


def _minute(minute: int) -> list[tuple[Host, Flow]]:
    """What happens in one three-minute slot: web traffic, database, DNS, probes."""
    at = minute * 60
    client = CLIENTS[minute % len(CLIENTS)]
    sport = 40000 + minute * 37
    web = WEB1 if minute % 2 == 0 else WEB2
    database = Flow(
        web.address, DB1.address, sport + 1, 5432, 6, 8, 1460 + minute, at + 5, "ACCEPT"
    )
    flows = [
        (
            web,
            Flow(
                client, web.address, sport, 443, 6, 12 + minute, 5230 + minute * 911, at, "ACCEPT"
            ),
        ),
        (
            web,
            Flow(
                web.address, client, 443, sport, 6, 10 + minute, 48211 + minute * 7717, at, "ACCEPT"
            ),
        ),
        (web, database),
        (DB1, database),
        (web, Flow(web.address, RESOLVER, 53000 + minute, 53, 17, 2, 140, at + 8, "ACCEPT")),
    ]
    if minute % 6 == 0:
        probe = CLIENTS[(minute // 6) % len(CLIENTS)]
        ssh = Flow(probe, BASTION.address, 51000 + minute, 22, 6, 1, 60, at + 12, "REJECT")
        flows.append((BASTION, ssh))
    if minute % 9 == 0:
        rdp = Flow(BASTION.address, DB1.address, 49152 + minute, 3389, 6, 3, 180, at + 20, "REJECT")
        flows.append((DB1, rdp))
    if minute % 12 == 0:
        s3 = Flow(
            NAT.address, "52.94.133.131", 1024 + minute, 443, 6, 40, 2_400_000, at + 30, "ACCEPT"
        )
        ping = Flow(BASTION.address, "0.0.0.0", 0, 0, 1, 4, 336, at + 40, "ACCEPT")
        flows += [(NAT, s3), (BASTION, ping)]
    return flows


def _records() -> list[tuple[Host, str]]:
    """About 130 records, in arrival order, spread over the hour; NODATA and SKIPDATA last."""
    records = [(host, _line(host, flow)) for m in range(0, 60, 3) for host, flow in _minute(m)]
    start, end = SAMPLE_EPOCH + 1800, SAMPLE_EPOCH + 1860
    records.append((DB1, f"2 {ACCOUNT} {DB1.eni} - - - - - - - {start} {end} - NODATA"))
    records.append((NAT, f"2 {ACCOUNT} {NAT.eni} - - - - - - - {start} {end} - SKIPDATA"))
    return records


def ipv6_lines() -> list[str]:
    """Records with IPv6 addresses (AWS's own example and its reply)."""
    here = "2001:db8:1234:a100:8d6e:3477:df66:f105"
    there = "2001:db8:1234:a102:3304:8879:34cf:4071"
    return [
        _line(WEB1, Flow(here, there, 34892, 22, 6, 54, 8855, 2400, "ACCEPT")),
        _line(WEB1, Flow(there, here, 22, 34892, 6, 50, 7100, 2400, "ACCEPT")),
    ]


def stream_name(host: Host) -> str:
    return f"{host.eni}-all"


def sample_batch() -> EventBatch:
    records = _records()
    messages = [line for _, line in records]
    return EventBatch(
        messages=messages,
        streams=[stream_name(host) for host, _ in records],
        timestamps=[(SAMPLE_EPOCH + 60 + index * 30) * 1000 for index in range(len(records))],
        ingestion_times=[(SAMPLE_EPOCH + 120 + index * 30) * 1000 for index in range(len(records))],
        event_ids=[event_id_hash(f"sample-{index}") for index in range(len(records))],
        origin=GROUP,
    )


def sample_store(row_cap: int = 1_000_000) -> RecordStore:
    store = RecordStore(row_cap=row_cap)
    Ingestor(store, [DEFAULT_FORMAT]).add_events(sample_batch())
    return store


def sample_ownership() -> Ownership:
    addresses = {host.address: host.name for host in HOSTS} | {RESOLVER: "VPC resolver"}
    interfaces = {host.eni: host.name for host in HOSTS}
    return Ownership(addresses, interfaces)


def sample_groups() -> list[GroupRow]:
    hour = (SAMPLE_NOW - 60) * 1000
    return [
        GroupRow(GROUP, True, ("default v2",), "ok", (), 48_213_760, hour),
        GroupRow(
            "/vpc/flow-logs/staging",
            True,
            ("custom v5: 18 fields",),
            "ok",
            ("ACCEPT-only flow log: rejected traffic is not recorded",),
            1_204_224,
            hour - 600_000,
        ),
        GroupRow(
            "/vpc/flow-logs/legacy",
            True,
            ("default v2",),
            "failed: DeliverLogsPermissionDenied",
            ("delivery failed: the IAM role cannot write to this group",),
            9_120,
            (SAMPLE_NOW - 86400 * 20) * 1000,
        ),
        GroupRow("/aws/lambda/orders", False, (), "", (), 3_312_000, hour - 30_000),
        GroupRow(HOSTILE_TEXT, False, (), "", (), 10, None),
    ]


def sample_streams() -> list[StreamRow]:
    rows = [
        StreamRow(
            stream_name(host),
            host.eni,
            host.name,
            host.kind,
            host.instance,
            (host.address,),
            (SAMPLE_NOW - 90 - index * 20) * 1000,
            (SAMPLE_NOW - 30 - index * 20) * 1000,
        )
        for index, host in enumerate(HOSTS)
    ]
    rows.append(StreamRow(HOSTILE_TEXT, None, HOSTILE_TEXT, "", "", (), None, None))
    return rows


def _allow_all(number: int, egress: bool) -> AclEntry:
    return AclEntry(number, egress, True, "0.0.0.0/0", Traffic(ALL_PROTOCOLS))


def _egress_anywhere() -> SgRule:
    return SgRule(True, Traffic(ALL_PROTOCOLS), "cidr", "0.0.0.0/0", "sgr-egress")


def sample_network() -> NetworkModel:
    """Today's rules of the sample VPC (see the module docstring for what they decide)."""
    public_acl = NetworkAcl(
        "acl-0a1b2c3d4e5f6d000",
        VPC_ID,
        subnet_ids=(PUBLIC_SUBNET.subnet_id,),
        entries=(
            AclEntry(100, False, False, BLOCKED_CIDR, Traffic(TCP, ports=(22, 22))),
            _allow_all(200, egress=False),
            _allow_all(100, egress=True),
        ),
        name="public",
    )
    default_acl = NetworkAcl(
        "acl-0a1b2c3d4e5f6d001",
        VPC_ID,
        is_default=True,
        entries=(_allow_all(100, egress=False), _allow_all(100, egress=True)),
    )
    groups = (
        SecurityGroup(
            BASTION_SG.group_id,
            BASTION_SG.name,
            VPC_ID,
            (
                SgRule(False, Traffic(TCP, ports=(22, 22)), "cidr", OFFICE_CIDR, "sgr-office"),
                _egress_anywhere(),
            ),
        ),
        SecurityGroup(
            WEB_SG.group_id,
            WEB_SG.name,
            VPC_ID,
            (
                SgRule(False, Traffic(TCP, ports=(443, 443)), "cidr", "0.0.0.0/0", "sgr-https"),
                _egress_anywhere(),
            ),
        ),
        SecurityGroup(
            DB_SG.group_id,
            DB_SG.name,
            VPC_ID,
            (
                SgRule(False, Traffic(TCP, ports=(5432, 5432)), "group", WEB_SG.group_id, "sgr-pg"),
                _egress_anywhere(),
            ),
        ),
    )
    enis = [
        Eni(host.eni, host.subnet.subnet_id, VPC_ID, host.kind, (host.address,), groups=host.groups)
        for host in HOSTS
    ]
    return NetworkModel.build(
        enis=enis,
        subnets=(PUBLIC_SUBNET, WEB_SUBNET, DB_SUBNET),
        vpcs=(Vpc(VPC_ID, ("10.0.0.0/16",)),),
        acls=(public_acl, default_acl),
        security_groups=groups,
        group_members={WEB_SG.group_id: (WEB1.address, WEB2.address)},
    )


class SampleError(Exception):
    """What the sample backend raises: one line in `.message`, as the sources' errors do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class SampleBackend:
    """A backend over the fixed store: records what the app asked for, fetches nothing."""

    store: RecordStore = field(default_factory=sample_store)
    groups: Sequence[GroupRow] = field(default_factory=sample_groups)
    streams: Sequence[StreamRow] = field(default_factory=sample_streams)
    status: FeedStatus = field(default_factory=FeedStatus)
    large_fetch: bool = False
    calls: list[tuple[str, object]] = field(default_factory=list)
    reporter: FeedReporter | None = None
    network: NetworkModel = field(default_factory=sample_network)

    def list_groups(self) -> Sequence[GroupRow]:
        self.calls.append(("list_groups", None))
        return self.groups

    def list_streams(self, group: str) -> Sequence[StreamRow]:
        self.calls.append(("list_streams", group))
        return self.streams

    def find(self, text: str) -> Sequence[FindHit]:
        self.calls.append(("find", text))
        hits = [
            FindHit(
                host.eni,
                f"{host.name} {host.instance} {host.address}".strip(),
                GROUP,
                stream_name(host),
            )
            for host in HOSTS
            if text in (host.address, host.instance, host.name, host.eni)
        ]
        if hits:
            return hits
        return [
            FindHit(
                None,
                text,
                reason="no flow log covers it: no interface has this address, id or name",
            )
        ]

    def estimate(self, query: Query) -> FetchEstimate | None:
        self.calls.append(("estimate", query))
        if self.large_fetch:
            return FetchEstimate(5_000_000, True, "about 5,000,000 events (≈ 2,500 API calls)")
        return FetchEstimate(len(_records()), False, "")

    def open(self, query: Query, reporter: FeedReporter) -> Feed:
        self.calls.append(("open", query))
        self.reporter = reporter
        reporter.status(self.status)
        return Feed(self.store, query.group, sample_ownership())

    def refetch(self, feed: Feed, query: Query) -> None:
        self.calls.append(("refetch", query))

    def fetch_more(self, feed: Feed, query: Query) -> None:
        self.calls.append(("fetch_more", query))

    def filter_applied(self, feed: Feed, query: Query) -> None:
        """The sample rows are all local: a filter never needs a refetch."""

    def set_follow(self, feed: Feed, follow: bool) -> None:
        self.calls.append(("set_follow", follow))

    def close(self, feed: Feed) -> None:
        self.calls.append(("close", None))

    def explain(self, record: Mapping[str, object], refresh: bool = False) -> Verdict:
        self.calls.append(("explain_refresh" if refresh else "explain", dict(record)))
        try:
            flow = FlowFacts.from_record(record)
        except RecordError as error:
            raise SampleError(f"cannot explain the record: {error}") from None
        return explain(flow, self.network)

    def view_source(self, group: str, streams: Sequence[str]) -> ViewSource:
        self.calls.append(("view_source", group))
        return ViewSource(group, profile=None, region=REGION, streams=tuple(streams))


def sample_query() -> Query:
    return Query(GROUP, TimeRange.last(3600))


def sample_views() -> list[SavedView]:
    """Saved views of the sample group, as a team would keep them (one name is hostile)."""
    source = ViewSource(GROUP, region=REGION)
    return [
        SavedView(
            "ssh probes",
            source,
            filter_text="action=reject dstport=22",
            columns=("start", "srcaddr", "dstaddr", "dstport", "action", "interface-id"),
            sort=(("start", True),),
        ),
        SavedView(
            "database tier",
            ViewSource(GROUP, region=REGION, streams=(stream_name(DB1),)),
            TimeRange.last(6 * 3600),
            filter_text="dstaddr=10.0.2.0/24",
        ),
        SavedView(
            "NAT egress by bytes",
            ViewSource(GROUP, region=REGION, streams=(stream_name(NAT),)),
            TimeRange.last(86_400),
            sort=(("bytes", True),),
            follow=True,
        ),
        SavedView("[bold]markup[/] stays text", source, filter_text="srcaddr=[red]"),
    ]
