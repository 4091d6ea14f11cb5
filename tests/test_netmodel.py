"""Converters from EC2 API responses (as boto3 returns them) to the plain network model."""

from __future__ import annotations

import ipaddress

import pytest

from flowtui.core.explain.facts import FlowFacts
from flowtui.core.explain.narrate import explain
from flowtui.core.formats import DEFAULT_FORMAT
from flowtui.core.netmodel import (
    AclEntry,
    Eni,
    GroupIdentifier,
    NetworkAcl,
    NetworkModel,
    SgRule,
    ShapeError,
    Traffic,
    acls_from_response,
    enis_from_response,
    group_members,
    prefix_list_cidrs,
    security_groups_from_response,
    security_groups_from_rules,
    subnets_from_response,
    vpcs_from_response,
)

# Shapes follow the EC2 API reference; values are the kind AWS returns.
DESCRIBE_NETWORK_ACLS = {
    "NetworkAcls": [
        {
            "Associations": [
                {
                    "NetworkAclAssociationId": "aclassoc-0a1b2c3d",
                    "NetworkAclId": "acl-0abc",
                    "SubnetId": "subnet-0def",
                }
            ],
            "Entries": [
                {
                    "CidrBlock": "0.0.0.0/0",
                    "Egress": True,
                    "Protocol": "6",
                    "RuleAction": "allow",
                    "RuleNumber": 100,
                    "PortRange": {"From": 1024, "To": 65535},
                },
                {
                    "CidrBlock": "0.0.0.0/0",
                    "Egress": True,
                    "Protocol": "-1",
                    "RuleAction": "deny",
                    "RuleNumber": 32767,
                },
                {
                    "CidrBlock": "203.0.113.0/24",
                    "Egress": False,
                    "Protocol": "6",
                    "RuleAction": "deny",
                    "RuleNumber": 100,
                    "PortRange": {"From": 22, "To": 22},
                },
                {
                    "CidrBlock": "0.0.0.0/0",
                    "Egress": False,
                    "IcmpTypeCode": {"Code": -1, "Type": 8},
                    "Protocol": "1",
                    "RuleAction": "allow",
                    "RuleNumber": 110,
                },
                {
                    "Egress": False,
                    "Ipv6CidrBlock": "::/0",
                    "Protocol": "-1",
                    "RuleAction": "allow",
                    "RuleNumber": 200,
                },
            ],
            "IsDefault": False,
            "NetworkAclId": "acl-0abc",
            "Tags": [{"Key": "Name", "Value": "web-acl"}],
            "VpcId": "vpc-0123",
            "OwnerId": "123456789012",
        },
        {
            "Associations": [],
            "Entries": [],
            "IsDefault": True,
            "NetworkAclId": "acl-0default",
            "Tags": [],
            "VpcId": "vpc-0123",
            "OwnerId": "123456789012",
        },
    ]
}


def test_network_acls_keep_every_rule_with_its_ports_icmp_and_family() -> None:
    web, default = acls_from_response(DESCRIBE_NETWORK_ACLS)
    assert (web.acl_id, web.vpc_id, web.is_default, web.subnet_ids, web.name) == (
        "acl-0abc",
        "vpc-0123",
        False,
        ("subnet-0def",),
        "web-acl",
    )
    assert web.entries == (
        AclEntry(100, True, True, "0.0.0.0/0", Traffic(6, ports=(1024, 65535))),
        AclEntry(32767, True, False, "0.0.0.0/0", Traffic(-1)),
        AclEntry(100, False, False, "203.0.113.0/24", Traffic(6, ports=(22, 22))),
        AclEntry(110, False, True, "0.0.0.0/0", Traffic(1, icmp=(8, -1))),
        AclEntry(200, False, True, "::/0", Traffic(-1)),
    )
    assert default == NetworkAcl("acl-0default", "vpc-0123", True)


def test_a_subnet_uses_its_associated_acl_else_the_vpcs_default() -> None:
    model = NetworkModel.build(acls=acls_from_response(DESCRIBE_NETWORK_ACLS))
    found = model.acl_for_subnet("subnet-0def", "vpc-0123")
    assert found is not None and found.acl_id == "acl-0abc"
    fallback = model.acl_for_subnet("subnet-0other", "vpc-0123")
    assert fallback is not None and fallback.acl_id == "acl-0default"
    assert model.acl_for_subnet("subnet-0other", "vpc-0999") is None


DESCRIBE_SECURITY_GROUPS = {
    "SecurityGroups": [
        {
            "GroupId": "sg-0123",
            "GroupName": "web",
            "Description": "web servers",
            "VpcId": "vpc-0123",
            "OwnerId": "123456789012",
            "IpPermissions": [
                {
                    "IpProtocol": "tcp",
                    "FromPort": 443,
                    "ToPort": 443,
                    "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "public https"}],
                    "Ipv6Ranges": [{"CidrIpv6": "::/0"}],
                    "PrefixListIds": [],
                    "UserIdGroupPairs": [],
                },
                {
                    "IpProtocol": "tcp",
                    "FromPort": 22,
                    "ToPort": 22,
                    "IpRanges": [],
                    "Ipv6Ranges": [],
                    "PrefixListIds": [{"PrefixListId": "pl-0office"}],
                    "UserIdGroupPairs": [{"GroupId": "sg-0bastion", "UserId": "123456789012"}],
                },
                {
                    "IpProtocol": "icmp",
                    "FromPort": 8,
                    "ToPort": -1,
                    "IpRanges": [{"CidrIp": "10.0.0.0/16"}],
                },
            ],
            "IpPermissionsEgress": [
                {
                    "IpProtocol": "-1",
                    "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                    "Ipv6Ranges": [],
                    "PrefixListIds": [],
                    "UserIdGroupPairs": [],
                }
            ],
        }
    ]
}


def test_security_groups_split_each_permission_into_one_rule_per_peer() -> None:
    (group,) = security_groups_from_response(DESCRIBE_SECURITY_GROUPS)
    assert (group.group_id, group.name, group.vpc_id) == ("sg-0123", "web", "vpc-0123")
    https, ssh = Traffic(6, ports=(443, 443)), Traffic(6, ports=(22, 22))
    assert group.rules == (
        SgRule(False, https, "cidr", "0.0.0.0/0", description="public https"),
        SgRule(False, https, "cidr", "::/0"),
        SgRule(False, ssh, "prefix-list", "pl-0office"),
        SgRule(False, ssh, "group", "sg-0bastion"),
        SgRule(False, Traffic(1, icmp=(8, -1)), "cidr", "10.0.0.0/16"),
        SgRule(True, Traffic(-1), "cidr", "0.0.0.0/0"),
    )


DESCRIBE_SECURITY_GROUP_RULES = {
    "SecurityGroupRules": [
        {
            "SecurityGroupRuleId": "sgr-0aaa",
            "GroupId": "sg-0123",
            "GroupOwnerId": "123456789012",
            "IsEgress": False,
            "IpProtocol": "tcp",
            "FromPort": 5432,
            "ToPort": 5432,
            "ReferencedGroupInfo": {"GroupId": "sg-0app", "UserId": "123456789012"},
            "Description": "app tier",
            "Tags": [],
        },
        {
            "SecurityGroupRuleId": "sgr-0bbb",
            "GroupId": "sg-0123",
            "IsEgress": False,
            "IpProtocol": "icmpv6",
            "FromPort": -1,
            "ToPort": -1,
            "CidrIpv6": "2001:db8::/32",
        },
        {
            "SecurityGroupRuleId": "sgr-0ccc",
            "GroupId": "sg-0123",
            "IsEgress": True,
            "IpProtocol": "-1",
            "FromPort": -1,
            "ToPort": -1,
            "CidrIpv4": "0.0.0.0/0",
        },
        {
            "SecurityGroupRuleId": "sgr-0ddd",
            "GroupId": "sg-0123",
            "IsEgress": True,
            "IpProtocol": "tcp",
            "FromPort": 443,
            "ToPort": 443,
            "PrefixListId": "pl-0s3",
        },
    ]
}


def test_security_group_rules_are_grouped_and_named_from_the_interface() -> None:
    asked = [GroupIdentifier("sg-0123", "web"), GroupIdentifier("sg-0empty", "no-rules")]
    web, empty = security_groups_from_rules(DESCRIBE_SECURITY_GROUP_RULES, asked)
    assert (web.group_id, web.name) == ("sg-0123", "web")
    assert web.rules == (
        SgRule(False, Traffic(6, ports=(5432, 5432)), "group", "sg-0app", "sgr-0aaa", "app tier"),
        SgRule(False, Traffic(58, icmp=(-1, -1)), "cidr", "2001:db8::/32", "sgr-0bbb"),
        SgRule(True, Traffic(-1), "cidr", "0.0.0.0/0", "sgr-0ccc"),
        SgRule(True, Traffic(6, ports=(443, 443)), "prefix-list", "pl-0s3", "sgr-0ddd"),
    )
    # A group without rules is known to allow nothing, not missing.
    assert (empty.group_id, empty.name, empty.rules) == ("sg-0empty", "no-rules", ())


DESCRIBE_NETWORK_INTERFACES = {
    "NetworkInterfaces": [
        {
            "AvailabilityZone": "eu-west-1a",
            "Description": "web server",
            "Groups": [
                {"GroupId": "sg-0123", "GroupName": "web"},
                {"GroupId": "sg-0mgmt", "GroupName": "mgmt"},
            ],
            "InterfaceType": "interface",
            "Ipv6Addresses": [{"Ipv6Address": "2001:db8:1234:1a01::10", "IsPrimaryIpv6": False}],
            "NetworkInterfaceId": "eni-0web",
            "PrivateIpAddress": "10.0.1.10",
            "PrivateIpAddresses": [
                {"Primary": False, "PrivateIpAddress": "10.0.1.11"},
                {
                    "Association": {"PublicIp": "198.51.100.20"},
                    "Primary": True,
                    "PrivateIpAddress": "10.0.1.10",
                },
            ],
            "Ipv4Prefixes": [{"Ipv4Prefix": "10.0.1.64/28"}],
            "SubnetId": "subnet-0def",
            "VpcId": "vpc-0123",
            "Status": "in-use",
            "TagSet": [],
        },
        {
            "Description": "Interface for NAT Gateway nat-0abc",
            "Groups": [],
            "InterfaceType": "nat_gateway",
            "NetworkInterfaceId": "eni-0nat",
            "PrivateIpAddress": "10.0.0.220",
            "PrivateIpAddresses": [{"Primary": True, "PrivateIpAddress": "10.0.0.220"}],
            "RequesterManaged": True,
            "SubnetId": "subnet-0pub",
            "VpcId": "vpc-0123",
        },
    ]
}


def test_interfaces_keep_their_addresses_primary_first_prefixes_and_groups() -> None:
    web, nat = enis_from_response(DESCRIBE_NETWORK_INTERFACES)
    assert web == Eni(
        "eni-0web",
        "subnet-0def",
        "vpc-0123",
        "interface",
        addresses=("10.0.1.10", "10.0.1.11", "2001:db8:1234:1a01::10"),
        prefixes=("10.0.1.64/28",),
        groups=(GroupIdentifier("sg-0123", "web"), GroupIdentifier("sg-0mgmt", "mgmt")),
        description="web server",
    )
    assert web.has_security_groups
    assert web.owns(ipaddress.ip_address("10.0.1.70"))  # a delegated prefix address
    assert not web.owns(ipaddress.ip_address("198.51.100.20"))  # public IPs never appear
    assert nat.interface_type == "nat_gateway" and not nat.has_security_groups


def test_group_members_are_the_addresses_of_the_interfaces_in_the_group() -> None:
    enis = enis_from_response(DESCRIBE_NETWORK_INTERFACES)
    assert group_members(enis, "sg-0mgmt") == (
        "10.0.1.10",
        "10.0.1.11",
        "2001:db8:1234:1a01::10",
        "10.0.1.64/28",
    )
    assert group_members(enis, "sg-0nobody") == ()


def test_subnets_keep_only_associated_ipv6_blocks_and_their_name() -> None:
    response = {
        "Subnets": [
            {
                "AvailabilityZone": "eu-west-1a",
                "CidrBlock": "10.0.1.0/24",
                "Ipv6CidrBlockAssociationSet": [
                    {
                        "AssociationId": "subnet-cidr-assoc-1",
                        "Ipv6CidrBlock": "2001:db8:1234:1a01::/64",
                        "Ipv6CidrBlockState": {"State": "associated"},
                    },
                    {
                        "AssociationId": "subnet-cidr-assoc-2",
                        "Ipv6CidrBlock": "2001:db8:1234:1aff::/64",
                        "Ipv6CidrBlockState": {"State": "disassociated"},
                    },
                ],
                "SubnetId": "subnet-0def",
                "VpcId": "vpc-0123",
                "Tags": [{"Key": "env", "Value": "prod"}, {"Key": "Name", "Value": "web-public"}],
            }
        ]
    }
    (subnet,) = subnets_from_response(response)
    assert (subnet.subnet_id, subnet.vpc_id, subnet.name) == (
        "subnet-0def",
        "vpc-0123",
        "web-public",
    )
    assert subnet.cidrs == ("10.0.1.0/24", "2001:db8:1234:1a01::/64")


def test_vpcs_keep_every_associated_cidr_block() -> None:
    response = {
        "Vpcs": [
            {
                "CidrBlock": "10.0.0.0/16",
                "CidrBlockAssociationSet": [
                    {
                        "AssociationId": "vpc-cidr-assoc-1",
                        "CidrBlock": "10.0.0.0/16",
                        "CidrBlockState": {"State": "associated"},
                    },
                    {
                        "AssociationId": "vpc-cidr-assoc-2",
                        "CidrBlock": "100.64.0.0/16",
                        "CidrBlockState": {"State": "associated"},
                    },
                    {
                        "AssociationId": "vpc-cidr-assoc-3",
                        "CidrBlock": "172.16.0.0/16",
                        "CidrBlockState": {"State": "disassociated"},
                    },
                ],
                "Ipv6CidrBlockAssociationSet": [
                    {
                        "AssociationId": "vpc-cidr-assoc-4",
                        "Ipv6CidrBlock": "2001:db8:1234:1a00::/56",
                        "Ipv6CidrBlockState": {"State": "associated"},
                        "NetworkBorderGroup": "eu-west-1",
                    }
                ],
                "IsDefault": False,
                "State": "available",
                "VpcId": "vpc-0123",
            }
        ]
    }
    (vpc,) = vpcs_from_response(response)
    assert vpc.vpc_id == "vpc-0123"
    assert vpc.cidrs == ("10.0.0.0/16", "100.64.0.0/16", "2001:db8:1234:1a00::/56")


def test_prefix_list_entries_become_cidrs() -> None:
    response = {
        "Entries": [
            {"Cidr": "203.0.113.0/28", "Description": "office"},
            {"Cidr": "2001:db8:ffff::/48"},
        ]
    }
    assert prefix_list_cidrs(response) == ("203.0.113.0/28", "2001:db8:ffff::/48")


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (
            {"NetworkAcls": [{"NetworkAclId": "acl-1", "Entries": [{"RuleNumber": "100"}]}]},
            r"DescribeNetworkAcls\.NetworkAcls\[0\]\.Entries\[0\]\.RuleNumber should be a whole "
            "number, not '100'",
        ),
        (
            {
                "NetworkAcls": [
                    {
                        "NetworkAclId": "acl-1",
                        "Entries": [
                            {
                                "RuleNumber": 100,
                                "RuleAction": "allow",
                                "Protocol": "tcpish",
                                "CidrBlock": "0.0.0.0/0",
                            }
                        ],
                    }
                ]
            },
            r"Entries\[0\]\.Protocol is not a protocol: 'tcpish'",
        ),
        (
            {
                "NetworkAcls": [
                    {
                        "NetworkAclId": "acl-1",
                        "Entries": [{"RuleNumber": 1, "RuleAction": "allow", "Protocol": "-1"}],
                    }
                ]
            },
            r"Entries\[0\] has neither CidrBlock nor Ipv6CidrBlock",
        ),
        ({"NetworkAcls": {"NetworkAclId": "acl-1"}}, r"NetworkAcls should be a list, not dict"),
        ({"NetworkAcls": [{"Entries": []}]}, r"NetworkAcls\[0\] has no NetworkAclId"),
    ],
)
def test_malformed_responses_fail_with_the_path_to_the_bad_value(
    response: dict[str, object], message: str
) -> None:
    with pytest.raises(ShapeError, match=message):
        acls_from_response(response)


def test_a_bad_cidr_in_a_group_rule_is_named() -> None:
    response = {
        "SecurityGroupRules": [{"GroupId": "sg-1", "IpProtocol": "tcp", "CidrIpv4": "10.0.0.0/33"}]
    }
    with pytest.raises(ShapeError, match=r"SecurityGroupRules\[0\]\.CidrIpv4 is not a CIDR block"):
        security_groups_from_rules(response, [])


def test_converted_responses_feed_the_evaluator() -> None:
    """The whole path from API shapes to a verdict: SSH from 203.0.113.5 hits ACL rule 100."""
    subnets = {
        "Subnets": [{"SubnetId": "subnet-0def", "VpcId": "vpc-0123", "CidrBlock": "10.0.1.0/24"}]
    }
    vpcs = {"Vpcs": [{"VpcId": "vpc-0123", "CidrBlock": "10.0.0.0/16"}]}
    model = NetworkModel.build(
        enis=enis_from_response(DESCRIBE_NETWORK_INTERFACES),
        subnets=subnets_from_response(subnets),
        vpcs=vpcs_from_response(vpcs),
        acls=acls_from_response(DESCRIBE_NETWORK_ACLS),
        security_groups=security_groups_from_response(DESCRIBE_SECURITY_GROUPS),
        missing_permissions=["ec2:DescribeSecurityGroupRules"],
    )
    line = "2 123456789012 eni-0web 203.0.113.5 10.0.1.10 50123 22 6 3 180 1700000000 1700000060"
    record = dict(zip(DEFAULT_FORMAT.fields, f"{line} REJECT OK".split(), strict=True))
    verdict = explain(FlowFacts.from_record(record), model)
    assert verdict.kind == "nacl-deny"
    assert verdict.text.startswith(
        "Inbound TCP 22 from 203.0.113.5 is denied by network ACL acl-0abc rule 100 "
        "(deny 203.0.113.0/24 TCP ports 22) of subnet subnet-0def."
    )
    # sg-0mgmt is on the interface but its rules were not gathered (the denied call).
    assert verdict.missing == ["ec2:DescribeSecurityGroupRules"]
