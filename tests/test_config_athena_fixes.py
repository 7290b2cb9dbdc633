"""Fixes to config import, reject-attribution, athena ddl and the CLI's messages: region-less
imports are not read twice, the `also` column follows an outbound request's response, scope
values and table formats are checked, a missing or invalid bucket is named, Ctrl-C is said."""

import gzip
import json
import os
import signal
import threading
from pathlib import Path
from typing import Any

import pytest
import sqlglot

from flowlake.engines.duckdb import DuckDBEngine
from flowlake.lake import Lake
from flowlake.sample_lake import write_sample_lake

from .conftest import upload_folder
from .helpers import one_line_error

ACCOUNT = "123456789012"


def _rule(protocol: str, port: int | None, cidr: str) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "IpProtocol": protocol, "IpRanges": [{"CidrIp": cidr}], "Ipv6Ranges": [],
        "PrefixListIds": [], "UserIdGroupPairs": [],
    }  # fmt: skip
    if port is not None:
        rule |= {"FromPort": port, "ToPort": port}
    return rule


def _describe_files(folder: Path) -> dict[str, Path]:
    """The tester's saved describe-* output: a group open to the world on 22 (with a narrower
    rule inside it), its subnet and an interface in it (these two name us-east-1a)."""
    documents = {
        "sg.json": {"SecurityGroups": [{
            "GroupId": "sg-0aaa", "GroupName": "open", "Description": "d", "OwnerId": ACCOUNT,
            "VpcId": "vpc-1",
            "IpPermissions": [_rule("tcp", 22, "0.0.0.0/0"), _rule("tcp", 22, "10.0.0.0/16")],
            "IpPermissionsEgress": [_rule("-1", None, "0.0.0.0/0")],
        }]},
        "subnets.json": {"Subnets": [{
            "SubnetId": "subnet-1", "VpcId": "vpc-1", "CidrBlock": "10.0.1.0/24",
            "AvailabilityZone": "us-east-1a", "AvailabilityZoneId": "use1-az1",
            "OwnerId": ACCOUNT, "State": "available",
        }]},
        "eni.json": {"NetworkInterfaces": [{
            "NetworkInterfaceId": "eni-1", "SubnetId": "subnet-1", "VpcId": "vpc-1",
            "AvailabilityZone": "us-east-1a", "OwnerId": ACCOUNT, "PrivateIpAddress": "10.0.1.10",
            "Status": "in-use", "InterfaceType": "interface",
            "Groups": [{"GroupId": "sg-0aaa", "GroupName": "open"}],
            "PrivateIpAddresses": [{"Primary": True, "PrivateIpAddress": "10.0.1.10"}],
            "Ipv6Addresses": [],
        }]},
    }  # fmt: skip
    paths = {}
    for name, document in documents.items():
        paths[name] = folder / name
        paths[name].write_text(json.dumps(document))
    return paths


def _json(result: Any) -> list[dict[str, Any]]:
    assert result.code == 0, result.err
    return json.loads(result.out)  # type: ignore[no-any-return]


# -- 1: a region-less import and a regional one of the same account ----------------------------


def test_region_less_import_is_superseded_by_a_regional_one(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    files = _describe_files(tmp_path)
    lake = tmp_path / "lake"
    first = cli("config", "import", files["sg.json"], "--lake", lake)
    assert first.code == 0 and f"{ACCOUNT}/?" in first.err, first.err
    both = cli("config", "import", *files.values(), "--lake", lake)
    assert both.code == 0 and f"{ACCOUNT}/us-east-1" in both.err, both.err

    # each rule once: the regional snapshot replaces the region-less one
    (open_group,) = _json(cli("query", "sg-open-to-world", "--lake", lake, "--format", "json"))
    assert (open_group["group_id"], open_group["open_ports"]) == ("sg-0aaa", "22")
    (covered,) = _json(cli("query", "sg-duplicate-rules", "--lake", lake, "--format", "json"))
    assert (covered["rule"], covered["covered_by"]) == (
        "tcp 22 from 10.0.0.0/16", "tcp 22 from 0.0.0.0/0",
    )  # fmt: skip
    engine = DuckDBEngine(Lake(str(lake)))
    assert engine.run("SELECT region, count(*) AS n FROM security_groups GROUP BY ALL").rows() == [
        {"region": "us-east-1", "n": 1}
    ]

    # from now on a region-less import of the same tables would never be read: refused
    again = cli("config", "import", files["sg.json"], "--lake", lake)
    one_line_error(again, 2, "do not say which region they describe")
    assert "for us-east-1: pass --region" in again.err
    named = cli("config", "import", files["sg.json"], "--lake", lake, "--region", "us-east-1")
    assert named.code == 0 and "unchanged since snapshot" in named.err, named.err


def test_athena_views_leave_out_a_superseded_region_less_import() -> None:
    """The Athena view, translated to DuckDB, over manifests of a region-less import of two
    accounts and a later regional one of the first: each group once."""
    import duckdb

    from flowlake.netconfig.ddl import config_tables_ddl

    statements = config_tables_ddl("s3://logs/flows", "net")
    view = next(
        s for s in statements if s.startswith('CREATE OR REPLACE VIEW "net"."security_groups"')
    )
    con = duckdb.connect()
    con.execute("CREATE SCHEMA net")
    con.execute(
        'CREATE TABLE net.config_snapshots ("snapshot" VARCHAR, "table" VARCHAR, '
        "account_id VARCHAR, region VARCHAR)"
    )
    con.execute(
        "INSERT INTO net.config_snapshots VALUES ('1', 'security_groups', 'a', ''), "
        "('1', 'security_groups', 'b', ''), ('2', 'security_groups', 'a', 'us-east-1')"
    )
    columns = ", ".join(f"{c} VARCHAR" for c in ["snapshot", "account_id", "region", "group_id",
                        "group_name", "vpc_id", "owner_id", "description", "name"])  # fmt: skip
    con.execute(
        f"CREATE TABLE net.security_groups_snapshots ({columns}, ingress_rules INTEGER, "
        "egress_rules INTEGER)"
    )
    con.execute(
        "INSERT INTO net.security_groups_snapshots (snapshot, account_id, region, group_id) "
        "VALUES ('1', 'a', '', 'sg-a'), ('1', 'b', '', 'sg-b'), ('2', 'a', 'us-east-1', 'sg-a')"
    )
    con.execute(sqlglot.transpile(view, read="athena", write="duckdb")[0])
    got = con.execute(
        "SELECT account_id, region, group_id FROM net.security_groups ORDER BY 1"
    ).fetchall()
    assert got == [("a", "us-east-1", "sg-a"), ("b", "", "sg-b")]


# -- 2: reject-attribution's `also` for an outbound request the outbound ACL drops -------------


def _acl_network(ec2: Any) -> dict[str, str]:
    """The tester's network: a custom ACL that lets in 80 and 22 and lets out 1024-2000 (tcp)
    and 53 (udp), on a subnet whose interface's group allows 443 in and 443 out only."""
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone="us-east-1a")
    subnet_id = subnet["Subnet"]["SubnetId"]
    acl = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    for number, egress, protocol, ports, cidr in (
        (100, False, "6", (80, 80), "0.0.0.0/0"),
        (110, False, "6", (22, 22), "10.0.0.0/16"),
        (100, True, "6", (1024, 2000), "0.0.0.0/0"),
        (120, True, "17", (53, 53), "0.0.0.0/0"),
    ):
        ec2.create_network_acl_entry(
            NetworkAclId=acl, RuleNumber=number, Protocol=protocol, RuleAction="allow",
            Egress=egress, CidrBlock=cidr, PortRange={"From": ports[0], "To": ports[1]},
        )  # fmt: skip
    current = ec2.describe_network_acls(
        Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}]
    )["NetworkAcls"][0]
    association = next(
        a["NetworkAclAssociationId"] for a in current["Associations"] if a["SubnetId"] == subnet_id
    )
    ec2.replace_network_acl_association(AssociationId=association, NetworkAclId=acl)
    group = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
             "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
             "IpRanges": [{"CidrIp": "10.0.0.0/16"}]},
        ],
    )  # fmt: skip
    ec2.revoke_security_group_egress(
        GroupId=group, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    )
    ec2.authorize_security_group_egress(
        GroupId=group,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                        "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )  # fmt: skip
    eni = ec2.create_network_interface(
        SubnetId=subnet_id, Groups=[group], PrivateIpAddress="10.0.1.10"
    )["NetworkInterface"]["NetworkInterfaceId"]
    return {"acl": acl, "group": group, "eni": eni}


def _flow_log(lake: Path, records: list[str]) -> None:
    folder = lake / f"AWSLogs/{ACCOUNT}/vpcflowlogs/us-east-1/2024/05/01"
    folder.mkdir(parents=True)
    header = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets "
    header += "bytes start end action log-status"
    body = "\n".join([header, *records]) + "\n"
    name = f"{ACCOUNT}_vpcflowlogs_us-east-1_fl-0abc_20240501T1005Z_aaaa.log.gz"
    (folder / name).write_bytes(gzip.compress(body.encode(), mtime=0))


@pytest.mark.s3
def test_also_follows_each_request_to_its_response(cli, s3, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ids = _acl_network(s3.client("ec2"))
    eni, acl = ids["eni"], ids["acl"]
    t = 1714557600
    _flow_log(tmp_path, [
        # out to 443: the group lets it out, the ACL's egress rules do not (1024-2000 only)
        f"2 {ACCOUNT} {eni} 10.0.1.10 1.1.1.1 33334 443 6 3 180 {t} {t + 50} REJECT OK",
        # out to 1500: the ACL lets it out, the group does not; its answer would not get in
        f"2 {ACCOUNT} {eni} 10.0.1.10 1.1.1.1 33335 1500 6 3 180 {t} {t + 50} REJECT OK",
        # in to 80 (the ACL allows it, the group does not); its answer would not get out
        f"2 {ACCOUNT} {eni} 198.51.100.7 10.0.1.10 40000 80 6 3 180 {t} {t + 50} REJECT OK",
        # out to 1500 accepted, its answer dropped coming back in
        f"2 {ACCOUNT} {eni} 10.0.1.10 1.1.1.2 33336 1500 6 3 180 {t} {t + 50} ACCEPT OK",
        f"2 {ACCOUNT} {eni} 1.1.1.2 10.0.1.10 1500 33336 6 3 180 {t} {t + 50} REJECT OK",
    ])  # fmt: skip
    snapshot = cli(
        "config", "snapshot", "--lake", tmp_path, "--regions", "us-east-1",
        "--endpoint-url", s3.endpoint,
    )  # fmt: skip
    assert snapshot.code == 0, snapshot.err
    rows = _json(cli("query", "reject-attribution", "--lake", tmp_path, "--format", "json"))
    found = {(r["peer_address"], r["port"], r["leg"]): r for r in rows}
    star_in = f"{acl} rule * (32767) DENY all from 0.0.0.0/0"
    star_out = f"{acl} rule * (32767) DENY all to 0.0.0.0/0"

    https = found[("1.1.1.1", 443, "request")]
    assert (https["direction"], https["blocked_by"], https["rule"]) == (
        "outbound", "nacl-outbound", star_out,
    )  # fmt: skip
    assert https["also"] == f"the response would then be dropped: {star_in}"
    # the symmetric cases, which said so already
    outbound = found[("1.1.1.1", 1500, "request")]
    assert outbound["blocked_by"] == "security-group-outbound"
    assert outbound["also"] == f"the response would then be dropped: {star_in}"
    inbound = found[("198.51.100.7", 80, "request")]
    assert inbound["blocked_by"] == "security-group-inbound"
    assert inbound["also"] == f"the response would then be dropped: {star_out}"
    # a response dropped on its way in: its request went out, it was not "let in"
    answer = found[("1.1.1.2", 1500, "response")]
    assert (answer["direction"], answer["blocked_by"]) == ("inbound", "nacl-inbound")
    assert (
        answer["also"]
        == f"the request was let out by {acl} rule 100 ALLOW tcp 1024-2000 to 0.0.0.0/0"
    )


# -- 3: scope values and table formats checked --------------------------------------------------


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--account", "abc"], "account id 'abc': an AWS account id is 12 digits"),
        (["--region", "Europe"], "region 'Europe' is not an AWS region name"),
    ],
)
def test_import_checks_account_and_region(  # type: ignore[no-untyped-def]
    cli, tmp_path: Path, option: list[str], message: str
) -> None:
    files = _describe_files(tmp_path)
    result = cli("config", "import", files["sg.json"], "--lake", tmp_path / "lake", *option)
    one_line_error(result, 2, message)
    assert not (tmp_path / "lake" / "config").exists()


@pytest.mark.s3
def test_ddl_format_must_be_what_the_files_are(cli, s3, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    for bucket, kind in (("text-files", "text"), ("parquet-files", "parquet")):
        sample = write_sample_lake(tmp_path / bucket, hours=1, file_format=kind)
        upload_folder(s3, sample.root, bucket, "logs/")

    def ddl(bucket: str, *args: str) -> Any:
        return cli(
            "athena", "ddl", "--lake", f"s3://{bucket}/logs", "--endpoint-url", s3.endpoint, *args
        )

    one_line_error(
        ddl("parquet-files", "--format", "text"), 2,
        "a text table cannot read the flow logs in s3://parquet-files/logs/AWSLogs/: they are "
        "parquet (leave --format out)",
    )  # fmt: skip
    one_line_error(ddl("text-files", "--format", "parquet"), 2, "they are text")
    # --fields skips reading a file, not listing one: a Parquet lake still gets a Parquet table
    one_line_error(
        ddl("parquet-files", "--format", "text", "--fields", "version srcaddr"), 2, "are parquet"
    )
    fields = ddl("parquet-files", "--fields", "version srcaddr dstaddr start")
    assert fields.code == 0 and "STORED AS PARQUET" in fields.out, fields.err
    agreeing = ddl("parquet-files", "--format", "parquet")
    assert agreeing.code == 0 and "STORED AS PARQUET" in agreeing.out, agreeing.err


# -- 4: missing and invalid buckets, Ctrl-C ---------------------------------------------------


@pytest.fixture(scope="module")
def raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_sample_lake(tmp_path_factory.mktemp("raw"), hours=1).root


@pytest.mark.s3
def test_missing_destination_bucket_is_named(cli, s3, raw: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("compact", "--lake", raw, "--to", "s3://nobucket/x", "--endpoint-url", s3.endpoint)
    one_line_error(result, 1, "s3://nobucket/x/: bucket does not exist")


@pytest.mark.s3
@pytest.mark.parametrize("bucket", ["bad!bucket", "Bad_Bucket", "ab"])
def test_invalid_bucket_names_are_named(cli, s3, raw: Path, bucket: str) -> None:  # type: ignore[no-untyped-def]
    s3.requests.clear()
    result = cli(
        "compact", "--lake", raw, "--to", f"s3://{bucket}/x", "--endpoint-url", s3.endpoint
    )
    one_line_error(result, 1, f"s3://{bucket}/x/: {bucket!r} is not a valid bucket name")
    if bucket == "bad!bucket":  # no bucket ever had such a name: refused before any request
        assert s3.requests == []
    query = cli("query", "flows", "--lake", f"s3://{bucket}/x", "--endpoint-url", s3.endpoint)
    one_line_error(query, 1, "is not a valid bucket name")
    # a name an older us-east-1 bucket may have is tried: unreachable, the name is blamed too
    unreachable = cli(
        "compact", "--lake", raw, "--to", f"s3://{bucket}/x", "--endpoint-url", "http://127.0.0.1:9"
    )
    one_line_error(unreachable, 1, "is not a valid bucket name")


# ~3 s of work for DuckDB: a Ctrl-C it missed fails the test instead of hanging it
LONG_QUERY = "SELECT sum(range) FROM range(1000000000)"


def _interrupt_soon() -> threading.Timer:
    """Ctrl-C as the terminal sends it: SIGINT to this process, a moment from now."""
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    return timer


def test_ctrl_c_in_a_query_says_interrupted(cli, monkeypatch, raw: Path) -> None:  # type: ignore[no-untyped-def]
    real_run = DuckDBEngine.run

    def long_query(self: DuckDBEngine, sql: str, **kwargs: Any) -> Any:
        self.connect()  # the lake's views first: the signal must land in the query
        timer = _interrupt_soon()  # DuckDB stops the query and raises "Query interrupted"
        try:
            return real_run(self, LONG_QUERY, **kwargs)
        finally:
            timer.cancel()

    monkeypatch.setattr(DuckDBEngine, "run", long_query)
    result = cli("query", "reject-by-port", "--lake", raw)
    assert (result.code, result.err) == (130, "flowlake: interrupted\n")


def test_ctrl_c_in_compact_says_interrupted(cli, monkeypatch, tmp_path: Path, raw: Path) -> None:  # type: ignore[no-untyped-def]
    import duckdb

    import flowlake.compact

    def long_batch(*args: Any, **kwargs: Any) -> Any:
        timer = _interrupt_soon()
        try:
            duckdb.connect().execute(LONG_QUERY)
        finally:
            timer.cancel()

    monkeypatch.setattr(flowlake.compact, "compact", long_batch)
    result = cli("compact", "--lake", raw, "--to", tmp_path / "out")
    assert (result.code, result.err) == (130, "flowlake: interrupted\n")

    def keyboard_interrupt(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt  # between DuckDB calls: typer returns it as 130

    monkeypatch.setattr(flowlake.compact, "compact", keyboard_interrupt)
    result = cli("compact", "--lake", raw, "--to", tmp_path / "out")
    assert (result.code, result.err) == (130, "flowlake: interrupted\n")
