"""The network configuration and CloudTrail changes behind the sample lake's stories.

`sample_documents()` gives the `aws ec2 describe-*` outputs of the sample lake's topology (see
flowlake/sample_lake.py) as the AWS CLI prints them, so tests can save them as files and import
them like a user would; `write_sample_config(root)` stores them in a lake as two snapshots
(account A in us-east-1, account B in eu-west-1); `write_sample_cloudtrail(root, expected)`
writes the CloudTrail files of the changes. Each configuration problem the audits look for is
here exactly once, so each has a known answer:

    web server    sg-web lost its TCP/80 rule (RevokeSecurityGroupIngress at CHANGE_AT)
    database      acl-db: inbound 100 allows 3306 from 10.0.2.0/24; outbound 200 DENIES the
                  replies (tcp 32768-60999 to 10.0.2.0/24); the allow at 250 never applies
    bastion       acl-bastion: inbound 50 DENY tcp 22 from 203.0.113.7/32 (the attacker)
    ICMP          acl-monitored allows ICMP in, nothing ICMP out: the echo replies hit `*`
    private subnet  its 0.0.0.0/0 route to the NAT gateway was deleted (DeleteRoute at the
                  NAT stop): no route to the internet
    idle NAT      nat-...0002 in us-east-1c carries nothing
    audits        sg-db has 3306 from 10.0.2.15/32 inside 10.0.2.0/24 (duplicate); sg-legacy
                  (on the internal API) opens 22 and 3389 to 0.0.0.0/0 and 3306 to ::/0;
                  sg-batch has no egress rule, on eni-...00aa, which is attached to nothing;
                  pcx-...0002 peers 10.0.0.0/16 with another 10.0.0.0/16
Account A's eu-west-1 and account B's us-east-1 are not in the snapshot (their interfaces are
`unknown` to reject-attribution).
"""

import gzip
import hashlib
import json
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flowlake import sample_lake as s

Documents = dict[str, dict[str, list[Any]]]  # kind -> {"Kind": [...]}: one CLI output each

A_US = (s.ACCOUNT_A, s.US_EAST_1)
B_EU = (s.ACCOUNT_B, s.EU_WEST_1)

# account A, us-east-1
SUBNET_PUBLIC_C = "subnet-0a1b2c3d4e5f60006"  # 10.0.6.0/24, use1-az3: the idle NAT gateway
IGW_A = "igw-0a1b2c3d4e5f60001"
NAT_GW = "nat-0a1b2c3d4e5f60001"
IDLE_NAT_GW = "nat-0a1b2c3d4e5f60002"
IDLE_NAT_ENI = "eni-0a1b2c3d4e5f600de"
UNATTACHED_ENI = "eni-0a1b2c3d4e5f600aa"
SG_WEB = "sg-0a1b2c3d4e5f60010"
SG_WORKERS = "sg-0a1b2c3d4e5f60014"
SG_APP = "sg-0a1b2c3d4e5f60020"
SG_DB = "sg-0a1b2c3d4e5f60030"
SG_V6 = "sg-0a1b2c3d4e5f60040"
SG_API = "sg-0a1b2c3d4e5f60050"
SG_LEGACY = "sg-0a1b2c3d4e5f600a0"  # admin and database ports open to the world
SG_BATCH = "sg-0a1b2c3d4e5f600b0"  # no egress rule at all
ACL_A_DEFAULT = "acl-0a1b2c3d4e5f60001"
ACL_DB = "acl-0a1b2c3d4e5f60003"
RTB_MAIN = "rtb-0a1b2c3d4e5f60001"
RTB_PUBLIC = "rtb-0a1b2c3d4e5f60002"
RTB_PRIVATE = "rtb-0a1b2c3d4e5f60081"
RTB_APP = "rtb-0a1b2c3d4e5f60003"
VPCE_S3 = "vpce-0a1b2c3d4e5f60001"
S3_PREFIX_LIST = "pl-63a5400a"
PCX_EU = "pcx-0a1b2c3d4e5f60001"
PCX_OVERLAP = "pcx-0a1b2c3d4e5f60002"
PARTNER_ACCOUNT = "777788889999"
PARTNER_VPC = "vpc-0c3d4e5f6a7b80000"  # 10.0.0.0/16 as well: the overlap
# account B, eu-west-1
IGW_B = "igw-0b2c3d4e5f6a70000"
RTB_B_MAIN = "rtb-0b2c3d4e5f6a70000"
SG_BASTION = "sg-0b2c3d4e5f6a70010"
SG_FLEET = "sg-0b2c3d4e5f6a70050"
SG_SERVICE_B = "sg-0b2c3d4e5f6a70230"
SG_MONITORED = "sg-0b2c3d4e5f6a70315"
ACL_B_DEFAULT = "acl-0b2c3d4e5f6a70000"
ACL_BASTION = "acl-0b2c3d4e5f6a70010"
ACL_MONITORED = "acl-0b2c3d4e5f6a70315"

ADMIN_CIDR = "198.51.100.0/24"  # the bastion's security group lets SSH in from here only
DB_DENY_RULE = 200
DB_SHADOWED_RULE = 250
BASTION_DENY_RULE = 50
CHANGE_USER = "arn:aws:iam::111122223333:user/ops-jane"
ROUTE_USER = "arn:aws:iam::111122223333:role/terraform-deployer"

_ZONES = {
    "use1-az1": "us-east-1a",
    "use1-az2": "us-east-1b",
    "use1-az3": "us-east-1c",
    "euw1-az1": "eu-west-1a",
    "euw1-az2": "eu-west-1b",
}


def _tags(name: str) -> list[dict[str, str]]:
    return [{"Key": "Name", "Value": name}]


def _permission(
    protocol: str,
    ports: tuple[int, int] | None = None,
    cidrs: tuple[str, ...] = (),
    cidrs6: tuple[str, ...] = (),
    groups: tuple[str, ...] = (),
    owner: str = s.ACCOUNT_A,
    description: str | None = None,
) -> dict[str, Any]:
    extra = {"Description": description} if description else {}
    permission: dict[str, Any] = {
        "IpProtocol": protocol,
        "IpRanges": [{"CidrIp": c, **extra} for c in cidrs],
        "Ipv6Ranges": [{"CidrIpv6": c, **extra} for c in cidrs6],
        "PrefixListIds": [],
        "UserIdGroupPairs": [{"GroupId": g, "UserId": owner, **extra} for g in groups],
    }
    if ports:
        permission.update(FromPort=ports[0], ToPort=ports[1])
    return permission


_ALL_OUT = _permission("-1", cidrs=("0.0.0.0/0",))


def _group(
    group_id: str,
    name: str,
    vpc: str,
    owner: str,
    ingress: list[dict[str, Any]],
    egress: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "Description": f"{name} security group",
        "GroupName": name,
        "IpPermissions": ingress,
        "OwnerId": owner,
        "GroupId": group_id,
        "IpPermissionsEgress": [_ALL_OUT] if egress is None else egress,
        "Tags": _tags(name),
        "VpcId": vpc,
    }


def _entry(
    number: int,
    egress: bool,
    action: str,
    protocol: str = "-1",
    cidr: str = "0.0.0.0/0",
    ports: tuple[int, int] | None = None,
    icmp: tuple[int, int] | None = None,
) -> dict[str, Any]:
    key = "Ipv6CidrBlock" if ":" in cidr else "CidrBlock"
    entry: dict[str, Any] = {
        key: cidr,
        "Egress": egress,
        "Protocol": protocol,
        "RuleAction": action,
        "RuleNumber": number,
    }
    if ports:
        entry["PortRange"] = {"From": ports[0], "To": ports[1]}
    if icmp:
        entry["IcmpTypeCode"] = {"Type": icmp[0], "Code": icmp[1]}
    return entry


def _acl(
    acl_id: str,
    vpc: str,
    owner: str,
    subnets: list[str],
    entries: list[dict[str, Any]],
    default: bool = False,
    name: str | None = None,
) -> dict[str, Any]:
    star = [_entry(32767, egress, "deny") for egress in (False, True)]
    return {
        "Associations": [
            {
                "NetworkAclAssociationId": f"aclassoc-{subnet[7:]}",
                "NetworkAclId": acl_id,
                "SubnetId": subnet,
            }
            for subnet in subnets
        ],
        "Entries": entries + star,
        "IsDefault": default,
        "NetworkAclId": acl_id,
        "Tags": _tags(name) if name else [],
        "VpcId": vpc,
        "OwnerId": owner,
    }


def _route(destination: str, **target: str) -> dict[str, Any]:
    key = "DestinationIpv6CidrBlock" if ":" in destination else "DestinationCidrBlock"
    if destination.startswith("pl-"):
        key = "DestinationPrefixListId"
    origin = "CreateRouteTable" if target.get("GatewayId") == "local" else "CreateRoute"
    return {key: destination, **target, "Origin": origin, "State": "active"}


def _table(
    table_id: str,
    vpc: str,
    owner: str,
    routes: list[dict[str, Any]],
    subnets: list[str],
    main: bool = False,
    name: str = "",
) -> dict[str, Any]:
    associations = [
        {
            "Main": False,
            "RouteTableAssociationId": f"rtbassoc-{subnet[7:]}",
            "RouteTableId": table_id,
            "SubnetId": subnet,
            "AssociationState": {"State": "associated"},
        }
        for subnet in subnets
    ]
    if main:
        associations.append(
            {
                "Main": True,
                "RouteTableAssociationId": f"rtbassoc-{table_id[4:]}",
                "RouteTableId": table_id,
                "AssociationState": {"State": "associated"},
            }
        )
    return {
        "Associations": associations,
        "PropagatingVgws": [],
        "RouteTableId": table_id,
        "Routes": routes,
        "Tags": _tags(name),
        "VpcId": vpc,
        "OwnerId": owner,
    }


def _subnet(subnet: str, vpc: str, cidr: str, az_id: str, owner: str, name: str) -> dict[str, Any]:
    return {
        "AvailabilityZone": _ZONES[az_id],
        "AvailabilityZoneId": az_id,
        "AvailableIpAddressCount": 250,
        "CidrBlock": cidr,
        "DefaultForAz": False,
        "MapPublicIpOnLaunch": name.startswith(("public", "web", "bastion")),
        "State": "available",
        "SubnetId": subnet,
        "VpcId": vpc,
        "OwnerId": owner,
        "Ipv6CidrBlockAssociationSet": [],
        "Tags": _tags(name),
    }


def _eni(
    nic: s.Interface | tuple[str, str, str, str, str],
    groups: list[tuple[str, str]],
    *,
    kind: str = "interface",
    status: str = "in-use",
    public_ip: str | None = None,
    ipv6: tuple[str, ...] = (),
    description: str = "",
    name: str | None = None,
) -> dict[str, Any]:
    if isinstance(nic, s.Interface):
        eni, vpc, subnet, az, addr = nic.eni, nic.vpc, nic.subnet, nic.az, nic.addr
        instance, owner = nic.instance, nic.account
    else:
        eni, vpc, subnet, az, addr = nic
        instance, owner = None, s.ACCOUNT_A
    association = {"IpOwnerId": "amazon", "PublicIp": public_ip} if public_ip else None
    document: dict[str, Any] = {
        "AvailabilityZone": _ZONES[az],
        "Description": description,
        "Groups": [{"GroupName": n, "GroupId": g} for g, n in groups],
        "InterfaceType": kind,
        "Ipv6Addresses": [{"Ipv6Address": a} for a in ipv6],
        "MacAddress": "0e:" + ":".join(eni[-10:][i : i + 2] for i in range(0, 10, 2)),
        "NetworkInterfaceId": eni,
        "OwnerId": owner,
        "PrivateIpAddress": addr,
        "PrivateIpAddresses": [
            {
                "Primary": True,
                "PrivateIpAddress": addr,
                **({"Association": association} if association else {}),
            }
        ],
        "RequesterManaged": kind == "nat_gateway",
        "SourceDestCheck": kind != "nat_gateway",
        "Status": status,
        "SubnetId": subnet,
        "TagSet": _tags(name) if name else [],
        "VpcId": vpc,
    }
    if association:
        document["Association"] = association
    if instance and status == "in-use":
        document["Attachment"] = {
            "AttachmentId": f"eni-attach-{eni[4:]}",
            "DeleteOnTermination": True,
            "DeviceIndex": 0,
            "InstanceId": instance,
            "InstanceOwnerId": owner,
            "Status": "attached",
        }
    return document


def _instance(nic: s.Interface, name: str, groups: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "InstanceId": nic.instance,
        "InstanceType": "t3.small",
        "LaunchTime": "2024-04-02T08:00:00.000Z",
        "Placement": {"AvailabilityZone": _ZONES[nic.az]},
        "PrivateIpAddress": nic.addr,
        "State": {"Code": 16, "Name": "running"},
        "SubnetId": nic.subnet,
        "VpcId": nic.vpc,
        "NetworkInterfaces": [{"NetworkInterfaceId": nic.eni}],
        "SecurityGroups": [{"GroupName": n, "GroupId": g} for g, n in groups],
        "Tags": [*_tags(name), {"Key": "Owner", "Value": "platform"}],
    }


def _account_a() -> Documents:
    a, vpc = s.ACCOUNT_A, s.VPC_A_US
    web, workers = [(SG_WEB, "web")], [(SG_WORKERS, "workers")]
    app, db, v6, api = [(SG_APP, "app")], [(SG_DB, "db")], [(SG_V6, "ipv6-app")], [(SG_API, "api")]
    subnets = [
        (s.SUBNET_PUBLIC, "10.0.0.0/24", "use1-az1", "public-a"),
        (s.SUBNET_WEB, s.WEB_SUBNET_CIDR, "use1-az1", "web"),
        (s.SUBNET_PRIVATE, s.NAT_PRIVATE_CIDR, "use1-az1", "private-workers"),
        (s.SUBNET_APP, "10.0.2.0/24", "use1-az2", "app"),
        (s.SUBNET_DB, "10.0.3.0/24", "use1-az2", "db"),
        (s.SUBNET_V6, "10.0.4.0/24", "use1-az1", "ipv6-app"),
        (s.SUBNET_SERVICES, "10.0.5.0/24", "use1-az2", "services"),
        (SUBNET_PUBLIC_C, "10.0.6.0/24", "use1-az3", "public-c"),
    ]
    subnet_docs = [_subnet(sid, vpc, cidr, az, a, name) for sid, cidr, az, name in subnets]
    subnet_docs[5]["Ipv6CidrBlockAssociationSet"] = [
        {
            "AssociationId": "subnet-cidr-assoc-0a1b2c3d4e5f60004",
            "Ipv6CidrBlock": "2001:db8:1234:a102::/64",
            "Ipv6CidrBlockState": {"State": "associated"},
        }
    ]
    groups = [
        _group(
            SG_WEB,
            "web",
            vpc,
            a,
            [
                _permission("tcp", (443, 443), cidrs=("0.0.0.0/0",), cidrs6=("::/0",)),
                _permission("tcp", (22, 22), cidrs=(s.VPC_A_US_CIDR,), description="admins"),
            ],
        ),
        _group(SG_WORKERS, "workers", vpc, a, []),
        _group(SG_APP, "app", vpc, a, []),
        _group(
            SG_DB,
            "db",
            vpc,
            a,
            [
                _permission("tcp", (3306, 3306), cidrs=(s.DB_CLIENT_CIDR,), description="app tier"),
                _permission(
                    "tcp", (3306, 3306), cidrs=("10.0.2.15/32",), description="app-1 (old)"
                ),
            ],
        ),
        _group(
            SG_V6,
            "ipv6-app",
            vpc,
            a,
            [_permission("tcp", (22, 22), cidrs6=("2001:db8:1234:a100::/64",))],
            [_permission("-1", cidrs=("0.0.0.0/0",), cidrs6=("::/0",))],
        ),
        _group(SG_API, "api", vpc, a, [_permission("tcp", (8080, 8080), groups=(SG_APP,))]),
        _group(
            SG_LEGACY,
            "legacy-admin",
            vpc,
            a,
            [
                _permission("tcp", (22, 22), cidrs=("0.0.0.0/0",)),
                _permission("tcp", (3389, 3389), cidrs=("0.0.0.0/0",)),
                _permission("tcp", (3306, 3306), cidrs6=("::/0",)),
            ],
        ),
        _group(
            SG_BATCH, "batch", vpc, a, [_permission("tcp", (22, 22), cidrs=("10.0.0.0/16",))], []
        ),
    ]
    acls = [
        _acl(
            ACL_A_DEFAULT,
            vpc,
            a,
            [sid for sid, *_ in subnets if sid != s.SUBNET_DB],
            [
                _entry(100, False, "allow"),
                _entry(101, False, "allow", cidr="::/0"),
                _entry(100, True, "allow"),
                _entry(101, True, "allow", cidr="::/0"),
            ],
            default=True,
        ),
        _acl(
            ACL_DB,
            vpc,
            a,
            [s.SUBNET_DB],
            [
                _entry(100, False, "allow", "6", s.DB_CLIENT_CIDR, (s.DB_PORT, s.DB_PORT)),
                _entry(100, True, "allow", "6", "0.0.0.0/0", (443, 443)),
                _entry(DB_DENY_RULE, True, "deny", "6", s.DB_CLIENT_CIDR, s.EPHEMERAL_PORTS),
                _entry(DB_SHADOWED_RULE, True, "allow", "6", s.DB_CLIENT_CIDR, s.EPHEMERAL_PORTS),
            ],
            name="db",
        ),
    ]
    local = [
        _route(s.VPC_A_US_CIDR, GatewayId="local"),
        _route(s.IPV6_VPC_CIDR, GatewayId="local"),
    ]
    tables = [
        _table(RTB_MAIN, vpc, a, local, [], main=True, name="main"),
        _table(
            RTB_PUBLIC,
            vpc,
            a,
            [*local, _route("0.0.0.0/0", GatewayId=IGW_A), _route("::/0", GatewayId=IGW_A)],
            [s.SUBNET_PUBLIC, s.SUBNET_WEB, SUBNET_PUBLIC_C],
            name="public",
        ),
        # the default route to the NAT gateway was deleted: the workers' traffic stopped
        _table(RTB_PRIVATE, vpc, a, list(local), [s.SUBNET_PRIVATE], name="private"),
        _table(
            RTB_APP,
            vpc,
            a,
            [
                *local,
                _route("0.0.0.0/0", NatGatewayId=NAT_GW),
                _route(S3_PREFIX_LIST, GatewayId=VPCE_S3),
            ],
            [s.SUBNET_APP, s.SUBNET_DB],
            name="app",
        ),
    ]
    enis = [
        _eni(s.WEB, web, public_ip="54.210.7.10", name="web"),
        *[_eni(w, workers) for w in s.NAT_WORKERS],
        *[_eni(h, app) for h in s.APP],
        _eni(s.DB, db),
        _eni(s.IPV6, v6, ipv6=(s.IPV6_HOST,)),
        _eni(s.API, [*api, (SG_LEGACY, "legacy-admin")]),
        _eni(
            s.NAT,
            [],
            kind="nat_gateway",
            public_ip="3.210.14.20",
            description=f"Interface for NAT Gateway {NAT_GW}",
        ),
        _eni(
            (IDLE_NAT_ENI, vpc, SUBNET_PUBLIC_C, "use1-az3", "10.0.6.220"),
            [],
            kind="nat_gateway",
            public_ip="3.210.14.21",
            description=f"Interface for NAT Gateway {IDLE_NAT_GW}",
        ),
        _eni(
            (UNATTACHED_ENI, vpc, s.SUBNET_APP, "use1-az2", "10.0.2.200"),
            [(SG_BATCH, "batch")],
            status="available",
            description="left over by a batch job",
            name="batch-old",
        ),
    ]
    nats = [
        {
            "CreateTime": "2024-03-01T09:00:00.000Z",
            "NatGatewayAddresses": [
                {
                    "AllocationId": f"eipalloc-{nat[4:]}",
                    "NetworkInterfaceId": eni,
                    "PrivateIp": private,
                    "PublicIp": public,
                    "IsPrimary": True,
                    "Status": "succeeded",
                }
            ],
            "NatGatewayId": nat,
            "State": "available",
            "SubnetId": subnet,
            "VpcId": vpc,
            "Tags": _tags(name),
            "ConnectivityType": "public",
        }
        for nat, eni, private, public, subnet, name in (
            (NAT_GW, s.NAT_ENI, s.NAT_ADDR, "3.210.14.20", s.SUBNET_PUBLIC, "nat-a"),
            (IDLE_NAT_GW, IDLE_NAT_ENI, "10.0.6.220", "3.210.14.21", SUBNET_PUBLIC_C, "nat-c"),
        )
    ]
    instances = [
        _instance(s.WEB, "web-1", web),
        *[_instance(w, f"worker-{n + 1}", workers) for n, w in enumerate(s.NAT_WORKERS)],
        *[_instance(h, f"app-{n + 1}", app) for n, h in enumerate(s.APP)],
        _instance(s.DB, "mysql-1", db),
        _instance(s.IPV6, "ipv6-app-1", v6),
        _instance(s.API, "internal-api", [*api, (SG_LEGACY, "legacy-admin")]),
    ]
    peering = [
        {
            "AccepterVpcInfo": {
                "CidrBlock": cidr,
                "CidrBlockSet": [{"CidrBlock": cidr}],
                "OwnerId": owner,
                "VpcId": peer_vpc,
                "Region": region,
            },
            "RequesterVpcInfo": {
                "CidrBlock": s.VPC_A_US_CIDR,
                "CidrBlockSet": [{"CidrBlock": s.VPC_A_US_CIDR}],
                "OwnerId": a,
                "VpcId": vpc,
                "Region": s.US_EAST_1,
            },
            "Status": {"Code": "active", "Message": "Active"},
            "Tags": _tags(name),
            "VpcPeeringConnectionId": pcx,
        }
        for pcx, peer_vpc, cidr, owner, region, name in (
            (PCX_EU, s.VPC_A_EU, "10.10.0.0/16", a, s.EU_WEST_1, "reporting"),
            (PCX_OVERLAP, PARTNER_VPC, "10.0.0.0/16", PARTNER_ACCOUNT, s.US_EAST_1, "partner"),
        )
    ]
    return {
        "Vpcs": {
            "Vpcs": [
                {
                    "CidrBlock": s.VPC_A_US_CIDR,
                    "DhcpOptionsId": "dopt-0a1b2c3d4e5f60001",
                    "State": "available",
                    "VpcId": vpc,
                    "OwnerId": a,
                    "InstanceTenancy": "default",
                    "CidrBlockAssociationSet": [
                        {
                            "AssociationId": "vpc-cidr-assoc-0a1b2c3d4e5f60001",
                            "CidrBlock": s.VPC_A_US_CIDR,
                            "CidrBlockState": {"State": "associated"},
                        }
                    ],
                    "Ipv6CidrBlockAssociationSet": [
                        {
                            "AssociationId": "vpc-cidr-assoc-0a1b2c3d4e5f60002",
                            "Ipv6CidrBlock": s.IPV6_VPC_CIDR,
                            "Ipv6CidrBlockState": {"State": "associated"},
                        }
                    ],
                    "IsDefault": False,
                    "Tags": _tags("production"),
                }
            ]
        },
        "Subnets": {"Subnets": subnet_docs},
        "SecurityGroups": {"SecurityGroups": groups},
        "NetworkAcls": {"NetworkAcls": acls},
        "RouteTables": {"RouteTables": tables},
        "NetworkInterfaces": {"NetworkInterfaces": enis},
        "NatGateways": {"NatGateways": nats},
        "InternetGateways": {
            "InternetGateways": [
                {
                    "Attachments": [{"State": "available", "VpcId": vpc}],
                    "InternetGatewayId": IGW_A,
                    "OwnerId": a,
                    "Tags": _tags("production"),
                }
            ]
        },
        "VpcPeeringConnections": {"VpcPeeringConnections": peering},
        "VpcEndpoints": {
            "VpcEndpoints": [
                {
                    "VpcEndpointId": VPCE_S3,
                    "VpcEndpointType": "Gateway",
                    "VpcId": vpc,
                    "ServiceName": "com.amazonaws.us-east-1.s3",
                    "State": "available",
                    "RouteTableIds": [RTB_APP],
                    "SubnetIds": [],
                    "Groups": [],
                    "PrivateDnsEnabled": False,
                    "NetworkInterfaceIds": [],
                    "OwnerId": a,
                    "Tags": [],
                }
            ]
        },
        "Reservations": {
            "Reservations": [
                {
                    "Groups": [],
                    "Instances": instances,
                    "OwnerId": a,
                    "ReservationId": "r-0a1b2c3d4e5f60001",
                }
            ]
        },
    }


def _account_b() -> Documents:
    b, vpc = s.ACCOUNT_B, s.VPC_B_EU
    subnets = [
        (s.SUBNET_BASTION, "10.20.0.0/24", "euw1-az1", "bastion"),
        (s.SUBNET_FLEET, "10.20.1.0/24", "euw1-az2", "fleet"),
        (s.SUBNET_SERVICE_B, "10.20.2.0/24", "euw1-az1", "service"),
        (s.SUBNET_MONITORED, "10.20.3.0/24", "euw1-az2", "monitored"),
    ]
    bastion, fleet = [(SG_BASTION, "bastion")], [(SG_FLEET, "fleet")]
    service, monitored = [(SG_SERVICE_B, "service")], [(SG_MONITORED, "monitored")]
    groups = [
        _group(SG_BASTION, "bastion", vpc, b, [_permission("tcp", (22, 22), cidrs=(ADMIN_CIDR,))]),
        _group(
            SG_FLEET,
            "fleet",
            vpc,
            b,
            [_permission("tcp", (p, p), cidrs=("0.0.0.0/0",)) for p in s.SCAN_OPEN_PORTS],
        ),
        _group(
            SG_SERVICE_B,
            "service",
            vpc,
            b,
            [_permission("tcp", (443, 443), cidrs=("0.0.0.0/0",), cidrs6=("::/0",))],
        ),
        _group(
            SG_MONITORED, "monitored", vpc, b, [_permission("icmp", (-1, -1), cidrs=("0.0.0.0/0",))]
        ),
    ]
    acls = [
        _acl(
            ACL_B_DEFAULT,
            vpc,
            b,
            [s.SUBNET_FLEET, s.SUBNET_SERVICE_B],
            [_entry(100, False, "allow"), _entry(100, True, "allow")],
            default=True,
        ),
        _acl(
            ACL_BASTION,
            vpc,
            b,
            [s.SUBNET_BASTION],
            [
                _entry(BASTION_DENY_RULE, False, "deny", "6", f"{s.SSH_ATTACKER}/32", (22, 22)),
                _entry(100, False, "allow", "6", "0.0.0.0/0", (22, 22)),
                _entry(100, True, "allow", "6", "0.0.0.0/0", (1024, 65535)),
            ],
            name="bastion",
        ),
        _acl(
            ACL_MONITORED,
            vpc,
            b,
            [s.SUBNET_MONITORED],
            [
                _entry(100, False, "allow", "1", "0.0.0.0/0", icmp=(-1, -1)),
                _entry(110, False, "allow", "6", "0.0.0.0/0", (1024, 65535)),
                _entry(100, True, "allow", "6", "0.0.0.0/0", (1024, 65535)),
            ],
            name="monitored",
        ),
    ]
    routes = [_route("10.20.0.0/16", GatewayId="local"), _route("0.0.0.0/0", GatewayId=IGW_B)]
    enis = [
        _eni(s.BASTION, bastion, public_ip="34.240.7.10", name="bastion"),
        _eni(s.SCAN_TARGET, fleet),
        *[_eni(h, fleet) for h in s.FLEET],
        _eni(s.SERVICE_B, service),
        _eni(s.MONITORED, monitored),
    ]
    instances = [
        _instance(s.BASTION, "bastion", bastion),
        _instance(s.SCAN_TARGET, "fleet-50", fleet),
        *[_instance(h, f"fleet-{h.addr.rsplit('.', 1)[1]}", fleet) for h in s.FLEET],
        _instance(s.SERVICE_B, "service", service),
        _instance(s.MONITORED, "monitored", monitored),
    ]
    return {
        "Vpcs": {
            "Vpcs": [
                {
                    "CidrBlock": "10.20.0.0/16",
                    "State": "available",
                    "VpcId": vpc,
                    "OwnerId": b,
                    "IsDefault": False,
                    "Tags": _tags("fleet"),
                }
            ]
        },
        "Subnets": {"Subnets": [_subnet(i, vpc, c, az, b, n) for i, c, az, n in subnets]},
        "SecurityGroups": {"SecurityGroups": groups},
        "NetworkAcls": {"NetworkAcls": acls},
        "RouteTables": {
            "RouteTables": [_table(RTB_B_MAIN, vpc, b, routes, [], main=True, name="main")]
        },
        "NetworkInterfaces": {"NetworkInterfaces": enis},
        "NatGateways": {"NatGateways": []},
        "InternetGateways": {
            "InternetGateways": [
                {
                    "Attachments": [{"State": "available", "VpcId": vpc}],
                    "InternetGatewayId": IGW_B,
                    "OwnerId": b,
                    "Tags": [],
                }
            ]
        },
        "VpcPeeringConnections": {"VpcPeeringConnections": []},
        "VpcEndpoints": {"VpcEndpoints": []},
        "Reservations": {
            "Reservations": [
                {"Groups": [], "Instances": instances, "OwnerId": b, "ReservationId": "r-0b2c3d"}
            ]
        },
    }


def sample_documents() -> dict[tuple[str, str], Documents]:
    """(account, region) -> its describe-* outputs, as the AWS CLI prints them."""
    return {A_US: _account_a(), B_EU: _account_b()}


def save_documents(folder: Path) -> dict[tuple[str, str], list[Path]]:
    """Write each describe-* output as `<account>-<region>/describe-<kind>.json`."""
    from flowlake.netconfig.documents import COMMANDS

    saved: dict[tuple[str, str], list[Path]] = {}
    for (account, region), documents in sample_documents().items():
        where = folder / f"{account}-{region}"
        where.mkdir(parents=True, exist_ok=True)
        for kind, document in documents.items():
            path = where / f"{COMMANDS[kind]}.json"
            path.write_text(json.dumps(document, indent=4) + "\n")
            saved.setdefault((account, region), []).append(path)
    return saved


def write_sample_config(root: Path | str, now: datetime | None = None) -> list[str]:
    """Store the sample configuration in the lake at `root`: one snapshot per scope."""
    from flowlake.netconfig.collect import import_documents
    from flowlake.netconfig.documents import parse

    snapshots = []
    for (account, region), documents in sample_documents().items():
        parsed = [d for document in documents.values() for d in parse(document, "sample")]
        done = import_documents(
            parsed, str(root), account=account, region=region, source="sample", now=now
        )
        snapshots.append(done.written.snapshot or done.written.unchanged_since or "")
    return snapshots


# -- CloudTrail ---------------------------------------------------------------------------------


def _record(
    when: datetime,
    name: str,
    account: str,
    region: str,
    user: str,
    params: dict[str, Any],
    error: str | None = None,
) -> dict[str, Any]:
    digest = hashlib.sha256(f"{when.isoformat()}/{name}/{json.dumps(params)}".encode()).hexdigest()
    record: dict[str, Any] = {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "AssumedRole" if ":role/" in user else "IAMUser",
            "arn": user,
            "accountId": account,
        },
        "eventTime": f"{when:%Y-%m-%dT%H:%M:%SZ}",
        "eventSource": "ec2.amazonaws.com",
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": "198.51.100.200",
        "userAgent": "aws-cli/2.15.0",
        "requestParameters": params,
        "responseElements": None if error else {"_return": True},
        "requestID": digest[:8] + "-" + digest[8:12],
        "eventID": f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}",
        "readOnly": name.startswith("Describe"),
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account,
    }
    if error:
        record["errorCode"] = error
        record["errorMessage"] = "You are not authorized to perform this operation."
    return record


def _sg_params(group: str, protocol: str, port: int, cidr: str) -> dict[str, Any]:
    return {
        "groupId": group,
        "ipPermissions": {
            "items": [
                {
                    "ipProtocol": protocol,
                    "fromPort": port,
                    "toPort": port,
                    "groups": {},
                    "ipRanges": {"items": [{"cidrIp": cidr}]},
                    "ipv6Ranges": {},
                    "prefixListIds": {},
                }
            ]
        },
    }


def sample_events(expected: s.Expected) -> list[dict[str, Any]]:
    """The CloudTrail records of the sample lake's window, in time order."""
    revoke_at = expected.change_at - timedelta(seconds=30)
    route_at = expected.nat_stop_at - timedelta(seconds=40)
    a, b = s.ACCOUNT_A, s.ACCOUNT_B
    records = [
        _record(
            expected.start + timedelta(minutes=10),
            "AuthorizeSecurityGroupIngress",
            a,
            s.US_EAST_1,
            ROUTE_USER,
            {
                "groupId": SG_API,
                "ipPermissions": {
                    "items": [
                        {
                            "ipProtocol": "tcp",
                            "fromPort": 8080,
                            "toPort": 8080,
                            "groups": {"items": [{"groupId": SG_APP}]},
                            "ipRanges": {},
                        }
                    ]
                },
            },
        ),
        _record(
            expected.start + timedelta(minutes=12),
            "CreateNetworkAclEntry",
            b,
            s.EU_WEST_1,
            f"arn:aws:iam::{b}:user/secops",
            {
                "networkAclId": ACL_BASTION,
                "ruleNumber": BASTION_DENY_RULE,
                "egress": False,
                "ruleAction": "deny",
                "icmpTypeCode": {},
                "portRange": {"from": 22, "to": 22},
                "aclProtocol": "6",
                "cidrBlock": f"{s.SSH_ATTACKER}/32",
            },
        ),
        _record(
            expected.start + timedelta(minutes=20),
            "DescribeSecurityGroups",
            a,
            s.US_EAST_1,
            CHANGE_USER,
            {"groupSet": {}},
        ),  # fmt: skip
        _record(
            revoke_at,
            "RevokeSecurityGroupIngress",
            a,
            s.US_EAST_1,
            CHANGE_USER,
            _sg_params(SG_WEB, "tcp", s.WEB_PORT, "0.0.0.0/0"),
        ),  # fmt: skip
        # a later call that failed changed nothing: it must not be blamed
        _record(
            revoke_at + timedelta(seconds=20),
            "RevokeSecurityGroupIngress",
            a,
            s.US_EAST_1,
            "arn:aws:iam::111122223333:user/intern",
            _sg_params(SG_WEB, "tcp", 443, "0.0.0.0/0"),
            error="Client.UnauthorizedOperation",
        ),  # fmt: skip
        _record(
            route_at,
            "DeleteRoute",
            a,
            s.US_EAST_1,
            ROUTE_USER,
            {"routeTableId": RTB_PRIVATE, "destinationCidrBlock": "0.0.0.0/0"},
        ),  # fmt: skip
    ]
    return [r for r in records if expected.start <= _when(r) < expected.end]


def _when(record: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(record["eventTime"].replace("Z", "+00:00"))


def write_sample_cloudtrail(root: Path | str, expected: s.Expected) -> list[Path]:
    """CloudTrail files as a trail delivers them: per account, region and 5 minutes."""
    groups: dict[tuple[str, str, datetime], list[dict[str, Any]]] = defaultdict(list)
    for record in sample_events(expected):
        when = _when(record)
        delivered = when.replace(second=0) + timedelta(minutes=5 - when.minute % 5)
        groups[(record["recipientAccountId"], record["awsRegion"], delivered)].append(record)
    written = []
    for (account, region, delivered), records in sorted(groups.items()):
        digest = hashlib.sha256(f"{account}{region}{delivered}".encode()).hexdigest()[:16]
        key = (
            f"AWSLogs/{account}/CloudTrail/{region}/{delivered:%Y/%m/%d}/"
            f"{account}_CloudTrail_{region}_{delivered:%Y%m%dT%H%MZ}_{digest}.json.gz"
        )
        path = Path(root) / key
        path.parent.mkdir(parents=True, exist_ok=True)
        data = json.dumps({"Records": records}).encode()
        path.write_bytes(gzip.compress(data, mtime=0))
        written.append(path)
    return written


def write_sample_network(root: Path | str, expected: s.Expected) -> None:
    """The sample lake's network configuration (as of its end) and its CloudTrail files."""
    write_sample_config(root, now=expected.end)
    write_sample_cloudtrail(root, expected)
