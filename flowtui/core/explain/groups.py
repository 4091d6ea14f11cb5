"""Security groups for one packet: the union of the interface's groups (allow rules only), and,
since they are stateful, whether a denied record is the allowed response of a connection."""

from __future__ import annotations

from dataclasses import replace

from flowtui.core.explain.facts import FlowFacts
from flowtui.core.explain.trace import (
    GroupFinding,
    Match,
    Outcome,
    Packet,
    Trace,
    endpoints_text,
    packet_text,
    peer_of,
    preposition,
    traffic_match,
    traffic_text,
)
from flowtui.core.explain.verdict import Direction, RuleRef
from flowtui.core.netmodel import (
    DESCRIBE_NETWORK_INTERFACES,
    DESCRIBE_SECURITY_GROUP_RULES,
    DESCRIBE_SECURITY_GROUPS,
    GET_MANAGED_PREFIX_LIST_ENTRIES,
    ICMP,
    ICMPV6,
    TCP,
    TYPES_WITHOUT_SECURITY_GROUPS,
    UDP,
    Eni,
    IPAddress,
    SgRule,
    address_in,
)

_SYN = 2
_SYN_ACK = 18
_FIRST_CLIENT_PORT = 1024


def _group_label(group_id: str, name: str) -> str:
    return f"{group_id} ({name})" if name else group_id


def _joined(labels: list[str]) -> str:
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " or " + labels[-1]


def _peer_match(rule: SgRule, peer: IPAddress, trace: Trace) -> tuple[Match, str]:
    """Whether a security-group rule's CIDR, prefix list or referenced group holds the peer."""
    network = trace.network
    if rule.peer_kind == "cidr":
        return (Match.YES if address_in(peer, rule.peer) else Match.NO), ""
    if rule.peer_kind == "prefix-list":
        members = network.prefix_lists.get(rule.peer)
        unknown = f"the entries of prefix list {rule.peer} are not known"
        action = GET_MANAGED_PREFIX_LIST_ENTRIES
    else:
        members = network.group_members.get(rule.peer)
        unknown = f"the interfaces in {rule.peer} are not known"
        action = DESCRIBE_NETWORK_INTERFACES
    if members is None:
        return Match.MAYBE, unknown + trace.unavailable(action)
    found = any(address_in(peer, member) for member in members)
    return (Match.YES if found else Match.NO), ""


def _rule_peer_text(rule: SgRule) -> str:
    if rule.peer_kind == "cidr":
        return rule.peer
    if rule.peer_kind == "prefix-list":
        return f"prefix list {rule.peer}"
    return f"the interfaces of {rule.peer}"


# --- security groups ------------------------------------------------------------------------


def check_groups(
    eni: Eni, packet: Packet, direction: Direction, flow: FlowFacts, trace: Trace
) -> GroupFinding:
    if not eni.has_security_groups:
        kind = eni.interface_type
        why = (
            f"a {kind} interface has none"
            if kind in TYPES_WITHOUT_SECURITY_GROUPS
            else "the interface has none"
        )
        trace.step(f"Security groups: not involved ({why})")
        return GroupFinding(Outcome.ALLOW, involved=False)
    forward = _evaluate_groups(eni, packet, direction, trace)
    if forward.outcome is not Outcome.DENY:
        return forward
    response = _as_response(eni, packet, direction, flow, trace)
    if response is None:
        return forward
    guessed = response.outcome is Outcome.ALLOW and not _certain_response(flow, packet)
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


def _evaluate_groups(eni: Eni, packet: Packet, direction: Direction, trace: Trace) -> GroupFinding:
    """The union of the interface's groups: allowed as soon as one rule of one group allows."""
    wanted = f"{packet_text(packet)} {preposition(direction)} {peer_of(packet, direction)}"
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
            return GroupFinding(Outcome.ALLOW, plural=len(eni.groups) > 1)
        surely = " surely" if group_doubts else ""
        trace.step(f"Security group {label}: no {direction} rule{surely} allows {wanted}")
        doubts += group_doubts
    plural = len(labels) > 1
    if doubts:
        return GroupFinding(Outcome.UNKNOWN, summary="; ".join(doubts), plural=plural)
    decided = RuleRef(
        "security-group",
        tuple(identity.group_id for identity in eni.groups),
        direction,
        None,
        f"no {direction} rule allows {wanted}",
    )
    summary = f"no {direction} rule of {_joined(labels)} allows {wanted}"
    return GroupFinding(Outcome.DENY, rule=decided, summary=summary, plural=plural)


def _scan_group(
    rules: tuple[SgRule, ...], label: str, packet: Packet, direction: Direction, trace: Trace
) -> tuple[bool, list[str]]:
    """Whether one of a group's rules surely allows the packet, and the rules that may."""
    peer = peer_of(packet, direction)
    doubts: list[str] = []
    for rule in rules:
        if rule.egress != (direction == "outbound"):
            continue
        match, why = _group_rule_match(rule, packet, peer, trace)
        said = f"Security group {label}: {direction} rule {rule.rule_id}".rstrip()
        words = f"{traffic_text(rule.traffic)} {preposition(direction)} {_rule_peer_text(rule)}"
        if match is Match.YES:
            trace.step(f"{said} allows {words}")
            return True, []
        if match is Match.MAYBE:
            trace.step(f"{said} may allow {words}: {why}")
            doubts.append(f"a {direction} rule of {label} may allow it: {why}")
    return False, doubts


def _group_rule_match(
    rule: SgRule, packet: Packet, peer: IPAddress, trace: Trace
) -> tuple[Match, str]:
    traffic, traffic_why = traffic_match(rule.traffic, packet)
    if traffic is Match.NO:
        return Match.NO, ""
    where, where_why = _peer_match(rule, peer, trace)
    if where is Match.NO:
        return Match.NO, ""
    if traffic is Match.YES and where is Match.YES:
        return Match.YES, ""
    return Match.MAYBE, "; ".join(why for why in (traffic_why, where_why) if why)


def _response_evidence(flow: FlowFacts, packet: Packet) -> str | None:
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


def _certain_response(flow: FlowFacts, packet: Packet) -> bool:
    """Only SYN-ACK proves a response; ports and ICMP only suggest one."""
    return (
        packet.protocol == TCP
        and flow.tcp_flags is not None
        and flow.tcp_flags & _SYN_ACK == _SYN_ACK
    )


def _as_response(
    eni: Eni, packet: Packet, direction: Direction, flow: FlowFacts, trace: Trace
) -> GroupFinding | None:
    """The groups' answer if the record is a response; None when it does not look like one."""
    evidence = _response_evidence(flow, packet)
    if evidence is None:
        return None
    request = packet.answered()
    reverse: Direction = "outbound" if direction == "inbound" else "inbound"
    trace.step(
        f"Security groups are stateful: this record may be a response, because {evidence}. "
        f"Checking whether the {reverse} rules allow the connection it would answer: "
        f"{packet_text(request)}, {endpoints_text(request)}"
    )
    answered = _evaluate_groups(eni, request, reverse, trace)
    if answered.outcome is Outcome.ALLOW:
        trace.step(
            "So the security groups would let this record through as that connection's response "
            "(inferred from the record; flow logs do not show connection tracking)"
        )
        return GroupFinding(Outcome.ALLOW, as_response=evidence, plural=answered.plural)
    if answered.outcome is Outcome.UNKNOWN:
        return GroupFinding(
            Outcome.UNKNOWN,
            summary=f"it may be a response the security groups let through, but {answered.summary}",
            plural=answered.plural,
        )
    trace.step(f"The {reverse} rules do not allow that connection either")
    return None
