"""reject-attribution on the sample lake with its network configuration: the layer, the rule and
the fix of each of the seeds' stories, and the referenced-group and unknown cases."""

import gzip
from pathlib import Path
from typing import Any

import pytest

from flowlake import sample_lake as s
from flowlake.api import run_query
from flowlake.engines.duckdb import DuckDBEngine
from flowlake.lake import Lake
from flowlake.netconfig import sample as net


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> s.SampleLake:
    sample = s.write_sample_lake(tmp_path_factory.mktemp("lake"), hours=6)
    net.write_sample_network(sample.root, sample.expected)
    return sample


@pytest.fixture(scope="module")
def engine(lake: s.SampleLake) -> DuckDBEngine:
    return DuckDBEngine(Lake(str(lake.root)))


@pytest.fixture(scope="module")
def attributed(lake: s.SampleLake, engine: DuckDBEngine) -> list[dict[str, Any]]:
    return run_query("reject-attribution", {}, engine.lake, engine).result.rows()  # type: ignore[arg-type]


def pick(rows: list[dict[str, Any]], **where: Any) -> list[dict[str, Any]]:
    return [r for r in rows if all(r[k] == v for k, v in where.items())]


def test_web_http_is_the_security_group_with_its_fix(lake, attributed) -> None:  # type: ignore[no-untyped-def]
    web = pick(attributed, interface_id=s.WEB_ENI, port=s.WEB_PORT)
    assert {r["peer_address"] for r in web} == set(s.WEB_CLIENTS)
    assert sum(r["flows"] for r in web) == lake.expected.web_rejected_after
    for row in web:
        assert (row["direction"], row["leg"], row["blocked_by"]) == (
            "inbound", "request", "security-group-inbound",
        )  # fmt: skip
        peer = row["peer_address"]
        assert row["rule"] == f"no security-group rule of {net.SG_WEB} allows tcp/80 from {peer}"
        assert row["fix"] == (
            f"aws ec2 authorize-security-group-ingress --group-id {net.SG_WEB} "
            f"--protocol tcp --port 80 --cidr {peer}/32"
        )
        assert row["also"] is None  # the default ACL lets the answer out


def test_database_replies_are_the_nacl_deny_rule(lake, attributed) -> None:  # type: ignore[no-untyped-def]
    db = pick(attributed, interface_id=s.DB_ENI)
    assert {r["peer_address"] for r in db} == set(s.DB_CLIENTS)
    assert sum(r["flows"] for r in db) == lake.expected.eph_responses_rejected
    for row in db:
        assert (row["direction"], row["leg"], row["port"], row["blocked_by"]) == (
            "outbound", "response", s.DB_PORT, "nacl-outbound",
        )  # fmt: skip
        assert row["rule"] == f"{net.ACL_DB} rule 200 DENY tcp 32768-60999 to {s.DB_CLIENT_CIDR}"
        # the seeds' fix: an allow between rule 100 and the deny, mirroring the inbound rule
        assert row["fix"] == (
            f"aws ec2 create-network-acl-entry --network-acl-id {net.ACL_DB} --rule-number 150 "
            f"--protocol tcp --port-range From=32768,To=60999 --cidr-block {s.DB_CLIENT_CIDR} "
            "--rule-action allow --egress"
        )
        assert row["also"] == (
            f"the request was let in by {net.ACL_DB} rule 100 ALLOW tcp 3306 "
            f"from {s.DB_CLIENT_CIDR}"
        )


def test_ssh_attacker_is_the_nacl_rule_50(lake, attributed) -> None:  # type: ignore[no-untyped-def]
    (ssh,) = pick(attributed, interface_id=s.BASTION_ENI)  # the admin was accepted
    assert ssh["peer_address"] == s.SSH_ATTACKER and ssh["flows"] == lake.expected.ssh_rejects
    assert ssh["blocked_by"] == "nacl-inbound"
    assert ssh["rule"] == f"{net.ACL_BASTION} rule 50 DENY tcp 22 from {s.SSH_ATTACKER}/32"
    assert ssh["fix"].startswith(
        f"aws ec2 create-network-acl-entry --network-acl-id {net.ACL_BASTION} --rule-number 25 "
    )
    # the ACL is read first; the security group (admins only) would drop it as well
    assert ssh["also"] == (
        f"the security groups would drop it too: no rule of {net.SG_BASTION} allows tcp/22 "
        f"from {s.SSH_ATTACKER}"
    )


def test_icmp_reply_hits_the_star_rule(lake, attributed) -> None:  # type: ignore[no-untyped-def]
    (icmp,) = pick(attributed, interface_id=s.ICMP_ENI)
    assert (icmp["peer_address"], icmp["protocol"], icmp["leg"]) == (s.ICMP_REMOTE, 1, "response")
    assert icmp["flows"] == lake.expected.icmp_rejects
    assert icmp["blocked_by"] == "nacl-outbound"
    assert icmp["rule"] == f"{net.ACL_MONITORED} rule * (32767) DENY all to 0.0.0.0/0"
    assert icmp["fix"] == (
        f"aws ec2 create-network-acl-entry --network-acl-id {net.ACL_MONITORED} --rule-number 110 "
        "--protocol icmp --icmp-type-code Type=0,Code=-1 --cidr-block 0.0.0.0/0 "
        "--rule-action allow --egress"
    )


def test_ipv6_scans_and_unknown_interfaces(lake, attributed) -> None:  # type: ignore[no-untyped-def]
    (v6,) = pick(attributed, interface_id=s.IPV6_ENI)
    assert v6["blocked_by"] == "security-group-inbound" and v6["flows"] == s.IPV6_REJECTS
    assert v6["fix"] == (
        f"aws ec2 authorize-security-group-ingress --group-id {net.SG_V6} --ip-permissions "
        f"IpProtocol=tcp,FromPort=5432,ToPort=5432,Ipv6Ranges=[{{CidrIpv6={s.IPV6_REJECTED}/128}}]"
    )
    scan = pick(attributed, interface_id=s.SCAN_TARGET_ENI)
    assert {r["port"] for r in scan} == set(s.SCAN_PORTS) - set(s.SCAN_OPEN_PORTS)
    assert {r["blocked_by"] for r in scan} == {"security-group-inbound"}
    # the reporting host (account A, eu-west-1) is not in the snapshot
    reporting = pick(attributed, interface_id=s.REPORTING.eni)
    assert reporting and {r["blocked_by"] for r in reporting} == {"unknown"}
    assert {r["rule"] for r in reporting} == {f"{s.REPORTING.eni} is not in the config snapshot"}
    assert {r["local_address"] for r in reporting} == {s.REPORTING.addr}
    # attributed rows come first, and every REJECT is counted once
    layers = [r["blocked_by"] for r in attributed]
    assert layers.index("unknown") > max(i for i, b in enumerate(layers) if b != "unknown")
    assert sum(r["flows"] for r in attributed) == lake.expected.rejected


def test_parameters_narrow_the_rows(engine) -> None:  # type: ignore[no-untyped-def]
    def run(**params: str) -> list[dict[str, Any]]:
        return run_query("reject-attribution", params, engine.lake, engine).result.rows()

    nacl = run(layer="nacl")
    assert {r["interface_id"] for r in nacl} == {s.DB_ENI, s.BASTION_ENI, s.ICMP_ENI}
    one = run(address=s.SSH_ATTACKER)
    assert [r["interface_id"] for r in one] == [s.BASTION_ENI]
    http = run(port="80")
    assert {r["interface_id"] for r in http} == {s.WEB_ENI}


def _flows(root: Path, lines: list[str]) -> None:
    """A small v2 flow log in the lake's own folder layout."""
    key = root / "AWSLogs/111122223333/vpcflowlogs/us-east-1/2024/05/01"
    key.mkdir(parents=True)
    header = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets "
    header += "bytes start end action log-status"
    body = "\n".join([header, *lines]) + "\n"
    name = "111122223333_vpcflowlogs_us-east-1_fl-0abc_20240501T1005Z_aaaa.log.gz"
    (key / name).write_bytes(gzip.compress(body.encode(), mtime=0))


def test_referenced_groups_and_rules_that_allow_now(tmp_path: Path) -> None:
    """sg-api allows 8080 from sg-app: an app host is let in by the group reference, the
    left-over interface (not in sg-app) is not. A REJECT the rules allow now is `unknown`."""
    net.write_sample_config(tmp_path)
    app, left_over = s.APP[0], "10.0.2.200"
    t = 1714557600
    _flows(
        tmp_path,
        [
            f"2 {s.ACCOUNT_A} {s.API.eni} {app.addr} {s.API.addr} 40000 8080 6 3 180 {t} {t + 5} "
            "REJECT OK",
            f"2 {s.ACCOUNT_A} {s.API.eni} {left_over} {s.API.addr} 40001 8080 6 3 180 {t} {t + 5} "
            "REJECT OK",
        ],
    )
    rows = {
        r["peer_address"]: r
        for r in run_query("reject-attribution", {}, Lake(str(tmp_path))).result.rows()
    }
    assert rows[left_over]["blocked_by"] == "security-group-inbound"
    assert rows[left_over]["rule"] == (
        f"no security-group rule of {net.SG_API}, {net.SG_LEGACY} allows tcp/8080 from {left_over}"
    )
    assert rows[app.addr]["blocked_by"] == "unknown"
    assert rows[app.addr]["rule"].startswith("the snapshot allows it")
    assert "config-changes" in rows[app.addr]["rule"]


def test_athena_sql_uses_ipaddress_and_translates_back(engine, attributed) -> None:  # type: ignore[no-untyped-def]
    from flowlake.compiler import compile_query
    from flowlake.dialect_check import athena_to_duckdb

    athena = compile_query("reject-attribution", {}, "athena").sql
    assert "CONTAINS(e.cidr_ipv4, TRY_CAST(l.peer AS IPADDRESS))" in athena
    assert engine.run(athena_to_duckdb(athena)).rows() == attributed
