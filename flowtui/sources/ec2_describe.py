"""One page of each paged EC2 describe call that `Ec2Lookups` makes.

Each function sends one request and returns the page's raw items and the next token; paging,
rate limiting, denied permissions and the cache stay in `flowtui.sources.ec2` (EC2 lookups:
one module, one cache), which calls these as `page(token)` after binding the connection and
the filters.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from flowtui.sources.aws import AwsConnection

if TYPE_CHECKING:
    from mypy_boto3_ec2.type_defs import (
        DescribeFlowLogsRequestTypeDef,
        DescribeInstancesRequestTypeDef,
        DescribeNetworkAclsRequestTypeDef,
        DescribeNetworkInterfacesRequestTypeDef,
        DescribeSecurityGroupRulesRequestTypeDef,
        DescribeSecurityGroupsRequestTypeDef,
        DescribeSubnetsRequestTypeDef,
        DescribeVpcsRequestTypeDef,
        FilterTypeDef,
        FlowLogTypeDef,
        GetManagedPrefixListEntriesRequestTypeDef,
        InstanceTypeDef,
        NetworkAclTypeDef,
        NetworkInterfaceTypeDef,
        PrefixListEntryTypeDef,
        SecurityGroupRuleTypeDef,
        SecurityGroupTypeDef,
        SubnetTypeDef,
        VpcTypeDef,
    )

_PAGE_SIZE = 1000


def flow_logs_page(
    conn: AwsConnection, token: str | None
) -> tuple[Sequence[FlowLogTypeDef], str | None]:
    request: DescribeFlowLogsRequestTypeDef = {"MaxResults": _PAGE_SIZE}
    if token:
        request["NextToken"] = token
    response = conn.ec2.describe_flow_logs(**request)
    return response.get("FlowLogs", []), response.get("NextToken")


def network_interfaces_page(
    conn: AwsConnection, filters: list[FilterTypeDef], token: str | None
) -> tuple[Sequence[NetworkInterfaceTypeDef], str | None]:
    request: DescribeNetworkInterfacesRequestTypeDef = {
        "Filters": filters,
        "MaxResults": _PAGE_SIZE,
    }
    if token:
        request["NextToken"] = token
    response = conn.ec2.describe_network_interfaces(**request)
    return response.get("NetworkInterfaces", []), response.get("NextToken")


def instances_page(
    conn: AwsConnection, filters: list[FilterTypeDef], token: str | None
) -> tuple[Sequence[InstanceTypeDef], str | None]:
    request: DescribeInstancesRequestTypeDef = {
        "Filters": filters,
        "MaxResults": _PAGE_SIZE,
    }
    if token:
        request["NextToken"] = token
    response = conn.ec2.describe_instances(**request)
    instances = [
        instance
        for reservation in response.get("Reservations", [])
        for instance in reservation.get("Instances", [])
    ]
    return instances, response.get("NextToken")


def subnets_page(
    conn: AwsConnection, filters: list[FilterTypeDef], token: str | None
) -> tuple[Sequence[SubnetTypeDef], str | None]:
    request: DescribeSubnetsRequestTypeDef = {"Filters": filters, "MaxResults": _PAGE_SIZE}
    if token:
        request["NextToken"] = token
    response = conn.ec2.describe_subnets(**request)
    return response.get("Subnets", []), response.get("NextToken")


def vpcs_page(
    conn: AwsConnection, filters: list[FilterTypeDef], token: str | None
) -> tuple[Sequence[VpcTypeDef], str | None]:
    request: DescribeVpcsRequestTypeDef = {"Filters": filters, "MaxResults": _PAGE_SIZE}
    if token:
        request["NextToken"] = token
    response = conn.ec2.describe_vpcs(**request)
    return response.get("Vpcs", []), response.get("NextToken")


def security_group_rules_page(
    conn: AwsConnection, filters: list[FilterTypeDef], token: str | None
) -> tuple[Sequence[SecurityGroupRuleTypeDef], str | None]:
    request: DescribeSecurityGroupRulesRequestTypeDef = {
        "Filters": filters,
        "MaxResults": _PAGE_SIZE,
    }
    if token:
        request["NextToken"] = token
    response = conn.ec2.describe_security_group_rules(**request)
    return response.get("SecurityGroupRules", []), response.get("NextToken")


def security_groups_page(
    conn: AwsConnection, filters: list[FilterTypeDef], token: str | None
) -> tuple[Sequence[SecurityGroupTypeDef], str | None]:
    request: DescribeSecurityGroupsRequestTypeDef = {
        "Filters": filters,
        "MaxResults": _PAGE_SIZE,
    }
    if token:
        request["NextToken"] = token
    response = conn.ec2.describe_security_groups(**request)
    return response.get("SecurityGroups", []), response.get("NextToken")


def network_acls_page(
    conn: AwsConnection, filters: list[FilterTypeDef], token: str | None
) -> tuple[Sequence[NetworkAclTypeDef], str | None]:
    request: DescribeNetworkAclsRequestTypeDef = {
        "Filters": filters,
        "MaxResults": 100,
    }
    if token:
        request["NextToken"] = token
    response = conn.ec2.describe_network_acls(**request)
    return response.get("NetworkAcls", []), response.get("NextToken")


def prefix_list_entries_page(
    conn: AwsConnection, prefix_list_id: str, token: str | None
) -> tuple[Sequence[PrefixListEntryTypeDef], str | None]:
    request: GetManagedPrefixListEntriesRequestTypeDef = {
        "PrefixListId": prefix_list_id,
        "MaxResults": 100,
    }
    if token:
        request["NextToken"] = token
    response = conn.ec2.get_managed_prefix_list_entries(**request)
    return response.get("Entries", []), response.get("NextToken")
