"""`flowlake config import`: saved describe-* output in, flattened tables out; bad input is one
line naming the file; writes are atomic and idempotent."""

import json
from pathlib import Path
from typing import Any

import pytest

from flowlake import sample_lake as s
from flowlake.engines.duckdb import DuckDBEngine
from flowlake.lake import Lake
from flowlake.netconfig import sample as net
from flowlake.netconfig import storage


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], list[Path]]:
    return net.save_documents(tmp_path_factory.mktemp("describe"))


def rows(lake: Path, sql: str) -> list[dict[str, Any]]:
    engine = DuckDBEngine(Lake(str(lake)))
    return engine.run(sql).rows()


def manifests(lake: Path) -> list[Path]:
    folder = lake / "config" / "_snapshots"
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def test_import_flattens_every_document(tmp_path: Path, cli, saved) -> None:  # type: ignore[no-untyped-def]
    result = cli("config", "import", *saved[net.A_US], "--lake", tmp_path)
    assert result.code == 0, result.err
    assert "snapshot" in result.err and "111122223333/us-east-1" in result.err
    counts = dict(line.split() for line in result.out.splitlines())
    assert counts["security_groups"] == "8" and counts["nat_gateways"] == "2"

    # sg-db: one row per (direction, protocol, ports, peer), descriptions kept
    db = rows(
        tmp_path,
        f"SELECT direction, protocol, protocol_number, from_port, to_port, cidr_ipv4, description "
        f"FROM security_group_rules WHERE group_id = '{net.SG_DB}' ORDER BY direction, cidr_ipv4",
    )
    assert db == [
        {"direction": "egress", "protocol": "-1", "protocol_number": -1, "from_port": None,
         "to_port": None, "cidr_ipv4": "0.0.0.0/0", "description": None},
        {"direction": "ingress", "protocol": "tcp", "protocol_number": 6, "from_port": 3306,
         "to_port": 3306, "cidr_ipv4": "10.0.2.0/24", "description": "app tier"},
        {"direction": "ingress", "protocol": "tcp", "protocol_number": 6, "from_port": 3306,
         "to_port": 3306, "cidr_ipv4": "10.0.2.15/32", "description": "app-1 (old)"},
    ]  # fmt: skip
    (api,) = rows(
        tmp_path,
        f"SELECT referenced_group_id, referenced_owner_id FROM security_group_rules "
        f"WHERE group_id = '{net.SG_API}' AND direction = 'ingress'",
    )
    assert api == {"referenced_group_id": net.SG_APP, "referenced_owner_id": s.ACCOUNT_A}

    # acl-db: entries in rule order with the `*` rule, and its subnet
    entries = rows(
        tmp_path,
        f"SELECT egress, rule_number, rule_action, port_from, port_to, cidr_ipv4, "
        f"is_default_rule, subnet_ids FROM network_acl_entries WHERE network_acl_id = "
        f"'{net.ACL_DB}' ORDER BY egress, rule_number",
    )
    assert [(e["egress"], e["rule_number"], e["rule_action"]) for e in entries] == [
        (False, 100, "allow"), (False, 32767, "deny"),
        (True, 100, "allow"), (True, 200, "deny"), (True, 250, "allow"), (True, 32767, "deny"),
    ]  # fmt: skip
    assert entries[3]["port_from"] == 32768 and entries[3]["port_to"] == 60999
    assert {e["subnet_ids"] for e in entries} == {s.SUBNET_DB}
    assert entries[-1]["is_default_rule"] and entries[-1]["cidr_ipv4"] == "0.0.0.0/0"

    # routes: the main table, targets typed, the prefix-list route of the S3 endpoint
    routes = rows(
        tmp_path,
        f"SELECT destination_cidr, destination_prefix_list_id, target_type, target_id "
        f"FROM route_table_routes WHERE route_table_id = '{net.RTB_APP}' ORDER BY 1, 2",
    )
    assert [(r["destination_cidr"] or r["destination_prefix_list_id"], r["target_type"],
             r["target_id"]) for r in routes] == [
        ("0.0.0.0/0", "nat-gateway", net.NAT_GW),
        ("10.0.0.0/16", "local", "local"),
        (net.S3_PREFIX_LIST, "vpc-endpoint", net.VPCE_S3),
        (None, "local", "local"),
    ]  # fmt: skip
    (main,) = rows(tmp_path, "SELECT route_table_id FROM route_table_associations WHERE is_main")
    assert main["route_table_id"] == net.RTB_MAIN

    # interfaces: addresses and groups one row each; the NAT gateway's has no group
    (web,) = rows(
        tmp_path,
        f"SELECT private_ip, public_ip, security_group_ids, instance_id, status, interface_type "
        f"FROM network_interfaces WHERE interface_id = '{s.WEB_ENI}'",
    )
    assert web == {"private_ip": s.WEB_ADDR, "public_ip": "54.210.7.10",
                   "security_group_ids": net.SG_WEB, "instance_id": s.WEB.instance,
                   "status": "in-use", "interface_type": "interface"}  # fmt: skip
    addresses = rows(
        tmp_path,
        "SELECT address, kind FROM network_interface_addresses "
        f"WHERE interface_id = '{s.IPV6_ENI}' ORDER BY kind",
    )
    assert addresses == [{"address": s.IPV6_HOST, "kind": "ipv6"},
                         {"address": "10.0.4.25", "kind": "private"}]  # fmt: skip
    (nat,) = rows(
        tmp_path,
        f"SELECT interface_id, state FROM nat_gateways WHERE nat_gateway_id = '{net.NAT_GW}'",
    )
    assert nat == {"interface_id": s.NAT_ENI, "state": "available"}
    scope = rows(tmp_path, "SELECT DISTINCT account_id, region FROM subnets")
    assert scope == [{"account_id": s.ACCOUNT_A, "region": s.US_EAST_1}]


def test_rerun_writes_nothing_and_scopes_add_up(tmp_path: Path, cli, saved) -> None:  # type: ignore[no-untyped-def]
    assert cli("config", "import", *saved[net.A_US], "--lake", tmp_path).code == 0
    first = manifests(tmp_path)
    parts = sorted((tmp_path / "config").rglob("part.parquet"))
    again = cli("config", "import", *saved[net.A_US], "--lake", tmp_path)
    assert again.code == 0 and "unchanged since snapshot" in again.err
    assert (
        manifests(tmp_path) == first
        and sorted((tmp_path / "config").rglob("part.parquet")) == parts
    )

    # another account's import adds to the first: both are in the views
    assert cli("config", "import", *saved[net.B_EU], "--lake", tmp_path).code == 0
    scopes = rows(
        tmp_path, "SELECT account_id, region, count(*) AS n FROM subnets GROUP BY ALL ORDER BY 1"
    )
    assert scopes == [{"account_id": s.ACCOUNT_A, "region": s.US_EAST_1, "n": 8},
                      {"account_id": s.ACCOUNT_B, "region": s.EU_WEST_1, "n": 4}]  # fmt: skip

    # a newer document of one scope replaces that scope only (here: a security group less)
    path = next(p for p in saved[net.A_US] if p.name == "describe-security-groups.json")
    document = json.loads(path.read_text())
    document["SecurityGroups"] = [
        g for g in document["SecurityGroups"] if g["GroupId"] != net.SG_BATCH
    ]
    changed = tmp_path / "describe-security-groups.json"
    changed.write_text(json.dumps(document))
    assert cli("config", "import", changed, "--lake", tmp_path, "--region", s.US_EAST_1).code == 0
    groups = rows(
        tmp_path, "SELECT account_id, count(*) AS n FROM security_groups GROUP BY ALL ORDER BY 1"
    )
    assert groups == [{"account_id": s.ACCOUNT_A, "n": 7}, {"account_id": s.ACCOUNT_B, "n": 4}]
    # the other tables of account A still come from its first snapshot
    assert rows(
        tmp_path, f"SELECT count(*) AS n FROM subnets WHERE account_id = '{s.ACCOUNT_A}'"
    ) == [{"n": 8}]


def test_a_crash_before_the_manifest_leaves_no_snapshot(tmp_path: Path, saved, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from flowlake.netconfig.collect import import_files

    real_put = storage.put

    def crash_on_manifest(store: Any, key: str, data: bytes) -> None:
        if key.startswith(storage.MANIFEST_DIR):
            raise KeyboardInterrupt  # the process dies between the parts and the commit
        real_put(store, key, data)

    monkeypatch.setattr(storage, "put", crash_on_manifest)
    with pytest.raises(KeyboardInterrupt):
        import_files(saved[net.A_US], str(tmp_path))
    assert list((tmp_path / "config").rglob("part.parquet"))  # parts were written ...
    assert manifests(tmp_path) == []  # ... but never committed
    assert rows(tmp_path, "SELECT count(*) AS n FROM security_group_rules") == [{"n": 0}]
    assert not list(tmp_path.rglob("*.tmp"))

    monkeypatch.setattr(storage, "put", real_put)
    done = import_files(saved[net.A_US], str(tmp_path))  # the rerun commits a whole snapshot
    assert done.written.snapshot and len(manifests(tmp_path)) == 1
    assert rows(tmp_path, "SELECT count(*) AS n FROM security_group_rules") == [{"n": 19}]


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("cut.json", '{"SecurityGroups": [{"GroupId": "sg-1", "IpPermi', "not valid JSON"),
        ("empty.json", "", "the file is empty"),
        ("other.json", '{"Buckets": []}', "not an `aws ec2 describe-*` output"),
        (
            "backup.json",  # the seeds' backup command keeps GroupId and IpPermissions only
            '[{"GroupId": "sg-123", "IpPermissions": []}]',
            "SecurityGroups[0] (sg-123): has no IpPermissionsEgress: save the full output of",
        ),
        (
            "names.json",  # a --query that kept only names
            '[{"Name": "web"}]',
            "a list whose items are not of any",
        ),
        (
            "partial.json",
            '{"SecurityGroups": [{"GroupId": "sg-123", "IpPermissions": []}]}',
            "SecurityGroups[0] (sg-123): has no IpPermissionsEgress",
        ),
        (
            "badcidr.json",
            '{"NetworkAcls": [{"NetworkAclId": "acl-1", "VpcId": "vpc-1", "Entries": ['
            '{"RuleNumber": 10, "Egress": false, "Protocol": "6", "RuleAction": "allow", '
            '"CidrBlock": "10.0.0.300/8", "PortRange": {"From": 22, "To": 22}}]}]}',
            "Entries[0]: CidrBlock '10.0.0.300/8' is not a CIDR",
        ),
        (
            "badrule.json",
            '{"NetworkAcls": [{"NetworkAclId": "acl-1", "Entries": [{"RuleNumber": "ten", '
            '"Egress": false, "Protocol": "6", "RuleAction": "allow", '
            '"CidrBlock": "0.0.0.0/0"}]}]}',
            "RuleNumber is 'ten', expected a whole number",
        ),
        (
            "list.json",
            '{"Subnets": {"SubnetId": "subnet-1"}}',
            "Subnets is an object, expected a list",
        ),
    ],
)
def test_bad_input_is_one_line_naming_the_file(  # type: ignore[no-untyped-def]
    tmp_path: Path, cli, saved, name: str, content: str, message: str
) -> None:
    bad = _write(tmp_path / name, content)
    good = saved[net.A_US][0]
    result = cli("config", "import", good, bad, "--lake", tmp_path / "lake")
    assert result.code == 1, result.err
    assert result.err.startswith(f"flowlake: error: {bad}: "), result.err
    assert message in result.err and len(result.err.strip().splitlines()) == 1
    assert "Traceback" not in result.err
    assert manifests(tmp_path / "lake") == []  # the good file was not written either


def test_missing_file_and_missing_lake(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("config", "import", tmp_path / "nope.json", "--lake", tmp_path)
    assert result.code == 1 and f"{tmp_path / 'nope.json'}: no such file" in result.err
    result = cli("config", "import", tmp_path / "nope.json")
    assert result.code == 2 and "no lake given" in result.err


def test_queries_without_config_say_what_to_run(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    lake = s.write_sample_lake(tmp_path, hours=1)
    result = cli("query", "reject-attribution", "--lake", lake.root)
    assert result.code == 1
    assert "needs the network config table(s) network_interfaces" in result.err
    assert "flowlake config snapshot --lake" in result.err and "config import" in result.err


def test_scope_options_and_mixed_regions(tmp_path: Path, cli, saved) -> None:  # type: ignore[no-untyped-def]
    groups = next(p for p in saved[net.A_US] if p.name == "describe-security-groups.json")
    result = cli(
        "config", "import", groups, "--lake", tmp_path, "--account", "999988887777",
        "--region", "ap-south-1",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert "999988887777/ap-south-1" in result.err
    scope = rows(tmp_path, "SELECT DISTINCT account_id, region FROM security_groups")
    assert scope == [{"account_id": "999988887777", "region": "ap-south-1"}]
    # describe-security-groups says no region: '' unless given, and other tables stay empty
    assert cli("config", "import", groups, "--lake", tmp_path / "b").code == 0
    assert rows(tmp_path / "b", "SELECT DISTINCT region FROM security_groups") == [{"region": ""}]
    assert rows(tmp_path / "b", "SELECT count(*) AS n FROM subnets") == [{"n": 0}]
    # subnets of two regions in one import: each region is its own scope
    a = next(p for p in saved[net.A_US] if p.name == "describe-subnets.json")
    b = next(p for p in saved[net.B_EU] if p.name == "describe-subnets.json")
    result = cli("config", "import", a, b, "--lake", tmp_path / "c")
    assert result.code == 2 and "span regions eu-west-1, us-east-1" in result.err
