"""Network ACLs for one packet: the subnet boundaries it crosses between the interface and the
far end, and each boundary's rules in ascending number (first match wins, final rule denies)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from flowtui.core.explain.trace import (
    AclFinding,
    Match,
    Outcome,
    Packet,
    Trace,
    traffic_match,
    traffic_text,
)
from flowtui.core.explain.verdict import Direction, RuleRef
from flowtui.core.netmodel import (
    DESCRIBE_NETWORK_ACLS,
    DESCRIBE_SUBNETS,
    DESCRIBE_VPCS,
    IMPLICIT_DENY_RULE,
    AclEntry,
    Eni,
    IPAddress,
    NetworkAcl,
    NetworkModel,
    Subnet,
    address_in,
)

_FINAL_RULE_TEXT = "deny all traffic: no numbered rule matched"


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


def _subnet_label(subnet_id: str, subnet: Subnet | None) -> str:
    return f"{subnet_id} ({subnet.name})" if subnet and subnet.name else subnet_id


# --- the path through network ACLs ----------------------------------------------------------


def crossings(
    eni: Eni, peer: IPAddress, direction: Direction, network: NetworkModel, trace: Trace
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


def _acl_entry_match(entry: AclEntry, packet: Packet) -> tuple[Match, str]:
    far_end = packet.dst if entry.egress else packet.src
    if not address_in(far_end, entry.cidr):
        return Match.NO, ""
    return traffic_match(entry.traffic, packet)


def _acl_rule_text(entry: AclEntry) -> str:
    """'deny 203.0.113.0/24 TCP ports 22'."""
    return f"{'allow' if entry.allow else 'deny'} {entry.cidr} {traffic_text(entry.traffic)}"


def check_crossing(
    crossing: _Crossing, eni: Eni, packet: Packet, network: NetworkModel, trace: Trace
) -> AclFinding:
    if crossing.subnet_id is None and not crossing.far_side:
        reason = f"the subnet of {eni.eni_id} is not known, so its network ACL cannot be found"
        return AclFinding(Outcome.UNKNOWN, summary=reason)
    if crossing.subnet_id is None:
        far_end = packet.src if crossing.egress else packet.dst
        reason = f"the subnet of {far_end} is not known, so its network ACL cannot be checked"
        return AclFinding(Outcome.UNKNOWN, summary=reason, far_side=True)
    subnet = network.subnets.get(crossing.subnet_id)
    label = _subnet_label(crossing.subnet_id, subnet)
    vpc_id = subnet.vpc_id if subnet and subnet.vpc_id else network.vpc_id_of(eni)
    acl = network.acl_for_subnet(crossing.subnet_id, vpc_id)
    if acl is None:
        why = trace.unavailable(DESCRIBE_NETWORK_ACLS)
        trace.step(f"Subnet {label} {crossing.direction} ACL: not known{why}")
        reason = f"the network ACL of subnet {label} is not known{why}"
        return AclFinding(Outcome.UNKNOWN, summary=reason, subnet_label=label)
    return _walk_acl(acl, crossing, label, packet, trace)


def _acl_rule_ref(acl: NetworkAcl, crossing: _Crossing, number: int, text: str) -> RuleRef:
    return RuleRef(
        "network-acl", (acl.acl_id,), crossing.direction, number, text, crossing.subnet_id
    )


def _walk_acl(
    acl: NetworkAcl, crossing: _Crossing, label: str, packet: Packet, trace: Trace
) -> AclFinding:
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
        if match is Match.MAYBE:
            trace.step(f"{where}: rule {entry.number} ({_acl_rule_text(entry)}) may match: {why}")
            possible.append(entry)
        elif match is Match.YES:
            decisive = entry
            break
    if decisive is None:
        trace.step(f"{where}: no numbered rule matches, so the final rule * denies it")
        rule = _acl_rule_ref(acl, crossing, IMPLICIT_DENY_RULE, _FINAL_RULE_TEXT)
        allowed = False
    else:
        verb = "allows" if decisive.allow else "denies"
        trace.step(
            f"{where}: rule {decisive.number} {verb} {traffic_text(decisive.traffic)} "
            f"{toward} {decisive.cidr}"
        )
        rule = _acl_rule_ref(acl, crossing, decisive.number, _acl_rule_text(decisive))
        allowed = decisive.allow
    outcome = Outcome.ALLOW if allowed else Outcome.DENY
    finding = AclFinding(outcome, rule, subnet_label=label, far_side=crossing.far_side)
    return _unsettled(finding, possible, allowed, crossing, label)


def _unsettled(
    finding: AclFinding, possible: list[AclEntry], allowed: bool, crossing: _Crossing, label: str
) -> AclFinding:
    """The finding, made UNKNOWN when an earlier rule may decide otherwise or the path is unsure."""
    contrary = [entry for entry in possible if entry.allow != allowed]
    if contrary:
        entry = contrary[0]
        reason = (
            f"rule {entry.number} ({_acl_rule_text(entry)}) of the network ACL of subnet {label} "
            f"may match before rule {finding.rule_number}, and they disagree"
        )
        return AclFinding(Outcome.UNKNOWN, summary=reason, subnet_label=label)
    if not crossing.certain and finding.outcome is Outcome.DENY:
        reason = (
            f"network ACL {finding.acl_rule} of subnet {label} denies it, unless the far end is "
            "inside that subnet, whose CIDR is not known"
        )
        return AclFinding(Outcome.UNKNOWN, summary=reason, subnet_label=label)
    return finding
