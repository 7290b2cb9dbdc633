"""`flowlake diagnose` on the sample lake's stories: the verdict, the rule, the fix, the route
and the CloudTrail change, through the real entry point."""

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from flowlake import sample_lake as s
from flowlake.netconfig import sample as net
from tests.helpers import iso


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> s.SampleLake:
    sample = s.write_sample_lake(tmp_path_factory.mktemp("lake"), hours=6)
    net.write_sample_network(sample.root, sample.expected)
    return sample


def diagnose(cli: Any, lake: s.SampleLake, *args: str, fmt: str = "json") -> Any:
    window = ["--since", iso(lake.start), "--until", iso(lake.end)]
    result = cli("diagnose", *args, "--lake", lake.root, *window, "-f", fmt)
    assert result.code == 0, result.err
    return json.loads(result.out) if fmt == "json" else result.out


def test_web_outage_names_the_group_the_fix_and_the_revoke(cli, lake) -> None:  # type: ignore[no-untyped-def]
    d = diagnose(cli, lake, "--src", s.WEB_CLIENTS[0], "--dst", s.WEB_ADDR, "--port", "80")
    assert d["direction"] == "inbound" and d["dst_interface"]["interface_id"] == s.WEB_ENI
    assert d["request"]["state"] == "changed" and d["reply"]["state"] == "accepted"
    assert d["request"]["first_reject"] == iso(lake.expected.web_first_reject)
    assert d["changed_at"] == iso(lake.expected.web_first_reject) and d["change_kind"] == "rejected"
    assert d["cause"]["event_name"] == "RevokeSecurityGroupIngress"
    assert d["cause"]["resource_id"] == net.SG_WEB and d["cause"]["user_arn"] == net.CHANGE_USER
    assert d["verdict"].startswith(
        f"the requests are rejected since {iso(lake.expected.web_first_reject)}: "
        f"security-group-inbound: no security-group rule of {net.SG_WEB} allows tcp/80 from "
        f"{s.WEB_CLIENTS[0]}; caused by RevokeSecurityGroupIngress on {net.SG_WEB} "
        "(revoke ingress tcp 80 from 0.0.0.0/0)"
    )
    assert d["fix"] == [
        f"aws ec2 authorize-security-group-ingress --group-id {net.SG_WEB} --protocol tcp "
        f"--port 80 --cidr {s.WEB_CLIENTS[0]}/32"
    ]
    failed = [c for c in d["changes"] if c["error_code"]]
    assert len(failed) == 1 and failed[0]["related"]  # listed, not blamed
    assert d["route"]["target"] == net.IGW_A


def test_database_replies_are_the_stateless_acl(cli, lake) -> None:  # type: ignore[no-untyped-def]
    d = diagnose(cli, lake, "--src", s.DB_CLIENTS[0], "--dst", s.DB_ADDR, "--port", "3306")
    assert d["direction"] == "internal"
    assert d["request"]["state"] == "accepted" and d["reply"]["state"] == "rejected"
    assert d["verdict"] == (
        "the requests are accepted but the replies are rejected: nacl-outbound: "
        f"{net.ACL_DB} rule 200 DENY tcp 32768-60999 to {s.DB_CLIENT_CIDR} "
        "(network ACLs are stateless)"
    )
    assert d["fix"][0].startswith(
        f"aws ec2 create-network-acl-entry --network-acl-id {net.ACL_DB} --rule-number 150 "
    )
    assert d["changed_at"] is None and d["changes"] == []


def test_nat_workers_lost_their_route(cli, lake) -> None:  # type: ignore[no-untyped-def]
    worker, (dns, _, port) = s.NAT_SOURCES[0], s.NAT_SERVICES[0]
    d = diagnose(cli, lake, "--src", worker, "--dst", dns, "--port", str(port), "--protocol", "udp")
    assert d["direction"] == "outbound" and d["change_kind"] == "stopped"
    assert d["route"] == {"route_table_id": net.RTB_PRIVATE, "destination": None, "target": None}
    assert (
        d["cause"]["event_name"] == "DeleteRoute" and d["cause"]["resource_id"] == net.RTB_PRIVATE
    )
    assert d["verdict"].startswith(f"no route: {net.RTB_PRIVATE} has no route covering {dns}")
    assert d["fix"] == [
        f"aws ec2 create-route --route-table-id {net.RTB_PRIVATE} --destination-cidr-block "
        f"0.0.0.0/0 --nat-gateway-id {net.NAT_GW}"
    ]
    assert lake.end - timedelta(minutes=s.NAT_STOP_MINUTES + 2) <= _time(d["changed_at"])


def _time(text: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_ssh_attacker_and_icmp_reply(cli, lake) -> None:  # type: ignore[no-untyped-def]
    d = diagnose(cli, lake, "--src", s.SSH_ATTACKER, "--dst", s.BASTION_ADDR, "--port", "22")
    assert d["verdict"] == (
        f"the requests are rejected: nacl-inbound: {net.ACL_BASTION} rule 50 DENY tcp 22 from "
        f"{s.SSH_ATTACKER}/32"
    )
    assert d["notes"] == [
        f"the security groups would drop it too: no rule of {net.SG_BASTION} allows tcp/22 "
        f"from {s.SSH_ATTACKER}"
    ]
    d = diagnose(cli, lake, "--src", s.ICMP_REMOTE, "--dst", s.ICMP_LOCAL, "--protocol", "icmp")
    assert d["reply"]["rejected"] == lake.expected.icmp_rejects
    assert f"nacl-outbound: {net.ACL_MONITORED} rule * (32767) DENY all" in d["verdict"]
    assert "--protocol icmp --icmp-type-code Type=0,Code=-1" in d["fix"][0]


@pytest.mark.parametrize(
    ("dst", "port", "protocol", "what"),
    [
        ("10.0.0.2", "53", "udp", "the Amazon DNS resolver of 10.0.0.0/16"),
        ("169.254.169.253", "53", "udp", "the Amazon DNS resolver"),
        ("169.254.169.254", "80", "tcp", "the instance metadata service"),
        ("169.254.169.123", "123", "udp", "the Amazon Time Sync Service"),
        ("10.0.1.1", "67", "udp", "DHCP"),
    ],
)
def test_what_flow_logs_cannot_see(
    cli, lake, dst: str, port: str, protocol: str, what: str
) -> None:  # type: ignore[no-untyped-def]
    d = diagnose(
        cli, lake, "--src", s.WEB_ADDR, "--dst", dst, "--port", port, "--protocol", protocol
    )
    assert d["invisible"].startswith(what)
    assert "VPC flow logs never record this traffic" in d["verdict"]


def test_no_records_and_the_readable_report(cli, lake) -> None:  # type: ignore[no-untyped-def]
    d = diagnose(cli, lake, "--src", s.WEB_ADDR, "--dst", s.DB_ADDR, "--port", "5432")
    assert d["request"]["state"] == "none" and d["reply"]["state"] == "none"
    assert d["verdict"] == "no flow-log record of this traffic in the window"
    assert d["route"]["destination"] == s.VPC_A_US_CIDR  # the local route: not a routing problem

    text = diagnose(
        cli, lake, "--src", s.WEB_CLIENTS[0], "--dst", s.WEB_ADDR, "--port", "80", fmt="table"
    )
    headings = ["1. Direction", "2. Flow-log records", "3. Reply leg", "4. Rules", "5. Route"]
    headings += ["6. Changes", "Verdict:", "Fix: aws ec2 authorize-security-group-ingress"]
    for heading in headings:
        assert heading in text, heading
    assert "RevokeSecurityGroupIngress" in text and "(on this path)" in text


def test_without_config_it_still_reads_the_flows(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sample = s.write_sample_lake(tmp_path, hours=6)
    d = diagnose(cli, sample, "--src", s.WEB_CLIENTS[0], "--dst", s.WEB_ADDR, "--port", "80")
    assert d["config"] is False and d["direction"] == "inbound"
    assert d["request"]["state"] == "changed"
    assert d["verdict"].startswith("the requests are rejected since")
    assert "snapshot the network config" in d["verdict"]
    assert "no CloudTrail logs under" in d["cloudtrail_note"]


def test_bad_arguments_are_usage_errors(cli, lake) -> None:  # type: ignore[no-untyped-def]
    result = cli("diagnose", "--src", s.WEB_ADDR, "--dst", s.DB_ADDR, "--lake", lake.root)
    assert result.code == 2 and "--port is needed for tcp" in result.err
    result = cli(
        "diagnose", "--src", "10.0.1.999", "--dst", s.DB_ADDR, "--port", "1", "--lake", lake.root
    )
    assert result.code == 2 and "'10.0.1.999' is not an IPv4 or IPv6 address" in result.err
