"""Every EC2 lookup flowtui makes, behind one cache: enrichment of streams, find, and explain.

Lookups use filters (`network-interface-id`, `instance-id`, ...) rather than id lists, so a
resource deleted since its records were written (common for Lambda and EKS ENIs) is simply
absent instead of failing the whole batch. Without a permission a lookup returns what is known
(the ids) and records the missing IAM action once in `.notices`; it never raises to the caller,
except `OperationCancelled`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING, Protocol, TypeVar

from flowtui.core.formats import LogFormat, parse_format
from flowtui.sources.aws import AccessDeniedError, AwsConnection, SourceError
from flowtui.sources.ratelimit import SYSTEM_CLOCK, Clock, RateLimiter

if TYPE_CHECKING:
    from mypy_boto3_ec2.type_defs import (
        DescribeFlowLogsRequestTypeDef,
        DescribeInstancesRequestTypeDef,
        DescribeNetworkAclsRequestTypeDef,
        DescribeNetworkInterfacesRequestTypeDef,
        DescribeSecurityGroupRulesRequestTypeDef,
        DescribeSecurityGroupsRequestTypeDef,
        DescribeSubnetsRequestTypeDef,
        DescribeVpcsRequestTypeDef,
        FilterTypeDef,
        FlowLogTypeDef,
        GetManagedPrefixListEntriesRequestTypeDef,
        InstanceTypeDef,
        NetworkAclTypeDef,
        NetworkInterfaceTypeDef,
        SecurityGroupRuleTypeDef,
        SecurityGroupTypeDef,
        SubnetTypeDef,
        TagTypeDef,
        VpcTypeDef,
    )


class _Identified(Protocol):
    @property
    def id(self) -> str: ...


T = TypeVar("T")
V = TypeVar("V")
R = TypeVar("R", bound=_Identified)

#: EC2 accepts at most 200 values per filter.
FILTER_BATCH = 200
_PAGE_SIZE = 1000


# --- what lookups return ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SecurityGroupRef:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class EniInfo:
    """A network interface; `known` is False when only its id is known (deleted, or no
    ec2:DescribeNetworkInterfaces permission)."""

    id: str
    description: str = ""
    interface_type: str = ""
    instance_id: str | None = None
    instance_name: str | None = None
    private_ips: tuple[str, ...] = ()
    ipv6_ips: tuple[str, ...] = ()
    public_ip: str | None = None
    subnet_id: str | None = None
    vpc_id: str | None = None
    security_groups: tuple[SecurityGroupRef, ...] = ()
    requester_managed: bool = False
    status: str = ""
    name_tag: str | None = None
    known: bool = True

    @property
    def label(self) -> str:
        """What a person recognises: "web-1 (i-0abc) 10.0.1.10", or the description."""
        if not self.known:
            return f"{self.id} ({self.description or 'details unavailable'})"
        name = self.instance_name or self.name_tag
        parts: list[str] = []
        if name:
            parts.append(name)
        if self.instance_id:
            parts.append(f"({self.instance_id})" if name else self.instance_id)
        if not parts:
            parts.append(self.description or self.interface_type or self.id)
        if self.private_ips:
            parts.append(self.private_ips[0])
        return " ".join(parts)


@dataclass(frozen=True, slots=True)
class InstanceInfo:
    id: str
    name: str | None
    state: str
    private_ip: str | None
    subnet_id: str | None
    vpc_id: str | None


@dataclass(frozen=True, slots=True)
class SubnetInfo:
    id: str
    vpc_id: str
    cidr: str
    ipv6_cidrs: tuple[str, ...]
    availability_zone: str
    name: str | None


@dataclass(frozen=True, slots=True)
class VpcInfo:
    id: str
    cidrs: tuple[str, ...]
    ipv6_cidrs: tuple[str, ...]
    is_default: bool
    name: str | None


@dataclass(frozen=True, slots=True)
class SecurityGroupRule:
    id: str
    group_id: str
    is_egress: bool
    #: "-1" means all protocols; otherwise "tcp", "udp", "icmp" or a number.
    protocol: str
    from_port: int | None
    to_port: int | None
    cidr_ipv4: str | None = None
    cidr_ipv6: str | None = None
    prefix_list_id: str | None = None
    referenced_group_id: str | None = None
    description: str = ""


@dataclass(frozen=True, slots=True)
class SecurityGroupInfo:
    id: str
    name: str
    description: str
    vpc_id: str | None
    #: None when ec2:DescribeSecurityGroupRules is not permitted.
    rules: tuple[SecurityGroupRule, ...] | None


@dataclass(frozen=True, slots=True)
class NetworkAclEntry:
    rule_number: int
    egress: bool
    allow: bool
    protocol: str
    cidr_ipv4: str | None
    cidr_ipv6: str | None
    from_port: int | None
    to_port: int | None
    icmp_type: int | None
    icmp_code: int | None


@dataclass(frozen=True, slots=True)
class NetworkAclInfo:
    id: str
    vpc_id: str
    is_default: bool
    subnet_ids: tuple[str, ...]
    entries: tuple[NetworkAclEntry, ...]


@dataclass(frozen=True, slots=True)
class PrefixListEntry:
    cidr: str
    description: str


@dataclass(frozen=True, slots=True)
class FlowLogInfo:
    """One flow log as DescribeFlowLogs reports it."""

    id: str
    resource_id: str
    #: ACCEPT, REJECT or ALL.
    traffic_type: str
    #: None when the format string cannot be parsed (see `format_error`).
    format: LogFormat | None
    format_text: str
    aggregation_interval_s: int | None
    #: SUCCESS or FAILED.
    delivery_status: str | None
    delivery_error: str | None
    log_group: str | None
    destination_type: str
    format_error: str | None = None


@dataclass(frozen=True, slots=True)
class _FlowLogListing:
    items: tuple[FlowLogInfo, ...]


@dataclass(frozen=True, slots=True)
class _AclIndex:
    """Cache entry under "<subnet-id>#acl": which ACL guards the subnet."""

    acl_id: str


@dataclass(frozen=True, slots=True)
class _PrefixList:
    entries: tuple[PrefixListEntry, ...]


@dataclass(slots=True)
class _Entry:
    value: object
    stored_at: float


# --- the lookups --------------------------------------------------------------------------


_DENIED_CONSEQUENCE = {
    "ec2:DescribeFlowLogs": "the format will be detected from the records and coverage is unknown",
    "ec2:DescribeNetworkInterfaces": "ENIs are shown by id only",
    "ec2:DescribeInstances": "instance names are not shown",
    "ec2:DescribeSubnets": "subnet details are not shown",
    "ec2:DescribeVpcs": "VPC details are not shown",
    "ec2:DescribeSecurityGroups": "security groups are shown by id only",
    "ec2:DescribeSecurityGroupRules": "security group rules cannot be checked",
    "ec2:DescribeNetworkAcls": "network ACLs cannot be checked",
    "ec2:GetManagedPrefixListEntries": "prefix lists in rules cannot be expanded",
}


@dataclass
class Ec2Lookups:
    """EC2 lookups with one cache keyed by resource id; thread-safe."""

    conn: AwsConnection
    limiter: RateLimiter
    clock: Clock = SYSTEM_CLOCK
    #: Entries older than this are looked up again (resources change: ENIs come and go).
    max_age_s: float = 600.0
    cancel: threading.Event | None = None
    #: One line per missing permission or failed lookup, in the order they happened.
    notices: list[str] = field(default_factory=list)
    _cache: dict[str, _Entry] = field(default_factory=dict, repr=False)
    _denied: set[str] = field(default_factory=set, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # --- cache ----------------------------------------------------------------------------

    def invalidate(self, resource_ids: Iterable[str] | None = None) -> None:
        """Forget cached resources (all when `resource_ids` is None) so they are read again."""
        with self._lock:
            if resource_ids is None:
                self._cache.clear()
                return
            for resource_id in resource_ids:
                self._cache.pop(resource_id, None)
                self._cache.pop(f"{resource_id}#acl", None)

    def _get(self, key: str, kind: type[V]) -> V | None:
        with self._lock:
            entry = self._cache.get(key)
            if entry is None or self.clock.monotonic() - entry.stored_at > self.max_age_s:
                return None
            return entry.value if isinstance(entry.value, kind) else None

    def _put(self, key: str, value: object) -> None:
        with self._lock:
            self._cache[key] = _Entry(value, self.clock.monotonic())

    # --- flow logs ------------------------------------------------------------------------

    def flow_logs(self) -> tuple[FlowLogInfo, ...] | None:
        """All flow logs of the account and region; None when they cannot be read."""
        cached = self._get("flow-logs", _FlowLogListing)
        if cached is not None:
            return cached.items

        def page(token: str | None) -> tuple[Sequence[FlowLogTypeDef], str | None]:
            request: DescribeFlowLogsRequestTypeDef = {"MaxResults": _PAGE_SIZE}
            if token:
                request["NextToken"] = token
            response = self.conn.ec2.describe_flow_logs(**request)
            return response.get("FlowLogs", []), response.get("NextToken")

        raw = self._paged("ec2:DescribeFlowLogs", page)
        if raw is None:
            return None
        items = tuple(_flow_log(item) for item in raw)
        self._put("flow-logs", _FlowLogListing(items))
        return items

    def flow_logs_for_group(self, group_name: str) -> tuple[FlowLogInfo, ...] | None:
        """Flow logs that deliver to a log group (by name); None when unknown."""
        everything = self.flow_logs()
        if everything is None:
            return None
        return tuple(item for item in everything if item.log_group == group_name)

    def covering_flow_logs(self, eni: EniInfo) -> tuple[FlowLogInfo, ...] | None:
        """Flow logs attached to the ENI, its subnet or its VPC; None when unknown."""
        everything = self.flow_logs()
        if everything is None:
            return None
        scope = {eni.id, eni.subnet_id, eni.vpc_id} - {None}
        return tuple(item for item in everything if item.resource_id in scope)

    # --- network interfaces ---------------------------------------------------------------

    def network_interfaces(self, eni_ids: Iterable[str]) -> dict[str, EniInfo]:
        """EniInfo for every id asked (ids only for deleted or unreadable ENIs)."""
        wanted = list(dict.fromkeys(eni_ids))
        found: dict[str, EniInfo] = {}
        missing: list[str] = []
        for eni_id in wanted:
            cached = self._get(eni_id, EniInfo)
            if cached is None:
                missing.append(eni_id)
            else:
                found[eni_id] = cached
        looked_up = self._describe_interfaces("network-interface-id", missing)
        if looked_up is not None:
            for eni in looked_up:
                self._put(eni.id, eni)
                found[eni.id] = eni
            for eni_id in missing:
                if eni_id not in found:
                    gone = EniInfo(
                        eni_id, description="deleted or not in this account", known=False
                    )
                    self._put(eni_id, gone)
                    found[eni_id] = gone
        return {eni_id: found.get(eni_id, EniInfo(eni_id, known=False)) for eni_id in wanted}

    def interface(self, eni_id: str) -> EniInfo:
        return self.network_interfaces([eni_id])[eni_id]

    def interfaces_matching(self, filter_name: str, values: Sequence[str]) -> list[EniInfo]:
        """ENIs matching an EC2 filter (e.g. "addresses.private-ip-address"); [] if unknown."""
        looked_up = self._describe_interfaces(filter_name, values) or []
        for eni in looked_up:
            self._put(eni.id, eni)
        return looked_up

    def all_interfaces(self) -> list[EniInfo]:
        """Every ENI of the account and region (one call per 1,000); [] if unknown."""
        looked_up = self._describe_interfaces(None, ()) or []
        for eni in looked_up:
            self._put(eni.id, eni)
        return looked_up

    def _describe_interfaces(
        self, filter_name: str | None, values: Sequence[str]
    ) -> list[EniInfo] | None:
        raw: list[NetworkInterfaceTypeDef] = []
        for batch in _batches(values) if filter_name else [[]]:
            filters: list[FilterTypeDef] = (
                [{"Name": filter_name, "Values": batch}] if filter_name else []
            )

            def page(
                token: str | None, filters: list[FilterTypeDef] = filters
            ) -> tuple[Sequence[NetworkInterfaceTypeDef], str | None]:
                request: DescribeNetworkInterfacesRequestTypeDef = {
                    "Filters": filters,
                    "MaxResults": _PAGE_SIZE,
                }
                if token:
                    request["NextToken"] = token
                response = self.conn.ec2.describe_network_interfaces(**request)
                return response.get("NetworkInterfaces", []), response.get("NextToken")

            items = self._paged("ec2:DescribeNetworkInterfaces", page)
            if items is None:
                return None
            raw.extend(items)
        enis = [_eni(item) for item in raw]
        names = self.instances(eni.instance_id for eni in enis if eni.instance_id)
        return [
            replace(eni, instance_name=names[eni.instance_id].name)
            if eni.instance_id and eni.instance_id in names
            else eni
            for eni in enis
        ]

    # --- instances ------------------------------------------------------------------------

    def instances(self, instance_ids: Iterable[str]) -> dict[str, InstanceInfo]:
        """Instances by id; absent when deleted or unreadable."""
        wanted = list(dict.fromkeys(instance_ids))
        found = {i: c for i in wanted if (c := self._get(i, InstanceInfo)) is not None}
        missing = [i for i in wanted if i not in found]
        for instance in self._describe_instances("instance-id", missing) or []:
            found[instance.id] = instance
        return found

    def instances_named(self, name: str) -> list[InstanceInfo]:
        """Instances whose Name tag is `name` (EC2 filters accept * wildcards)."""
        return self._describe_instances("tag:Name", [name]) or []

    def _describe_instances(
        self, filter_name: str, values: Sequence[str]
    ) -> list[InstanceInfo] | None:
        found: list[InstanceInfo] = []
        for batch in _batches(values):
            filters: list[FilterTypeDef] = [{"Name": filter_name, "Values": batch}]

            def page(
                token: str | None, filters: list[FilterTypeDef] = filters
            ) -> tuple[Sequence[InstanceTypeDef], str | None]:
                request: DescribeInstancesRequestTypeDef = {
                    "Filters": filters,
                    "MaxResults": _PAGE_SIZE,
                }
                if token:
                    request["NextToken"] = token
                response = self.conn.ec2.describe_instances(**request)
                instances = [
                    instance
                    for reservation in response.get("Reservations", [])
                    for instance in reservation.get("Instances", [])
                ]
                return instances, response.get("NextToken")

            items = self._paged("ec2:DescribeInstances", page)
            if items is None:
                return None
            for item in items:
                instance = _instance(item)
                self._put(instance.id, instance)
                found.append(instance)
        return found

    # --- subnets and VPCs -----------------------------------------------------------------

    def subnets(self, subnet_ids: Iterable[str]) -> dict[str, SubnetInfo]:
        def page(
            filters: list[FilterTypeDef], token: str | None
        ) -> tuple[Sequence[SubnetTypeDef], str | None]:
            request: DescribeSubnetsRequestTypeDef = {"Filters": filters, "MaxResults": _PAGE_SIZE}
            if token:
                request["NextToken"] = token
            response = self.conn.ec2.describe_subnets(**request)
            return response.get("Subnets", []), response.get("NextToken")

        return self._by_id(
            subnet_ids,
            kind=SubnetInfo,
            filter_name="subnet-id",
            action="ec2:DescribeSubnets",
            page=page,
            convert=_subnet,
        )

    def vpcs(self, vpc_ids: Iterable[str]) -> dict[str, VpcInfo]:
        def page(
            filters: list[FilterTypeDef], token: str | None
        ) -> tuple[Sequence[VpcTypeDef], str | None]:
            request: DescribeVpcsRequestTypeDef = {"Filters": filters, "MaxResults": _PAGE_SIZE}
            if token:
                request["NextToken"] = token
            response = self.conn.ec2.describe_vpcs(**request)
            return response.get("Vpcs", []), response.get("NextToken")

        return self._by_id(
            vpc_ids,
            kind=VpcInfo,
            filter_name="vpc-id",
            action="ec2:DescribeVpcs",
            page=page,
            convert=_vpc,
        )

    # --- security groups ------------------------------------------------------------------

    def security_groups(self, group_ids: Iterable[str]) -> dict[str, SecurityGroupInfo]:
        """Security groups with their rules (rules None without DescribeSecurityGroupRules)."""

        def page(
            filters: list[FilterTypeDef], token: str | None
        ) -> tuple[Sequence[SecurityGroupTypeDef], str | None]:
            request: DescribeSecurityGroupsRequestTypeDef = {
                "Filters": filters,
                "MaxResults": _PAGE_SIZE,
            }
            if token:
                request["NextToken"] = token
            response = self.conn.ec2.describe_security_groups(**request)
            return response.get("SecurityGroups", []), response.get("NextToken")

        wanted = list(dict.fromkeys(group_ids))
        cached = {g: c for g in wanted if (c := self._get(g, SecurityGroupInfo)) is not None}
        missing = [g for g in wanted if g not in cached]
        groups = self._by_id(
            missing,
            kind=SecurityGroupInfo,
            filter_name="group-id",
            action="ec2:DescribeSecurityGroups",
            page=page,
            convert=_group,
        )
        rules = self._security_group_rules(list(groups))
        for group_id, group in list(groups.items()):
            with_rules = replace(
                group, rules=None if rules is None else tuple(rules.get(group_id, ()))
            )
            self._put(group_id, with_rules)
            groups[group_id] = with_rules
        return cached | groups

    def _security_group_rules(
        self, group_ids: Sequence[str]
    ) -> dict[str, list[SecurityGroupRule]] | None:
        by_group: dict[str, list[SecurityGroupRule]] = {}
        for batch in _batches(group_ids):
            filters: list[FilterTypeDef] = [{"Name": "group-id", "Values": batch}]

            def page(
                token: str | None, filters: list[FilterTypeDef] = filters
            ) -> tuple[Sequence[SecurityGroupRuleTypeDef], str | None]:
                request: DescribeSecurityGroupRulesRequestTypeDef = {
                    "Filters": filters,
                    "MaxResults": _PAGE_SIZE,
                }
                if token:
                    request["NextToken"] = token
                response = self.conn.ec2.describe_security_group_rules(**request)
                return response.get("SecurityGroupRules", []), response.get("NextToken")

            items = self._paged("ec2:DescribeSecurityGroupRules", page)
            if items is None:
                return None
            for item in items:
                rule = _rule(item)
                by_group.setdefault(rule.group_id, []).append(rule)
        return by_group

    # --- network ACLs ---------------------------------------------------------------------

    def network_acl_for_subnet(
        self, subnet_id: str, vpc_id: str | None = None
    ) -> NetworkAclInfo | None:
        """The ACL associated with a subnet, else its VPC's default ACL; None when unknown."""
        index = self._get(f"{subnet_id}#acl", _AclIndex)
        if index is not None:
            cached = self._get(index.acl_id, NetworkAclInfo)
            if cached is not None:
                return cached
        acls = self._describe_acls([{"Name": "association.subnet-id", "Values": [subnet_id]}])
        if not acls:
            vpc_id = vpc_id or self._vpc_of_subnet(subnet_id)
            if vpc_id is None:
                return None
            acls = self._describe_acls(
                [{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "default", "Values": ["true"]}]
            )
        if not acls:
            return None
        self._put(f"{subnet_id}#acl", _AclIndex(acls[0].id))
        return acls[0]

    def _vpc_of_subnet(self, subnet_id: str) -> str | None:
        subnet = self.subnets([subnet_id]).get(subnet_id)
        return subnet.vpc_id if subnet else None

    def _describe_acls(self, filters: list[FilterTypeDef]) -> list[NetworkAclInfo] | None:
        def page(token: str | None) -> tuple[Sequence[NetworkAclTypeDef], str | None]:
            request: DescribeNetworkAclsRequestTypeDef = {
                "Filters": filters,
                "MaxResults": 100,
            }
            if token:
                request["NextToken"] = token
            response = self.conn.ec2.describe_network_acls(**request)
            return response.get("NetworkAcls", []), response.get("NextToken")

        items = self._paged("ec2:DescribeNetworkAcls", page)
        if items is None:
            return None
        acls = [_acl(item) for item in items]
        for acl in acls:
            self._put(acl.id, acl)
        return acls

    # --- prefix lists ---------------------------------------------------------------------

    def prefix_list_entries(self, prefix_list_id: str) -> tuple[PrefixListEntry, ...] | None:
        cached = self._get(prefix_list_id, _PrefixList)
        if cached is not None:
            return cached.entries

        def page(token: str | None) -> tuple[Sequence[PrefixListEntry], str | None]:
            request: GetManagedPrefixListEntriesRequestTypeDef = {
                "PrefixListId": prefix_list_id,
                "MaxResults": 100,
            }
            if token:
                request["NextToken"] = token
            response = self.conn.ec2.get_managed_prefix_list_entries(**request)
            entries = [
                PrefixListEntry(item.get("Cidr", ""), item.get("Description", ""))
                for item in response.get("Entries", [])
            ]
            return entries, response.get("NextToken")

        items = self._paged("ec2:GetManagedPrefixListEntries", page)
        if items is None:
            return None
        self._put(prefix_list_id, _PrefixList(tuple(items)))
        return tuple(items)

    # --- plumbing -------------------------------------------------------------------------

    def _by_id(
        self,
        ids: Iterable[str],
        *,
        kind: type[R],
        filter_name: str,
        action: str,
        page: Callable[[list[FilterTypeDef], str | None], tuple[Sequence[T], str | None]],
        convert: Callable[[T], R],
    ) -> dict[str, R]:
        wanted = list(dict.fromkeys(ids))
        found = {i: c for i in wanted if (c := self._get(i, kind)) is not None}
        missing = [i for i in wanted if i not in found]
        for batch in _batches(missing):
            filters: list[FilterTypeDef] = [{"Name": filter_name, "Values": batch}]
            for item in self._paged(action, partial(page, filters)) or []:
                value = convert(item)
                self._put(value.id, value)
                found[value.id] = value
        return found

    def _paged(
        self, action: str, page: Callable[[str | None], tuple[Sequence[T], str | None]]
    ) -> list[T] | None:
        """All items of a paged call, or None when the action is denied or fails."""
        if action in self._denied:
            return None
        items: list[T] = []
        token: str | None = None
        while True:
            try:
                batch, token = self.limiter.call(partial(page, token), action, self.cancel)
            except AccessDeniedError:
                self._note_denied(action)
                return None
            except SourceError as exc:
                self._note(f"EC2 lookup failed, showing ids only: {exc.message}")
                return None
            items.extend(batch)
            if not token:
                return items

    def _note_denied(self, action: str) -> None:
        with self._lock:
            if action in self._denied:
                return
            self._denied.add(action)
        consequence = _DENIED_CONSEQUENCE.get(action, "some details are not shown")
        self._note(f"missing permission {action}: {consequence}")

    def _note(self, notice: str) -> None:
        with self._lock:
            if notice not in self.notices:
                self.notices.append(notice)


_shared_lock = threading.Lock()
_shared: dict[int, Ec2Lookups] = {}


def shared_lookups(conn: AwsConnection, limiter: RateLimiter) -> Ec2Lookups:
    """The one Ec2Lookups (and cache) of a connection."""
    with _shared_lock:
        lookups = _shared.get(id(conn))
        if lookups is None or lookups.conn is not conn:
            lookups = Ec2Lookups(conn, limiter)
            _shared[id(conn)] = lookups
        return lookups


# --- conversions --------------------------------------------------------------------------


def _batches(values: Sequence[str]) -> list[list[str]]:
    return [list(values[i : i + FILTER_BATCH]) for i in range(0, len(values), FILTER_BATCH)]


def _name_tag(tags: Sequence[TagTypeDef] | None) -> str | None:
    for tag in tags or ():
        if tag.get("Key") == "Name":
            return tag.get("Value")
    return None


def _eni(item: NetworkInterfaceTypeDef) -> EniInfo:
    primary = item.get("PrivateIpAddress")
    others = [
        address["PrivateIpAddress"]
        for address in item.get("PrivateIpAddresses", [])
        if address.get("PrivateIpAddress") and address.get("PrivateIpAddress") != primary
    ]
    return EniInfo(
        id=item.get("NetworkInterfaceId", ""),
        description=item.get("Description", ""),
        interface_type=item.get("InterfaceType", ""),
        instance_id=item.get("Attachment", {}).get("InstanceId"),
        private_ips=tuple([primary, *others] if primary else others),
        ipv6_ips=tuple(
            address["Ipv6Address"]
            for address in item.get("Ipv6Addresses", [])
            if address.get("Ipv6Address")
        ),
        public_ip=item.get("Association", {}).get("PublicIp"),
        subnet_id=item.get("SubnetId"),
        vpc_id=item.get("VpcId"),
        security_groups=tuple(
            SecurityGroupRef(group.get("GroupId", ""), group.get("GroupName", ""))
            for group in item.get("Groups", [])
        ),
        requester_managed=bool(item.get("RequesterManaged", False)),
        status=item.get("Status", ""),
        name_tag=_name_tag(item.get("TagSet")),
    )


def _instance(item: InstanceTypeDef) -> InstanceInfo:
    return InstanceInfo(
        id=item.get("InstanceId", ""),
        name=_name_tag(item.get("Tags")),
        state=item.get("State", {}).get("Name", ""),
        private_ip=item.get("PrivateIpAddress"),
        subnet_id=item.get("SubnetId"),
        vpc_id=item.get("VpcId"),
    )


def _subnet(item: SubnetTypeDef) -> SubnetInfo:
    return SubnetInfo(
        id=item.get("SubnetId", ""),
        vpc_id=item.get("VpcId", ""),
        cidr=item.get("CidrBlock", ""),
        ipv6_cidrs=tuple(
            block["Ipv6CidrBlock"]
            for block in item.get("Ipv6CidrBlockAssociationSet", [])
            if block.get("Ipv6CidrBlock")
        ),
        availability_zone=item.get("AvailabilityZone", ""),
        name=_name_tag(item.get("Tags")),
    )


def _vpc(item: VpcTypeDef) -> VpcInfo:
    primary = item.get("CidrBlock")
    extra = [
        block["CidrBlock"]
        for block in item.get("CidrBlockAssociationSet", [])
        if block.get("CidrBlock") and block.get("CidrBlock") != primary
    ]
    return VpcInfo(
        id=item.get("VpcId", ""),
        cidrs=tuple([primary, *extra] if primary else extra),
        ipv6_cidrs=tuple(
            block["Ipv6CidrBlock"]
            for block in item.get("Ipv6CidrBlockAssociationSet", [])
            if block.get("Ipv6CidrBlock")
        ),
        is_default=bool(item.get("IsDefault", False)),
        name=_name_tag(item.get("Tags")),
    )


def _group(item: SecurityGroupTypeDef) -> SecurityGroupInfo:
    return SecurityGroupInfo(
        id=item.get("GroupId", ""),
        name=item.get("GroupName", ""),
        description=item.get("Description", ""),
        vpc_id=item.get("VpcId"),
        rules=None,
    )


def _rule(item: SecurityGroupRuleTypeDef) -> SecurityGroupRule:
    return SecurityGroupRule(
        id=item.get("SecurityGroupRuleId", ""),
        group_id=item.get("GroupId", ""),
        is_egress=bool(item.get("IsEgress", False)),
        protocol=item.get("IpProtocol", "-1"),
        from_port=item.get("FromPort"),
        to_port=item.get("ToPort"),
        cidr_ipv4=item.get("CidrIpv4"),
        cidr_ipv6=item.get("CidrIpv6"),
        prefix_list_id=item.get("PrefixListId"),
        referenced_group_id=item.get("ReferencedGroupInfo", {}).get("GroupId"),
        description=item.get("Description", ""),
    )


def _acl(item: NetworkAclTypeDef) -> NetworkAclInfo:
    entries = tuple(
        NetworkAclEntry(
            rule_number=entry.get("RuleNumber", 32767),
            egress=bool(entry.get("Egress", False)),
            allow=entry.get("RuleAction") == "allow",
            protocol=entry.get("Protocol", "-1"),
            cidr_ipv4=entry.get("CidrBlock"),
            cidr_ipv6=entry.get("Ipv6CidrBlock"),
            from_port=entry.get("PortRange", {}).get("From"),
            to_port=entry.get("PortRange", {}).get("To"),
            icmp_type=entry.get("IcmpTypeCode", {}).get("Type"),
            icmp_code=entry.get("IcmpTypeCode", {}).get("Code"),
        )
        for entry in item.get("Entries", [])
    )
    return NetworkAclInfo(
        id=item.get("NetworkAclId", ""),
        vpc_id=item.get("VpcId", ""),
        is_default=bool(item.get("IsDefault", False)),
        subnet_ids=tuple(
            association["SubnetId"]
            for association in item.get("Associations", [])
            if association.get("SubnetId")
        ),
        entries=tuple(sorted(entries, key=lambda entry: (entry.egress, entry.rule_number))),
    )


def _flow_log(item: FlowLogTypeDef) -> FlowLogInfo:
    text = item.get("LogFormat", "")
    log_format: LogFormat | None = None
    problem: str | None = None
    try:
        log_format = parse_format(text)
    except ValueError as exc:
        problem = str(exc)
    destination_type = item.get("LogDestinationType", "cloud-watch-logs")
    return FlowLogInfo(
        id=item.get("FlowLogId", ""),
        resource_id=item.get("ResourceId", ""),
        traffic_type=item.get("TrafficType", "ALL"),
        format=log_format,
        format_text=text,
        aggregation_interval_s=item.get("MaxAggregationInterval"),
        delivery_status=item.get("DeliverLogsStatus"),
        delivery_error=item.get("DeliverLogsErrorMessage"),
        log_group=item.get("LogGroupName") if destination_type == "cloud-watch-logs" else None,
        destination_type=destination_type,
        format_error=problem,
    )
