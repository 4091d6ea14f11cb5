"""Explain a flow record: which network ACL rule or security group decided it.

`explain` judges one record (`FlowFacts`) against today's rules (a `NetworkModel`) with AWS's
semantics, and says in plain words what decided it, step by step:

- Network ACLs sit at subnet boundaries, not at the interface: traffic inside one subnet
  crosses none; traffic between two subnets of the VPC crosses the sender's outbound and the
  receiver's inbound ACL; traffic to or from outside the VPC crosses the interface's subnet
  ACL in its direction. Rules go in ascending number, the first match wins, and the final
  deny applies whether or not the data lists it. ACLs are stateless: a response is judged on
  its own direction.
- Security groups allow only, and are the union of the interface's groups. They are stateful:
  a record that looks like a response is allowed when the connection it answers is. Some
  interfaces (NAT gateways, transit gateway attachments...) have no groups at all.
- Matching uses the packet's own addresses (`pkt-srcaddr`/`pkt-dstaddr` when present).

The rules are current and the record is history; verdicts say so whenever that matters.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Literal

from flowtui.core.netmodel import (
    ALL_PROTOCOLS,
    DESCRIBE_NETWORK_ACLS,
    DESCRIBE_NETWORK_INTERFACES,
    DESCRIBE_SECURITY_GROUP_RULES,
    DESCRIBE_SECURITY_GROUPS,
    DESCRIBE_SUBNETS,
    DESCRIBE_VPCS,
    GET_MANAGED_PREFIX_LIST_ENTRIES,
    ICMP,
    ICMPV6,
    IMPLICIT_DENY_RULE,
    TCP,
    TYPES_WITHOUT_SECURITY_GROUPS,
    UDP,
    AclEntry,
    Eni,
    IPAddress,
    NetworkAcl,
    NetworkModel,
    SgRule,
    Subnet,
    Traffic,
    address_in,
)
from flowtui.core.protocols import protocol_info

Direction = Literal["inbound", "outbound"]
VerdictKind = Literal["nacl-deny", "sg-no-allow", "allowed", "bpa", "unknown"]
RuleSource = Literal["network-acl", "security-group"]

_SYN = 2
_SYN_ACK = 18
_FIRST_CLIENT_PORT = 1024
_HIGHEST_PORT = 65535
_ECHO_REQUEST = {ICMP: 8, ICMPV6: 128}
_ICMP_TYPE_NAMES = {
    (ICMP, 0): "echo reply",
    (ICMP, 3): "destination unreachable",
    (ICMP, 8): "echo request",
    (ICMP, 11): "time exceeded",
    (ICMPV6, 1): "destination unreachable",
    (ICMPV6, 128): "echo request",
    (ICMPV6, 129): "echo reply",
}
_HISTORY = "the rules are current; the record is history"
_FINAL_RULE_TEXT = "deny all traffic: no numbered rule matched"


class RecordError(ValueError):
    """A record that cannot be explained as given; the message says which field is wrong."""


# --- the record -----------------------------------------------------------------------------


def _checked_address(value: str | None, name: str) -> None:
    if value is None:
        return
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise RecordError(f"{name} {value!r} is not an IP address") from None


@dataclass(frozen=True, slots=True)
class FlowFacts:
    """The fields of one flow record that explaining it needs (AWS names, `-` as None)."""

    interface_id: str
    protocol: int | None = None
    srcaddr: str | None = None
    dstaddr: str | None = None
    srcport: int | None = None
    dstport: int | None = None
    pkt_srcaddr: str | None = None
    pkt_dstaddr: str | None = None
    flow_direction: str | None = None
    action: str | None = None
    reject_reason: str | None = None
    tcp_flags: int | None = None
    #: False when the record's format has no reject-reason field (before version 8).
    has_reject_reason: bool = True

    def __post_init__(self) -> None:
        for name, address in (
            ("srcaddr", self.srcaddr),
            ("dstaddr", self.dstaddr),
            ("pkt-srcaddr", self.pkt_srcaddr),
            ("pkt-dstaddr", self.pkt_dstaddr),
        ):
            _checked_address(address, name)
        for name, port in (("srcport", self.srcport), ("dstport", self.dstport)):
            if port is not None and not 0 <= port <= _HIGHEST_PORT:
                raise RecordError(f"{name} {port} is not a port number (0-65535)")
        if self.protocol is not None and not 0 <= self.protocol <= 255:
            raise RecordError(f"protocol {self.protocol} is not a protocol number (0-255)")
        if self.flow_direction not in (None, "ingress", "egress"):
            raise RecordError(f"flow-direction {self.flow_direction!r} is not ingress or egress")

    @classmethod
    def from_record(cls, record: Mapping[str, object]) -> FlowFacts:
        """Facts from a record keyed by AWS field names ('pkt-srcaddr', ...).

        Values may be text as in the log line, ints for integer fields, None or '-' when absent;
        an IPv4 address may be its 32-bit integer with the IPv6 form in '<field>_v6', as the
        record store keeps them. RecordError names the field when a value is unusable.
        """
        interface_id = _record_text(record, "interface-id")
        if interface_id is None:
            raise RecordError(
                "the record has no interface-id: explaining it needs the network interface "
                "it was captured on"
            )
        return cls(
            interface_id=interface_id,
            protocol=_record_int(record, "protocol"),
            srcaddr=_record_address(record, "srcaddr"),
            dstaddr=_record_address(record, "dstaddr"),
            srcport=_record_int(record, "srcport"),
            dstport=_record_int(record, "dstport"),
            pkt_srcaddr=_record_address(record, "pkt-srcaddr"),
            pkt_dstaddr=_record_address(record, "pkt-dstaddr"),
            flow_direction=_record_text(record, "flow-direction"),
            action=_record_text(record, "action"),
            reject_reason=_record_text(record, "reject-reason"),
            tcp_flags=_record_int(record, "tcp-flags"),
            has_reject_reason="reject-reason" in record,
        )


def _record_text(record: Mapping[str, object], name: str) -> str | None:
    value = record.get(name)
    if value is None:
        return None
    text = str(value).strip()
    return None if text in ("", "-") else text


def _record_int(record: Mapping[str, object], name: str) -> int | None:
    value = record.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = _record_text(record, name)
    if text is None:
        return None
    if not (text.isascii() and text.isdecimal()):
        raise RecordError(f"{name} {text!r} is not a number")
    return int(text)


def _record_address(record: Mapping[str, object], name: str) -> str | None:
    value = record.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return str(ipaddress.IPv4Address(value))
        except ValueError:
            raise RecordError(f"{name} {value} is not an IPv4 address") from None
    return _record_text(record, name) or _record_text(record, f"{name}_v6")


# --- the verdict ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RuleRef:
    """The rule that decided: a network ACL rule, or the security groups that allow nothing.

    `ids` is the ACL, or every group of the interface; `number` is the ACL rule number (32767
    for the final `*` rule), None for security groups; `text` is the rule in words.
    """

    source: RuleSource
    ids: tuple[str, ...]
    direction: Direction
    number: int | None
    text: str
    subnet_id: str | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "type": self.source,
            "ids": list(self.ids),
            "direction": self.direction,
            "number": self.number,
            "text": self.text,
            "subnet": self.subnet_id,
        }


@dataclass(frozen=True, slots=True)
class Verdict:
    """What decided a record: `text` in plain words, `steps` in evaluation order.

    `missing` names the IAM actions that were denied while gathering data this verdict needed.
    """

    kind: VerdictKind
    rule: RuleRef | None
    text: str
    steps: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {
            "verdict": self.kind,
            "rule": self.rule.to_json() if self.rule else None,
            "text": self.text,
            "steps": list(self.steps),
            "missing_permissions": list(self.missing),
        }


# --- evaluation state -----------------------------------------------------------------------


class _Outcome(Enum):
    ALLOW = "allow"
    DENY = "deny"
    UNKNOWN = "unknown"


class _Match(Enum):
    YES = "yes"
    NO = "no"
    MAYBE = "maybe"


@dataclass(frozen=True, slots=True)
class _Packet:
    """A packet as the rules see it; `icmp_type` is known only when inferred."""

    protocol: int
    src: IPAddress
    dst: IPAddress
    srcport: int | None
    dstport: int | None
    icmp_type: int | None = None

    def answered(self) -> _Packet:
        """The packet this one answers if it is a response (an echo request for ICMP)."""
        return _Packet(
            self.protocol,
            self.dst,
            self.src,
            self.dstport,
            self.srcport,
            _ECHO_REQUEST.get(self.protocol),
        )


@dataclass(slots=True)
class _Trace:
    """The steps taken so far and the denied permissions they ran into."""

    network: NetworkModel
    steps: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def step(self, text: str) -> None:
        self.steps.append(text)

    def unavailable(self, *actions: str) -> str:
        """' (ec2:X was denied)' for the actions that were denied, noting them; else ''."""
        denied = [action for action in actions if action in self.network.missing_permissions]
        self.missing.extend(action for action in denied if action not in self.missing)
        if not denied:
            return ""
        return f" ({' and '.join(denied)} {'was' if len(denied) == 1 else 'were'} denied)"


@dataclass(frozen=True, slots=True)
class _Crossing:
    """One network ACL boundary the packet crosses.

    `subnet_id` None: the far end is in the VPC but its subnet is not known. `certain` False:
    the interface's own subnet CIDR is not known, so the far end may be inside it (no ACL).
    """

    subnet_id: str | None
    egress: bool
    far_side: bool
    certain: bool = True

    @property
    def direction(self) -> Direction:
        return "outbound" if self.egress else "inbound"


@dataclass(frozen=True, slots=True)
class _AclFinding:
    outcome: _Outcome
    #: The deciding rule when the outcome is known.
    rule: RuleRef | None = None
    #: Why the outcome is unknown.
    summary: str = ""
    subnet_label: str = ""
    far_side: bool = False

    @property
    def rule_number(self) -> str:
        """'100', or '*' for the final rule."""
        if self.rule is None or self.rule.number == IMPLICIT_DENY_RULE:
            return "*"
        return str(self.rule.number)

    @property
    def acl_rule(self) -> str:
        """'acl-0abc rule 100'."""
        acl_id = self.rule.ids[0] if self.rule else "?"
        return f"{acl_id} rule {self.rule_number}"


@dataclass(frozen=True, slots=True)
class _GroupFinding:
    outcome: _Outcome
    involved: bool = True
    rule: RuleRef | None = None
    #: Why no group allows it (DENY), or what could not be checked (UNKNOWN).
    summary: str = ""
    #: Why the record looks like a response, when only that makes the groups allow it.
    as_response: str = ""
    plural: bool = False


# --- small words ----------------------------------------------------------------------------


def _protocol_name(number: int) -> str:
    if number == ALL_PROTOCOLS:
        return "all traffic"
    return protocol_info(number).keyword or f"protocol {number}"


def _icmp_type_text(protocol: int, icmp_type: int) -> str:
    name = _ICMP_TYPE_NAMES.get((protocol, icmp_type))
    return f"type {icmp_type} ({name})" if name else f"type {icmp_type}"


def _traffic_text(traffic: Traffic) -> str:
    """'all traffic', 'TCP ports 22', 'TCP ports 1024-65535', 'ICMP type 8 (echo request)'."""
    name = _protocol_name(traffic.protocol)
    if traffic.ports is not None:
        low, high = traffic.ports
        return f"{name} ports {low}" if low == high else f"{name} ports {low}-{high}"
    if traffic.icmp is not None:
        icmp_type, code = traffic.icmp
        if icmp_type == -1:
            return f"{name} all types"
        codes = "" if code == -1 else f" code {code}"
        return f"{name} {_icmp_type_text(traffic.protocol, icmp_type)}{codes}"
    return name if traffic.protocol == ALL_PROTOCOLS else f"{name} all ports"


def _packet_text(packet: _Packet) -> str:
    """'TCP 22' (the destination port), 'ICMP type 8 (echo request)' when inferred, or 'ICMP'."""
    name = _protocol_name(packet.protocol)
    if packet.protocol in (TCP, UDP) and packet.dstport is not None:
        return f"{name} {packet.dstport}"
    if packet.icmp_type is not None:
        return f"{name} {_icmp_type_text(packet.protocol, packet.icmp_type)}"
    return name


def _endpoints(packet: _Packet) -> str:
    """'203.0.113.5:51234 -> 10.0.1.10:22'; ports only for TCP and UDP."""

    def endpoint(address: IPAddress, port: int | None) -> str:
        if port is None or packet.protocol not in (TCP, UDP):
            return str(address)
        return f"[{address}]:{port}" if address.version == 6 else f"{address}:{port}"

    return f"{endpoint(packet.src, packet.srcport)} -> {endpoint(packet.dst, packet.dstport)}"


def _peer(packet: _Packet, direction: Direction) -> IPAddress:
    return packet.src if direction == "inbound" else packet.dst


def _toward(direction: Direction) -> str:
    """The preposition for the far end: inbound traffic comes from it, outbound goes to it."""
    return "from" if direction == "inbound" else "to"


def _lead(packet: _Packet, direction: Direction) -> str:
    """'Inbound TCP 22 from 203.0.113.5'."""
    peer = _peer(packet, direction)
    return f"{direction.capitalize()} {_packet_text(packet)} {_toward(direction)} {peer}"


def _subnet_label(subnet_id: str, subnet: Subnet | None) -> str:
    return f"{subnet_id} ({subnet.name})" if subnet and subnet.name else subnet_id


def _group_label(group_id: str, name: str) -> str:
    return f"{group_id} ({name})" if name else group_id


def _joined(labels: list[str]) -> str:
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " or " + labels[-1]


# --- matching -------------------------------------------------------------------------------


def _traffic_match(traffic: Traffic, packet: _Packet) -> tuple[_Match, str]:
    """Whether a rule's protocol, ports and ICMP type cover the packet, and why it may."""
    if traffic.protocol == ALL_PROTOCOLS:
        return _Match.YES, ""
    if traffic.protocol != packet.protocol:
        return _Match.NO, ""
    if traffic.ports is not None:
        if packet.dstport is None:
            return _Match.MAYBE, "the record has no destination port"
        low, high = traffic.ports
        return (_Match.YES if low <= packet.dstport <= high else _Match.NO), ""
    if traffic.icmp is not None and traffic.icmp[0] != -1:
        icmp_type, code = traffic.icmp
        if packet.icmp_type is None:
            only = _icmp_type_text(traffic.protocol, icmp_type)
            return _Match.MAYBE, f"flow logs do not record ICMP types, and it covers only {only}"
        # The only types ever inferred are echo requests, whose code is 0.
        return (_Match.YES if packet.icmp_type == icmp_type and code in (-1, 0) else _Match.NO), ""
    return _Match.YES, ""


def _peer_match(rule: SgRule, peer: IPAddress, trace: _Trace) -> tuple[_Match, str]:
    """Whether a security-group rule's CIDR, prefix list or referenced group holds the peer."""
    network = trace.network
    if rule.peer_kind == "cidr":
        return (_Match.YES if address_in(peer, rule.peer) else _Match.NO), ""
    if rule.peer_kind == "prefix-list":
        members = network.prefix_lists.get(rule.peer)
        unknown = f"the entries of prefix list {rule.peer} are not known"
        action = GET_MANAGED_PREFIX_LIST_ENTRIES
    else:
        members = network.group_members.get(rule.peer)
        unknown = f"the interfaces in {rule.peer} are not known"
        action = DESCRIBE_NETWORK_INTERFACES
    if members is None:
        return _Match.MAYBE, unknown + trace.unavailable(action)
    found = any(address_in(peer, member) for member in members)
    return (_Match.YES if found else _Match.NO), ""


def _rule_peer_text(rule: SgRule) -> str:
    if rule.peer_kind == "cidr":
        return rule.peer
    if rule.peer_kind == "prefix-list":
        return f"prefix list {rule.peer}"
    return f"the interfaces of {rule.peer}"


# --- the path through network ACLs ----------------------------------------------------------


def _crossings(
    eni: Eni, peer: IPAddress, direction: Direction, network: NetworkModel, trace: _Trace
) -> list[_Crossing]:
    """The ACL boundaries between the interface and the far end, in the packet's order."""
    own = _Crossing(eni.subnet_id, egress=direction == "outbound", far_side=False)
    if eni.subnet_id is None:
        return [own]
    subnet = network.subnets.get(eni.subnet_id)
    vpc_id = network.vpc_id_of(eni)
    label = _subnet_label(eni.subnet_id, subnet)
    if subnet is not None and subnet.contains(peer):
        trace.step(f"Path: {peer} is in the interface's own subnet {label}: no network ACL applies")
        return []
    far_subnet = _far_subnet(peer, eni, vpc_id, network)
    if far_subnet is not None:
        far = _Crossing(far_subnet.subnet_id, egress=not own.egress, far_side=True)
        path = [far, own] if direction == "inbound" else [own, far]
        trace.step(
            f"Path: {peer} is in subnet {_subnet_label(far_subnet.subnet_id, far_subnet)} of the "
            f"same VPC: the packet crosses {_path_text(path, network)}"
        )
        return path
    vpc = network.vpcs.get(vpc_id or "")
    if vpc is not None and not vpc.contains(peer):
        trace.step(
            f"Path: {peer} is outside {vpc.vpc_id}: the packet crosses {_path_text([own], network)}"
        )
        return [own]
    if subnet is None:
        trace.step(
            f"Path: subnet {label} is not known{trace.unavailable(DESCRIBE_SUBNETS)}, so {peer} "
            "may be inside it (no network ACL) or outside it (its network ACL applies)"
        )
        return [replace(own, certain=False)]
    if vpc is not None:
        far = _Crossing(None, egress=not own.egress, far_side=True)
        trace.step(
            f"Path: {peer} is inside {vpc.vpc_id} but in none of its known subnets"
            f"{trace.unavailable(DESCRIBE_SUBNETS)}: the packet crosses "
            f"{_path_text([own], network)} and the network ACL of an unknown subnet"
        )
        return [far, own] if direction == "inbound" else [own, far]
    trace.step(
        f"Path: the VPC's CIDR blocks are not known{trace.unavailable(DESCRIBE_VPCS)}; {peer} is "
        f"in none of its known subnets, so it is taken as outside the VPC: the packet crosses "
        f"{_path_text([own], network)}"
    )
    return [own]


def _far_subnet(
    peer: IPAddress, eni: Eni, vpc_id: str | None, network: NetworkModel
) -> Subnet | None:
    """Another known subnet of the interface's VPC that holds the far end."""
    for subnet in network.subnets.values():
        same_vpc = vpc_id is None or subnet.vpc_id in (None, vpc_id)
        if subnet.subnet_id != eni.subnet_id and same_vpc and subnet.contains(peer):
            return subnet
    return None


def _path_text(path: list[_Crossing], network: NetworkModel) -> str:
    parts = []
    for crossing in path:
        subnet_id = crossing.subnet_id or ""
        label = _subnet_label(subnet_id, network.subnets.get(subnet_id))
        parts.append(f"the {crossing.direction} network ACL of subnet {label}")
    return " then ".join(parts)


# --- network ACLs ---------------------------------------------------------------------------


def _acl_entry_match(entry: AclEntry, packet: _Packet) -> tuple[_Match, str]:
    far_end = packet.dst if entry.egress else packet.src
    if not address_in(far_end, entry.cidr):
        return _Match.NO, ""
    return _traffic_match(entry.traffic, packet)


def _acl_rule_text(entry: AclEntry) -> str:
    """'deny 203.0.113.0/24 TCP ports 22'."""
    return f"{'allow' if entry.allow else 'deny'} {entry.cidr} {_traffic_text(entry.traffic)}"


def _check_crossing(
    crossing: _Crossing, eni: Eni, packet: _Packet, network: NetworkModel, trace: _Trace
) -> _AclFinding:
    if crossing.subnet_id is None and not crossing.far_side:
        reason = f"the subnet of {eni.eni_id} is not known, so its network ACL cannot be found"
        return _AclFinding(_Outcome.UNKNOWN, summary=reason)
    if crossing.subnet_id is None:
        far_end = packet.src if crossing.egress else packet.dst
        reason = f"the subnet of {far_end} is not known, so its network ACL cannot be checked"
        return _AclFinding(_Outcome.UNKNOWN, summary=reason, far_side=True)
    subnet = network.subnets.get(crossing.subnet_id)
    label = _subnet_label(crossing.subnet_id, subnet)
    vpc_id = subnet.vpc_id if subnet and subnet.vpc_id else network.vpc_id_of(eni)
    acl = network.acl_for_subnet(crossing.subnet_id, vpc_id)
    if acl is None:
        why = trace.unavailable(DESCRIBE_NETWORK_ACLS)
        trace.step(f"Subnet {label} {crossing.direction} ACL: not known{why}")
        reason = f"the network ACL of subnet {label} is not known{why}"
        return _AclFinding(_Outcome.UNKNOWN, summary=reason, subnet_label=label)
    return _walk_acl(acl, crossing, label, packet, trace)


def _acl_rule_ref(acl: NetworkAcl, crossing: _Crossing, number: int, text: str) -> RuleRef:
    return RuleRef(
        "network-acl", (acl.acl_id,), crossing.direction, number, text, crossing.subnet_id
    )


def _walk_acl(
    acl: NetworkAcl, crossing: _Crossing, label: str, packet: _Packet, trace: _Trace
) -> _AclFinding:
    """Rules in ascending number, first match wins; the final rule denies what is left."""
    where = f"Subnet {label} {crossing.direction} ACL {acl.acl_id}"
    toward = "to" if crossing.egress else "from"
    possible: list[AclEntry] = []
    decisive: AclEntry | None = None
    # The final rule applies below whether or not the data lists it.
    numbered = (
        e for e in acl.entries if e.egress == crossing.egress and e.number < IMPLICIT_DENY_RULE
    )
    for entry in sorted(numbered, key=lambda e: e.number):
        match, why = _acl_entry_match(entry, packet)
        if match is _Match.MAYBE:
            trace.step(f"{where}: rule {entry.number} ({_acl_rule_text(entry)}) may match: {why}")
            possible.append(entry)
        elif match is _Match.YES:
            decisive = entry
            break
    if decisive is None:
        trace.step(f"{where}: no numbered rule matches, so the final rule * denies it")
        rule = _acl_rule_ref(acl, crossing, IMPLICIT_DENY_RULE, _FINAL_RULE_TEXT)
        allowed = False
    else:
        verb = "allows" if decisive.allow else "denies"
        trace.step(
            f"{where}: rule {decisive.number} {verb} {_traffic_text(decisive.traffic)} "
            f"{toward} {decisive.cidr}"
        )
        rule = _acl_rule_ref(acl, crossing, decisive.number, _acl_rule_text(decisive))
        allowed = decisive.allow
    outcome = _Outcome.ALLOW if allowed else _Outcome.DENY
    finding = _AclFinding(outcome, rule, subnet_label=label, far_side=crossing.far_side)
    return _unsettled(finding, possible, allowed, crossing, label)


def _unsettled(
    finding: _AclFinding, possible: list[AclEntry], allowed: bool, crossing: _Crossing, label: str
) -> _AclFinding:
    """The finding, made UNKNOWN when an earlier rule may decide otherwise or the path is unsure."""
    contrary = [entry for entry in possible if entry.allow != allowed]
    if contrary:
        entry = contrary[0]
        reason = (
            f"rule {entry.number} ({_acl_rule_text(entry)}) of the network ACL of subnet {label} "
            f"may match before rule {finding.rule_number}, and they disagree"
        )
        return _AclFinding(_Outcome.UNKNOWN, summary=reason, subnet_label=label)
    if not crossing.certain and finding.outcome is _Outcome.DENY:
        reason = (
            f"network ACL {finding.acl_rule} of subnet {label} denies it, unless the far end is "
            "inside that subnet, whose CIDR is not known"
        )
        return _AclFinding(_Outcome.UNKNOWN, summary=reason, subnet_label=label)
    return finding


# --- security groups ------------------------------------------------------------------------


def _check_groups(
    eni: Eni, packet: _Packet, direction: Direction, flow: FlowFacts, trace: _Trace
) -> _GroupFinding:
    if not eni.has_security_groups:
        kind = eni.interface_type
        why = (
            f"a {kind} interface has none"
            if kind in TYPES_WITHOUT_SECURITY_GROUPS
            else "the interface has none"
        )
        trace.step(f"Security groups: not involved ({why})")
        return _GroupFinding(_Outcome.ALLOW, involved=False)
    forward = _evaluate_groups(eni, packet, direction, trace)
    if forward.outcome is not _Outcome.DENY:
        return forward
    response = _as_response(eni, packet, direction, flow, trace)
    if response is None:
        return forward
    guessed = response.outcome is _Outcome.ALLOW and not _certain_response(flow, packet)
    if guessed and direction == "inbound" and flow.action == "REJECT":
        # Unsolicited inbound traffic (pings, scans) is the common REJECT; that it answers a
        # connection the instance opened is only a guess from ports or ICMP, so the groups'
        # denial of the packet as it stands is the likelier cause. The alternative is said.
        trace.step(
            "That it is a response is only a guess from the record, so for an inbound REJECT "
            "the groups' denial of the packet as it stands is the likelier cause"
        )
        caveat = f" (unless it is a response the groups let through: {response.as_response})"
        return replace(forward, summary=forward.summary + caveat)
    return response


def _evaluate_groups(
    eni: Eni, packet: _Packet, direction: Direction, trace: _Trace
) -> _GroupFinding:
    """The union of the interface's groups: allowed as soon as one rule of one group allows."""
    wanted = f"{_packet_text(packet)} {_toward(direction)} {_peer(packet, direction)}"
    labels: list[str] = []
    doubts: list[str] = []
    for identity in eni.groups:
        group = trace.network.security_groups.get(identity.group_id)
        label = _group_label(identity.group_id, (group.name if group else "") or identity.name)
        labels.append(label)
        if group is None:
            why = trace.unavailable(DESCRIBE_SECURITY_GROUP_RULES, DESCRIBE_SECURITY_GROUPS)
            trace.step(f"Security group {label}: its rules are not known{why}")
            doubts.append(f"the rules of {label} are not known{why}")
            continue
        allowed, group_doubts = _scan_group(group.rules, label, packet, direction, trace)
        if allowed:
            return _GroupFinding(_Outcome.ALLOW, plural=len(eni.groups) > 1)
        surely = " surely" if group_doubts else ""
        trace.step(f"Security group {label}: no {direction} rule{surely} allows {wanted}")
        doubts += group_doubts
    plural = len(labels) > 1
    if doubts:
        return _GroupFinding(_Outcome.UNKNOWN, summary="; ".join(doubts), plural=plural)
    decided = RuleRef(
        "security-group",
        tuple(identity.group_id for identity in eni.groups),
        direction,
        None,
        f"no {direction} rule allows {wanted}",
    )
    summary = f"no {direction} rule of {_joined(labels)} allows {wanted}"
    return _GroupFinding(_Outcome.DENY, rule=decided, summary=summary, plural=plural)


def _scan_group(
    rules: tuple[SgRule, ...], label: str, packet: _Packet, direction: Direction, trace: _Trace
) -> tuple[bool, list[str]]:
    """Whether one of a group's rules surely allows the packet, and the rules that may."""
    peer = _peer(packet, direction)
    doubts: list[str] = []
    for rule in rules:
        if rule.egress != (direction == "outbound"):
            continue
        match, why = _group_rule_match(rule, packet, peer, trace)
        said = f"Security group {label}: {direction} rule {rule.rule_id}".rstrip()
        words = f"{_traffic_text(rule.traffic)} {_toward(direction)} {_rule_peer_text(rule)}"
        if match is _Match.YES:
            trace.step(f"{said} allows {words}")
            return True, []
        if match is _Match.MAYBE:
            trace.step(f"{said} may allow {words}: {why}")
            doubts.append(f"a {direction} rule of {label} may allow it: {why}")
    return False, doubts


def _group_rule_match(
    rule: SgRule, packet: _Packet, peer: IPAddress, trace: _Trace
) -> tuple[_Match, str]:
    traffic, traffic_why = _traffic_match(rule.traffic, packet)
    if traffic is _Match.NO:
        return _Match.NO, ""
    where, where_why = _peer_match(rule, peer, trace)
    if where is _Match.NO:
        return _Match.NO, ""
    if traffic is _Match.YES and where is _Match.YES:
        return _Match.YES, ""
    return _Match.MAYBE, "; ".join(why for why in (traffic_why, where_why) if why)


def _response_evidence(flow: FlowFacts, packet: _Packet) -> str | None:
    """Why the record may be the response of a connection the far end opened, or None."""
    if packet.protocol == TCP and flow.tcp_flags is not None:
        if flow.tcp_flags & _SYN_ACK == _SYN_ACK:
            return "its TCP flags include SYN-ACK, which only the answering side sends"
        if flow.tcp_flags & _SYN:
            return None
    if packet.protocol in (TCP, UDP):
        src, dst = packet.srcport, packet.dstport
        if src is not None and dst is not None and src < dst and dst >= _FIRST_CLIENT_PORT:
            return (
                f"its source port {src} looks like a service port and its destination port "
                f"{dst} like a client's ephemeral port"
            )
        return None
    if packet.protocol in (ICMP, ICMPV6):
        return "flow logs do not record ICMP types, so it may be an echo reply"
    return None


def _certain_response(flow: FlowFacts, packet: _Packet) -> bool:
    """Only SYN-ACK proves a response; ports and ICMP only suggest one."""
    return (
        packet.protocol == TCP
        and flow.tcp_flags is not None
        and flow.tcp_flags & _SYN_ACK == _SYN_ACK
    )


def _as_response(
    eni: Eni, packet: _Packet, direction: Direction, flow: FlowFacts, trace: _Trace
) -> _GroupFinding | None:
    """The groups' answer if the record is a response; None when it does not look like one."""
    evidence = _response_evidence(flow, packet)
    if evidence is None:
        return None
    request = packet.answered()
    reverse: Direction = "outbound" if direction == "inbound" else "inbound"
    trace.step(
        f"Security groups are stateful: this record may be a response, because {evidence}. "
        f"Checking whether the {reverse} rules allow the connection it would answer: "
        f"{_packet_text(request)}, {_endpoints(request)}"
    )
    answered = _evaluate_groups(eni, request, reverse, trace)
    if answered.outcome is _Outcome.ALLOW:
        trace.step(
            "So the security groups would let this record through as that connection's response "
            "(inferred from the record; flow logs do not show connection tracking)"
        )
        return _GroupFinding(_Outcome.ALLOW, as_response=evidence, plural=answered.plural)
    if answered.outcome is _Outcome.UNKNOWN:
        return _GroupFinding(
            _Outcome.UNKNOWN,
            summary=f"it may be a response the security groups let through, but {answered.summary}",
            plural=answered.plural,
        )
    trace.step(f"The {reverse} rules do not allow that connection either")
    return None


# --- the verdict's words --------------------------------------------------------------------


def _acl_sentence(findings: list[_AclFinding]) -> str:
    """How the network ACLs treated it, as the opening of a sentence."""
    if not findings:
        return "No network ACL applies inside a subnet"
    if any(finding.outcome is _Outcome.UNKNOWN for finding in findings):
        return "The network ACLs could not all be checked"
    if len(findings) == 1:
        return f"The network ACL allows it (rule {findings[0].rule_number})"
    return f"The network ACLs allow it ({', '.join(finding.acl_rule for finding in findings)})"


def _groups_afterword(groups: _GroupFinding) -> str:
    """What the security groups would have done, after a network ACL denied it."""
    if not groups.involved:
        return ""
    if groups.outcome is _Outcome.ALLOW and groups.as_response:
        return (
            " The security group would have allowed it as a response (security groups are "
            "stateful; network ACLs are not, so a response needs its own ACL rule)."
        )
    if groups.outcome is _Outcome.ALLOW:
        return f" The security group{'s allow' if groups.plural else ' allows'} it."
    if groups.outcome is _Outcome.DENY:
        return f" The security groups would drop it too: {groups.summary}."
    return f" The security groups could not be fully checked: {groups.summary}."


def _nacl_deny_text(lead: str, finding: _AclFinding) -> str:
    rule_text = finding.rule.text if finding.rule else ""
    side = ""
    if finding.far_side and finding.rule is not None:
        side = (
            ", the sender's subnet, on the way out"
            if finding.rule.direction == "outbound"
            else ", the receiver's subnet, on the way in"
        )
    return (
        f"{lead} is denied by network ACL {finding.acl_rule} ({rule_text}) "
        f"of subnet {finding.subnet_label}{side}."
    )


def _allowed_text(flow: FlowFacts, groups: _GroupFinding) -> str:
    how = ""
    if groups.as_response:
        how = f" as the response of a connection the security group allows ({groups.as_response})"
    if flow.action == "ACCEPT":
        return f"Today's rules allow this flow{how}, as the record's ACCEPT says."
    if flow.action == "REJECT":
        bpa = (
            ""
            if flow.has_reject_reason
            else " This record's format has no reject-reason field (version 8), so a rejection "
            "by VPC Block Public Access would look the same."
        )
        return (
            f"Today's rules allow this flow{how}: the REJECT may be a packet after the "
            f"connection closed, or the rules changed since the record ({_HISTORY}).{bpa}"
        )
    return f"Today's rules allow this flow{how}."


def _conclude(
    flow: FlowFacts,
    lead: str,
    acls: list[_AclFinding],
    groups: _GroupFinding,
    trace: _Trace,
) -> Verdict:
    denying_acl = next((finding for finding in acls if finding.outcome is _Outcome.DENY), None)
    if denying_acl is not None:
        text = _nacl_deny_text(lead, denying_acl) + _groups_afterword(groups)
        return _verdict(flow, "nacl-deny", denying_acl.rule, text, trace)
    if groups.outcome is _Outcome.DENY:
        drop = "the security groups drop it" if groups.plural else "the security group drops it"
        text = f"{_acl_sentence(acls)}, but {groups.summary}: {drop}."
        return _verdict(flow, "sg-no-allow", groups.rule, text, trace)
    doubts = [finding.summary for finding in acls if finding.outcome is _Outcome.UNKNOWN]
    if groups.outcome is _Outcome.UNKNOWN:
        doubts.append(groups.summary)
    if doubts:
        return _verdict(flow, "unknown", None, _unknown_text(doubts, acls, groups), trace)
    return _verdict(flow, "allowed", None, _allowed_text(flow, groups), trace)


def _unknown_text(doubts: list[str], acls: list[_AclFinding], groups: _GroupFinding) -> str:
    known: list[str] = []
    allowing = [finding.acl_rule for finding in acls if finding.outcome is _Outcome.ALLOW]
    if allowing:
        verb = "allows" if len(allowing) == 1 else "allow"
        known.append(f"Known: network ACL {' and '.join(allowing)} {verb} it.")
    if groups.involved and groups.outcome is _Outcome.ALLOW:
        known.append(f"The security group{'s allow' if groups.plural else ' allows'} it.")
    return " ".join([f"Cannot decide: {'; '.join(doubts)}.", *known])


def _verdict(
    flow: FlowFacts, kind: VerdictKind, rule: RuleRef | None, text: str, trace: _Trace
) -> Verdict:
    if flow.action == "ACCEPT" and kind in ("nacl-deny", "sg-no-allow"):
        text += f" The record says ACCEPT, so the rules changed since the record ({_HISTORY})."
    return Verdict(kind, rule, text, list(trace.steps), list(trace.missing))


# --- entry point ----------------------------------------------------------------------------


def _direction(flow: FlowFacts, eni: Eni, trace: _Trace) -> Direction | None:
    """From flow-direction, else inbound when the destination is one of the interface's own."""
    if flow.flow_direction is not None:
        direction: Direction = "inbound" if flow.flow_direction == "ingress" else "outbound"
        trace.step(f"Direction: {direction} (flow-direction {flow.flow_direction})")
        return direction
    candidates: tuple[tuple[str | None, Direction], ...] = (
        (flow.dstaddr, "inbound"),
        (flow.pkt_dstaddr, "inbound"),
        (flow.srcaddr, "outbound"),
        (flow.pkt_srcaddr, "outbound"),
    )
    for candidate, found in candidates:
        if candidate is not None and eni.owns(ipaddress.ip_address(candidate)):
            trace.step(f"Direction: {found} ({candidate} is an address of {eni.eni_id})")
            return found
    return None


def _packet(flow: FlowFacts, trace: _Trace) -> _Packet | None:
    src = flow.pkt_srcaddr or flow.srcaddr
    dst = flow.pkt_dstaddr or flow.dstaddr
    if src is None or dst is None or flow.protocol is None:
        return None
    packet = _Packet(
        flow.protocol,
        ipaddress.ip_address(src),
        ipaddress.ip_address(dst),
        flow.srcport,
        flow.dstport,
    )
    seen = f"{_protocol_name(packet.protocol)} {_endpoints(packet)}"
    if (src, dst) != (flow.srcaddr, flow.dstaddr) and flow.srcaddr and flow.dstaddr:
        seen += (
            f" (the packet's own addresses from pkt-srcaddr/pkt-dstaddr; the interface recorded "
            f"{flow.srcaddr} -> {flow.dstaddr})"
        )
    trace.step(f"Packet: {seen}")
    return packet


def _undecidable(reason: str, trace: _Trace) -> Verdict:
    return Verdict(
        "unknown", None, f"Cannot decide: {reason}.", list(trace.steps), list(trace.missing)
    )


def explain(flow: FlowFacts, network: NetworkModel) -> Verdict:
    """Which network ACL rule or security group decides this record under today's rules."""
    trace = _Trace(network)
    if flow.reject_reason == "BPA":
        trace.step("reject-reason is BPA: VPC Block Public Access rejected it")
        text = (
            "VPC Block Public Access rejected this flow (reject-reason BPA), not a network ACL "
            "or a security group: check the Block Public Access mode of the account's region "
            "and the exclusions for this VPC or subnet."
        )
        return Verdict("bpa", None, text, list(trace.steps), [])
    packet = _packet(flow, trace)
    if packet is None:
        return _undecidable("the record has no addresses or protocol (no traffic to judge)", trace)
    eni = network.enis.get(flow.interface_id)
    if eni is None:
        why = trace.unavailable(DESCRIBE_NETWORK_INTERFACES)
        trace.step(f"Interface {flow.interface_id}: not known{why}")
        return _undecidable(f"interface {flow.interface_id} is not known{why}", trace)
    direction = _direction(flow, eni, trace)
    if direction is None:
        reason = f"the record has no flow-direction and neither address belongs to {eni.eni_id}"
        return _undecidable(reason, trace)
    peer = _peer(packet, direction)
    acls = [
        _check_crossing(crossing, eni, packet, network, trace)
        for crossing in _crossings(eni, peer, direction, network, trace)
    ]
    groups = _check_groups(eni, packet, direction, flow, trace)
    return _conclude(flow, _lead(packet, direction), acls, groups, trace)
