"""The verdict in words, and the entry point: `explain` runs the checks (`acls`, `groups`) on a
record and says what decided it, noting where today's rules and the record's history differ."""

from __future__ import annotations

from flowtui.core.explain.acls import check_crossing, crossings
from flowtui.core.explain.facts import FlowFacts
from flowtui.core.explain.groups import check_groups
from flowtui.core.explain.trace import (
    AclFinding,
    GroupFinding,
    Outcome,
    Trace,
    direction_of,
    lead_text,
    packet_of,
    peer_of,
)
from flowtui.core.explain.verdict import RuleRef, Verdict, VerdictKind
from flowtui.core.netmodel import DESCRIBE_NETWORK_INTERFACES, NetworkModel

_HISTORY = "the rules are current; the record is history"


# --- the verdict's words --------------------------------------------------------------------


def _acl_sentence(findings: list[AclFinding]) -> str:
    """How the network ACLs treated it, as the opening of a sentence."""
    if not findings:
        return "No network ACL applies inside a subnet"
    if any(finding.outcome is Outcome.UNKNOWN for finding in findings):
        return "The network ACLs could not all be checked"
    if len(findings) == 1:
        return f"The network ACL allows it (rule {findings[0].rule_number})"
    return f"The network ACLs allow it ({', '.join(finding.acl_rule for finding in findings)})"


def _groups_afterword(groups: GroupFinding) -> str:
    """What the security groups would have done, after a network ACL denied it."""
    if not groups.involved:
        return ""
    if groups.outcome is Outcome.ALLOW and groups.as_response:
        return (
            " The security group would have allowed it as a response (security groups are "
            "stateful; network ACLs are not, so a response needs its own ACL rule)."
        )
    if groups.outcome is Outcome.ALLOW:
        return f" The security group{'s allow' if groups.plural else ' allows'} it."
    if groups.outcome is Outcome.DENY:
        return f" The security groups would drop it too: {groups.summary}."
    return f" The security groups could not be fully checked: {groups.summary}."


def _nacl_deny_text(lead: str, finding: AclFinding) -> str:
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


def _allowed_text(flow: FlowFacts, groups: GroupFinding) -> str:
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
    acls: list[AclFinding],
    groups: GroupFinding,
    trace: Trace,
) -> Verdict:
    denying_acl = next((finding for finding in acls if finding.outcome is Outcome.DENY), None)
    if denying_acl is not None:
        text = _nacl_deny_text(lead, denying_acl) + _groups_afterword(groups)
        return _verdict(flow, "nacl-deny", denying_acl.rule, text, trace)
    if groups.outcome is Outcome.DENY:
        drop = "the security groups drop it" if groups.plural else "the security group drops it"
        text = f"{_acl_sentence(acls)}, but {groups.summary}: {drop}."
        return _verdict(flow, "sg-no-allow", groups.rule, text, trace)
    doubts = [finding.summary for finding in acls if finding.outcome is Outcome.UNKNOWN]
    if groups.outcome is Outcome.UNKNOWN:
        doubts.append(groups.summary)
    if doubts:
        return _verdict(flow, "unknown", None, _unknown_text(doubts, acls, groups), trace)
    return _verdict(flow, "allowed", None, _allowed_text(flow, groups), trace)


def _unknown_text(doubts: list[str], acls: list[AclFinding], groups: GroupFinding) -> str:
    known: list[str] = []
    allowing = [finding.acl_rule for finding in acls if finding.outcome is Outcome.ALLOW]
    if allowing:
        verb = "allows" if len(allowing) == 1 else "allow"
        known.append(f"Known: network ACL {' and '.join(allowing)} {verb} it.")
    if groups.involved and groups.outcome is Outcome.ALLOW:
        known.append(f"The security group{'s allow' if groups.plural else ' allows'} it.")
    return " ".join([f"Cannot decide: {'; '.join(doubts)}.", *known])


def _verdict(
    flow: FlowFacts, kind: VerdictKind, rule: RuleRef | None, text: str, trace: Trace
) -> Verdict:
    if flow.action == "ACCEPT" and kind in ("nacl-deny", "sg-no-allow"):
        text += f" The record says ACCEPT, so the rules changed since the record ({_HISTORY})."
    return Verdict(kind, rule, text, list(trace.steps), list(trace.missing))


def _undecidable(reason: str, trace: Trace) -> Verdict:
    return Verdict(
        "unknown", None, f"Cannot decide: {reason}.", list(trace.steps), list(trace.missing)
    )


def explain(flow: FlowFacts, network: NetworkModel) -> Verdict:
    """Which network ACL rule or security group decides this record under today's rules."""
    trace = Trace(network)
    if flow.reject_reason == "BPA":
        trace.step("reject-reason is BPA: VPC Block Public Access rejected it")
        text = (
            "VPC Block Public Access rejected this flow (reject-reason BPA), not a network ACL "
            "or a security group: check the Block Public Access mode of the account's region "
            "and the exclusions for this VPC or subnet."
        )
        return Verdict("bpa", None, text, list(trace.steps), [])
    packet = packet_of(flow, trace)
    if packet is None:
        return _undecidable("the record has no addresses or protocol (no traffic to judge)", trace)
    eni = network.enis.get(flow.interface_id)
    if eni is None:
        why = trace.unavailable(DESCRIBE_NETWORK_INTERFACES)
        trace.step(f"Interface {flow.interface_id}: not known{why}")
        return _undecidable(f"interface {flow.interface_id} is not known{why}", trace)
    direction = direction_of(flow, eni, trace)
    if direction is None:
        reason = f"the record has no flow-direction and neither address belongs to {eni.eni_id}"
        return _undecidable(reason, trace)
    peer = peer_of(packet, direction)
    acls = [
        check_crossing(crossing, eni, packet, network, trace)
        for crossing in crossings(eni, peer, direction, network, trace)
    ]
    groups = check_groups(eni, packet, direction, flow, trace)
    return _conclude(flow, lead_text(packet, direction), acls, groups, trace)
