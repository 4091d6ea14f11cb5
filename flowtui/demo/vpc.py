"""The demo account's network: the VPC, its subnets, ENIs, security groups and network ACLs.

One blueprint (the `_SUBNETS`, `_ENIS`, `_SECURITY_GROUPS` and `_ACLS` plans) describes the
network. `create_network` creates it on an endpoint through boto3 like a user's own account;
`synthetic_network` returns the same network with made-up ids and no endpoint.

The story the rules tell (and the traffic generator respects):
- web-public-a/b hold two web servers, the bastion, the NAT gateway and the load balancer. Their
  network ACL denies 203.0.113.0/24 inbound at rule 50 and allows everything else.
- app-private-a holds the DNS server, db-private-a the database. Their ACL allows TCP and UDP
  outbound but no ICMP, so a ping from the bastion is accepted and its reply rejected (the AWS
  documentation's ICMP example).
- Security groups: web allows 80/443 from anywhere, bastion 22 from the office 198.51.100.0/24,
  db 5432 only from the web group, DNS 53 from the VPC.

What moto 5.2.5 cannot represent (so the network differs from AWS there):
- Every ENI has a security group: moto gives the VPC's default group to an ENI created without
  one. A NAT gateway ENI has none on AWS.
- `InterfaceType` is always "interface"; the NAT and load-balancer ENIs are recognisable by
  their descriptions, as AWS writes them ("Interface for NAT Gateway nat-…", "ELB app/…").
- No NAT gateway resource: moto's NAT gateway gets an ENI with an address outside its subnet.
  The NAT ENI is a plain ENI and its "nat-…" id in the description is made up.
"""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import partial
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client

VPC_CIDR = "10.0.0.0/16"
OFFICE_CIDR = "198.51.100.0/24"
DENIED_CIDR = "203.0.113.0/24"

_DEMO_AMI = "ami-12c6146b"  # one of moto's built-in images
_SCALE_OUT_AFTER = 180.0  # seconds after the build when the second load-balancer node appears


class EniRole(StrEnum):
    WEB = "web"
    BASTION = "bastion"
    NAT_GATEWAY = "nat-gateway"
    DATABASE = "database"
    LOAD_BALANCER = "load-balancer"
    DNS = "dns"
    #: The staging host (`flowtui.demo.staging`): in its own VPC, no flow log captures it.
    STAGING = "staging"


@dataclass(frozen=True, slots=True)
class DemoSubnet:
    id: str
    name: str
    cidr: str
    ipv6_cidr: str
    availability_zone: str
    az_id: str
    acl_id: str
    public: bool
    #: None: the demo VPC; the staging subnet names its own VPC.
    vpc_id: str | None = None


@dataclass(frozen=True, slots=True)
class DemoEni:
    id: str
    name: str
    role: EniRole
    private_ip: str
    ipv6: str | None
    subnet_id: str
    security_groups: tuple[str, ...]
    instance_id: str | None
    interface_type: str
    description: str
    #: When the ENI starts carrying traffic (a load-balancer node added by scale-out); None: always.
    joins_at: float | None = None


@dataclass(frozen=True, slots=True)
class DemoNetwork:
    """The network part of the demo account, as created on the endpoint or made up."""

    account_id: str
    vpc_id: str
    vpc_cidr: str
    vpc_ipv6_cidr: str
    subnets: tuple[DemoSubnet, ...]
    enis: tuple[DemoEni, ...]
    #: Security-group name -> id.
    security_groups: Mapping[str, str]
    #: Network-ACL name -> id.
    network_acls: Mapping[str, str]
    #: When the ENIs were created: scale-out joins count from here.
    created_at: float

    def resource_ids(self) -> dict[str, str]:
        """Resource name -> id: "vpc", the subnets' and the ENIs' Name tags."""
        resources = {"vpc": self.vpc_id}
        resources.update({s.name: s.id for s in self.subnets})
        resources.update({e.name: e.id for e in self.enis})
        return resources


# --- the blueprint -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _SubnetPlan:
    name: str
    cidr: str
    ipv6_index: int  # which /64 of the VPC's /56
    zone_suffix: str
    acl: str


@dataclass(frozen=True, slots=True)
class _EniPlan:
    name: str
    role: EniRole
    subnet: str
    private_ip: str
    ipv6_host: int | None  # host part inside the subnet's /64
    security_group: str | None
    instance_type: str | None  # None: not an instance (requester-managed on AWS)
    description: str
    joins_after: float | None = None


@dataclass(frozen=True, slots=True)
class _Rule:
    """A security-group ingress rule: from a CIDR, the VPC, or another group (by name)."""

    protocol: str
    from_port: int
    to_port: int
    cidr: str | None = None
    ipv6_cidr: str | None = None
    group: str | None = None
    description: str = ""


@dataclass(frozen=True, slots=True)
class _AclEntry:
    rule_number: int
    protocol: str  # "-1" all, "6" TCP, "17" UDP
    allow: bool
    egress: bool
    cidr: str | None = None
    ipv6_cidr: str | None = None  # "vpc" means the VPC's own IPv6 block
    ports: tuple[int, int] | None = None


_SUBNETS: tuple[_SubnetPlan, ...] = (
    _SubnetPlan("web-public-a", "10.0.0.0/24", 0x00, "a", "public"),
    _SubnetPlan("web-public-b", "10.0.1.0/24", 0x01, "b", "public"),
    _SubnetPlan("app-private-a", "10.0.10.0/24", 0x0A, "a", "private"),
    _SubnetPlan("db-private-a", "10.0.20.0/24", 0x14, "a", "private"),
)

_NAT_DESCRIPTION = "Interface for NAT Gateway {nat_id}"
_ALB_DESCRIPTION = "ELB app/flowtui-demo/50dc6c495c0c9188"

_ENIS: tuple[_EniPlan, ...] = (
    _EniPlan("web-1", EniRole.WEB, "web-public-a", "10.0.0.11", 0x11, "web", "t3.small", ""),
    _EniPlan("web-2", EniRole.WEB, "web-public-b", "10.0.1.12", 0x12, "web", "t3.small", ""),
    _EniPlan("bastion", EniRole.BASTION, "web-public-a", "10.0.0.20", 0x20, "bastion", "t3.micro",
             ""),
    _EniPlan("nat-gateway", EniRole.NAT_GATEWAY, "web-public-a", "10.0.0.30", None, None, None,
             _NAT_DESCRIPTION),
    _EniPlan("alb-a", EniRole.LOAD_BALANCER, "web-public-a", "10.0.0.40", 0x40, "alb", None,
             _ALB_DESCRIPTION),
    _EniPlan("alb-b", EniRole.LOAD_BALANCER, "web-public-b", "10.0.1.40", 0x40, "alb", None,
             _ALB_DESCRIPTION, joins_after=_SCALE_OUT_AFTER),
    _EniPlan("dns-1", EniRole.DNS, "app-private-a", "10.0.10.53", 0x53, "dns", "t3.micro", ""),
    _EniPlan("db-1", EniRole.DATABASE, "db-private-a", "10.0.20.10", 0x10, "db", "r6g.large", ""),
)  # fmt: skip

_SECURITY_GROUPS: dict[str, tuple[str, tuple[_Rule, ...]]] = {
    "web": ("Web servers: HTTP and HTTPS from anywhere", (
        _Rule("tcp", 80, 80, cidr="0.0.0.0/0", ipv6_cidr="::/0", description="HTTP"),
        _Rule("tcp", 443, 443, cidr="0.0.0.0/0", ipv6_cidr="::/0", description="HTTPS"),
    )),
    "alb": ("Load balancer: HTTP and HTTPS from anywhere", (
        _Rule("tcp", 80, 80, cidr="0.0.0.0/0", ipv6_cidr="::/0", description="HTTP"),
        _Rule("tcp", 443, 443, cidr="0.0.0.0/0", ipv6_cidr="::/0", description="HTTPS"),
    )),
    "bastion": ("Bastion: SSH from the office", (
        _Rule("tcp", 22, 22, cidr=OFFICE_CIDR, description="SSH from the office"),
    )),
    "db": ("Database: PostgreSQL from the web tier only", (
        _Rule("tcp", 5432, 5432, group="web", description="PostgreSQL from the web tier"),
        _Rule("tcp", 22, 22, group="bastion", description="SSH from the bastion"),
        _Rule("icmp", -1, -1, group="bastion", description="Ping from the bastion"),
    )),
    "dns": ("DNS server: DNS from the VPC", (
        _Rule("udp", 53, 53, cidr=VPC_CIDR, description="DNS from the VPC"),
        _Rule("tcp", 53, 53, cidr=VPC_CIDR, description="DNS over TCP from the VPC"),
        _Rule("tcp", 22, 22, group="bastion", description="SSH from the bastion"),
        _Rule("icmp", -1, -1, group="bastion", description="Ping from the bastion"),
    )),
}  # fmt: skip

_ACLS: dict[str, tuple[_AclEntry, ...]] = {
    "public": (
        _AclEntry(50, "-1", allow=False, egress=False, cidr=DENIED_CIDR),
        _AclEntry(100, "-1", allow=True, egress=False, cidr="0.0.0.0/0"),
        _AclEntry(101, "-1", allow=True, egress=False, ipv6_cidr="::/0"),
        _AclEntry(100, "-1", allow=True, egress=True, cidr="0.0.0.0/0"),
        _AclEntry(101, "-1", allow=True, egress=True, ipv6_cidr="::/0"),
    ),
    # Outbound allows TCP and UDP only: ICMP replies are rejected.
    "private": (
        _AclEntry(100, "-1", allow=True, egress=False, cidr=VPC_CIDR),
        _AclEntry(101, "-1", allow=True, egress=False, ipv6_cidr="vpc"),
        _AclEntry(110, "6", allow=True, egress=False, cidr="0.0.0.0/0", ports=(1024, 65535)),
        _AclEntry(111, "6", allow=True, egress=False, ipv6_cidr="::/0", ports=(1024, 65535)),
        _AclEntry(120, "17", allow=True, egress=False, cidr="0.0.0.0/0", ports=(1024, 65535)),
        _AclEntry(100, "6", allow=True, egress=True, cidr="0.0.0.0/0", ports=(0, 65535)),
        _AclEntry(101, "6", allow=True, egress=True, ipv6_cidr="::/0", ports=(0, 65535)),
        _AclEntry(110, "17", allow=True, egress=True, cidr="0.0.0.0/0", ports=(0, 65535)),
        _AclEntry(111, "17", allow=True, egress=True, ipv6_cidr="::/0", ports=(0, 65535)),
    ),
}


# --- building through boto3 --------------------------------------------------------------------


def create_network(ec2: EC2Client, now: Callable[[], float]) -> DemoNetwork:
    """Create the blueprint's network on the endpoint; returns what was created."""
    vpc = ec2.create_vpc(
        CidrBlock=VPC_CIDR,
        AmazonProvidedIpv6CidrBlock=True,
        TagSpecifications=name_tags("vpc", "flowtui-demo"),
    )["Vpc"]
    vpc_id = vpc["VpcId"]
    vpc_ipv6 = vpc["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlock"]
    acls = {name: _create_acl(ec2, vpc_id, name, rules, vpc_ipv6) for name, rules in _ACLS.items()}
    subnets = tuple(_create_subnet(ec2, vpc_id, vpc_ipv6, plan, acls=acls) for plan in _SUBNETS)
    groups = _create_security_groups(ec2, vpc_id)
    created_at = now()
    nat_id = f"nat-{random.Random(vpc_id).getrandbits(68):017x}"
    enis = tuple(
        _create_eni(ec2, plan, subnets, groups=groups, nat_id=nat_id, created_at=created_at)
        for plan in _ENIS
    )
    return DemoNetwork(
        account_id=vpc["OwnerId"],
        vpc_id=vpc_id,
        vpc_cidr=VPC_CIDR,
        vpc_ipv6_cidr=vpc_ipv6,
        subnets=subnets,
        enis=enis,
        security_groups=groups,
        network_acls=acls,
        created_at=created_at,
    )


def name_tags(resource_type: str, name: str) -> Any:
    """The TagSpecifications that give a new resource its Name tag."""
    return [{"ResourceType": resource_type, "Tags": [{"Key": "Name", "Value": name}]}]


def _subnet_ipv6(vpc_ipv6: str, index: int) -> str:
    return str(list(ipaddress.IPv6Network(vpc_ipv6).subnets(new_prefix=64))[index])


def _create_acl(
    ec2: EC2Client, vpc_id: str, name: str, entries: tuple[_AclEntry, ...], vpc_ipv6: str
) -> str:
    acl_id = ec2.create_network_acl(VpcId=vpc_id, TagSpecifications=name_tags("network-acl", name))[
        "NetworkAcl"
    ]["NetworkAclId"]
    for entry in entries:
        spec: dict[str, Any] = {
            "NetworkAclId": acl_id,
            "RuleNumber": entry.rule_number,
            "Protocol": entry.protocol,
            "RuleAction": "allow" if entry.allow else "deny",
            "Egress": entry.egress,
        }
        if entry.cidr is not None:
            spec["CidrBlock"] = entry.cidr
        if entry.ipv6_cidr is not None:
            spec["Ipv6CidrBlock"] = vpc_ipv6 if entry.ipv6_cidr == "vpc" else entry.ipv6_cidr
        if entry.ports is not None:
            spec["PortRange"] = {"From": entry.ports[0], "To": entry.ports[1]}
        ec2.create_network_acl_entry(**spec)
    return acl_id


def _create_subnet(
    ec2: EC2Client, vpc_id: str, vpc_ipv6: str, plan: _SubnetPlan, *, acls: Mapping[str, str]
) -> DemoSubnet:
    ipv6 = _subnet_ipv6(vpc_ipv6, plan.ipv6_index)
    created = ec2.create_subnet(
        VpcId=vpc_id,
        CidrBlock=plan.cidr,
        Ipv6CidrBlock=ipv6,
        AvailabilityZone=ec2.meta.region_name + plan.zone_suffix,
        TagSpecifications=name_tags("subnet", plan.name),
    )["Subnet"]
    subnet_id = created["SubnetId"]
    # A new subnet starts on the VPC's default ACL; move it to the planned one.
    association = ec2.describe_network_acls(
        Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}]
    )["NetworkAcls"][0]["Associations"]
    current = next(a for a in association if a["SubnetId"] == subnet_id)
    ec2.replace_network_acl_association(
        AssociationId=current["NetworkAclAssociationId"], NetworkAclId=acls[plan.acl]
    )
    return DemoSubnet(
        id=subnet_id,
        name=plan.name,
        cidr=plan.cidr,
        ipv6_cidr=ipv6,
        availability_zone=created["AvailabilityZone"],
        az_id=created["AvailabilityZoneId"],
        acl_id=acls[plan.acl],
        public=plan.acl == "public",
    )


def _create_security_groups(ec2: EC2Client, vpc_id: str) -> dict[str, str]:
    ids = {
        name: ec2.create_security_group(
            GroupName=name,
            Description=description,
            VpcId=vpc_id,
            TagSpecifications=name_tags("security-group", name),
        )["GroupId"]
        for name, (description, _) in _SECURITY_GROUPS.items()
    }
    for name, (_, rules) in _SECURITY_GROUPS.items():
        ec2.authorize_security_group_ingress(
            GroupId=ids[name], IpPermissions=[_permission(rule, ids) for rule in rules]
        )
    return ids


def _permission(rule: _Rule, group_ids: Mapping[str, str]) -> Any:
    permission: dict[str, Any] = {
        "IpProtocol": rule.protocol,
        "FromPort": rule.from_port,
        "ToPort": rule.to_port,
    }
    if rule.cidr is not None:
        permission["IpRanges"] = [{"CidrIp": rule.cidr, "Description": rule.description}]
    if rule.ipv6_cidr is not None:
        permission["Ipv6Ranges"] = [{"CidrIpv6": rule.ipv6_cidr, "Description": rule.description}]
    if rule.group is not None:
        permission["UserIdGroupPairs"] = [
            {"GroupId": group_ids[rule.group], "Description": rule.description}
        ]
    return permission


def _create_eni(
    ec2: EC2Client,
    plan: _EniPlan,
    subnets: tuple[DemoSubnet, ...],
    *,
    groups: Mapping[str, str],
    nat_id: str,
    created_at: float,
) -> DemoEni:
    subnet = next(s for s in subnets if s.name == plan.subnet)
    ipv6 = _host_ipv6(subnet.ipv6_cidr, plan.ipv6_host)
    description = plan.description.format(nat_id=nat_id)
    spec: dict[str, Any] = {
        "SubnetId": subnet.id,
        "PrivateIpAddress": plan.private_ip,
        "Description": description,
        "TagSpecifications": name_tags("network-interface", plan.name),
    }
    if plan.security_group is not None:
        spec["Groups"] = [groups[plan.security_group]]
    if ipv6 is not None:
        spec["Ipv6Addresses"] = [{"Ipv6Address": ipv6}]
    eni = ec2.create_network_interface(**spec)["NetworkInterface"]
    instance_id = None
    if plan.instance_type is not None:
        # The instance gets the prepared ENI, so DescribeInstances and the ENI agree on Name.
        instance_id = ec2.run_instances(
            ImageId=_DEMO_AMI,
            InstanceType=plan.instance_type,  # type: ignore[arg-type]
            MinCount=1,
            MaxCount=1,
            NetworkInterfaces=[{"DeviceIndex": 0, "NetworkInterfaceId": eni["NetworkInterfaceId"]}],
            TagSpecifications=name_tags("instance", plan.name),
        )["Instances"][0]["InstanceId"]
    return DemoEni(
        id=eni["NetworkInterfaceId"],
        name=plan.name,
        role=plan.role,
        private_ip=plan.private_ip,
        ipv6=ipv6,
        subnet_id=subnet.id,
        security_groups=tuple(g["GroupId"] for g in eni["Groups"]),
        instance_id=instance_id,
        interface_type=eni["InterfaceType"],
        description=description,
        joins_at=None if plan.joins_after is None else created_at + plan.joins_after,
    )


def _host_ipv6(subnet_ipv6: str, host: int | None) -> str | None:
    if host is None:
        return None
    return str(ipaddress.IPv6Network(subnet_ipv6).network_address + host)


# --- the same network without an endpoint ------------------------------------------------------

_SYNTHETIC_ACCOUNT_ID = "123456789012"


def made_up_id(rng: random.Random, prefix: str) -> str:
    """An AWS-looking id: the prefix and 17 hex digits drawn from `rng`."""
    return f"{prefix}-{rng.getrandbits(68):017x}"


def synthetic_network(region: str, rng: random.Random, created_at: float) -> DemoNetwork:
    """The blueprint's network with ids drawn from `rng`, for records without an endpoint."""
    new_id = partial(made_up_id, rng)
    vpc_id = new_id("vpc")
    vpc_ipv6 = f"2600:1f18:{rng.getrandbits(16):04x}:{rng.getrandbits(8):02x}00::/56"
    acls = {name: new_id("acl") for name in _ACLS}
    subnets = tuple(
        DemoSubnet(
            id=new_id("subnet"),
            name=plan.name,
            cidr=plan.cidr,
            ipv6_cidr=_subnet_ipv6(vpc_ipv6, plan.ipv6_index),
            availability_zone=region + plan.zone_suffix,
            az_id=f"{_az_prefix(region)}-az{ord(plan.zone_suffix) - ord('a') + 1}",
            acl_id=acls[plan.acl],
            public=plan.acl == "public",
        )
        for plan in _SUBNETS
    )
    groups = {name: new_id("sg") for name in _SECURITY_GROUPS}
    nat_id = new_id("nat")
    enis = tuple(
        _synthetic_eni(
            plan, subnets, groups=groups, nat_id=nat_id, new_id=new_id, created_at=created_at
        )
        for plan in _ENIS
    )
    return DemoNetwork(
        account_id=_SYNTHETIC_ACCOUNT_ID,
        vpc_id=vpc_id,
        vpc_cidr=VPC_CIDR,
        vpc_ipv6_cidr=vpc_ipv6,
        subnets=subnets,
        enis=enis,
        security_groups=groups,
        network_acls=acls,
        created_at=created_at,
    )


_DIRECTIONS = {"northeast": "ne", "southeast": "se", "northwest": "nw", "southwest": "sw"}


def _az_prefix(region: str) -> str:
    """AWS's short region name in AZ ids: us-east-1 -> use1, ap-southeast-2 -> apse2."""
    area, *directions, number = region.split("-")
    return area + "".join(_DIRECTIONS.get(d, d[0]) for d in directions) + number


def _synthetic_eni(
    plan: _EniPlan,
    subnets: tuple[DemoSubnet, ...],
    *,
    groups: Mapping[str, str],
    nat_id: str,
    new_id: Callable[[str], str],
    created_at: float,
) -> DemoEni:
    subnet = next(s for s in subnets if s.name == plan.subnet)
    return DemoEni(
        id=new_id("eni"),
        name=plan.name,
        role=plan.role,
        private_ip=plan.private_ip,
        ipv6=_host_ipv6(subnet.ipv6_cidr, plan.ipv6_host),
        subnet_id=subnet.id,
        security_groups=(groups[plan.security_group],) if plan.security_group else (),
        instance_id=new_id("i") if plan.instance_type else None,
        interface_type="interface",
        description=plan.description.format(nat_id=nat_id),
        joins_at=None if plan.joins_after is None else created_at + plan.joins_after,
    )
