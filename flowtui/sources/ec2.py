"""Every EC2 lookup flowtui makes, behind one cache: enrichment of streams, find, and explain.

EC2 lookups: one module, one cache. `Ec2Lookups` here is the only cache of EC2 resources
(one per connection, through `shared_lookups`); it pages calls, keeps what they return and
notes denied permissions. Two helper modules hold what it uses and keep no state:
`flowtui.sources.ec2_describe` sends one page of each describe call, and
`flowtui.sources.ec2_resources` holds what lookups return (`EniInfo`, `InstanceInfo`,
`FlowLogInfo`) and converts raw items into it.

Responses are parsed once, by the network model's converters (`flowtui.core.netmodel`): the
lookups return its `Eni`, `Subnet`, `Vpc`, `NetworkAcl` and `SecurityGroup` objects, and
`EniInfo` adds to an `Eni` only what a person recognises an interface by.

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
from typing import TYPE_CHECKING, TypeVar

from flowtui.core import netmodel
from flowtui.core.formats import LogFormat
from flowtui.core.netmodel import (
    DESCRIBE_NETWORK_ACLS,
    DESCRIBE_NETWORK_INTERFACES,
    DESCRIBE_SECURITY_GROUP_RULES,
    DESCRIBE_SECURITY_GROUPS,
    DESCRIBE_SUBNETS,
    DESCRIBE_VPCS,
    GET_MANAGED_PREFIX_LIST_ENTRIES,
    GroupIdentifier,
    NetworkAcl,
    SecurityGroup,
    ShapeError,
    Subnet,
    Vpc,
)
from flowtui.sources import ec2_describe
from flowtui.sources.aws import AccessDeniedError, AwsConnection, SourceError
from flowtui.sources.ec2_resources import (
    EniInfo,
    FlowLogInfo,
    InstanceInfo,
    distinct_formats,
    eni_infos,
    flow_log_info,
    instance_info,
)
from flowtui.sources.ratelimit import SYSTEM_CLOCK, Clock, RateLimiter

if TYPE_CHECKING:
    from mypy_boto3_ec2.type_defs import (
        FilterTypeDef,
        NetworkInterfaceTypeDef,
    )


T = TypeVar("T")
V = TypeVar("V")
R = TypeVar("R")

#: EC2 accepts at most 200 values per filter.
FILTER_BATCH = 200

DESCRIBE_FLOW_LOGS = "ec2:DescribeFlowLogs"
DESCRIBE_INSTANCES = "ec2:DescribeInstances"


# --- cache entries ------------------------------------------------------------------------

# Cache entries that are not a resource of their own: each has a key "<resource-id>#<what>"
# so that invalidating the resource forgets them too.


@dataclass(frozen=True, slots=True)
class _FlowLogListing:
    items: tuple[FlowLogInfo, ...]


@dataclass(frozen=True, slots=True)
class _AclIndex:
    """Under "<subnet-id>#acl": which ACL guards the subnet."""

    acl_id: str


@dataclass(frozen=True, slots=True)
class _VpcSubnets:
    """Under "<vpc-id>#subnets": every subnet of the VPC."""

    subnets: tuple[Subnet, ...]


@dataclass(frozen=True, slots=True)
class _GroupMembers:
    """Under "<group-id>#members": the addresses of the interfaces in the group."""

    addresses: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _AccountInterfaces:
    """Under "account#interfaces": every ENI of the account and region."""

    enis: tuple[EniInfo, ...]


@dataclass(frozen=True, slots=True)
class _PrefixList:
    cidrs: tuple[str, ...]


@dataclass(slots=True)
class _Entry:
    value: object
    stored_at: float


def _aspect(resource_id: str, what: str) -> str:
    return f"{resource_id}#{what}"


# --- the lookups --------------------------------------------------------------------------


_DENIED_CONSEQUENCE = {
    DESCRIBE_FLOW_LOGS: "the format will be detected from the records and coverage is unknown",
    DESCRIBE_NETWORK_INTERFACES: "ENIs are shown by id only",
    DESCRIBE_INSTANCES: "instance names are not shown",
    DESCRIBE_SUBNETS: "subnet details are not shown",
    DESCRIBE_VPCS: "VPC details are not shown",
    DESCRIBE_SECURITY_GROUP_RULES: "security group rules are read with "
    "ec2:DescribeSecurityGroups instead",
    DESCRIBE_SECURITY_GROUPS: "security group rules cannot be checked",
    DESCRIBE_NETWORK_ACLS: "network ACLs cannot be checked",
    GET_MANAGED_PREFIX_LIST_ENTRIES: "prefix lists in rules cannot be expanded",
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
    #: Held while the flow-log listing is fetched: threads asking at once make one call.
    _flow_logs_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def with_cancel(self, cancel: threading.Event | None) -> Ec2Lookups:
        """These lookups (same cache, notices and denied actions) stopped by `cancel`."""
        return replace(self, cancel=cancel)

    def is_denied(self, action: str) -> bool:
        """Whether calls of the IAM action (e.g. "ec2:DescribeNetworkAcls") were refused."""
        with self._lock:
            return action in self._denied

    # --- cache ----------------------------------------------------------------------------

    def invalidate(self, resource_ids: Iterable[str] | None = None) -> None:
        """Forget cached resources (all when `resource_ids` is None) so they are read again.

        Forgetting a resource forgets what was learnt through it: a subnet's ACL, a VPC's
        subnets, a group's members.
        """
        with self._lock:
            if resource_ids is None:
                self._cache.clear()
                return
            forgotten = set(resource_ids)
            for key in list(self._cache):
                if key.partition("#")[0] in forgotten:
                    del self._cache[key]

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
        with self._flow_logs_lock:
            cached = self._get("flow-logs", _FlowLogListing)
            if cached is not None:
                return cached.items
            page = partial(ec2_describe.flow_logs_page, self.conn)
            raw = self._paged(DESCRIBE_FLOW_LOGS, page)
            if raw is None:
                return None
            items = tuple(flow_log_info(item) for item in raw)
            self._put("flow-logs", _FlowLogListing(items))
            return items

    def flow_logs_for_group(self, group_name: str) -> tuple[FlowLogInfo, ...] | None:
        """Flow logs that deliver to a log group (by name); None when unknown."""
        everything = self.flow_logs()
        if everything is None:
            return None
        return tuple(item for item in everything if item.log_group == group_name)

    def formats_for_group(self, group_name: str) -> tuple[LogFormat, ...]:
        """The record formats delivered to a group; empty when none or unknown (then the
        parser detects them)."""
        return distinct_formats(self.flow_logs_for_group(group_name) or ())

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
            for eni in self._with_instance_names(looked_up):
                self._put(eni.id, eni)
                found[eni.id] = eni
            for eni_id in missing:
                if eni_id not in found:
                    gone = EniInfo.unknown(eni_id, "deleted or not in this account")
                    self._put(eni_id, gone)
                    found[eni_id] = gone
        return {eni_id: found.get(eni_id, EniInfo.unknown(eni_id)) for eni_id in wanted}

    def interface(self, eni_id: str) -> EniInfo:
        return self.network_interfaces([eni_id])[eni_id]

    def interfaces_matching(self, filter_name: str, values: Sequence[str]) -> list[EniInfo]:
        """ENIs matching an EC2 filter (e.g. "addresses.private-ip-address"); [] if unknown."""
        looked_up = self._with_instance_names(self._describe_interfaces(filter_name, values) or [])
        for eni in looked_up:
            self._put(eni.id, eni)
        return looked_up

    def all_interfaces(self) -> list[EniInfo]:
        """Every ENI of the account and region (one call per 1,000, then cached like any
        resource); [] if unknown."""
        cached = self._get("account#interfaces", _AccountInterfaces)
        if cached is not None:
            return list(cached.enis)
        described = self._describe_interfaces(None, ())
        looked_up = self._with_instance_names(described or [])
        for eni in looked_up:
            self._put(eni.id, eni)
        if described is not None:
            self._put("account#interfaces", _AccountInterfaces(tuple(looked_up)))
        return looked_up

    def group_members(self, group_ids: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """The private addresses (and delegated prefixes) of the ENIs in each security group:
        what a rule referencing the group matches. Groups that cannot be read are absent."""
        wanted = list(dict.fromkeys(group_ids))
        found: dict[str, tuple[str, ...]] = {}
        for group_id in wanted:
            cached = self._get(_aspect(group_id, "members"), _GroupMembers)
            if cached is not None:
                found[group_id] = cached.addresses
        # One group per call, for moto's sake (see `network_acls`): ENIs have a list of groups.
        for group_id in [group_id for group_id in wanted if group_id not in found]:
            looked_up = self._describe_interfaces("group-id", [group_id])
            if looked_up is None:
                break
            enis = [info.interface for info in looked_up]
            found[group_id] = netmodel.group_members(enis, group_id)
            self._put(_aspect(group_id, "members"), _GroupMembers(found[group_id]))
        return found

    def _describe_interfaces(
        self, filter_name: str | None, values: Sequence[str]
    ) -> list[EniInfo] | None:
        """Interfaces matching a filter (every one without), without instance names."""
        if filter_name and not values:
            return []
        raw: list[NetworkInterfaceTypeDef] = []
        for batch in _batches(values) if filter_name else [[]]:
            filters: list[FilterTypeDef] = (
                [{"Name": filter_name, "Values": batch}] if filter_name else []
            )
            page = partial(ec2_describe.network_interfaces_page, self.conn, filters)
            items = self._paged(DESCRIBE_NETWORK_INTERFACES, page)
            if items is None:
                return None
            raw.extend(items)
        return self._converted(DESCRIBE_NETWORK_INTERFACES, partial(eni_infos, raw))

    def _with_instance_names(self, enis: list[EniInfo]) -> list[EniInfo]:
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
            page = partial(ec2_describe.instances_page, self.conn, filters)
            items = self._paged(DESCRIBE_INSTANCES, page)
            if items is None:
                return None
            for item in items:
                instance = instance_info(item)
                self._put(instance.id, instance)
                found.append(instance)
        return found

    # --- subnets and VPCs -----------------------------------------------------------------

    def subnets(self, subnet_ids: Iterable[str]) -> dict[str, Subnet]:
        """Subnets by id; absent when deleted or unreadable."""
        wanted = list(dict.fromkeys(subnet_ids))
        found = {i: c for i in wanted if (c := self._get(i, Subnet)) is not None}
        missing = [i for i in wanted if i not in found]
        for batch in _batches(missing):
            for subnet in self._describe_subnets([{"Name": "subnet-id", "Values": batch}]) or []:
                found[subnet.subnet_id] = subnet
        return found

    def subnets_of_vpc(self, vpc_id: str) -> tuple[Subnet, ...] | None:
        """Every subnet of a VPC; None when they cannot be read."""
        cached = self._get(_aspect(vpc_id, "subnets"), _VpcSubnets)
        if cached is not None:
            return cached.subnets
        subnets = self._describe_subnets([{"Name": "vpc-id", "Values": [vpc_id]}])
        if subnets is None:
            return None
        self._put(_aspect(vpc_id, "subnets"), _VpcSubnets(tuple(subnets)))
        return tuple(subnets)

    def _describe_subnets(self, filters: list[FilterTypeDef]) -> list[Subnet] | None:
        page = partial(ec2_describe.subnets_page, self.conn, filters)
        raw = self._paged(DESCRIBE_SUBNETS, page)
        if raw is None:
            return None
        subnets = self._converted(
            DESCRIBE_SUBNETS, partial(netmodel.subnets_from_response, {"Subnets": raw})
        )
        for subnet in subnets or ():
            self._put(subnet.subnet_id, subnet)
        return subnets

    def vpcs(self, vpc_ids: Iterable[str]) -> dict[str, Vpc]:
        """VPCs (with every associated CIDR block) by id; absent when deleted or unreadable."""
        wanted = list(dict.fromkeys(vpc_ids))
        found = {i: c for i in wanted if (c := self._get(i, Vpc)) is not None}
        missing = [i for i in wanted if i not in found]
        for batch in _batches(missing):
            filters: list[FilterTypeDef] = [{"Name": "vpc-id", "Values": batch}]
            page = partial(ec2_describe.vpcs_page, self.conn, filters)
            raw = self._paged(DESCRIBE_VPCS, page)
            if raw is None:
                break
            convert = partial(netmodel.vpcs_from_response, {"Vpcs": raw})
            for vpc in self._converted(DESCRIBE_VPCS, convert) or ():
                self._put(vpc.vpc_id, vpc)
                found[vpc.vpc_id] = vpc
        return found

    # --- security groups ------------------------------------------------------------------

    def security_groups(self, groups: Iterable[GroupIdentifier]) -> dict[str, SecurityGroup]:
        """Security groups with their rules, by id; absent when their rules cannot be read.

        Rules come from ec2:DescribeSecurityGroupRules (which names each rule), else from
        ec2:DescribeSecurityGroups. The former has no group names: `groups` gives them.
        """
        wanted = {group.group_id: group for group in groups}
        found = {i: c for i in wanted if (c := self._get(i, SecurityGroup)) is not None}
        missing = [wanted[i] for i in wanted if i not in found]
        for start in range(0, len(missing), FILTER_BATCH):
            batch = missing[start : start + FILTER_BATCH]
            looked_up = self._groups_from_rules(batch)
            if looked_up is None:
                looked_up = self._groups_described([group.group_id for group in batch])
            for group in looked_up or ():
                self._put(group.group_id, group)
                found[group.group_id] = group
        return found

    def _groups_from_rules(self, groups: list[GroupIdentifier]) -> list[SecurityGroup] | None:
        filters: list[FilterTypeDef] = [
            {"Name": "group-id", "Values": [group.group_id for group in groups]}
        ]
        page = partial(ec2_describe.security_group_rules_page, self.conn, filters)
        raw = self._paged(DESCRIBE_SECURITY_GROUP_RULES, page)
        if raw is None:
            return None
        response = {"SecurityGroupRules": raw}
        convert = partial(netmodel.security_groups_from_rules, response, groups)
        return self._converted(DESCRIBE_SECURITY_GROUP_RULES, convert)

    def _groups_described(self, group_ids: list[str]) -> list[SecurityGroup] | None:
        filters: list[FilterTypeDef] = [{"Name": "group-id", "Values": group_ids}]
        page = partial(ec2_describe.security_groups_page, self.conn, filters)
        raw = self._paged(DESCRIBE_SECURITY_GROUPS, page)
        if raw is None:
            return None
        convert = partial(netmodel.security_groups_from_response, {"SecurityGroups": raw})
        return self._converted(DESCRIBE_SECURITY_GROUPS, convert)

    # --- network ACLs ---------------------------------------------------------------------

    def network_acls(
        self, subnet_ids: Iterable[str], vpc_id: str | None = None
    ) -> dict[str, NetworkAcl]:
        """The network ACL of each subnet: the one associated with it, else its VPC's default
        ACL (`vpc_id`, else looked up). Subnets whose ACL cannot be read are absent."""
        wanted = list(dict.fromkeys(subnet_ids))
        found: dict[str, NetworkAcl] = {}
        for subnet_id in wanted:
            index = self._get(_aspect(subnet_id, "acl"), _AclIndex)
            cached = self._get(index.acl_id, NetworkAcl) if index else None
            if cached is not None:
                found[subnet_id] = cached
        missing = [subnet_id for subnet_id in wanted if subnet_id not in found]
        # One subnet per call: moto matches a filter's values against a list attribute (the
        # associations) only when one holds the other, not when they merely overlap as on AWS.
        for subnet_id in missing:
            associated = self._describe_acls(
                [{"Name": "association.subnet-id", "Values": [subnet_id]}]
            )
            acl = associated[0] if associated else self._default_acl(subnet_id, vpc_id)
            if acl is not None:
                self._put(_aspect(subnet_id, "acl"), _AclIndex(acl.acl_id))
                found[subnet_id] = acl
        return found

    def _default_acl(self, subnet_id: str, vpc_id: str | None) -> NetworkAcl | None:
        if self.is_denied(DESCRIBE_NETWORK_ACLS):
            return None
        vpc_id = vpc_id or self._vpc_of_subnet(subnet_id)
        if vpc_id is None:
            return None
        defaults = self._describe_acls(
            [{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "default", "Values": ["true"]}]
        )
        return defaults[0] if defaults else None

    def _vpc_of_subnet(self, subnet_id: str) -> str | None:
        subnet = self.subnets([subnet_id]).get(subnet_id)
        return subnet.vpc_id if subnet else None

    def _describe_acls(self, filters: list[FilterTypeDef]) -> list[NetworkAcl] | None:
        page = partial(ec2_describe.network_acls_page, self.conn, filters)
        raw = self._paged(DESCRIBE_NETWORK_ACLS, page)
        if raw is None:
            return None
        convert = partial(netmodel.acls_from_response, {"NetworkAcls": raw})
        acls = self._converted(DESCRIBE_NETWORK_ACLS, convert)
        for acl in acls or ():
            self._put(acl.acl_id, acl)
        return acls

    # --- prefix lists ---------------------------------------------------------------------

    def prefix_list_cidrs(self, prefix_list_id: str) -> tuple[str, ...] | None:
        """The CIDRs of a managed prefix list; None when they cannot be read."""
        cached = self._get(prefix_list_id, _PrefixList)
        if cached is not None:
            return cached.cidrs
        page = partial(ec2_describe.prefix_list_entries_page, self.conn, prefix_list_id)
        raw = self._paged(GET_MANAGED_PREFIX_LIST_ENTRIES, page)
        if raw is None:
            return None
        convert = partial(netmodel.prefix_list_cidrs, {"Entries": raw})
        cidrs = self._converted(GET_MANAGED_PREFIX_LIST_ENTRIES, convert)
        if cidrs is not None:
            self._put(prefix_list_id, _PrefixList(cidrs))
        return cidrs

    # --- plumbing -------------------------------------------------------------------------

    def _paged(
        self, action: str, page: Callable[[str | None], tuple[Sequence[T], str | None]]
    ) -> list[T] | None:
        """All items of a paged call, or None when the action is denied or fails."""
        if self.is_denied(action):
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

    def _converted(self, action: str, convert: Callable[[], R]) -> R | None:
        """The parsed response, or None (and a notice) when it does not have AWS's shape."""
        try:
            return convert()
        except ShapeError as exc:
            self._note(f"{action} answered in an unexpected shape, so it is not used: {exc}")
            return None

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


def _batches(values: Sequence[str]) -> list[list[str]]:
    return [list(values[i : i + FILTER_BATCH]) for i in range(0, len(values), FILTER_BATCH)]
