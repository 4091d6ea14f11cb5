"""EC2 lookups: enrichment, one cache, ids only plus one notice without a permission."""

from __future__ import annotations

import threading

from flowtui.core.netmodel import GroupIdentifier, SgRule, Traffic
from flowtui.demo.faults import FaultInjector, eni_id
from flowtui.sources.aws import AwsConnection
from flowtui.sources.ec2 import Ec2Lookups
from flowtui.sources.ratelimit import RateLimiter

from .conftest import Account


def test_an_eni_is_described_with_its_instance_name_and_groups(
    conn: AwsConnection, limiter: RateLimiter, account: Account
) -> None:
    eni = Ec2Lookups(conn, limiter).interface(account.web_eni)

    assert eni.known and eni.instance_id == account.web_instance
    assert eni.instance_name == "web-1"
    assert eni.label == f"web-1 ({account.web_instance}) {account.web_ip}"
    assert eni.private_ips[0] == account.web_ip
    assert (eni.subnet_id, eni.vpc_id) == (account.public_subnet, account.vpc)
    assert eni.security_groups == (GroupIdentifier(account.web_sg, "web"),)


def test_deleted_enis_do_not_fail_the_batch_and_batches_hold_200_ids(
    conn: AwsConnection, limiter: RateLimiter, account: Account, faults: FaultInjector
) -> None:
    gone = [eni_id(n) for n in range(449)]
    faults.clear()

    found = Ec2Lookups(conn, limiter).network_interfaces([account.db_eni, *gone])

    assert len(found) == 450
    assert found[account.db_eni].known and found[account.db_eni].label.startswith("RDSNetwork")
    assert (
        not found[gone[0]].known
        and found[gone[0]].label == f"{gone[0]} (deleted or not in this account)"
    )
    assert faults.calls("DescribeNetworkInterfaces") == 3


def test_lookups_are_cached_until_invalidated(
    conn: AwsConnection, limiter: RateLimiter, account: Account, faults: FaultInjector
) -> None:
    lookups = Ec2Lookups(conn, limiter)
    faults.clear()
    lookups.interface(account.web_eni)
    lookups.interface(account.web_eni)
    assert faults.calls("DescribeNetworkInterfaces") == 1

    lookups.invalidate([account.web_eni])
    lookups.interface(account.web_eni)
    assert faults.calls("DescribeNetworkInterfaces") == 2


def test_threads_asking_for_the_flow_logs_at_once_make_one_call(
    conn: AwsConnection, limiter: RateLimiter, faults: FaultInjector
) -> None:
    """A command looks up the group's formats and its retention side by side; both need the
    account's flow logs, and the account's EC2 quota pays for them once."""
    lookups = Ec2Lookups(conn, limiter)
    faults.clear()
    faults.latency_s = 0.2  # both threads ask while the first call is on the wire
    answers: list[object] = []
    threads = [
        threading.Thread(target=lambda: answers.append(lookups.flow_logs())) for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert faults.calls("DescribeFlowLogs") == 1
    assert len(answers) == 3 and answers[0] is not None and all(a == answers[0] for a in answers)


def test_without_describe_instances_names_are_missing_and_said_once(
    conn: AwsConnection, limiter: RateLimiter, account: Account, faults: FaultInjector
) -> None:
    faults.deny("DescribeInstances")
    lookups = Ec2Lookups(conn, limiter)

    first = lookups.interface(account.web_eni)
    lookups.invalidate()
    second = lookups.interface(account.web_eni)

    assert first == second
    assert first.instance_id == account.web_instance and first.instance_name is None
    assert first.label == f"{account.web_instance} {account.web_ip}"
    assert lookups.notices == [
        "missing permission ec2:DescribeInstances: instance names are not shown"
    ]
    assert faults.calls("DescribeInstances") == 1  # a denied action is not asked again


def test_without_describe_network_interfaces_only_ids_are_shown(
    conn: AwsConnection, limiter: RateLimiter, account: Account, faults: FaultInjector
) -> None:
    faults.deny("DescribeNetworkInterfaces")
    lookups = Ec2Lookups(conn, limiter)

    found = lookups.network_interfaces([account.web_eni, account.db_eni])

    assert [eni.known for eni in found.values()] == [False, False]
    assert found[account.web_eni].label == f"{account.web_eni} (details unavailable)"
    assert lookups.notices == [
        "missing permission ec2:DescribeNetworkInterfaces: ENIs are shown by id only"
    ]


def test_flow_logs_by_group_and_their_formats(
    conn: AwsConnection, limiter: RateLimiter, account: Account
) -> None:
    lookups = Ec2Lookups(conn, limiter)

    flows = lookups.flow_logs_for_group("/vpc/flows")

    assert flows is not None
    assert sorted((f.resource_id, f.traffic_type) for f in flows) == sorted(
        [(account.vpc, "ALL"), (account.private_subnet, "REJECT")]
    )
    assert {len(f.format.fields) for f in flows if f.format} == {14, 21}
    assert all(f.aggregation_interval_s == 60 for f in flows)


def test_without_describe_flow_logs_they_are_unknown(
    conn: AwsConnection, limiter: RateLimiter, account: Account, faults: FaultInjector
) -> None:
    faults.deny("DescribeFlowLogs")
    lookups = Ec2Lookups(conn, limiter)
    assert lookups.flow_logs_for_group("/vpc/flows") is None
    assert lookups.notices == [
        "missing permission ec2:DescribeFlowLogs: the format will be detected from the records "
        "and coverage is unknown"
    ]


def test_security_groups_with_rules_and_prefix_lists(
    conn: AwsConnection, limiter: RateLimiter, account: Account, faults: FaultInjector
) -> None:
    lookups = Ec2Lookups(conn, limiter)
    faults.clear_counts()

    group = lookups.security_groups([GroupIdentifier(account.web_sg, "web")])[account.web_sg]

    assert group.name == "web"
    inbound = {(r.traffic, r.peer_kind, r.peer) for r in group.rules if not r.egress}
    assert inbound == {
        (Traffic(6, ports=(443, 443)), "cidr", "0.0.0.0/0"),
        (Traffic(6, ports=(22, 22)), "prefix-list", account.prefix_list),
    }
    assert all(rule.rule_id.startswith("sgr-") for rule in group.rules)
    assert faults.calls("DescribeSecurityGroups") == 0  # the rules call says it all
    assert lookups.prefix_list_cidrs(account.prefix_list) == ("203.0.113.0/24",)


def test_without_describe_security_group_rules_groups_give_the_rules(
    conn: AwsConnection, limiter: RateLimiter, account: Account, faults: FaultInjector
) -> None:
    faults.deny("DescribeSecurityGroupRules")
    lookups = Ec2Lookups(conn, limiter)

    group = lookups.security_groups([GroupIdentifier(account.web_sg)])[account.web_sg]

    assert group.name == "web"
    assert SgRule(False, Traffic(6, ports=(443, 443)), "cidr", "0.0.0.0/0") in group.rules
    assert lookups.notices == [
        "missing permission ec2:DescribeSecurityGroupRules: security group rules are read "
        "with ec2:DescribeSecurityGroups instead"
    ]


def test_the_network_acl_of_a_subnet(
    conn: AwsConnection, limiter: RateLimiter, account: Account, faults: FaultInjector
) -> None:
    lookups = Ec2Lookups(conn, limiter)
    faults.clear_counts()

    acl = lookups.network_acls([account.public_subnet])[account.public_subnet]

    assert acl.vpc_id == account.vpc and acl.is_default
    assert account.public_subnet in acl.subnet_ids
    assert {entry.allow for entry in acl.entries} == {True, False}  # allow all, then deny all
    assert lookups.network_acls([account.public_subnet]) == {account.public_subnet: acl}
    assert faults.calls("DescribeNetworkAcls") == 1


def test_group_members_are_the_addresses_of_its_enis(
    conn: AwsConnection, limiter: RateLimiter, account: Account
) -> None:
    lookups = Ec2Lookups(conn, limiter)

    members = lookups.group_members([account.web_sg, "sg-0000000000000dead"])

    assert members == {account.web_sg: (account.web_ip,), "sg-0000000000000dead": ()}


def test_subnets_and_vpcs(conn: AwsConnection, limiter: RateLimiter, account: Account) -> None:
    lookups = Ec2Lookups(conn, limiter)
    subnet = lookups.subnets([account.private_subnet, "subnet-0000000000000dead"])
    assert list(subnet) == [account.private_subnet]
    assert subnet[account.private_subnet].cidrs == ("10.0.2.0/24",)
    assert lookups.vpcs([account.vpc])[account.vpc].cidrs == ("10.0.0.0/16",)
    in_vpc = lookups.subnets_of_vpc(account.vpc)
    assert in_vpc is not None
    assert {s.subnet_id for s in in_vpc} == {account.public_subnet, account.private_subnet}


def test_invalidating_a_group_forgets_its_members(
    conn: AwsConnection, limiter: RateLimiter, account: Account, faults: FaultInjector
) -> None:
    lookups = Ec2Lookups(conn, limiter)
    lookups.group_members([account.web_sg])
    faults.clear_counts()

    lookups.group_members([account.web_sg])
    assert faults.calls("DescribeNetworkInterfaces") == 0
    lookups.invalidate([account.web_sg])
    lookups.group_members([account.web_sg])
    assert faults.calls("DescribeNetworkInterfaces") == 1
