"""CloudTrail's network changes (`cloudtrail_events`) and config-changes: the revoke behind the
web outage, from CloudTrail files in the lake or in moto's S3."""

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from flowlake import sample_lake as s
from flowlake.api import run_query
from flowlake.lake import Lake
from flowlake.netconfig import sample as net
from flowlake.timewindow import TimeWindow
from tests.conftest import upload_folder
from tests.helpers import iso, parse_json


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> s.SampleLake:
    sample = s.write_sample_lake(tmp_path_factory.mktemp("lake"), hours=6)
    net.write_sample_network(sample.root, sample.expected)
    return sample


def changes(lake: s.SampleLake, **params: str) -> list[dict[str, Any]]:
    window = TimeWindow(lake.start, lake.end)
    return run_query("config-changes", params, Lake(str(lake.root), window=window)).result.rows()


def test_the_revoke_explains_the_web_outage(lake: s.SampleLake) -> None:
    rows = changes(lake)
    expected = lake.expected
    names = [r["event_name"] for r in rows]
    assert names == [
        "AuthorizeSecurityGroupIngress",
        "CreateNetworkAclEntry",
        "RevokeSecurityGroupIngress",
        "RevokeSecurityGroupIngress",  # the failed one: listed, not blamed
        "DeleteRoute",
    ]  # DescribeSecurityGroups is no change
    revoke = rows[2]
    assert revoke["resource_id"] == net.SG_WEB and revoke["user_arn"] == net.CHANGE_USER
    assert revoke["change"] == "revoke ingress tcp 80 from 0.0.0.0/0"
    assert revoke["event_time"] == expected.change_at - timedelta(seconds=30)
    assert revoke["explains"] == f"{s.WEB_ADDR} tcp/{s.WEB_PORT} on {s.WEB_ENI}"
    assert revoke["last_accept_at"] == expected.web_last_accept
    assert revoke["changed_at"] == expected.web_first_reject
    failed = rows[3]
    assert failed["error_code"] == "Client.UnauthorizedOperation" and failed["explains"] is None
    assert (
        rows[4]["change"] == "delete route 0.0.0.0/0" and rows[4]["resource_id"] == net.RTB_PRIVATE
    )
    # the bastion's attacker was never let in: no outage there, nothing else is explained
    assert [r["explains"] for r in rows if r["explains"]] == [revoke["explains"]]


def test_parameters_and_window(lake: s.SampleLake) -> None:
    only = changes(lake, resource_id=net.SG_WEB)
    assert [r["event_name"] for r in only] == ["RevokeSecurityGroupIngress"] * 2
    # a window that starts after the outage began: only the later change is listed
    after = TimeWindow(lake.expected.change_at + timedelta(minutes=5), lake.end)
    late = run_query("config-changes", {}, Lake(str(lake.root), window=after)).result.rows()
    assert [r["event_name"] for r in late] == ["DeleteRoute"]


def test_an_outage_with_no_change_in_cloudtrail_says_so(tmp_path: Path) -> None:
    sample = s.write_sample_lake(tmp_path, hours=6)
    net.write_sample_config(tmp_path, now=sample.end)
    (tmp_path / "AWSLogs/111122223333/CloudTrail/us-east-1").mkdir(parents=True)  # no files
    rows = run_query("config-changes", {}, Lake(str(tmp_path))).result.rows()
    (row,) = rows
    assert row["event_name"] is None and row["event_time"] == sample.expected.web_first_reject
    assert row["change"] == (
        f"no network change in CloudTrail before traffic to {s.WEB_ADDR} port 80 was rejected"
    )


def test_no_cloudtrail_is_a_clear_error(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    s.write_sample_lake(tmp_path, hours=1)
    result = cli("query", "config-changes", "--lake", tmp_path, "--since", "1h")
    assert result.code == 1
    assert "no CloudTrail logs under" in result.err and "FLOWLAKE_CLOUDTRAIL" in result.err
    assert len(result.err.strip().splitlines()) == 1


@pytest.mark.s3
def test_cloudtrail_in_moto_s3_beside_a_local_lake(  # type: ignore[no-untyped-def]
    tmp_path: Path, cli, s3, monkeypatch
) -> None:
    flows = tmp_path / "flows"
    sample = s.write_sample_lake(flows, hours=6)
    net.write_sample_config(flows, now=sample.end)
    trail = tmp_path / "trail"
    net.write_sample_cloudtrail(trail, sample.expected)
    upload_folder(s3, trail, "org-trail", "cloudtrail/")
    monkeypatch.setenv("FLOWLAKE_CLOUDTRAIL", "s3://org-trail/cloudtrail/")
    monkeypatch.setenv("FLOWLAKE_ENDPOINT_URL", s3.endpoint)
    result = cli(
        "query", "config-changes", "--lake", flows, "-p", f"resource_id={net.SG_WEB}",
        "--since", iso(sample.start), "--until", iso(sample.end), "-f", "json",
    )  # fmt: skip
    assert result.code == 0, result.err
    rows = parse_json(result.out)
    assert [(r["event_name"], r["error_code"]) for r in rows] == [
        ("RevokeSecurityGroupIngress", None),
        ("RevokeSecurityGroupIngress", "Client.UnauthorizedOperation"),
    ]
    assert rows[0]["explains"] == f"{s.WEB_ADDR} tcp/80 on {s.WEB_ENI}"
    assert rows[0]["event_time"] == iso(sample.expected.change_at - timedelta(seconds=30))
