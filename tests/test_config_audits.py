"""The seeds' audits over the network configuration: each finds exactly the problem the sample
configuration holds (flowlake/netconfig/sample.py), and nothing in a clean network."""

import gzip
from pathlib import Path
from typing import Any

import pytest

from flowlake import sample_lake as s
from flowlake.api import run_query
from flowlake.engines.duckdb import DuckDBEngine
from flowlake.lake import Lake
from flowlake.netconfig import sample as net
from flowlake.netconfig.collect import import_documents
from flowlake.netconfig.documents import parse
from flowlake.timewindow import TimeWindow

AUDITS = [
    "sg-duplicate-rules",
    "sg-open-to-world",
    "sg-empty-egress",
    "nacl-shadowed-rules",
    "nacl-ephemeral-gaps",
    "idle-nat-gateways",
    "unattached-interfaces",
    "peering-cidr-overlap",
    "missing-default-route",
]


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[s.SampleLake, DuckDBEngine]:
    lake = s.write_sample_lake(tmp_path_factory.mktemp("lake"), hours=6)
    net.write_sample_config(lake.root, now=lake.end)
    return lake, DuckDBEngine(Lake(str(lake.root)))


def audit(engine: DuckDBEngine, name: str, **params: str) -> list[dict[str, Any]]:
    assert engine.lake
    return run_query(name, params, engine.lake, engine).result.rows()


def test_duplicate_rule(sample) -> None:  # type: ignore[no-untyped-def]
    (row,) = audit(sample[1], "sg-duplicate-rules")
    assert row["group_id"] == net.SG_DB and row["kind"] == "inside another rule"
    assert (row["rule"], row["covered_by"]) == (
        "tcp 3306 from 10.0.2.15/32",
        "tcp 3306 from 10.0.2.0/24",
    )
    assert (row["description"], row["covering_description"]) == ("app-1 (old)", "app tier")
    assert row["fix"] == (
        f"aws ec2 revoke-security-group-ingress --group-id {net.SG_DB} --ip-permissions "
        "IpProtocol=tcp,FromPort=3306,ToPort=3306,IpRanges=[{CidrIp=10.0.2.15/32}]"
    )


def test_open_to_world(sample) -> None:  # type: ignore[no-untyped-def]
    rows = audit(sample[1], "sg-open-to-world")
    assert [(r["group_id"], r["rule"], r["open_ports"], r["interfaces"]) for r in rows] == [
        (net.SG_LEGACY, "tcp 22 from 0.0.0.0/0", "22", 1),
        (net.SG_LEGACY, "tcp 3306 from ::/0", "3306", 1),
        (net.SG_LEGACY, "tcp 3389 from 0.0.0.0/0", "3389", 1),
    ]  # sg-web's 443 and sg-fleet's 8080/8443 to the world are no admin or database ports
    assert rows[1]["fix"].endswith(
        "IpProtocol=tcp,FromPort=3306,ToPort=3306,Ipv6Ranges=[{CidrIpv6=::/0}]"
    )
    assert [r["rule"] for r in audit(sample[1], "sg-open-to-world", ports="database")] == [
        "tcp 3306 from ::/0"
    ]


def test_empty_egress(sample) -> None:  # type: ignore[no-untyped-def]
    (row,) = audit(sample[1], "sg-empty-egress")
    assert (row["group_id"], row["interfaces"], row["trapped_interfaces"], row["trapped"]) == (
        net.SG_BATCH, 1, 1, net.UNATTACHED_ENI,
    )  # fmt: skip
    assert row["fix"] == (
        f"aws ec2 authorize-security-group-egress --group-id {net.SG_BATCH} "
        "--ip-permissions IpProtocol=-1,IpRanges=[{CidrIp=0.0.0.0/0}]"
    )


def test_shadowed_rule(sample) -> None:  # type: ignore[no-untyped-def]
    (row,) = audit(sample[1], "nacl-shadowed-rules")
    assert (row["network_acl_id"], row["direction"], row["kind"]) == (
        net.ACL_DB,
        "outbound",
        "conflict",
    )
    assert row["rule"] == "rule 250 ALLOW tcp 32768-60999 to 10.0.2.0/24"
    assert row["shadowed_by"] == "rule 200 DENY tcp 32768-60999 to 10.0.2.0/24"
    assert "--rule-number 150 " in row["fix"] and row["fix"].endswith(
        "--rule-action allow --egress"
    )


def test_ephemeral_gaps(sample) -> None:  # type: ignore[no-untyped-def]
    rows = audit(sample[1], "nacl-ephemeral-gaps")
    every = "1024, 32768, 49152, 60999, 65535"
    found = [
        (r["network_acl_id"], r["direction"], r["service_rule"], r["denied_ports"]) for r in rows
    ]
    assert found == [
        (net.ACL_DB, "inbound", "rule 100 ALLOW tcp 3306 from 10.0.2.0/24", every),
        (net.ACL_DB, "outbound", "rule 100 ALLOW tcp 443 to 0.0.0.0/0", every),
        (net.ACL_MONITORED, "inbound", "rule 100 ALLOW icmp from 0.0.0.0/0", "echo reply"),
    ]
    db = rows[0]
    assert db["denied_by"] == (
        "rule * (32767) DENY all to 0.0.0.0/0; rule 200 DENY tcp 32768-60999 to 10.0.2.0/24"
    )
    assert db["fix"] == (
        f"aws ec2 create-network-acl-entry --network-acl-id {net.ACL_DB} --rule-number 150 "
        "--protocol tcp --port-range From=1024,To=65535 --cidr-block 10.0.2.0/24 "
        "--rule-action allow --egress"
    )
    assert "--icmp-type-code Type=0,Code=-1" in rows[2]["fix"]


def test_idle_nat_gateways(sample) -> None:  # type: ignore[no-untyped-def]
    lake, engine = sample
    (idle,) = audit(engine, "idle-nat-gateways")
    assert (idle["nat_gateway_id"], idle["interface_id"], idle["flows"], idle["routes"]) == (
        net.IDLE_NAT_GW, net.IDLE_NAT_ENI, 0, 0,
    )  # fmt: skip
    assert idle["fix"] == f"aws ec2 delete-nat-gateway --nat-gateway-id {net.IDLE_NAT_GW}"
    # in the last half hour the busy gateway is idle too (its traffic stopped 45 minutes ago)
    late = Lake(str(lake.root), window=TimeWindow(lake.end - s.timedelta(minutes=30), lake.end))
    rows = run_query("idle-nat-gateways", {}, late).result.rows()
    assert [(r["nat_gateway_id"], r["routes"]) for r in rows] == [
        (net.NAT_GW, 1),
        (net.IDLE_NAT_GW, 0),
    ]


def test_unattached_interfaces(sample) -> None:  # type: ignore[no-untyped-def]
    (row,) = audit(sample[1], "unattached-interfaces")
    assert (row["interface_id"], row["private_ip"], row["security_group_ids"], row["flows"]) == (
        net.UNATTACHED_ENI, "10.0.2.200", net.SG_BATCH, 0,
    )  # fmt: skip


def test_peering_overlap(sample) -> None:  # type: ignore[no-untyped-def]
    (row,) = audit(sample[1], "peering-cidr-overlap")
    assert (row["peering_connection_id"], row["accepter_vpc_id"], row["overlap"]) == (
        net.PCX_OVERLAP,
        net.PARTNER_VPC,
        "10.0.0.0/16",
    )  # fmt: skip  (the peering to 10.10.0.0/16 is fine)


def test_missing_default_route(sample) -> None:  # type: ignore[no-untyped-def]
    lake, engine = sample
    (row,) = audit(engine, "missing-default-route")
    assert (row["subnet_id"], row["route_table_id"], row["destinations"]) == (
        s.SUBNET_PRIVATE, net.RTB_PRIVATE, len(s.NAT_DESTINATIONS),
    )  # fmt: skip
    assert row["example_destination"] == min(s.NAT_DESTINATIONS)
    assert row["flows"] == sum(
        1 for r in lake.expected.records
        if r["srcaddr"] in s.NAT_SOURCES and r["dstaddr"] in s.NAT_DESTINATIONS
    )  # fmt: skip
    assert row["fix"] == (
        f"aws ec2 create-route --route-table-id {net.RTB_PRIVATE} --destination-cidr-block "
        f"0.0.0.0/0 --nat-gateway-id {net.NAT_GW}"  # the NAT gateway in the subnet's zone
    )


def _clean_documents() -> dict[str, Any]:
    """One VPC with nothing wrong: a web server behind the internet gateway."""
    vpc, subnet, group, eni = "vpc-1", "subnet-1", "sg-1", "eni-1"
    allow_all = [
        {"CidrBlock": "0.0.0.0/0", "Egress": egress, "Protocol": "-1", "RuleAction": action,
         "RuleNumber": number}
        for egress in (False, True) for number, action in ((100, "allow"), (32767, "deny"))
    ]  # fmt: skip
    return {
        "Vpcs": [{"VpcId": vpc, "CidrBlock": "10.9.0.0/16", "OwnerId": "123456789012"}],
        "Subnets": [{"SubnetId": subnet, "VpcId": vpc, "CidrBlock": "10.9.1.0/24",
                     "AvailabilityZone": "us-east-1a"}],
        "SecurityGroups": [{
            "GroupId": group, "GroupName": "web", "VpcId": vpc,
            "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                               "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
            "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
        }],
        "NetworkAcls": [{"NetworkAclId": "acl-1", "VpcId": vpc, "IsDefault": True,
                         "Associations": [{"SubnetId": subnet}], "Entries": allow_all}],
        "RouteTables": [{"RouteTableId": "rtb-1", "VpcId": vpc,
                         "Associations": [{"Main": True}],
                         "Routes": [{"DestinationCidrBlock": "10.9.0.0/16", "GatewayId": "local"},
                                    {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1"}]}],
        "NetworkInterfaces": [{"NetworkInterfaceId": eni, "SubnetId": subnet, "VpcId": vpc,
                               "Status": "in-use", "PrivateIpAddress": "10.9.1.10",
                               "Groups": [{"GroupId": group}]}],
        "InternetGateways": [{"InternetGatewayId": "igw-1",
                              "Attachments": [{"VpcId": vpc, "State": "available"}]}],
        "NatGateways": [],
        "VpcPeeringConnections": [],
    }  # fmt: skip


def test_a_clean_network_has_no_findings(tmp_path: Path) -> None:
    import_documents(parse(_clean_documents(), "clean.json"), str(tmp_path))
    folder = tmp_path / "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/05/01"
    folder.mkdir(parents=True)
    t = 1714557600  # the server calls out to the internet: routed by the default route
    lines = [
        "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
        "start end action log-status",
        f"2 123456789012 eni-1 10.9.1.10 93.184.216.34 40000 443 6 10 900 {t} {t + 30} ACCEPT OK",
    ]
    name = "123456789012_vpcflowlogs_us-east-1_fl-0abc_20240501T1005Z_aaaa.log.gz"
    (folder / name).write_bytes(gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0))
    engine = DuckDBEngine(Lake(str(tmp_path)))
    assert engine.run("SELECT count(*) AS n FROM flow_logs").rows() == [{"n": 1}]
    for name in AUDITS:
        assert audit(engine, name) == [], name
