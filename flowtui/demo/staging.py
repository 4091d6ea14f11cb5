"""The demo's staging VPC: one subnet and one host that no flow log captures.

It exists so that the coverage view has a gap to show and to fix: `flowtui flowlogs list`
marks staging-1 uncovered, and once a flow log is created for it (its ENI, its subnet or its
VPC) the demo starts writing its stream. Its traffic is the host's own egress: HTTPS to the
internet and DNS to a public resolver, accepted by the VPC's default rules.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from flowtui.demo.vpc import DemoEni, DemoSubnet, EniRole, name_tags

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client

STAGING_VPC_CIDR = "10.1.0.0/16"
STAGING_SUBNET_CIDR = "10.1.0.0/24"
STAGING_IP = "10.1.0.10"
_AMI = "ami-12c6146b"  # one of moto's built-in images


def create_staging(ec2: EC2Client) -> tuple[str, DemoSubnet, DemoEni]:
    """Create the staging VPC, its subnet and its host; returns (vpc id, subnet, ENI)."""
    vpc_id = ec2.create_vpc(
        CidrBlock=STAGING_VPC_CIDR, TagSpecifications=name_tags("vpc", "flowtui-demo-staging")
    )["Vpc"]["VpcId"]
    zone = ec2.meta.region_name + "a"
    created = ec2.create_subnet(
        VpcId=vpc_id,
        CidrBlock=STAGING_SUBNET_CIDR,
        AvailabilityZone=zone,
        TagSpecifications=name_tags("subnet", "staging-a"),
    )["Subnet"]
    (acl,) = ec2.describe_network_acls(
        Filters=[
            {"Name": "vpc-id", "Values": [vpc_id]},
            {"Name": "default", "Values": ["true"]},
        ]
    )["NetworkAcls"]
    subnet = DemoSubnet(
        id=created["SubnetId"],
        name="staging-a",
        cidr=STAGING_SUBNET_CIDR,
        ipv6_cidr="",
        availability_zone=created["AvailabilityZone"],
        az_id=created["AvailabilityZoneId"],
        acl_id=acl["NetworkAclId"],
        public=True,
        vpc_id=vpc_id,
    )
    eni = ec2.create_network_interface(
        SubnetId=subnet.id,
        PrivateIpAddress=STAGING_IP,
        Description="",
        TagSpecifications=name_tags("network-interface", "staging-1"),
    )["NetworkInterface"]
    instance_id = ec2.run_instances(
        ImageId=_AMI,
        InstanceType="t3.micro",
        MinCount=1,
        MaxCount=1,
        NetworkInterfaces=[{"DeviceIndex": 0, "NetworkInterfaceId": eni["NetworkInterfaceId"]}],
        TagSpecifications=name_tags("instance", "staging-1"),
    )["Instances"][0]["InstanceId"]
    host = _host(eni["NetworkInterfaceId"], subnet, instance_id, eni["Groups"][0]["GroupId"])
    return vpc_id, subnet, host


def synthetic_staging(
    region: str, az_id: str, new_id: Callable[[str], str]
) -> tuple[str, DemoSubnet, DemoEni]:
    """The same with made-up ids."""
    vpc_id = new_id("vpc")
    subnet = DemoSubnet(
        id=new_id("subnet"),
        name="staging-a",
        cidr=STAGING_SUBNET_CIDR,
        ipv6_cidr="",
        availability_zone=region + "a",
        az_id=az_id,
        acl_id=new_id("acl"),
        public=True,
        vpc_id=vpc_id,
    )
    return vpc_id, subnet, _host(new_id("eni"), subnet, new_id("i"), new_id("sg"))


def _host(eni_id: str, subnet: DemoSubnet, instance_id: str, group_id: str) -> DemoEni:
    return DemoEni(
        id=eni_id,
        name="staging-1",
        role=EniRole.STAGING,
        private_ip=STAGING_IP,
        ipv6=None,
        subnet_id=subnet.id,
        security_groups=(group_id,),
        instance_id=instance_id,
        interface_type="interface",
        description="",
    )
