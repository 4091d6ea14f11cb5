"""Explain a flow record against today's rules: gather its network through the EC2 lookups,
then let the pure evaluator (`flowtui.core.explain`) decide.

For one record this gathers, each piece cached per resource in the one `Ec2Lookups` cache:
the interface (by id), every subnet of its VPC (so that the far end of traffic inside the VPC
can be placed), the VPC's CIDR blocks, the network ACLs of the interface's subnet and of the
far end's subnet, the interface's security groups with their rules, and the prefix lists and
group members those rules reference. A denied call leaves its part out and names the IAM
action in `NetworkModel.missing_permissions`; the evaluator then says what it still can.
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import polars as pl

from flowtui.core.explain.facts import FlowFacts, RecordError
from flowtui.core.explain.narrate import explain
from flowtui.core.explain.verdict import Verdict
from flowtui.core.formats import LogFormat
from flowtui.core.netmodel import (
    DESCRIBE_NETWORK_ACLS,
    DESCRIBE_NETWORK_INTERFACES,
    DESCRIBE_SECURITY_GROUP_RULES,
    DESCRIBE_SECURITY_GROUPS,
    DESCRIBE_SUBNETS,
    DESCRIBE_VPCS,
    GET_MANAGED_PREFIX_LIST_ENTRIES,
    Eni,
    NetworkAcl,
    NetworkModel,
    PeerKind,
    SecurityGroup,
    Subnet,
    Vpc,
)
from flowtui.core.never_captured import record_note
from flowtui.core.parse import FormatRegistry, LineParser
from flowtui.sources.aws import AwsConnection, SourceError
from flowtui.sources.ec2 import Ec2Lookups, shared_lookups
from flowtui.sources.ratelimit import RateLimiter


class RecordInputError(SourceError):
    """A record that cannot be explained as given (it does not parse, or a field is unusable);
    `.message` says why in one line."""


def explain_line(
    conn: AwsConnection,
    limiter: RateLimiter,
    group: str,
    line: str,
    formats: Sequence[LogFormat] | None,
    *,
    lookups: Ec2Lookups | None = None,
    cancel: threading.Event | None = None,
    refresh: bool = False,
) -> Verdict:
    """Explain one raw flow-log line of a log group.

    `formats` None: the formats of the flow logs delivering to `group`, else the known default
    formats. Raises RecordInputError for a line that is not one record in those formats, and
    OperationCancelled when `cancel` is set during a lookup.
    """
    lookups = lookups or shared_lookups(conn, limiter)
    origin = "the given formats"
    if formats is None:
        formats = _group_formats(lookups, group)
        origin = f"{group}'s formats"
    if not formats:
        origin = "the default formats (the group's own are not known)"
    record = parse_record_line(line, formats, origin)
    return explain_row(lookups, record, cancel=cancel, refresh=refresh)


def explain_row(
    lookups: Ec2Lookups,
    record: Mapping[str, object],
    *,
    cancel: threading.Event | None = None,
    refresh: bool = False,
) -> Verdict:
    """Explain one record keyed by AWS field names (a store row as a dict will do).

    `refresh` reads every resource the explanation needs again instead of from the cache.
    Raises RecordInputError for an unusable record, OperationCancelled when cancelled.
    """
    try:
        flow = FlowFacts.from_record(record)
    except RecordError as exc:
        raise RecordInputError(f"cannot explain the record: {exc}") from None
    network = gather_network(lookups, flow, cancel, refresh=refresh)
    verdict = explain(flow, network)
    note = record_note(
        flow.srcaddr,
        flow.dstaddr,
        flow.srcport,
        flow.dstport,
        flow.protocol,
        vpc_cidrs=[cidr for vpc in network.vpcs.values() for cidr in vpc.cidrs],
        subnet_cidrs=[cidr for subnet in network.subnets.values() for cidr in subnet.cidrs],
    )
    if note:
        verdict.steps.append(f"Not logged nearby: {note}")
    return verdict


def parse_record_line(
    line: str, formats: Sequence[LogFormat], origin: str = "the given formats"
) -> dict[str, object]:
    """One raw flow-log line as a record in the store's layout; `formats` empty: detect.

    `origin` names where the formats came from, for the error message.
    """
    lines = [text for text in line.splitlines() if text.strip()]
    if len(lines) != 1:
        found = "nothing" if not lines else f"{len(lines)} lines"
        raise RecordInputError(f"give exactly one flow-log record to explain, not {found}")
    parser = LineParser(FormatRegistry(), formats or None)
    result = parser.parse_lines(pl.Series([lines[0]], dtype=pl.String), 1, "record")
    if result.malformed:
        reason = result.malformed[0].reason
        raise RecordInputError(f"the record does not parse in {origin}: {reason}")
    if result.frame.height == 0:
        raise RecordInputError("that is a header line naming fields, not a flow-log record")
    return result.frame.row(0, named=True)


def _group_formats(lookups: Ec2Lookups, group: str) -> tuple[LogFormat, ...]:
    return lookups.formats_for_group(group)


# --- gathering ------------------------------------------------------------------------------


def gather_network(
    lookups: Ec2Lookups,
    flow: FlowFacts,
    cancel: threading.Event | None = None,
    *,
    refresh: bool = False,
) -> NetworkModel:
    """Everything `explain` needs to judge the record, as far as EC2 lets it be read.

    `refresh` forgets each cached resource once before reading it. Raises OperationCancelled
    when `cancel` is set during a lookup.
    """
    if cancel is not None:
        lookups = lookups.with_cancel(cancel)
    return _Gathering(lookups, refresh).network_of(flow)


@dataclass
class _Gathering:
    lookups: Ec2Lookups
    refresh: bool
    missing: list[str] = field(default_factory=list)
    _refreshed: set[str] = field(default_factory=set)

    def network_of(self, flow: FlowFacts) -> NetworkModel:
        eni = self._interface(flow.interface_id)
        if eni is None:
            return NetworkModel.build(missing_permissions=self.missing)
        self._fresh([eni.vpc_id])
        subnets = self._subnets(eni)
        groups = self._security_groups(eni)
        return NetworkModel.build(
            enis=[eni],
            subnets=subnets,
            vpcs=self._vpcs(eni),
            acls=self._acls(eni, subnets, flow),
            security_groups=groups,
            group_members=self._group_members(groups),
            prefix_lists=self._prefix_lists(groups),
            missing_permissions=self.missing,
        )

    def _fresh(self, resource_ids: Iterable[str | None]) -> None:
        """With `refresh`, forget the resources (each once) so that they are read again."""
        if not self.refresh:
            return
        stale = {i for i in resource_ids if i is not None} - self._refreshed
        self._refreshed |= stale
        self.lookups.invalidate(stale)

    def _unless_complete(self, complete: bool, *actions: str) -> None:
        """Name the denied actions among `actions` when they left something out."""
        if complete:
            return
        for action in actions:
            if self.lookups.is_denied(action) and action not in self.missing:
                self.missing.append(action)

    def _interface(self, eni_id: str) -> Eni | None:
        self._fresh([eni_id])
        info = self.lookups.interface(eni_id)
        self._unless_complete(info.known, DESCRIBE_NETWORK_INTERFACES)
        return info.interface if info.known else None

    def _subnets(self, eni: Eni) -> list[Subnet]:
        """Every subnet of the VPC, so that either end of the traffic can be placed."""
        if eni.vpc_id is not None:
            in_vpc = self.lookups.subnets_of_vpc(eni.vpc_id)
            self._unless_complete(in_vpc is not None, DESCRIBE_SUBNETS)
            return list(in_vpc or ())
        if eni.subnet_id is None:
            return []
        self._fresh([eni.subnet_id])
        own = self.lookups.subnets([eni.subnet_id])
        self._unless_complete(bool(own), DESCRIBE_SUBNETS)
        return list(own.values())

    def _vpcs(self, eni: Eni) -> list[Vpc]:
        if eni.vpc_id is None:
            return []
        found = self.lookups.vpcs([eni.vpc_id])
        self._unless_complete(bool(found), DESCRIBE_VPCS)
        return list(found.values())

    def _acls(self, eni: Eni, subnets: list[Subnet], flow: FlowFacts) -> list[NetworkAcl]:
        """The ACLs of the interface's subnet and of the far end's subnet in the VPC."""
        if eni.subnet_id is None:
            return []
        path = [eni.subnet_id, *_other_subnets(eni.subnet_id, subnets, flow)]
        self._fresh(path)
        by_subnet = self.lookups.network_acls(path, eni.vpc_id)
        self._unless_complete(len(by_subnet) == len(path), DESCRIBE_NETWORK_ACLS)
        return list({acl.acl_id: acl for acl in by_subnet.values()}.values())

    def _security_groups(self, eni: Eni) -> list[SecurityGroup]:
        if not eni.has_security_groups:
            return []
        self._fresh(group.group_id for group in eni.groups)
        found = self.lookups.security_groups(eni.groups)
        self._unless_complete(
            len(found) == len(eni.groups), DESCRIBE_SECURITY_GROUP_RULES, DESCRIBE_SECURITY_GROUPS
        )
        return list(found.values())

    def _group_members(self, groups: list[SecurityGroup]) -> dict[str, tuple[str, ...]]:
        """The addresses of the interfaces in each group that a rule references."""
        referenced = _peers(groups, "group")
        if not referenced:
            return {}
        self._fresh(referenced)
        members = self.lookups.group_members(referenced)
        self._unless_complete(len(members) == len(referenced), DESCRIBE_NETWORK_INTERFACES)
        return members

    def _prefix_lists(self, groups: list[SecurityGroup]) -> dict[str, tuple[str, ...]]:
        referenced = _peers(groups, "prefix-list")
        self._fresh(referenced)
        found: dict[str, tuple[str, ...]] = {}
        for prefix_list_id in referenced:
            cidrs = self.lookups.prefix_list_cidrs(prefix_list_id)
            self._unless_complete(cidrs is not None, GET_MANAGED_PREFIX_LIST_ENTRIES)
            if cidrs is not None:
                found[prefix_list_id] = cidrs
        return found


def _peers(groups: list[SecurityGroup], kind: PeerKind) -> list[str]:
    """The distinct groups or prefix lists the rules of `groups` name as their peer."""
    peers = (rule.peer for group in groups for rule in group.rules if rule.peer_kind == kind)
    return list(dict.fromkeys(peers))


def _other_subnets(own_subnet_id: str, subnets: list[Subnet], flow: FlowFacts) -> list[str]:
    """The subnets other than the interface's that hold one of the packet's addresses."""
    packet_ends = (flow.pkt_srcaddr or flow.srcaddr, flow.pkt_dstaddr or flow.dstaddr)
    addresses = [ipaddress.ip_address(end) for end in packet_ends if end is not None]
    return [
        subnet.subnet_id
        for subnet in subnets
        if subnet.subnet_id != own_subnet_id and any(subnet.contains(a) for a in addresses)
    ]
