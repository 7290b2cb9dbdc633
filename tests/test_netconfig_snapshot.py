"""`flowlake config snapshot` through the real boto3 path: a network built in moto's EC2, read
with paginated describe calls, written to a lake in moto's S3 and read back by DuckDB."""

import gzip
from typing import Any

import pytest

from flowlake.api import run_query
from flowlake.engines.duckdb import DuckDBEngine
from flowlake.lake import Lake
from flowlake.lake.store import S3Options

pytestmark = pytest.mark.s3
LAKE = "s3://net-lake/flows/"


def build_network(ec2: Any) -> dict[str, str]:
    """A VPC with the seeds' pieces: groups (one referencing another), a network ACL with a
    deny rule on a subnet, a NAT gateway and a route to it, interfaces, an overlapping peering."""
    ids: dict[str, str] = {}
    ids["vpc"] = vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ids["web_subnet"] = ec2.create_subnet(
        VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone="us-east-1a"
    )["Subnet"]["SubnetId"]
    ids["db_subnet"] = ec2.create_subnet(
        VpcId=vpc, CidrBlock="10.0.3.0/24", AvailabilityZone="us-east-1b"
    )["Subnet"]["SubnetId"]
    ids["igw"] = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=ids["igw"], VpcId=vpc)
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=ids["web_subnet"], AllocationId=allocation)
    ids["nat"] = nat["NatGateway"]["NatGatewayId"]
    ids["nat_eni"] = nat["NatGateway"]["NatGatewayAddresses"][0]["NetworkInterfaceId"]

    def group(name: str) -> str:
        return str(
            ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]
        )

    ids["sg_app"], ids["sg_web"], ids["sg_db"] = group("app"), group("web"), group("db")
    ec2.authorize_security_group_ingress(
        GroupId=ids["sg_web"],
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
             "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "https"}]},
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
             "IpRanges": [{"CidrIp": "0.0.0.0/0"}, {"CidrIp": "198.51.100.0/24"}]},
        ],
    )  # fmt: skip
    ec2.authorize_security_group_ingress(
        GroupId=ids["sg_db"],
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 3306, "ToPort": 3306,
                        "UserIdGroupPairs": [{"GroupId": ids["sg_app"]}]}],
    )  # fmt: skip
    ids["acl"] = acl = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    ec2.create_network_acl_entry(
        NetworkAclId=acl, RuleNumber=100, Protocol="6", RuleAction="allow", Egress=False,
        CidrBlock="10.0.2.0/24", PortRange={"From": 3306, "To": 3306},
    )  # fmt: skip
    ec2.create_network_acl_entry(
        NetworkAclId=acl, RuleNumber=200, Protocol="6", RuleAction="deny", Egress=True,
        CidrBlock="10.0.2.0/24", PortRange={"From": 32768, "To": 60999},
    )  # fmt: skip
    current = ec2.describe_network_acls(
        Filters=[{"Name": "association.subnet-id", "Values": [ids["db_subnet"]]}]
    )["NetworkAcls"][0]
    association = next(
        a["NetworkAclAssociationId"]
        for a in current["Associations"]
        if a["SubnetId"] == ids["db_subnet"]
    )
    ec2.replace_network_acl_association(AssociationId=association, NetworkAclId=acl)
    ids["rtb"] = rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=ids["nat"])
    ec2.associate_route_table(RouteTableId=rtb, SubnetId=ids["db_subnet"])
    ids["web_eni"] = ec2.create_network_interface(
        SubnetId=ids["web_subnet"], Groups=[ids["sg_web"]], PrivateIpAddress="10.0.1.10"
    )["NetworkInterface"]["NetworkInterfaceId"]
    ids["db_eni"] = ec2.create_network_interface(
        SubnetId=ids["db_subnet"],
        Groups=[ids["sg_db"], ids["sg_app"]],
        PrivateIpAddress="10.0.3.10",
    )["NetworkInterface"]["NetworkInterfaceId"]
    other = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ids["pcx"] = ec2.create_vpc_peering_connection(VpcId=vpc, PeerVpcId=other)[
        "VpcPeeringConnection"
    ]["VpcPeeringConnectionId"]
    return ids


def test_snapshot_reads_ec2_and_writes_the_lake_on_s3(cli, s3) -> None:  # type: ignore[no-untyped-def]
    s3.client("s3").create_bucket(Bucket="net-lake")
    ids = build_network(s3.client("ec2"))
    args = ["--lake", LAKE, "--endpoint-url", s3.endpoint, "--regions", "us-east-1"]
    result = cli("config", "snapshot", *args)
    assert result.code == 0, result.err
    assert "snapshot" in result.err and "123456789012/us-east-1" in result.err
    keys = [o["Key"] for o in s3.client("s3").list_objects_v2(Bucket="net-lake")["Contents"]]
    manifests = [k for k in keys if k.startswith("flows/config/_snapshots/")]
    assert len(manifests) == 1
    assert "flows/config/security_group_rules/snapshot=" in " ".join(keys)

    # flows that match the network: the database's reply and a web port the group lacks
    t = 1714557600
    records = [
        f"{ids['db_eni']} 10.0.2.15 10.0.3.10 40000 3306 ACCEPT",
        f"{ids['db_eni']} 10.0.3.10 10.0.2.15 3306 40000 REJECT",
        f"{ids['web_eni']} 192.0.2.10 10.0.1.10 50000 8443 REJECT",
    ]
    header = "version account-id interface-id srcaddr dstaddr srcport dstport protocol "
    header += "packets bytes start end action log-status"
    body = [header] + [
        f"2 123456789012 {eni} {src} {dst} {sport} {dport} 6 3 180 {t} {t + 5} {action} OK"
        for eni, src, dst, sport, dport, action in (r.split() for r in records)
    ]
    s3.client("s3").put_object(
        Bucket="net-lake",
        Key="flows/AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/05/01/"
        "123456789012_vpcflowlogs_us-east-1_fl-0abc_20240501T1005Z_aaaa.log.gz",
        Body=gzip.compress(("\n".join(body) + "\n").encode(), mtime=0),
    )
    lake = Lake(LAKE, s3=S3Options(endpoint_url=s3.endpoint))
    engine = DuckDBEngine(lake)

    def rows(sql: str) -> list[dict[str, Any]]:
        return engine.run(sql).rows()

    web = rows(
        "SELECT direction, protocol, from_port, cidr_ipv4, description FROM security_group_rules"
        f" WHERE group_id = '{ids['sg_web']}' ORDER BY direction, from_port, cidr_ipv4",
    )
    assert web == [
        {"direction": "egress", "protocol": "-1", "from_port": None, "cidr_ipv4": "0.0.0.0/0",
         "description": None},
        {"direction": "ingress", "protocol": "tcp", "from_port": 22, "cidr_ipv4": "0.0.0.0/0",
         "description": None},
        {"direction": "ingress", "protocol": "tcp", "from_port": 22,
         "cidr_ipv4": "198.51.100.0/24", "description": None},
        {"direction": "ingress", "protocol": "tcp", "from_port": 443, "cidr_ipv4": "0.0.0.0/0",
         "description": "https"},
    ]  # fmt: skip
    (db,) = rows(
        "SELECT referenced_group_id, from_port FROM security_group_rules "
        f"WHERE group_id = '{ids['sg_db']}' AND direction = 'ingress'",
    )
    assert db == {"referenced_group_id": ids["sg_app"], "from_port": 3306}

    entries = rows(
        "SELECT egress, rule_number, rule_action, port_from, subnet_ids FROM network_acl_entries"
        f" WHERE network_acl_id = '{ids['acl']}' ORDER BY egress, rule_number",
    )
    assert [(e["egress"], e["rule_number"], e["rule_action"], e["port_from"]) for e in entries] == [
        (False, 100, "allow", 3306), (False, 32767, "deny", None),
        (True, 200, "deny", 32768), (True, 32767, "deny", None),
    ]  # fmt: skip
    assert {e["subnet_ids"] for e in entries} == {ids["db_subnet"]}
    (routes,) = rows(
        "SELECT target_type, target_id, subnet_ids FROM route_table_routes "
        f"WHERE route_table_id = '{ids['rtb']}' AND destination_cidr = '0.0.0.0/0'",
    )
    assert routes == {"target_type": "nat-gateway", "target_id": ids["nat"],
                      "subnet_ids": ids["db_subnet"]}  # fmt: skip
    groups = rows(
        f"SELECT group_id FROM network_interface_groups WHERE interface_id = '{ids['db_eni']}' "
        "ORDER BY group_id",
    )
    assert [g["group_id"] for g in groups] == sorted([ids["sg_db"], ids["sg_app"]])
    (nat,) = rows(f"SELECT interface_id FROM nat_gateways WHERE nat_gateway_id = '{ids['nat']}'")
    assert nat["interface_id"] == ids["nat_eni"]

    # the audits read the same tables: the overlapping peering is found
    overlap = run_query("peering-cidr-overlap", {}, lake, engine).result.rows()
    assert [(r["peering_connection_id"], r["overlap"]) for r in overlap] == [
        (ids["pcx"], "10.0.0.0/16")
    ]
    # and the rules that dropped the flows, from the snapshot taken through boto3
    attributed = {
        r["interface_id"]: r
        for r in run_query("reject-attribution", {}, lake, engine).result.rows()
    }
    db_reply = attributed[ids["db_eni"]]
    assert (db_reply["leg"], db_reply["blocked_by"]) == ("response", "nacl-outbound")
    assert db_reply["rule"] == f"{ids['acl']} rule 200 DENY tcp 32768-60999 to 10.0.2.0/24"
    assert db_reply["fix"] == (
        f"aws ec2 create-network-acl-entry --network-acl-id {ids['acl']} --rule-number 100 "
        "--protocol tcp --port-range From=32768,To=60999 --cidr-block 10.0.2.0/24 "
        "--rule-action allow --egress"
    )
    web_request = attributed[ids["web_eni"]]
    assert web_request["blocked_by"] == "security-group-inbound"
    assert web_request["rule"] == (
        f"no security-group rule of {ids['sg_web']} allows tcp/8443 from 192.0.2.10"
    )

    again = cli("config", "snapshot", *args)  # nothing changed: nothing written
    assert again.code == 0 and "unchanged since snapshot" in again.err
    listed = s3.client("s3").list_objects_v2(Bucket="net-lake", Prefix="flows/config/")
    assert sorted(o["Key"] for o in listed["Contents"]) == sorted(keys)


def test_snapshot_errors_are_one_line(cli, s3) -> None:  # type: ignore[no-untyped-def]
    result = cli(
        "config", "snapshot", "--lake", "/tmp/unused-flowlake-lake", "--regions", "us-east-1",
        "--endpoint-url", "http://127.0.0.1:9",
    )  # fmt: skip
    assert result.code == 1
    assert result.err.startswith("flowlake: error: sts GetCallerIdentity: cannot reach")
    assert len(result.err.strip().splitlines()) == 1
