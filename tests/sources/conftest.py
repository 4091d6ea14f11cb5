"""Fixtures for the CloudWatch/EC2 sources: an in-process moto endpoint behind a fault
injector, a connection to it, limiters on a manual clock, and a writer of v2 flow-log lines."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pytest

from flowtui.core.events import EventBatch
from flowtui.core.formats import DEFAULT_FORMAT
from flowtui.demo.faults import (
    ACCOUNT,
    Event,
    FaultInjector,
    InProcessEndpoint,
    ManualClock,
    write_events,
)
from flowtui.sources.aws import AwsConnection, ConnectionOptions, connect
from flowtui.sources.ratelimit import SYSTEM_CLOCK, RateLimiter


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Fake credentials, and nothing from the developer's ~/.aws or an instance role."""
    for name in (
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_LOGS",
        "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS",
        "AWS_ENDPOINT_URL_EC2",
        "AWS_REGION",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(scope="session")
def _server() -> Iterator[InProcessEndpoint]:
    with InProcessEndpoint() as server:
        yield server


@pytest.fixture
def endpoint(_server: InProcessEndpoint) -> InProcessEndpoint:
    """The shared endpoint, emptied and without faults."""
    _server.reset()
    _server.faults.clock = SYSTEM_CLOCK
    return _server


@pytest.fixture
def faults(endpoint: InProcessEndpoint) -> FaultInjector:
    return endpoint.faults


@pytest.fixture(scope="session")
def _conn(_server: InProcessEndpoint) -> Iterator[AwsConnection]:
    # One connection for the session: creating boto3 clients parses the service models anew.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.delenv("AWS_PROFILE", raising=False)
        yield connect(ConnectionOptions(region="us-east-1", endpoint_url=_server.url))


@pytest.fixture
def conn(endpoint: InProcessEndpoint, _conn: AwsConnection) -> AwsConnection:
    """A connection to the emptied endpoint."""
    return _conn


@pytest.fixture
def clock() -> ManualClock:
    # An hour ago: moto drops events older than 14 days or more than 2 hours in the future.
    return ManualClock(start_ms=int(time.time() * 1000) - 3_600_000)


@pytest.fixture
def limiter(clock: ManualClock, conn: AwsConnection) -> RateLimiter:
    """A generous budget whose waits and backoffs pass instantly on the manual clock."""
    return RateLimiter(
        calls_per_s=1000, clock=clock, rng=random.Random(7), context=conn.error_context
    )


# --- flow-log data ------------------------------------------------------------------------


@dataclass
class FlowLogWriter:
    """Writes events as CloudWatch requires and remembers what it wrote."""

    conn: AwsConnection
    group: str
    streams: set[str] = field(default_factory=set)
    written: list[Event] = field(default_factory=list)

    def create_group(self) -> FlowLogWriter:
        self.conn.logs.create_log_group(logGroupName=self.group)
        return self

    def put(self, events: Sequence[Event]) -> None:
        write_events(self.conn.logs, self.group, events, self.streams)
        self.written.extend(events)


def delivered(batches: Sequence[EventBatch]) -> list[Event]:
    """The (stream, timestamp, message) of every delivered event."""
    events: list[Event] = []
    for batch in batches:
        assert batch.streams is not None and batch.timestamps is not None
        events.extend(zip(batch.streams, batch.timestamps, batch.messages, strict=True))
    return events


# --- an EC2 account -----------------------------------------------------------------------

V5_FORMAT = (
    "${version} ${vpc-id} ${subnet-id} ${instance-id} ${interface-id} ${account-id} ${type} "
    "${srcaddr} ${dstaddr} ${srcport} ${dstport} ${pkt-srcaddr} ${pkt-dstaddr} ${protocol} "
    "${bytes} ${packets} ${start} ${end} ${action} ${tcp-flags} ${log-status}"
)
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/flow-logs"


@dataclass
class Account:
    vpc: str
    public_subnet: str
    private_subnet: str
    web_sg: str
    web_instance: str
    web_eni: str
    web_ip: str
    db_eni: str
    db_ip: str
    prefix_list: str
    other_vpc_eni: str


def build_account(conn: AwsConnection) -> Account:
    """A VPC with a web server (Name web-1), a database ENI, flow logs into three groups, and
    an unlogged VPC; log groups: /vpc/flows (two formats), /vpc/accept-only, /app/logs."""
    ec2 = conn.ec2
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    public = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    private = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.2.0/24")["Subnet"]["SubnetId"]
    prefix_list = ec2.create_managed_prefix_list(
        PrefixListName="office",
        MaxEntries=5,
        AddressFamily="IPv4",
        Entries=[{"Cidr": "203.0.113.0/24", "Description": "head office"}],
    )["PrefixList"]["PrefixListId"]
    web_sg = ec2.create_security_group(GroupName="web", Description="web tier", VpcId=vpc)[
        "GroupId"
    ]
    ec2.authorize_security_group_ingress(
        GroupId=web_sg,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            },
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "PrefixListIds": [{"PrefixListId": prefix_list}],
            },
        ],
    )
    instance = ec2.run_instances(
        ImageId="ami-12345678",
        MinCount=1,
        MaxCount=1,
        SubnetId=public,
        SecurityGroupIds=[web_sg],
        TagSpecifications=[
            {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web-1"}]}
        ],
    )["Instances"][0]
    db = ec2.create_network_interface(SubnetId=private, Description="RDSNetworkInterface")[
        "NetworkInterface"
    ]
    other_vpc = ec2.create_vpc(CidrBlock="172.16.0.0/16")["Vpc"]["VpcId"]
    other_subnet = ec2.create_subnet(VpcId=other_vpc, CidrBlock="172.16.1.0/24")["Subnet"][
        "SubnetId"
    ]
    other = ec2.create_network_interface(SubnetId=other_subnet, Description="unlogged")
    for group in ("/vpc/flows", "/vpc/accept-only", "/app/logs"):
        conn.logs.create_log_group(logGroupName=group)
    default = DEFAULT_FORMAT.aws_string()
    flow_logs: list[
        tuple[str, Literal["VPC", "Subnet"], Literal["ACCEPT", "REJECT", "ALL"], str, str]
    ]
    flow_logs = [
        (vpc, "VPC", "ALL", "/vpc/flows", default),
        (private, "Subnet", "REJECT", "/vpc/flows", V5_FORMAT),
        (public, "Subnet", "ACCEPT", "/vpc/accept-only", default),
        (public, "Subnet", "ALL", "/vpc/deleted-group", default),
    ]
    for resource, kind, traffic, group, log_format in flow_logs:
        ec2.create_flow_logs(
            ResourceIds=[resource],
            ResourceType=kind,
            TrafficType=traffic,
            LogGroupName=group,
            DeliverLogsPermissionArn=ROLE_ARN,
            MaxAggregationInterval=60,
            LogFormat=log_format,
        )
    eni = instance["NetworkInterfaces"][0]
    return Account(
        vpc=vpc,
        public_subnet=public,
        private_subnet=private,
        web_sg=web_sg,
        web_instance=instance["InstanceId"],
        web_eni=eni["NetworkInterfaceId"],
        web_ip=eni["PrivateIpAddress"],
        db_eni=db["NetworkInterfaceId"],
        db_ip=db["PrivateIpAddress"],
        prefix_list=prefix_list,
        other_vpc_eni=other["NetworkInterface"]["NetworkInterfaceId"],
    )


@pytest.fixture
def account(conn: AwsConnection) -> Account:
    return build_account(conn)
