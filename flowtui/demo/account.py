"""The demo account: its network (`flowtui.demo.vpc`) and its flow logs
(`flowtui.demo.flow_logs`), put together.

`build_demo_account` creates the account on an endpoint through boto3, like a user's own
account; `synthetic_account` returns the same account with made-up ids and no endpoint, for
benchmarks and pure tests.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import partial

from flowtui.demo.flow_logs import (
    CREATED_GROUPS,
    MAIN_GROUP,
    DemoFlowLog,
    create_flow_logs,
    create_log_groups,
    synthetic_flow_logs,
)
from flowtui.demo.roles import create_roles, iam_client
from flowtui.demo.staging import create_staging, synthetic_staging
from flowtui.demo.vpc import (
    DemoEni,
    DemoNetwork,
    DemoSubnet,
    create_network,
    made_up_id,
    synthetic_network,
)


@dataclass(frozen=True, slots=True)
class DemoAccount:
    account_id: str
    region: str
    vpc_id: str
    vpc_cidr: str
    vpc_ipv6_cidr: str
    subnets: tuple[DemoSubnet, ...]
    enis: tuple[DemoEni, ...]
    flow_logs: tuple[DemoFlowLog, ...]
    #: Security-group name -> id.
    security_groups: Mapping[str, str]
    #: Network-ACL name -> id.
    network_acls: Mapping[str, str]
    #: The log groups that exist (the failing flow log's group is not among them).
    group_names: tuple[str, ...]
    #: The group `flowtui demo` opens.
    main_group: str
    created_at: float

    def subnet(self, subnet_id: str) -> DemoSubnet:
        return next(s for s in self.subnets if s.id == subnet_id)

    def eni(self, name: str) -> DemoEni:
        """The ENI with this Name tag."""
        return next(e for e in self.enis if e.name == name)

    def flow_logs_covering(self, eni: DemoEni) -> tuple[DemoFlowLog, ...]:
        """The delivering flow logs that record this ENI (through it, its subnet or the VPC)."""
        resources = {eni.id, eni.subnet_id, self.subnet(eni.subnet_id).vpc_id or self.vpc_id}
        return tuple(f for f in self.flow_logs if f.delivering and f.resource_id in resources)


def build_demo_account(
    endpoint_url: str, region: str = "us-east-1", now: Callable[[], float] = time.time
) -> DemoAccount:
    """Create the demo account on the endpoint through boto3; returns what was created."""
    from flowtui.demo.server import ec2_client, logs_client

    ec2 = ec2_client(endpoint_url, region)
    network = _with_staging(create_network(ec2, now), create_staging(ec2))
    create_log_groups(logs_client(endpoint_url, region))
    create_roles(iam_client(endpoint_url, region), network.account_id, region)
    flow_logs = create_flow_logs(ec2, network.resource_ids(), network.account_id)
    return _account(network, flow_logs, region)


def synthetic_account(
    region: str = "us-east-1", seed: int = 7, created_at: float = 0.0
) -> DemoAccount:
    """The blueprint with made-up ids, for generating records without an endpoint."""
    rng = random.Random(seed)
    network = synthetic_network(region, rng, created_at)
    flow_logs = synthetic_flow_logs(network.resource_ids(), rng)
    # Its own generator, so the staging host leaves every other made-up id as it was.
    staging_ids = partial(made_up_id, random.Random(seed + 1))
    az_id = network.subnets[0].az_id
    network = _with_staging(network, synthetic_staging(region, az_id, staging_ids))
    return _account(network, flow_logs, region)


def _with_staging(network: DemoNetwork, staging: tuple[str, DemoSubnet, DemoEni]) -> DemoNetwork:
    """The network plus the staging VPC's subnet and host (no flow log captures them)."""
    _, subnet, eni = staging
    return replace(network, subnets=(*network.subnets, subnet), enis=(*network.enis, eni))


def _account(network: DemoNetwork, flow_logs: tuple[DemoFlowLog, ...], region: str) -> DemoAccount:
    return DemoAccount(
        account_id=network.account_id,
        region=region,
        vpc_id=network.vpc_id,
        vpc_cidr=network.vpc_cidr,
        vpc_ipv6_cidr=network.vpc_ipv6_cidr,
        subnets=network.subnets,
        enis=network.enis,
        flow_logs=flow_logs,
        security_groups=network.security_groups,
        network_acls=network.network_acls,
        group_names=CREATED_GROUPS,
        main_group=MAIN_GROUP,
        created_at=network.created_at,
    )
