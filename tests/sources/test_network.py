"""Explaining the demo account's records on the embedded endpoint: every kind of verdict, a
denied describe call, the cache and its refresh, and records that cannot be explained."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from flowtui.core.explain.verdict import Verdict
from flowtui.core.netmodel import IMPLICIT_DENY_RULE
from flowtui.demo.account import DemoAccount, build_demo_account
from flowtui.demo.faults import InProcessEndpoint, ManualClock
from flowtui.demo.flow_logs import MAIN_GROUP
from flowtui.demo.traffic import TrafficGenerator
from flowtui.demo.vpc import DENIED_CIDR
from flowtui.sources.aws import AwsConnection, OperationCancelled
from flowtui.sources.ec2 import Ec2Lookups
from flowtui.sources.network import RecordInputError, explain_line, explain_row
from flowtui.sources.ratelimit import RateLimiter

BUILT_AT = 1_700_000_000.0
Record = dict[str, str]


@dataclass(frozen=True)
class Demo:
    account: DemoAccount
    #: (line, its fields by AWS name) of ten minutes of the main group's records.
    records: list[tuple[str, Record]]

    def line(self, wanted: Callable[[Record], bool]) -> tuple[str, Record]:
        """The first record the demo wrote that `wanted` accepts."""
        return next((line, fields) for line, fields in self.records if wanted(fields))

    def eni_name(self, fields: Record) -> str:
        return next(eni.name for eni in self.account.enis if eni.id == fields["interface-id"])

    def acl_of(self, eni_name: str) -> str:
        return self.account.subnet(self.account.eni(eni_name).subnet_id).acl_id


@pytest.fixture(scope="module")
def demo(_server: InProcessEndpoint) -> Demo:
    """The demo account built once for the module (other modules' fixtures reset moto, and
    pytest rebuilds a module fixture when it comes back to the module)."""
    _server.reset()
    account = build_demo_account(_server.url, now=lambda: BUILT_AT)
    generator = TrafficGenerator(account, seed=7, now=lambda: BUILT_AT, rate=20)
    streams = generator.records_between(BUILT_AT + 600, BUILT_AT + 1200, MAIN_GROUP)
    formats = {len(f.log_format): f.log_format for f in account.flow_logs if f.group == MAIN_GROUP}
    records = []
    for events in streams.values():
        for _, line in events:
            values = line.split()
            records.append((line, dict(zip(formats[len(values)].fields, values, strict=True))))
    return Demo(account, records)


@pytest.fixture
def limiter(_conn: AwsConnection, clock: ManualClock) -> RateLimiter:
    """Like conftest's, without the endpoint reset that would wipe the demo account."""
    return RateLimiter(
        calls_per_s=1000, clock=clock, rng=random.Random(7), context=_conn.error_context
    )


@pytest.fixture
def lookups(_conn: AwsConnection, limiter: RateLimiter) -> Ec2Lookups:
    return Ec2Lookups(_conn, limiter)


@pytest.fixture
def denied(_server: InProcessEndpoint) -> Iterator[Callable[[str], None]]:
    yield _server.faults.deny
    _server.faults.clear()


def _explain(lookups: Ec2Lookups, line: str, *, refresh: bool = False) -> Verdict:
    return explain_line(
        lookups.conn, lookups.limiter, MAIN_GROUP, line, None, lookups=lookups, refresh=refresh
    )


def _rejected(fields: Record) -> bool:
    return fields["action"] == "REJECT"


def _from_denied_range(fields: Record) -> bool:
    return _rejected(fields) and fields["srcaddr"].startswith(DENIED_CIDR.rsplit(".", 1)[0])


def _scan_of(port: int) -> Callable[[Record], bool]:
    """An inbound probe of `port` from the internet, from a port no service would use."""

    def wanted(fields: Record) -> bool:
        return (
            _rejected(fields)
            and fields["dstport"] == str(port)
            and int(fields["srcport"]) > port
            and ":" not in fields["srcaddr"]
            and not fields["srcaddr"].startswith(("10.", DENIED_CIDR.rsplit(".", 1)[0]))
        )

    return wanted


def test_a_network_acl_deny_names_the_rule_and_the_subnet(demo: Demo, lookups: Ec2Lookups) -> None:
    line, fields = demo.line(_from_denied_range)
    eni = demo.account.eni(demo.eni_name(fields))

    verdict = explain_line(lookups.conn, lookups.limiter, MAIN_GROUP, line, None, lookups=lookups)

    assert verdict.kind == "nacl-deny" and verdict.rule is not None
    assert (verdict.rule.source, verdict.rule.ids, verdict.rule.number) == (
        "network-acl",
        (demo.acl_of(eni.name),),
        50,
    )
    assert (verdict.rule.direction, verdict.rule.subnet_id) == ("inbound", eni.subnet_id)
    subnet = demo.account.subnet(eni.subnet_id)
    assert verdict.text.startswith(f"Inbound TCP {fields['dstport']} from {fields['srcaddr']}")
    assert (
        f"rule 50 (deny {DENIED_CIDR} all traffic) of subnet {eni.subnet_id} ({subnet.name})"
        in verdict.text
    )
    assert verdict.missing == []


@pytest.mark.parametrize("port", [22, 3389])
def test_a_scan_no_security_group_allows_is_dropped_by_the_group(
    demo: Demo, lookups: Ec2Lookups, port: int
) -> None:
    line, fields = demo.line(_scan_of(port))
    eni = demo.account.eni(demo.eni_name(fields))
    group_name = next(
        n for n, i in demo.account.security_groups.items() if i in eni.security_groups
    )

    verdict = _explain(lookups, line)

    assert verdict.kind == "sg-no-allow" and verdict.rule is not None
    assert (verdict.rule.source, verdict.rule.ids, verdict.rule.direction) == (
        "security-group",
        eni.security_groups,
        "inbound",
    )
    assert verdict.text == (
        f"The network ACL allows it (rule 100), but no inbound rule of "
        f"{eni.security_groups[0]} ({group_name}) allows TCP {port} from {fields['srcaddr']}: "
        "the security group drops it."
    )


@pytest.mark.parametrize("eni_name", ["db-1", "dns-1"])
def test_an_echo_reply_is_blocked_by_the_outbound_acl_while_the_group_allows_it(
    demo: Demo, lookups: Ec2Lookups, eni_name: str
) -> None:
    line, _ = demo.line(
        lambda f: _rejected(f) and f["protocol"] == "1" and demo.eni_name(f) == eni_name
    )
    eni = demo.account.eni(eni_name)

    verdict = _explain(lookups, line)

    assert verdict.kind == "nacl-deny" and verdict.rule is not None
    assert (verdict.rule.ids, verdict.rule.number, verdict.rule.direction) == (
        (demo.acl_of(eni_name),),
        IMPLICIT_DENY_RULE,
        "outbound",
    )
    assert verdict.rule.subnet_id == eni.subnet_id
    subnet = demo.account.subnet(eni.subnet_id)
    assert verdict.text.endswith(
        f"(deny all traffic: no numbered rule matched) of subnet {eni.subnet_id} ({subnet.name})."
        " The security group allows it."
    )


def test_block_public_access_is_named_from_the_v8_reject_reason(
    demo: Demo, lookups: Ec2Lookups
) -> None:
    line, _ = demo.line(lambda f: f.get("reject-reason") == "BPA")

    verdict = _explain(lookups, line)

    assert verdict.kind == "bpa" and verdict.rule is None
    assert verdict.text.startswith("VPC Block Public Access rejected this flow")


@pytest.mark.parametrize(
    "story",
    ["HTTPS from the internet to a web server", "PostgreSQL from the web tier's group"],
)
def test_accepted_flows_are_allowed_by_todays_rules(
    demo: Demo, lookups: Ec2Lookups, story: str
) -> None:
    def https(f: Record) -> bool:
        return demo.eni_name(f) == "web-1" and f["dstport"] == "443" and ":" not in f["srcaddr"]

    def postgres(f: Record) -> bool:
        return demo.eni_name(f) == "db-1" and f["dstport"] == "5432"

    chosen = https if story.startswith("HTTPS") else postgres
    line, _ = demo.line(lambda f: f["action"] == "ACCEPT" and chosen(f))

    verdict = _explain(lookups, line)

    assert verdict.kind == "allowed" and verdict.rule is None
    assert verdict.text == "Today's rules allow this flow, as the record's ACCEPT says."


def test_a_group_rule_referencing_the_web_tier_keeps_the_bastion_out(
    demo: Demo, lookups: Ec2Lookups
) -> None:
    bastion = demo.account.eni("bastion").private_ip
    line, _ = demo.line(lambda f: _rejected(f) and f["dstport"] == "5432")
    db_group, public_acl, private_acl = (
        demo.account.security_groups["db"],
        demo.acl_of("bastion"),
        demo.acl_of("db-1"),
    )

    verdict = _explain(lookups, line)

    assert verdict.kind == "sg-no-allow"
    assert verdict.text == (
        f"The network ACLs allow it ({public_acl} rule 100, {private_acl} rule 100), but no "
        f"inbound rule of {db_group} (db) allows TCP 5432 from {bastion}: the security group "
        "drops it."
    )


def test_a_denied_describe_network_acls_is_named_and_the_groups_still_decide(
    demo: Demo, lookups: Ec2Lookups, denied: Callable[[str], None]
) -> None:
    denied("DescribeNetworkAcls")
    acl_denied, _ = demo.line(_from_denied_range)
    scan, _ = demo.line(_scan_of(22))

    undecided = _explain(lookups, acl_denied)
    dropped = _explain(lookups, scan)

    assert undecided.kind == "unknown" and undecided.missing == ["ec2:DescribeNetworkAcls"]
    assert "is not known (ec2:DescribeNetworkAcls was denied)" in undecided.text
    assert dropped.kind == "sg-no-allow" and dropped.missing == ["ec2:DescribeNetworkAcls"]
    assert dropped.text.startswith("The network ACLs could not all be checked, but no inbound")
    assert "missing permission ec2:DescribeNetworkAcls: network ACLs cannot be checked" in (
        lookups.notices
    )


def test_lookups_are_cached_per_resource_until_refreshed_and_all_pass_the_limiter(
    demo: Demo, lookups: Ec2Lookups, limiter: RateLimiter, _server: InProcessEndpoint
) -> None:
    faults = _server.faults
    first, fields = demo.line(lambda f: _rejected(f) and demo.eni_name(f) == "db-1")
    second, _ = demo.line(lambda f: f["action"] == "ACCEPT" and demo.eni_name(f) == "db-1")
    faults.clear_counts()

    _explain(lookups, first)
    cold = dict(faults.counts)
    _explain(lookups, second)
    warm = dict(faults.counts)
    _explain(lookups, second, refresh=True)
    refreshed = dict(faults.counts)

    assert {f"ec2:{action}": count for action, count in refreshed.items()} == (
        limiter.calls_by_action()
    )
    assert warm == cold
    for action in ("DescribeNetworkInterfaces", "DescribeNetworkAcls", "DescribeSubnets"):
        assert refreshed[action] > cold[action], action
    assert refreshed["DescribeFlowLogs"] == cold["DescribeFlowLogs"]  # not part of a network
    assert fields["interface-id"] == demo.account.eni("db-1").id


def test_a_cancelled_explanation_stops_at_its_next_call_and_keeps_the_cache(
    demo: Demo, lookups: Ec2Lookups
) -> None:
    web_1, _ = demo.line(lambda f: demo.eni_name(f) == "web-1" and f["action"] == "ACCEPT")
    web_2, _ = demo.line(lambda f: demo.eni_name(f) == "web-2" and f["action"] == "ACCEPT")
    _explain(lookups, web_1)
    cancel = threading.Event()
    cancel.set()

    def explain_cancelled(line: str) -> Verdict:
        return explain_line(
            lookups.conn, lookups.limiter, MAIN_GROUP, line, None, lookups=lookups, cancel=cancel
        )

    assert explain_cancelled(web_1).kind == "allowed"  # all from the cache: no call to stop
    with pytest.raises(OperationCancelled):
        explain_cancelled(web_2)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "2 123456789012 eni-0abc 10.0.0.1",
            "the record does not parse in /flowtui/demo/vpc-flow-logs's formats: expected 14 "
            "or 21 fields, found 4",
        ),
        (
            "2 123456789012 eni-0abc 10.0.0.1 10.0.0.2 443 99999 6 1 40 1700000000 1700000060 "
            "ACCEPT OK",
            "the record does not parse in /flowtui/demo/vpc-flow-logs's formats: ",
        ),
        (
            "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets "
            "bytes start end action log-status",
            "that is a header line naming fields, not a flow-log record",
        ),
        ("  \n", "give exactly one flow-log record to explain, not nothing"),
        ("a\nb", "give exactly one flow-log record to explain, not 2 lines"),
    ],
)
def test_a_record_that_cannot_be_read_says_why_in_one_line(
    demo: Demo, lookups: Ec2Lookups, line: str, message: str
) -> None:
    with pytest.raises(RecordInputError) as raised:
        _explain(lookups, line)
    assert raised.value.message.startswith(message)
    assert "\n" not in raised.value.message


def test_a_store_row_without_an_interface_cannot_be_explained(lookups: Ec2Lookups) -> None:
    with pytest.raises(RecordInputError, match="the record has no interface-id"):
        explain_row(lookups, {"interface-id": None, "srcaddr": 167772161, "action": "REJECT"})
