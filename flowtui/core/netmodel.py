"""The network around a flow record, as plain data: interfaces, subnets, VPCs, ACLs, groups.

The explain evaluator (`flowtui.core.explain`) reads only these dataclasses. The converters turn
dicts shaped like EC2 API responses (DescribeNetworkInterfaces, DescribeSubnets, DescribeVpcs,
DescribeNetworkAcls, DescribeSecurityGroups, DescribeSecurityGroupRules,
GetManagedPrefixListEntries) into them, so the sources layer can hand boto3's answers over as
they come; nothing here calls AWS.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Literal

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

ALL_PROTOCOLS = -1
TCP = 6
UDP = 17
ICMP = 1
ICMPV6 = 58
#: The number AWS gives the last, unchangeable deny rule of every network ACL ("*").
IMPLICIT_DENY_RULE = 32767

DESCRIBE_NETWORK_INTERFACES = "ec2:DescribeNetworkInterfaces"
DESCRIBE_SUBNETS = "ec2:DescribeSubnets"
DESCRIBE_VPCS = "ec2:DescribeVpcs"
DESCRIBE_NETWORK_ACLS = "ec2:DescribeNetworkAcls"
DESCRIBE_SECURITY_GROUPS = "ec2:DescribeSecurityGroups"
DESCRIBE_SECURITY_GROUP_RULES = "ec2:DescribeSecurityGroupRules"
GET_MANAGED_PREFIX_LIST_ENTRIES = "ec2:GetManagedPrefixListEntries"

#: Interface types that cannot carry security groups. DescribeNetworkInterfaces spells the NAT
#: gateway type "natGateway" in its model and "nat_gateway" in its filters; both are accepted.
TYPES_WITHOUT_SECURITY_GROUPS = frozenset(
    {
        "nat_gateway",
        "natGateway",
        "transit_gateway",
        "gateway_load_balancer",
        "gateway_load_balancer_endpoint",
    }
)

#: IpProtocol spellings of security-group rules; network ACLs always use numbers.
_PROTOCOL_NAMES = {"all": ALL_PROTOCOLS, "tcp": TCP, "udp": UDP, "icmp": ICMP, "icmpv6": ICMPV6}
_ASSOCIATED_STATES = frozenset({"associated", "associating"})

PeerKind = Literal["cidr", "prefix-list", "group"]


class ShapeError(ValueError):
    """An EC2 response that does not have the documented shape; the message says where."""


@dataclass(frozen=True, slots=True)
class GroupIdentifier:
    group_id: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class Eni:
    """A network interface: where it sits, its own addresses, and its security groups."""

    eni_id: str
    subnet_id: str | None = None
    vpc_id: str | None = None
    interface_type: str = "interface"
    #: Private IPv4 addresses (primary first) and IPv6 addresses.
    addresses: tuple[str, ...] = ()
    #: Delegated IPv4/IPv6 prefixes (prefix delegation, used by EKS pods).
    prefixes: tuple[str, ...] = ()
    groups: tuple[GroupIdentifier, ...] = ()
    description: str = ""

    @property
    def has_security_groups(self) -> bool:
        return bool(self.groups) and self.interface_type not in TYPES_WITHOUT_SECURITY_GROUPS

    def owns(self, address: IPAddress) -> bool:
        """Whether the address is one of this interface's own (or in a delegated prefix)."""
        return any(address_in(address, cidr) for cidr in self.addresses + self.prefixes)


@dataclass(frozen=True, slots=True)
class Subnet:
    subnet_id: str
    vpc_id: str | None = None
    #: The IPv4 CIDR and any IPv6 CIDRs.
    cidrs: tuple[str, ...] = ()
    name: str = ""

    def contains(self, address: IPAddress) -> bool:
        return any(address_in(address, cidr) for cidr in self.cidrs)


@dataclass(frozen=True, slots=True)
class Vpc:
    vpc_id: str
    #: Every associated IPv4 and IPv6 CIDR block.
    cidrs: tuple[str, ...] = ()

    def contains(self, address: IPAddress) -> bool:
        return any(address_in(address, cidr) for cidr in self.cidrs)


@dataclass(frozen=True, slots=True)
class Traffic:
    """Which packets a rule covers.

    `protocol` is an IANA number, -1 for all. `ports` (TCP/UDP) is an inclusive destination
    port range; `icmp` is (type, code) with -1 meaning all. None means the rule does not narrow.
    """

    protocol: int
    ports: tuple[int, int] | None = None
    icmp: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class AclEntry:
    """One network ACL rule. `cidr` is the far side: the source inbound, the destination out."""

    number: int
    egress: bool
    allow: bool
    cidr: str
    traffic: Traffic


@dataclass(frozen=True, slots=True)
class NetworkAcl:
    acl_id: str
    vpc_id: str | None = None
    is_default: bool = False
    subnet_ids: tuple[str, ...] = ()
    entries: tuple[AclEntry, ...] = ()
    name: str = ""


@dataclass(frozen=True, slots=True)
class SgRule:
    """One security-group rule: traffic it allows from (inbound) or to (egress) one peer.

    `peer` is a CIDR, a prefix-list id or a security-group id, as `peer_kind` says.
    """

    egress: bool
    traffic: Traffic
    peer_kind: PeerKind
    peer: str
    rule_id: str = ""
    description: str = ""


@dataclass(frozen=True, slots=True)
class SecurityGroup:
    group_id: str
    name: str = ""
    vpc_id: str | None = None
    rules: tuple[SgRule, ...] = ()


@dataclass(frozen=True, slots=True)
class NetworkModel:
    """Everything known about the network of one record; build it with `NetworkModel.build`.

    `group_members` maps a security-group id to the private addresses (and delegated prefixes)
    of the interfaces in that group; `prefix_lists` maps a prefix-list id to its CIDRs.
    `missing_permissions` names the IAM actions whose calls were denied while gathering.
    """

    enis: Mapping[str, Eni] = field(default_factory=dict)
    subnets: Mapping[str, Subnet] = field(default_factory=dict)
    vpcs: Mapping[str, Vpc] = field(default_factory=dict)
    acls: Mapping[str, NetworkAcl] = field(default_factory=dict)
    security_groups: Mapping[str, SecurityGroup] = field(default_factory=dict)
    group_members: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    prefix_lists: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    missing_permissions: tuple[str, ...] = ()

    @classmethod
    def build(
        cls,
        *,
        enis: Iterable[Eni] = (),
        subnets: Iterable[Subnet] = (),
        vpcs: Iterable[Vpc] = (),
        acls: Iterable[NetworkAcl] = (),
        security_groups: Iterable[SecurityGroup] = (),
        group_members: Mapping[str, Iterable[str]] | None = None,
        prefix_lists: Mapping[str, Iterable[str]] | None = None,
        missing_permissions: Iterable[str] = (),
    ) -> NetworkModel:
        """A model from lists of parts, each keyed by its id."""
        return cls(
            enis={eni.eni_id: eni for eni in enis},
            subnets={subnet.subnet_id: subnet for subnet in subnets},
            vpcs={vpc.vpc_id: vpc for vpc in vpcs},
            acls={acl.acl_id: acl for acl in acls},
            security_groups={group.group_id: group for group in security_groups},
            group_members={key: tuple(value) for key, value in (group_members or {}).items()},
            prefix_lists={key: tuple(value) for key, value in (prefix_lists or {}).items()},
            missing_permissions=tuple(dict.fromkeys(missing_permissions)),
        )

    def acl_for_subnet(self, subnet_id: str, vpc_id: str | None) -> NetworkAcl | None:
        """The ACL associated with the subnet, else the VPC's default ACL, else None."""
        for acl in self.acls.values():
            if subnet_id in acl.subnet_ids:
                return acl
        for acl in self.acls.values():
            if acl.is_default and vpc_id is not None and acl.vpc_id == vpc_id:
                return acl
        return None

    def vpc_id_of(self, eni: Eni) -> str | None:
        subnet = self.subnets.get(eni.subnet_id or "")
        return eni.vpc_id or (subnet.vpc_id if subnet else None)


def address_in(address: IPAddress, cidr: str) -> bool:
    """Whether an address lies in a CIDR (or equals a bare address); families never mix."""
    return address in _network(cidr)


@cache
def _network(cidr: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return ipaddress.ip_network(cidr, strict=False)


def group_members(enis: Iterable[Eni], group_id: str) -> tuple[str, ...]:
    """The addresses a rule referencing `group_id` matches: those of the interfaces in it."""
    members: list[str] = []
    for eni in enis:
        if any(group.group_id == group_id for group in eni.groups):
            members.extend(eni.addresses + eni.prefixes)
    return tuple(dict.fromkeys(members))


# --- reading response dicts -----------------------------------------------------------------


class _Reader:
    """Typed access to one object of a response; errors name the path inside the response."""

    def __init__(self, data: object, where: str) -> None:
        if not isinstance(data, Mapping):
            raise ShapeError(f"{where} should be an object, not {type(data).__name__}")
        self._data: Mapping[object, object] = data
        self.where = where

    def text(self, key: str) -> str | None:
        value = self._data.get(key)
        if value is None or isinstance(value, str):
            return value
        raise ShapeError(f"{self.where}.{key} should be text, not {value!r}")

    def required_text(self, key: str) -> str:
        value = self.text(key)
        if not value:
            raise ShapeError(f"{self.where} has no {key}")
        return value

    def integer(self, key: str) -> int | None:
        value = self._data.get(key)
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        raise ShapeError(f"{self.where}.{key} should be a whole number, not {value!r}")

    def flag(self, key: str) -> bool:
        value = self._data.get(key, False)
        if isinstance(value, bool):
            return value
        raise ShapeError(f"{self.where}.{key} should be true or false, not {value!r}")

    def child(self, key: str) -> _Reader | None:
        value = self._data.get(key)
        return None if value is None else _Reader(value, f"{self.where}.{key}")

    def items(self, key: str) -> list[_Reader]:
        value = self._data.get(key)
        if value is None:
            return []
        if not isinstance(value, list | tuple):
            raise ShapeError(f"{self.where}.{key} should be a list, not {type(value).__name__}")
        return [_Reader(item, f"{self.where}.{key}[{index}]") for index, item in enumerate(value)]

    def cidr(self, key: str) -> str | None:
        value = self.text(key)
        if value is not None:
            try:
                ipaddress.ip_network(value, strict=False)
            except ValueError:
                raise ShapeError(f"{self.where}.{key} is not a CIDR block: {value!r}") from None
        return value

    def name_tag(self, key: str = "Tags") -> str:
        for tag in self.items(key):
            if tag.text("Key") == "Name":
                return tag.text("Value") or ""
        return ""


def _response(response: Mapping[str, object], key: str, operation: str) -> list[_Reader]:
    return _Reader(response, operation).items(key)


def _protocol(text: str, where: str) -> int:
    """An IpProtocol / Protocol value ("-1", "6", "tcp", "icmpv6") as a number, -1 for all."""
    spelled = text.strip().lower()
    if spelled in _PROTOCOL_NAMES:
        return _PROTOCOL_NAMES[spelled]
    if spelled.removeprefix("-").isdecimal():
        number = int(spelled)
        if number == ALL_PROTOCOLS or 0 <= number <= 255:
            return number
    raise ShapeError(f"{where} is not a protocol: {text!r}")


def _ports_or_icmp(protocol: int, low: int | None, high: int | None) -> Traffic:
    """Traffic from a protocol and a (FromPort, ToPort) pair as security-group rules give it.

    For ICMP the pair is (type, code); for TCP and UDP -1 or a missing pair means every port.
    """
    if protocol in (ICMP, ICMPV6):
        return Traffic(protocol, icmp=(-1 if low is None else low, -1 if high is None else high))
    if protocol in (TCP, UDP) and low is not None and low != -1:
        return Traffic(protocol, ports=(low, high if high is not None else low))
    return Traffic(protocol)


# --- converters -----------------------------------------------------------------------------


def enis_from_response(response: Mapping[str, object]) -> list[Eni]:
    """Interfaces from a DescribeNetworkInterfaces response."""
    return [
        _eni(item) for item in _response(response, "NetworkInterfaces", "DescribeNetworkInterfaces")
    ]


def _eni(item: _Reader) -> Eni:
    primary_first = sorted(item.items("PrivateIpAddresses"), key=lambda e: not e.flag("Primary"))
    ipv4 = [address for entry in primary_first if (address := entry.text("PrivateIpAddress"))]
    main = item.text("PrivateIpAddress")
    if main and main not in ipv4:
        ipv4.insert(0, main)
    ipv6 = [
        address for entry in item.items("Ipv6Addresses") if (address := entry.text("Ipv6Address"))
    ]
    prefixes = [p for entry in item.items("Ipv4Prefixes") if (p := entry.cidr("Ipv4Prefix"))]
    prefixes += [p for entry in item.items("Ipv6Prefixes") if (p := entry.cidr("Ipv6Prefix"))]
    groups = tuple(
        GroupIdentifier(group.required_text("GroupId"), group.text("GroupName") or "")
        for group in item.items("Groups")
    )
    return Eni(
        eni_id=item.required_text("NetworkInterfaceId"),
        subnet_id=item.text("SubnetId"),
        vpc_id=item.text("VpcId"),
        interface_type=item.text("InterfaceType") or "interface",
        addresses=tuple(ipv4 + ipv6),
        prefixes=tuple(prefixes),
        groups=groups,
        description=item.text("Description") or "",
    )


def subnets_from_response(response: Mapping[str, object]) -> list[Subnet]:
    """Subnets from a DescribeSubnets response."""
    return [_subnet(item) for item in _response(response, "Subnets", "DescribeSubnets")]


def _associated_ipv6(item: _Reader, state_key: str) -> list[str]:
    """IPv6 CIDRs of an Ipv6CidrBlockAssociationSet that are (being) associated."""
    cidrs = []
    for association in item.items("Ipv6CidrBlockAssociationSet"):
        state = association.child(state_key)
        if state is None or state.text("State") in _ASSOCIATED_STATES:
            cidr = association.cidr("Ipv6CidrBlock")
            if cidr:
                cidrs.append(cidr)
    return cidrs


def _subnet(item: _Reader) -> Subnet:
    ipv4 = item.cidr("CidrBlock")
    cidrs = ([ipv4] if ipv4 else []) + _associated_ipv6(item, "Ipv6CidrBlockState")
    return Subnet(
        subnet_id=item.required_text("SubnetId"),
        vpc_id=item.text("VpcId"),
        cidrs=tuple(cidrs),
        name=item.name_tag(),
    )


def vpcs_from_response(response: Mapping[str, object]) -> list[Vpc]:
    """VPCs with every associated CIDR block from a DescribeVpcs response."""
    return [_vpc(item) for item in _response(response, "Vpcs", "DescribeVpcs")]


def _vpc(item: _Reader) -> Vpc:
    cidrs: list[str] = []
    for association in item.items("CidrBlockAssociationSet"):
        state = association.child("CidrBlockState")
        cidr = association.cidr("CidrBlock")
        if cidr and (state is None or state.text("State") in _ASSOCIATED_STATES):
            cidrs.append(cidr)
    main = item.cidr("CidrBlock")
    if main and main not in cidrs:
        cidrs.insert(0, main)
    cidrs += _associated_ipv6(item, "Ipv6CidrBlockState")
    return Vpc(vpc_id=item.required_text("VpcId"), cidrs=tuple(cidrs))


def acls_from_response(response: Mapping[str, object]) -> list[NetworkAcl]:
    """Network ACLs with their rules and subnet associations from DescribeNetworkAcls."""
    return [_acl(item) for item in _response(response, "NetworkAcls", "DescribeNetworkAcls")]


def _acl(item: _Reader) -> NetworkAcl:
    return NetworkAcl(
        acl_id=item.required_text("NetworkAclId"),
        vpc_id=item.text("VpcId"),
        is_default=item.flag("IsDefault"),
        subnet_ids=tuple(
            subnet
            for association in item.items("Associations")
            if (subnet := association.text("SubnetId"))
        ),
        entries=tuple(_acl_entry(entry) for entry in item.items("Entries")),
        name=item.name_tag(),
    )


def _acl_entry(entry: _Reader) -> AclEntry:
    number = entry.integer("RuleNumber")
    if number is None:
        raise ShapeError(f"{entry.where} has no RuleNumber")
    action = entry.required_text("RuleAction")
    if action not in ("allow", "deny"):
        raise ShapeError(f"{entry.where}.RuleAction should be allow or deny, not {action!r}")
    cidr = entry.cidr("CidrBlock") or entry.cidr("Ipv6CidrBlock")
    if cidr is None:
        raise ShapeError(f"{entry.where} has neither CidrBlock nor Ipv6CidrBlock")
    protocol = _protocol(entry.required_text("Protocol"), f"{entry.where}.Protocol")
    return AclEntry(
        number, entry.flag("Egress"), action == "allow", cidr, _acl_traffic(entry, protocol)
    )


def _acl_traffic(entry: _Reader, protocol: int) -> Traffic:
    port_range = entry.child("PortRange")
    icmp = entry.child("IcmpTypeCode")
    if protocol in (TCP, UDP) and port_range is not None:
        low, high = port_range.integer("From"), port_range.integer("To")
        if low is not None:
            return Traffic(protocol, ports=(low, high if high is not None else low))
    if protocol in (ICMP, ICMPV6) and icmp is not None:
        icmp_type, code = icmp.integer("Type"), icmp.integer("Code")
        return Traffic(
            protocol, icmp=(-1 if icmp_type is None else icmp_type, -1 if code is None else code)
        )
    return Traffic(protocol)


def security_groups_from_response(response: Mapping[str, object]) -> list[SecurityGroup]:
    """Groups with their rules from a DescribeSecurityGroups response (IpPermissions shape)."""
    return [
        _group(item) for item in _response(response, "SecurityGroups", "DescribeSecurityGroups")
    ]


def _group(item: _Reader) -> SecurityGroup:
    rules = [rule for perm in item.items("IpPermissions") for rule in _permission(perm, False)]
    rules += [
        rule for perm in item.items("IpPermissionsEgress") for rule in _permission(perm, True)
    ]
    return SecurityGroup(
        group_id=item.required_text("GroupId"),
        name=item.text("GroupName") or "",
        vpc_id=item.text("VpcId"),
        rules=tuple(rules),
    )


#: Where an IpPermission lists its peers: (kind, list key, value key).
_PERMISSION_PEERS: tuple[tuple[PeerKind, str, str], ...] = (
    ("cidr", "IpRanges", "CidrIp"),
    ("cidr", "Ipv6Ranges", "CidrIpv6"),
    ("prefix-list", "PrefixListIds", "PrefixListId"),
    ("group", "UserIdGroupPairs", "GroupId"),
)


def _permission(permission: _Reader, egress: bool) -> list[SgRule]:
    """One IpPermission: one rule per CIDR, IPv6 CIDR, prefix list and referenced group."""
    protocol = _protocol(permission.required_text("IpProtocol"), f"{permission.where}.IpProtocol")
    traffic = _ports_or_icmp(protocol, permission.integer("FromPort"), permission.integer("ToPort"))
    rules: list[SgRule] = []
    for kind, list_key, value_key in _PERMISSION_PEERS:
        for peer in permission.items(list_key):
            value = peer.cidr(value_key) if kind == "cidr" else peer.required_text(value_key)
            if value:
                description = peer.text("Description") or ""
                rules.append(SgRule(egress, traffic, kind, value, description=description))
    return rules


def security_groups_from_rules(
    response: Mapping[str, object], groups: Iterable[GroupIdentifier]
) -> list[SecurityGroup]:
    """Groups from a DescribeSecurityGroupRules response, for the groups that were asked about.

    That response lists rules, not groups, and has no group names: `groups` gives both, and a
    group without any rule still comes back (with no rules) so that it is not taken as missing.
    """
    named = {group.group_id: group.name for group in groups}
    rules_by_group: dict[str, list[SgRule]] = {group_id: [] for group_id in named}
    for item in _response(response, "SecurityGroupRules", "DescribeSecurityGroupRules"):
        rules_by_group.setdefault(item.required_text("GroupId"), []).append(_group_rule(item))
    return [
        SecurityGroup(group_id, named.get(group_id, ""), rules=tuple(rules))
        for group_id, rules in rules_by_group.items()
    ]


def _group_rule(item: _Reader) -> SgRule:
    protocol = _protocol(item.required_text("IpProtocol"), f"{item.where}.IpProtocol")
    traffic = _ports_or_icmp(protocol, item.integer("FromPort"), item.integer("ToPort"))
    referenced = item.child("ReferencedGroupInfo")
    peer: tuple[PeerKind, str | None]
    if referenced is not None:
        peer = ("group", referenced.required_text("GroupId"))
    elif item.text("PrefixListId"):
        peer = ("prefix-list", item.text("PrefixListId"))
    else:
        peer = ("cidr", item.cidr("CidrIpv4") or item.cidr("CidrIpv6"))
    kind, value = peer
    if value is None:
        raise ShapeError(f"{item.where} names no CIDR, prefix list or referenced group")
    return SgRule(
        egress=item.flag("IsEgress"),
        traffic=traffic,
        peer_kind=kind,
        peer=value,
        rule_id=item.text("SecurityGroupRuleId") or "",
        description=item.text("Description") or "",
    )


def prefix_list_cidrs(response: Mapping[str, object]) -> tuple[str, ...]:
    """The CIDRs of a GetManagedPrefixListEntries response."""
    entries = _response(response, "Entries", "GetManagedPrefixListEntries")
    return tuple(cidr for entry in entries if (cidr := entry.cidr("Cidr")))
