"""What the explain checks share: the packet as the rules see it (taken from the record, with
its direction), the trace of steps taken and permissions found missing, the findings a check
returns, matching a rule's traffic against the packet, and the small words the steps use."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from enum import Enum

from flowtui.core.explain.facts import FlowFacts
from flowtui.core.explain.verdict import Direction, RuleRef
from flowtui.core.netmodel import (
    ALL_PROTOCOLS,
    ICMP,
    ICMPV6,
    IMPLICIT_DENY_RULE,
    TCP,
    UDP,
    Eni,
    IPAddress,
    NetworkModel,
    Traffic,
)
from flowtui.core.protocols import protocol_info

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


# --- evaluation state -----------------------------------------------------------------------


class Outcome(Enum):
    ALLOW = "allow"
    DENY = "deny"
    UNKNOWN = "unknown"


class Match(Enum):
    YES = "yes"
    NO = "no"
    MAYBE = "maybe"


@dataclass(frozen=True, slots=True)
class Packet:
    """A packet as the rules see it; `icmp_type` is known only when inferred."""

    protocol: int
    src: IPAddress
    dst: IPAddress
    srcport: int | None
    dstport: int | None
    icmp_type: int | None = None

    def answered(self) -> Packet:
        """The packet this one answers if it is a response (an echo request for ICMP)."""
        return Packet(
            self.protocol,
            self.dst,
            self.src,
            self.dstport,
            self.srcport,
            _ECHO_REQUEST.get(self.protocol),
        )


@dataclass(slots=True)
class Trace:
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
class AclFinding:
    outcome: Outcome
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
class GroupFinding:
    outcome: Outcome
    involved: bool = True
    rule: RuleRef | None = None
    #: Why no group allows it (DENY), or what could not be checked (UNKNOWN).
    summary: str = ""
    #: Why the record looks like a response, when only that makes the groups allow it.
    as_response: str = ""
    plural: bool = False


# --- small words ----------------------------------------------------------------------------


def protocol_name(number: int) -> str:
    if number == ALL_PROTOCOLS:
        return "all traffic"
    return protocol_info(number).keyword or f"protocol {number}"


def icmp_type_text(protocol: int, icmp_type: int) -> str:
    name = _ICMP_TYPE_NAMES.get((protocol, icmp_type))
    return f"type {icmp_type} ({name})" if name else f"type {icmp_type}"


def traffic_text(traffic: Traffic) -> str:
    """'all traffic', 'TCP ports 22', 'TCP ports 1024-65535', 'ICMP type 8 (echo request)'."""
    name = protocol_name(traffic.protocol)
    if traffic.ports is not None:
        low, high = traffic.ports
        return f"{name} ports {low}" if low == high else f"{name} ports {low}-{high}"
    if traffic.icmp is not None:
        icmp_type, code = traffic.icmp
        if icmp_type == -1:
            return f"{name} all types"
        codes = "" if code == -1 else f" code {code}"
        return f"{name} {icmp_type_text(traffic.protocol, icmp_type)}{codes}"
    return name if traffic.protocol == ALL_PROTOCOLS else f"{name} all ports"


def packet_text(packet: Packet) -> str:
    """'TCP 22' (the destination port), 'ICMP type 8 (echo request)' when inferred, or 'ICMP'."""
    name = protocol_name(packet.protocol)
    if packet.protocol in (TCP, UDP) and packet.dstport is not None:
        return f"{name} {packet.dstport}"
    if packet.icmp_type is not None:
        return f"{name} {icmp_type_text(packet.protocol, packet.icmp_type)}"
    return name


def endpoints_text(packet: Packet) -> str:
    """'203.0.113.5:51234 -> 10.0.1.10:22'; ports only for TCP and UDP."""

    def endpoint(address: IPAddress, port: int | None) -> str:
        if port is None or packet.protocol not in (TCP, UDP):
            return str(address)
        return f"[{address}]:{port}" if address.version == 6 else f"{address}:{port}"

    return f"{endpoint(packet.src, packet.srcport)} -> {endpoint(packet.dst, packet.dstport)}"


def peer_of(packet: Packet, direction: Direction) -> IPAddress:
    return packet.src if direction == "inbound" else packet.dst


def preposition(direction: Direction) -> str:
    """The preposition for the far end: inbound traffic comes from it, outbound goes to it."""
    return "from" if direction == "inbound" else "to"


def lead_text(packet: Packet, direction: Direction) -> str:
    """'Inbound TCP 22 from 203.0.113.5'."""
    peer = peer_of(packet, direction)
    return f"{direction.capitalize()} {packet_text(packet)} {preposition(direction)} {peer}"


# --- matching -------------------------------------------------------------------------------


def traffic_match(traffic: Traffic, packet: Packet) -> tuple[Match, str]:
    """Whether a rule's protocol, ports and ICMP type cover the packet, and why it may."""
    if traffic.protocol == ALL_PROTOCOLS:
        return Match.YES, ""
    if traffic.protocol != packet.protocol:
        return Match.NO, ""
    if traffic.ports is not None:
        if packet.dstport is None:
            return Match.MAYBE, "the record has no destination port"
        low, high = traffic.ports
        return (Match.YES if low <= packet.dstport <= high else Match.NO), ""
    if traffic.icmp is not None and traffic.icmp[0] != -1:
        icmp_type, code = traffic.icmp
        if packet.icmp_type is None:
            only = icmp_type_text(traffic.protocol, icmp_type)
            return Match.MAYBE, f"flow logs do not record ICMP types, and it covers only {only}"
        # The only types ever inferred are echo requests, whose code is 0.
        return (Match.YES if packet.icmp_type == icmp_type and code in (-1, 0) else Match.NO), ""
    return Match.YES, ""


# --- from the record -----------------------------------------------------------------------


def direction_of(flow: FlowFacts, eni: Eni, trace: Trace) -> Direction | None:
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


def packet_of(flow: FlowFacts, trace: Trace) -> Packet | None:
    src = flow.pkt_srcaddr or flow.srcaddr
    dst = flow.pkt_dstaddr or flow.dstaddr
    if src is None or dst is None or flow.protocol is None:
        return None
    packet = Packet(
        flow.protocol,
        ipaddress.ip_address(src),
        ipaddress.ip_address(dst),
        flow.srcport,
        flow.dstport,
    )
    seen = f"{protocol_name(packet.protocol)} {endpoints_text(packet)}"
    if (src, dst) != (flow.srcaddr, flow.dstaddr) and flow.srcaddr and flow.dstaddr:
        seen += (
            f" (the packet's own addresses from pkt-srcaddr/pkt-dstaddr; the interface recorded "
            f"{flow.srcaddr} -> {flow.dstaddr})"
        )
    trace.step(f"Packet: {seen}")
    return packet
