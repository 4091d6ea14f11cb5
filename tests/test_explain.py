"""The explain evaluator: AWS's network ACL and security group semantics, one rule at a time."""

from __future__ import annotations

from dataclasses import replace

import pytest

from flowtui.core.explain.facts import FlowFacts, RecordError
from flowtui.core.explain.narrate import explain
from flowtui.core.explain.verdict import Verdict
from flowtui.core.netmodel import (
    AclEntry,
    Eni,
    GroupIdentifier,
    NetworkAcl,
    NetworkModel,
    PeerKind,
    SecurityGroup,
    SgRule,
    Subnet,
    Traffic,
    Vpc,
)
from tests.samples import sample_blocks

WEB_IP = "10.0.1.10"
WEB_IP6 = "2001:db8:1234:1a01::10"
APP_IP = "10.0.2.7"
INTERNET = "203.0.113.5"

VPC = Vpc("vpc-1", ("10.0.0.0/16", "2001:db8:1234:1a00::/56"))
WEB_SUBNET = Subnet(
    "subnet-0def", "vpc-1", ("10.0.1.0/24", "2001:db8:1234:1a01::/64"), "web-public"
)
APP_SUBNET = Subnet("subnet-0app", "vpc-1", ("10.0.2.0/24",), "app-private")
WEB_GROUP = GroupIdentifier("sg-0123", "web")


def entry(
    number: int,
    cidr: str,
    *,
    egress: bool = False,
    allow: bool = True,
    protocol: int = -1,
    ports: tuple[int, int] | None = None,
    icmp: tuple[int, int] | None = None,
) -> AclEntry:
    return AclEntry(number, egress, allow, cidr, Traffic(protocol, ports, icmp))


ALLOW_ALL = (
    entry(100, "0.0.0.0/0"),
    entry(101, "::/0"),
    entry(100, "0.0.0.0/0", egress=True),
    entry(101, "::/0", egress=True),
)


def acl(acl_id: str, subnet_id: str, *entries: AclEntry) -> NetworkAcl:
    return NetworkAcl(acl_id, "vpc-1", False, (subnet_id,), entries)


def rule(
    peer: str,
    *,
    egress: bool = False,
    protocol: int = -1,
    ports: tuple[int, int] | None = None,
    icmp: tuple[int, int] | None = None,
    kind: PeerKind = "cidr",
) -> SgRule:
    return SgRule(egress, Traffic(protocol, ports, icmp), kind, peer)


SSH_FROM_ANYWHERE = rule("0.0.0.0/0", protocol=6, ports=(22, 22))
EGRESS_ALL = rule("0.0.0.0/0", egress=True)


def web_eni(*groups: GroupIdentifier, interface_type: str = "interface") -> Eni:
    return Eni(
        "eni-web",
        "subnet-0def",
        "vpc-1",
        interface_type,
        addresses=(WEB_IP, WEB_IP6),
        groups=groups,
    )


def network(
    *,
    web_acl: tuple[AclEntry, ...] = ALLOW_ALL,
    app_acl: tuple[AclEntry, ...] = ALLOW_ALL,
    groups: tuple[SecurityGroup, ...] = (
        SecurityGroup("sg-0123", "web", "vpc-1", (SSH_FROM_ANYWHERE, EGRESS_ALL)),
    ),
    eni: Eni | None = None,
    group_members: dict[str, list[str]] | None = None,
    prefix_lists: dict[str, list[str]] | None = None,
    missing_permissions: tuple[str, ...] = (),
) -> NetworkModel:
    return NetworkModel.build(
        enis=[eni or web_eni(WEB_GROUP)],
        subnets=[WEB_SUBNET, APP_SUBNET],
        vpcs=[VPC],
        acls=[acl("acl-0abc", "subnet-0def", *web_acl), acl("acl-0app", "subnet-0app", *app_acl)],
        security_groups=groups,
        group_members=group_members,
        prefix_lists=prefix_lists,
        missing_permissions=missing_permissions,
    )


def inbound(
    src: str = INTERNET, dstport: int = 22, protocol: int = 6, **facts: object
) -> FlowFacts:
    """A REJECT record of traffic into the web interface; `facts` overrides any field."""
    dst = WEB_IP6 if ":" in src else WEB_IP
    record = FlowFacts("eni-web", protocol, src, dst, 51234, dstport, action="REJECT")
    return replace(record, **facts)


def outbound(
    dst: str = INTERNET, dstport: int = 443, protocol: int = 6, **facts: object
) -> FlowFacts:
    src = WEB_IP6 if ":" in dst else WEB_IP
    return replace(inbound(**facts), protocol=protocol, srcaddr=src, dstaddr=dst, dstport=dstport)


# --- network ACLs ---------------------------------------------------------------------------


def test_an_acl_deny_names_the_rule_the_acl_and_the_subnet() -> None:
    deny = entry(100, "203.0.113.0/24", allow=False, protocol=6, ports=(22, 22))
    verdict = explain(inbound(), network(web_acl=(deny, entry(200, "0.0.0.0/0"))))
    assert verdict.kind == "nacl-deny"
    assert verdict.text.startswith(
        "Inbound TCP 22 from 203.0.113.5 is denied by network ACL acl-0abc rule 100 "
        "(deny 203.0.113.0/24 TCP ports 22) of subnet subnet-0def (web-public)."
    )
    assert verdict.rule is not None
    assert (verdict.rule.source, verdict.rule.ids, verdict.rule.number) == (
        "network-acl",
        ("acl-0abc",),
        100,
    )
    assert verdict.rule.direction == "inbound"
    # The security group opens port 22, so only the ACL stands in the way.
    assert "The security group allows it." in verdict.text


def test_a_lower_numbered_allow_wins_over_a_later_deny_whatever_the_listing_order() -> None:
    deny = entry(100, "203.0.113.0/24", allow=False)
    allow = entry(90, "203.0.113.5/32", protocol=6, ports=(22, 22))
    verdict = explain(inbound(), network(web_acl=(deny, allow, *ALLOW_ALL[2:])))
    assert verdict.kind == "allowed"
    assert any(
        "acl-0abc: rule 90 allows TCP ports 22 from 203.0.113.5/32" in s for s in verdict.steps
    )


def test_the_lower_numbered_deny_wins_when_it_comes_first() -> None:
    deny = entry(90, "203.0.113.0/24", allow=False)
    allow = entry(100, "203.0.113.5/32", protocol=6, ports=(22, 22))
    verdict = explain(inbound(), network(web_acl=(allow, deny)))
    assert verdict.kind == "nacl-deny"
    assert verdict.rule is not None and verdict.rule.number == 90


@pytest.mark.parametrize("listed", [False, True], ids=["unlisted", "listed"])
def test_the_final_implicit_deny_applies_whether_or_not_the_data_lists_it(listed: bool) -> None:
    entries = [entry(100, "0.0.0.0/0", protocol=6, ports=(443, 443))]
    if listed:
        entries.append(entry(32767, "0.0.0.0/0", allow=False))
    verdict = explain(inbound(), network(web_acl=tuple(entries)))
    assert verdict.kind == "nacl-deny"
    assert verdict.rule is not None and verdict.rule.number == 32767
    assert "acl-0abc rule * (deny all traffic: no numbered rule matched)" in verdict.text


def test_protocol_minus_one_covers_every_protocol() -> None:
    deny_all = entry(100, "198.51.100.0/24", allow=False)
    for protocol, port in ((6, 22), (17, 53), (47, 0)):
        verdict = explain(
            inbound("198.51.100.7", port, protocol), network(web_acl=(deny_all, *ALLOW_ALL))
        )
        assert verdict.kind == "nacl-deny", protocol
        assert verdict.rule is not None and verdict.rule.number == 100


def test_a_protocol_specific_rule_does_not_cover_other_protocols() -> None:
    deny_udp = entry(100, "0.0.0.0/0", allow=False, protocol=17, ports=(22, 22))
    assert explain(inbound(), network(web_acl=(deny_udp, *ALLOW_ALL))).kind == "allowed"


@pytest.mark.parametrize(
    ("port", "kind"), [(1023, "nacl-deny"), (1024, "allowed"), (65535, "allowed")]
)
def test_port_ranges_are_inclusive(port: int, kind: str) -> None:
    ephemeral_only = entry(100, "0.0.0.0/0", egress=True, protocol=6, ports=(1024, 65535))
    verdict = explain(outbound(dstport=port), network(web_acl=(ALLOW_ALL[0], ephemeral_only)))
    assert verdict.kind == kind


def test_an_icmp_rule_for_all_types_matches_a_ping() -> None:
    icmp_all = entry(100, "0.0.0.0/0", protocol=1, icmp=(-1, -1))
    verdict = explain(
        inbound(protocol=1, dstport=0, srcport=0),
        network(
            web_acl=(icmp_all,),
            groups=(
                SecurityGroup(
                    "sg-0123", "web", rules=(rule("0.0.0.0/0", protocol=1, icmp=(-1, -1)),)
                ),
            ),
        ),
    )
    assert verdict.kind == "allowed"


def test_an_icmp_rule_for_one_type_is_possible_but_not_certain() -> None:
    echo_only = entry(100, "0.0.0.0/0", protocol=1, icmp=(8, -1))
    verdict = explain(inbound(protocol=1, dstport=0, srcport=0), network(web_acl=(echo_only,)))
    # The ACL may or may not let it in; the group drops an inbound ping either way.
    assert verdict.kind == "sg-no-allow"
    assert "unless it is a response" in verdict.text
    assert any(
        "rule 100 (allow 0.0.0.0/0 ICMP type 8 (echo request)) may match: "
        "flow logs do not record ICMP types" in s
        for s in verdict.steps
    )


def test_an_icmp_type_rule_leaves_the_verdict_unknown_when_the_group_allows_pings() -> None:
    echo_only = entry(100, "0.0.0.0/0", protocol=1, icmp=(8, -1))
    pings = SecurityGroup("sg-0123", "web", "vpc-1", (rule("0.0.0.0/0", protocol=1), EGRESS_ALL))
    verdict = explain(
        inbound(protocol=1, dstport=0, srcport=0), network(web_acl=(echo_only,), groups=(pings,))
    )
    assert verdict.kind == "unknown"


def test_an_icmp_type_rule_that_agrees_with_the_outcome_does_not_cloud_it() -> None:
    deny_echo = entry(90, "0.0.0.0/0", allow=False, protocol=1, icmp=(8, 0))
    verdict = explain(inbound(protocol=1, dstport=0, srcport=0), network(web_acl=(deny_echo,)))
    assert verdict.kind == "nacl-deny"  # rule 90 or the final rule: a deny either way


def test_an_icmp_rule_does_not_match_icmpv6() -> None:
    icmp_all = entry(100, "::/0", protocol=1, icmp=(-1, -1))
    verdict = explain(
        inbound("2001:db8:ffff::1", protocol=58, dstport=0, srcport=0), network(web_acl=(icmp_all,))
    )
    assert verdict.kind == "nacl-deny"
    assert verdict.rule is not None and verdict.rule.number == 32767


def test_ipv4_rules_never_match_ipv6_traffic() -> None:
    ipv4_only = (entry(100, "0.0.0.0/0"), entry(100, "0.0.0.0/0", egress=True))
    verdict = explain(inbound("2001:db8:ffff::1"), network(web_acl=ipv4_only))
    assert verdict.kind == "nacl-deny"
    assert verdict.text.startswith(
        "Inbound TCP 22 from 2001:db8:ffff::1 is denied by network ACL acl-0abc rule *"
    )


def test_ipv6_rules_match_ipv6_traffic_and_groups_need_an_ipv6_rule_too() -> None:
    verdict = explain(inbound("2001:db8:ffff::1"), network())
    # The ACL's ::/0 rule lets it in; the group only opens 22 to 0.0.0.0/0 (IPv4).
    assert verdict.kind == "sg-no-allow"
    assert "The network ACL allows it (rule 101)" in verdict.text
    ssh_v6 = rule("::/0", protocol=6, ports=(22, 22))
    groups = (SecurityGroup("sg-0123", "web", rules=(ssh_v6,)),)
    assert explain(inbound("2001:db8:ffff::1"), network(groups=groups)).kind == "allowed"


def test_traffic_inside_one_subnet_crosses_no_acl() -> None:
    deny_everything = (
        entry(1, "0.0.0.0/0", allow=False),
        entry(1, "0.0.0.0/0", egress=True, allow=False),
    )
    verdict = explain(inbound("10.0.1.20"), network(web_acl=deny_everything))
    assert verdict.kind == "allowed"
    assert any(
        "in the interface's own subnet subnet-0def (web-public): no network ACL applies" in s
        for s in verdict.steps
    )
    assert not any("ACL acl-0abc" in s for s in verdict.steps)


def test_traffic_between_subnets_crosses_the_senders_outbound_then_the_receivers_inbound_acl() -> (
    None
):
    verdict = explain(inbound(APP_IP), network())
    acl_steps = [s for s in verdict.steps if s.startswith("Subnet ")]
    assert acl_steps == [
        "Subnet subnet-0app (app-private) outbound ACL acl-0app: "
        "rule 100 allows all traffic to 0.0.0.0/0",
        "Subnet subnet-0def (web-public) inbound ACL acl-0abc: "
        "rule 100 allows all traffic from 0.0.0.0/0",
    ]


def test_the_senders_outbound_acl_can_deny_traffic_between_subnets() -> None:
    deny_to_web = entry(50, "10.0.1.0/24", egress=True, allow=False)
    verdict = explain(
        inbound(APP_IP), network(app_acl=(*ALLOW_ALL[:2], deny_to_web, *ALLOW_ALL[2:]))
    )
    assert verdict.kind == "nacl-deny"
    assert verdict.text.startswith(
        "Inbound TCP 22 from 10.0.2.7 is denied by network ACL acl-0app rule 50 "
        "(deny 10.0.1.0/24 all traffic) of subnet subnet-0app (app-private), "
        "the sender's subnet, on the way out."
    )
    assert verdict.rule is not None and verdict.rule.direction == "outbound"


def test_a_subnet_without_its_own_acl_uses_the_vpcs_default_acl() -> None:
    default = NetworkAcl("acl-default", "vpc-1", True, (), (entry(100, "0.0.0.0/0", allow=False),))
    model = NetworkModel.build(
        enis=[web_eni(WEB_GROUP)],
        subnets=[WEB_SUBNET],
        vpcs=[VPC],
        acls=[default],
        security_groups=[SecurityGroup("sg-0123", "web", rules=(SSH_FROM_ANYWHERE,))],
    )
    verdict = explain(inbound(), model)
    assert verdict.kind == "nacl-deny"
    assert verdict.rule is not None and verdict.rule.ids == ("acl-default",)


# --- security groups ------------------------------------------------------------------------


def test_no_matching_group_rule_drops_it_with_the_documented_wording() -> None:
    verdict = explain(inbound("198.51.100.7", 3389), network(web_acl=(entry(200, "0.0.0.0/0"),)))
    assert verdict.kind == "sg-no-allow"
    assert verdict.text == (
        "The network ACL allows it (rule 200), but no inbound rule of sg-0123 (web) "
        "allows TCP 3389 from 198.51.100.7: the security group drops it."
    )
    assert verdict.rule is not None
    assert verdict.rule.to_json() == {
        "type": "security-group",
        "ids": ["sg-0123"],
        "direction": "inbound",
        "number": None,
        "text": "no inbound rule allows TCP 3389 from 198.51.100.7",
        "subnet": None,
    }


def test_a_rule_referencing_another_group_matches_that_groups_interfaces() -> None:
    from_app = rule("sg-0app", protocol=6, ports=(5432, 5432), kind="group")
    groups = (SecurityGroup("sg-0123", "web", rules=(from_app,)),)
    members = {"sg-0app": [APP_IP]}
    assert (
        explain(inbound(APP_IP, 5432), network(groups=groups, group_members=members)).kind
        == "allowed"
    )
    stranger = explain(inbound("10.0.2.8", 5432), network(groups=groups, group_members=members))
    assert stranger.kind == "sg-no-allow"


def test_an_unknown_referenced_group_leaves_the_groups_undecided() -> None:
    from_app = rule("sg-0app", protocol=6, ports=(5432, 5432), kind="group")
    groups = (SecurityGroup("sg-0123", "web", rules=(from_app,)),)
    model = network(groups=groups, missing_permissions=("ec2:DescribeNetworkInterfaces",))
    verdict = explain(inbound(APP_IP, 5432), model)
    assert verdict.kind == "unknown"
    assert (
        "the interfaces in sg-0app are not known (ec2:DescribeNetworkInterfaces was denied)"
        in verdict.text
    )
    assert verdict.missing == ["ec2:DescribeNetworkInterfaces"]


def test_a_prefix_list_rule_matches_the_lists_cidrs() -> None:
    from_office = rule("pl-0office", protocol=6, ports=(22, 22), kind="prefix-list")
    groups = (SecurityGroup("sg-0123", "web", rules=(from_office,)),)
    lists = {"pl-0office": ["203.0.113.0/28"]}
    assert explain(inbound(), network(groups=groups, prefix_lists=lists)).kind == "allowed"
    assert (
        explain(inbound("203.0.113.99"), network(groups=groups, prefix_lists=lists)).kind
        == "sg-no-allow"
    )


def test_several_groups_on_one_interface_allow_the_union_of_their_rules() -> None:
    ssh = SecurityGroup("sg-0a", "ssh", rules=(SSH_FROM_ANYWHERE,))
    https = SecurityGroup(
        "sg-0b", "https", rules=(rule("0.0.0.0/0", protocol=6, ports=(443, 443)),)
    )
    eni = web_eni(GroupIdentifier("sg-0a", "ssh"), GroupIdentifier("sg-0b", "https"))
    model = network(groups=(ssh, https), eni=eni)
    assert explain(inbound(dstport=443), model).kind == "allowed"
    assert explain(inbound(dstport=22), model).kind == "allowed"
    dropped = explain(inbound(dstport=80), model)
    assert dropped.kind == "sg-no-allow"
    assert (
        "no inbound rule of sg-0a (ssh) or sg-0b (https) allows TCP 80 from 203.0.113.5: "
        "the security groups drop it." in dropped.text
    )
    assert dropped.rule is not None and dropped.rule.ids == ("sg-0a", "sg-0b")


def test_outbound_traffic_follows_the_egress_rules() -> None:
    no_egress = (SecurityGroup("sg-0123", "web", rules=(SSH_FROM_ANYWHERE,)),)
    verdict = explain(outbound(dstport=443, tcp_flags=2), network(groups=no_egress))
    assert verdict.kind == "sg-no-allow"
    assert "no outbound rule of sg-0123 (web) allows TCP 443 to 203.0.113.5" in verdict.text


@pytest.mark.parametrize(
    "interface_type", ["nat_gateway", "transit_gateway", "gateway_load_balancer_endpoint"]
)
def test_an_interface_without_groups_leaves_security_groups_out(interface_type: str) -> None:
    eni = web_eni(interface_type=interface_type)
    verdict = explain(inbound(dstport=8080), network(eni=eni, groups=()))
    assert verdict.kind == "allowed"
    assert f"Security groups: not involved (a {interface_type} interface has none)" in verdict.steps
    denied = explain(inbound(dstport=8080), network(eni=eni, groups=(), web_acl=()))
    assert denied.kind == "nacl-deny"
    assert "security group" not in denied.text


# --- stateless ACLs, stateful groups --------------------------------------------------------


def _docs_icmp_records() -> list[dict[str, object]]:
    """The AWS documentation's ping example: an ACCEPTed request, then a REJECTed reply."""
    block = next(b for b in sample_blocks() if any(" 1 4 336 " in r for r in b.records))
    return [dict(zip(block.format_names, line.split(), strict=True)) for line in block.records[:2]]


def _docs_icmp_network(egress_rules: tuple[SgRule, ...]) -> NetworkModel:
    """Inbound ACL allows all; outbound ACL has no rule for the reply; the group allows ping in."""
    subnet = Subnet("subnet-0def", "vpc-1", ("172.31.16.0/20",), "web-public")
    nacl = acl(
        "acl-0abc",
        "subnet-0def",
        entry(100, "0.0.0.0/0"),
        entry(100, "0.0.0.0/0", egress=True, protocol=6, ports=(80, 80)),
    )
    ping_in = rule("0.0.0.0/0", protocol=1, icmp=(-1, -1))
    eni = Eni(
        "eni-1235b8ca123456789",
        "subnet-0def",
        "vpc-1",
        addresses=("172.31.16.139",),
        groups=(WEB_GROUP,),
    )
    return NetworkModel.build(
        enis=[eni],
        subnets=[subnet],
        vpcs=[Vpc("vpc-1", ("172.31.0.0/16",))],
        acls=[nacl],
        security_groups=[SecurityGroup("sg-0123", "web", rules=(ping_in, *egress_rules))],
    )


def test_the_docs_ping_request_is_allowed_by_both() -> None:
    request, _ = _docs_icmp_records()
    verdict = explain(FlowFacts.from_record(request), _docs_icmp_network(()))
    assert verdict.kind == "allowed"
    assert verdict.text == "Today's rules allow this flow, as the record's ACCEPT says."


def test_the_docs_ping_reply_is_denied_by_the_outbound_acl_while_the_group_allows_it() -> None:
    _, reply = _docs_icmp_records()
    verdict = explain(FlowFacts.from_record(reply), _docs_icmp_network(()))
    assert verdict.kind == "nacl-deny"
    assert (
        verdict.rule is not None
        and verdict.rule.direction == "outbound"
        and verdict.rule.number == 32767
    )
    assert verdict.text.startswith(
        "Outbound ICMP to 203.0.113.12 is denied by network ACL acl-0abc rule *"
    )
    assert (
        "The security group would have allowed it as a response (security groups are stateful"
        in verdict.text
    )
    assert any(
        "may be a response" in s and "ICMP type 8 (echo request)" in s for s in verdict.steps
    )


def test_the_docs_ping_reply_with_open_egress_is_plainly_allowed_by_the_group() -> None:
    _, reply = _docs_icmp_records()
    verdict = explain(FlowFacts.from_record(reply), _docs_icmp_network((EGRESS_ALL,)))
    assert verdict.kind == "nacl-deny"
    assert verdict.text.endswith("The security group allows it.")


def test_a_tcp_response_is_allowed_by_the_group_that_allows_its_connection() -> None:
    no_egress = (SecurityGroup("sg-0123", "web", rules=(SSH_FROM_ANYWHERE,)),)
    reply = replace(outbound(dstport=51234), srcport=22)
    verdict = explain(reply, network(groups=no_egress))
    assert verdict.kind == "allowed"
    assert "as the response of a connection the security group allows" in verdict.text
    assert "source port 22 looks like a service port" in verdict.text
    # A SYN opens a connection: never a response, whatever the ports say.
    opening = explain(replace(reply, tcp_flags=2), network(groups=no_egress))
    assert opening.kind == "sg-no-allow"


def test_a_syn_ack_is_a_response_whatever_the_ports() -> None:
    no_egress = (
        SecurityGroup(
            "sg-0123", "web", rules=(rule("0.0.0.0/0", protocol=6, ports=(40000, 40000)),)
        ),
    )
    reply = replace(outbound(dstport=30000), srcport=40000, tcp_flags=18)
    verdict = explain(reply, network(groups=no_egress))
    assert verdict.kind == "allowed"
    assert "SYN-ACK" in verdict.text


def test_a_response_whose_connection_no_rule_allows_is_still_dropped() -> None:
    no_egress = (SecurityGroup("sg-0123", "web", rules=(SSH_FROM_ANYWHERE,)),)
    reply = replace(outbound(dstport=51234), srcport=25)
    verdict = explain(reply, network(groups=no_egress))
    assert verdict.kind == "sg-no-allow"
    assert "The inbound rules do not allow that connection either" in verdict.steps


# --- addresses and direction ----------------------------------------------------------------


def test_pkt_addresses_are_the_ones_matched() -> None:
    # A transit gateway hands the packet over: srcaddr is its interface, pkt-srcaddr the client.
    deny_client = entry(90, "10.20.0.0/16", allow=False)
    model = network(web_acl=(deny_client, *ALLOW_ALL))
    via_tgw = inbound("10.0.1.175", pkt_srcaddr="10.20.33.164", pkt_dstaddr=WEB_IP)
    verdict = explain(via_tgw, model)
    assert verdict.kind == "nacl-deny"
    assert verdict.text.startswith(
        "Inbound TCP 22 from 10.20.33.164 is denied by network ACL acl-0abc rule 90"
    )
    assert any(
        "from pkt-srcaddr/pkt-dstaddr; the interface recorded 10.0.1.175 -> 10.0.1.10" in s
        for s in verdict.steps
    )
    # Without the pkt-* fields the record's own source (inside the subnet) is all there is.
    assert explain(inbound("10.0.1.175"), model).kind == "allowed"


def test_flow_direction_gives_the_direction_when_no_address_is_known_to_be_the_interfaces() -> None:
    # A secondary address missing from the interface data: only flow-direction tells.
    to_secondary = inbound(dstaddr="10.0.1.99")
    assert explain(to_secondary, network()).kind == "unknown"
    verdict = explain(replace(to_secondary, flow_direction="ingress"), network())
    assert "Direction: inbound (flow-direction ingress)" in verdict.steps
    assert verdict.kind == "allowed"


def test_direction_is_inferred_from_the_interfaces_addresses() -> None:
    assert (
        "Direction: inbound (10.0.1.10 is an address of eni-web)"
        in explain(inbound(), network()).steps
    )
    assert (
        "Direction: outbound (10.0.1.10 is an address of eni-web)"
        in explain(outbound(), network()).steps
    )


def test_a_record_unrelated_to_the_interface_is_undecided() -> None:
    stray = inbound("198.51.100.1", dstaddr="198.51.100.2")
    verdict = explain(stray, network())
    assert verdict.kind == "unknown"
    assert "neither address belongs to eni-web" in verdict.text


# --- BPA, missing data, history -------------------------------------------------------------


def test_bpa_rejects_are_blamed_on_block_public_access() -> None:
    verdict = explain(inbound(reject_reason="BPA"), network(web_acl=()))
    assert verdict.kind == "bpa"
    assert "VPC Block Public Access rejected this flow" in verdict.text
    assert verdict.rule is None


def test_a_denied_acl_lookup_still_lets_the_groups_decide() -> None:
    model = NetworkModel.build(
        enis=[web_eni(WEB_GROUP)],
        subnets=[WEB_SUBNET],
        vpcs=[VPC],
        security_groups=[SecurityGroup("sg-0123", "web", rules=(SSH_FROM_ANYWHERE,))],
        missing_permissions=["ec2:DescribeNetworkAcls"],
    )
    dropped = explain(inbound(dstport=3389), model)
    assert dropped.kind == "sg-no-allow"
    assert dropped.text.startswith(
        "The network ACLs could not all be checked, but no inbound rule of sg-0123"
    )
    assert dropped.missing == ["ec2:DescribeNetworkAcls"]
    undecided = explain(inbound(dstport=22), model)
    assert undecided.kind == "unknown"
    assert undecided.text == (
        "Cannot decide: the network ACL of subnet subnet-0def (web-public) is not known "
        "(ec2:DescribeNetworkAcls was denied). The security group allows it."
    )


def test_a_denied_group_lookup_does_not_hide_an_acl_deny() -> None:
    model = replace(
        network(web_acl=()),
        security_groups={},
        missing_permissions=("ec2:DescribeSecurityGroupRules",),
    )
    verdict = explain(inbound(), model)
    assert verdict.kind == "nacl-deny"
    assert (
        "The security groups could not be fully checked: the rules of sg-0123 (web) are not known"
        in verdict.text
    )
    assert verdict.missing == ["ec2:DescribeSecurityGroupRules"]


def test_a_denied_interface_lookup_is_undecided_and_named() -> None:
    model = NetworkModel.build(missing_permissions=["ec2:DescribeNetworkInterfaces"])
    verdict = explain(inbound(), model)
    assert verdict.kind == "unknown"
    assert verdict.missing == ["ec2:DescribeNetworkInterfaces"]
    assert (
        "interface eni-web is not known (ec2:DescribeNetworkInterfaces was denied)" in verdict.text
    )


def test_unknown_vpc_cidrs_are_noted_but_do_not_block_a_verdict() -> None:
    model = replace(network(), vpcs={}, missing_permissions=("ec2:DescribeVpcs",))
    verdict = explain(inbound(), model)
    assert verdict.kind == "allowed"
    assert verdict.missing == ["ec2:DescribeVpcs"]
    assert any("taken as outside the VPC" in s for s in verdict.steps)


def test_a_reject_allowed_by_todays_rules_says_the_record_is_history() -> None:
    verdict = explain(inbound(), network())
    assert verdict.text == (
        "Today's rules allow this flow: the REJECT may be a packet after the connection closed, "
        "or the rules changed since the record (the rules are current; the record is history)."
    )


def test_an_accept_denied_by_todays_rules_says_the_rules_changed() -> None:
    verdict = explain(inbound(dstport=3389, action="ACCEPT"), network())
    assert verdict.kind == "sg-no-allow"
    assert verdict.text.endswith(
        "The record says ACCEPT, so the rules changed since the record "
        "(the rules are current; the record is history)."
    )


def test_a_nodata_record_cannot_be_judged() -> None:
    verdict = explain(FlowFacts("eni-web", action=None), network())
    assert verdict.kind == "unknown"
    assert "no addresses or protocol" in verdict.text


def test_to_json_has_the_documented_keys() -> None:
    verdict = explain(inbound(), network(web_acl=()))
    document = verdict.to_json()
    assert list(document) == ["verdict", "rule", "text", "steps", "missing_permissions"]
    assert document["verdict"] == "nacl-deny"
    assert document["rule"] == {
        "type": "network-acl",
        "ids": ["acl-0abc"],
        "direction": "inbound",
        "number": 32767,
        "text": "deny all traffic: no numbered rule matched",
        "subnet": "subnet-0def",
    }
    assert isinstance(verdict, Verdict) and document["steps"] == verdict.steps


# --- records --------------------------------------------------------------------------------


def test_from_record_reads_aws_field_names_and_dashes() -> None:
    facts = FlowFacts.from_record(
        {
            "interface-id": "eni-web",
            "srcaddr": "10.0.1.175",
            "dstaddr": WEB_IP,
            "pkt-srcaddr": "10.20.33.164",
            "pkt-dstaddr": "-",
            "srcport": "39812",
            "dstport": 80,
            "protocol": "6",
            "flow-direction": "ingress",
            "reject-reason": "-",
            "tcp-flags": None,
        }
    )
    assert facts == FlowFacts(
        "eni-web",
        6,
        "10.0.1.175",
        WEB_IP,
        39812,
        80,
        "10.20.33.164",
        None,
        "ingress",
        None,
        None,
        None,
    )


def test_from_record_reads_the_stores_integer_and_ipv6_address_columns() -> None:
    facts = FlowFacts.from_record(
        {"interface-id": "eni-web", "srcaddr": 0xCB007105, "dstaddr": None, "dstaddr_v6": WEB_IP6}
    )
    assert (facts.srcaddr, facts.dstaddr) == ("203.0.113.5", WEB_IP6)


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"srcaddr": "1.2.3.4"}, "the record has no interface-id"),
        (
            {"interface-id": "eni-1", "srcaddr": "10.0.0.999"},
            "srcaddr '10.0.0.999' is not an IP address",
        ),
        ({"interface-id": "eni-1", "dstport": "http"}, "dstport 'http' is not a number"),
        ({"interface-id": "eni-1", "dstport": 70000}, "dstport 70000 is not a port number"),
        ({"interface-id": "eni-1", "flow-direction": "sideways"}, "is not ingress or egress"),
    ],
)
def test_from_record_rejects_unusable_values_with_a_clear_message(
    record: dict[str, object], message: str
) -> None:
    with pytest.raises(RecordError, match=message.replace("(", r"\(").replace(")", r"\)")):
        FlowFacts.from_record(record)


def test_both_group_calls_denied_are_both_named() -> None:
    denied = ("ec2:DescribeSecurityGroupRules", "ec2:DescribeSecurityGroups")
    model = replace(network(), security_groups={}, missing_permissions=denied)
    verdict = explain(inbound(), model)
    assert verdict.kind == "unknown"
    assert verdict.missing == list(denied)
    assert (
        "the rules of sg-0123 (web) are not known (ec2:DescribeSecurityGroupRules and "
        "ec2:DescribeSecurityGroups were denied)" in verdict.text
    )


def test_an_allowed_reject_without_reject_reason_field_mentions_block_public_access() -> None:
    record = {
        "interface-id": "eni-web",
        "srcaddr": "203.0.113.5",
        "dstaddr": "10.0.1.10",
        "srcport": 40000,
        "dstport": 22,
        "protocol": 6,
        "action": "REJECT",
    }
    without = explain(FlowFacts.from_record(record), network())
    assert without.kind == "allowed"
    assert "Block Public Access would look the same" in without.text
    with_field = explain(FlowFacts.from_record({**record, "reject-reason": None}), network())
    assert "Block Public Access" not in with_field.text
