"""A compacted lake answers every query as its raw lake does (the catalogue, the Insights queries,
diagnose): compaction copies the network-config snapshots and CloudTrail logs beside the flow
logs (flowlake.compact.companions)."""

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from flowlake import sample_lake as sl
from flowlake.catalog import catalog
from flowlake.netconfig.sample import write_sample_network

from .conftest import upload_folder
from .helpers import parse_json
from .test_insights import ALL_QUERIES as ALL_INSIGHTS

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
WINDOW = ["--since", "2024-05-01T08:00Z", "--until", "2024-05-01T12:00Z"]
REPORT = "copied {} network-config file(s) and {} CloudTrail file(s)"


@pytest.fixture(scope="module")
def raw(tmp_path_factory: pytest.TempPathFactory) -> sl.SampleLake:
    sample = sl.write_sample_lake(tmp_path_factory.mktemp("raw"), now=NOW, hours=3)
    write_sample_network(sample.root, sample.expected)  # config snapshots and CloudTrail files
    return sample


def files_under(root: Path, *prefixes: str) -> dict[str, int]:
    """Key -> size of the files under `prefixes` (config/, AWSLogs/<account>/CloudTrail/)."""
    found = {}
    for prefix in prefixes:
        for path in root.glob(prefix):
            for f in path.rglob("*") if path.is_dir() else [path]:
                if f.is_file():
                    found[f.relative_to(root).as_posix()] = f.stat().st_size
    return found


def companions(root: Path) -> dict[str, int]:
    return files_under(root, "config", "AWSLogs/*/CloudTrail")


def answers(cli: Any, lake: Path | str, *extra: str) -> dict[str, tuple[int, Any]]:
    """Every catalogue query's exit code and JSON rows (its example parameters)."""
    out = {}
    for name, spec in sorted(catalog().items()):
        params = [a for k, v in spec.example_params().items() for a in ("-p", f"{k}={v}")]
        result = cli("query", name, "--lake", lake, "-f", "json", *params, *WINDOW, *extra)
        out[name] = (result.code, parse_json(result.out) if result.code == 0 else result.err)
    return out


def test_every_query_answers_the_same_on_the_compacted_lake(
    raw: sl.SampleLake, tmp_path: Path, cli
) -> None:  # type: ignore[no-untyped-def]
    dest = tmp_path / "compacted"
    result = cli("compact", "--lake", raw.root, "--to", dest)
    assert result.code == 0, result.err
    copied = companions(raw.root)
    config = sum(k.startswith("config/") for k in copied)
    assert config and len(copied) > config  # the sample has both
    assert REPORT.format(config, len(copied) - config) in result.out
    assert companions(dest) == copied

    expected = answers(cli, raw.root)
    assert all(code == 0 for code, _ in expected.values()), expected
    needs_config = [n for n, spec in catalog().items() if spec.tables]
    assert len(needs_config) >= 10 and any(expected[n][1] for n in needs_config)
    assert answers(cli, dest) == expected

    answered = 0
    for name, (insights, _) in sorted(ALL_INSIGHTS.items()):  # the seeds' and AWS's queries
        run = ["insights", insights, "-f", "json", *WINDOW]
        on_raw, on_copy = cli(*run, "--lake", raw.root), cli(*run, "--lake", dest)
        assert on_raw.code == 0 and on_copy.out == on_raw.out, name
        answered += bool(parse_json(on_raw.out))
    assert answered > len(ALL_INSIGHTS) // 2

    diagnose = ["diagnose", "--src", "192.0.2.10", "--dst", "10.0.1.10", "--port", "80", *WINDOW]
    on_raw = cli(*diagnose, "--lake", raw.root)
    # the rule from the config tables, the change that removed it from CloudTrail
    assert "no security-group rule" in on_raw.out and "RevokeSecurityGroupIngress" in on_raw.out
    assert cli(*diagnose, "--lake", dest).out == on_raw.out

    again = cli("compact", "--lake", raw.root, "--to", dest)
    assert again.code == 0 and "copied" not in again.out, again.out


def test_a_run_killed_while_copying_is_completed_by_the_rerun(
    raw: sl.SampleLake, tmp_path: Path, cli
) -> None:  # type: ignore[no-untyped-def]
    """A snapshot is read once its manifest is there: without it, the copy's parts are unused."""
    dest = tmp_path / "compacted"
    assert cli("compact", "--lake", raw.root, "--to", dest).code == 0
    # as a run killed before it published the snapshot manifests and one CloudTrail file
    shutil.rmtree(dest / "config/_snapshots")
    trail = sorted(k for k in companions(dest) if "/CloudTrail/" in k)[0]
    (dest / trail).unlink()
    half = cli("query", "sg-open-to-world", "--lake", dest)
    assert half.code == 1 and "needs the network config table" in half.err

    checked = cli("compact", "--lake", raw.root, "--to", dest, "--verify")
    assert checked.code == 0 and "CloudTrail file(s) not copied yet" in checked.err, checked.err

    manifests = len(files_under(raw.root, "config/_snapshots"))
    rerun = cli("compact", "--lake", raw.root, "--to", dest)
    assert rerun.code == 0, rerun.err
    assert REPORT.format(manifests, 1) in rerun.out
    assert companions(dest) == companions(raw.root)
    assert cli("query", "sg-open-to-world", "--lake", dest).code == 0

    # a copy that is not what the lake holds is a difference
    (dest / trail).write_bytes(b"{}")
    differs = cli("compact", "--lake", raw.root, "--to", dest, "--verify")
    assert differs.code == 1 and f"DIFFERENT {trail}" in differs.out, differs.out


def test_cloudtrail_days_follow_the_window(raw: sl.SampleLake, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    """--since/--until copy the CloudTrail days a query of that window reads; config always."""
    trails = sorted(k for k in companions(raw.root) if "/CloudTrail/" in k)
    days = sorted({"/".join(k.split("/")[-4:-1]) for k in trails})
    assert days == ["2024/05/01"]  # the sample's changes, all on its one day
    dest = tmp_path / "compacted"
    later = ["--since", "2024-05-03T00:00Z", "--until", "2024-05-04T00:00Z"]
    result = cli("compact", "--lake", raw.root, "--to", dest, *later)
    assert result.code == 0, result.err
    assert not any("/CloudTrail/" in k for k in companions(dest))
    assert files_under(dest, "config") == files_under(raw.root, "config")

    # the day after the sample's: a query from it reads the day before too
    after = (NOW + timedelta(days=1)).strftime("%Y-%m-%dT00:00Z")
    result = cli("compact", "--lake", raw.root, "--to", dest, "--since", after)
    assert result.code == 0, result.err
    assert REPORT.format(0, len(trails)) in result.out


@pytest.mark.s3
def test_s3_to_s3_copies_config_and_cloudtrail(raw: sl.SampleLake, cli, s3) -> None:  # type: ignore[no-untyped-def]
    # the config and CloudTrail, and one flow log's files: moto's round trips stay few
    one = "AWSLogs/111122223333/vpcflowlogs/us-east-1/"
    upload_folder(s3, raw.root / one, "raw-logs", f"flow/{one}")
    for prefix, size in companions(raw.root).items():
        s3.client("s3").upload_file(str(raw.root / prefix), "raw-logs", f"flow/{prefix}")
        assert size
    s3.client("s3").create_bucket(Bucket="compacted")
    common = ["--endpoint-url", s3.endpoint]
    src, dest = "s3://raw-logs/flow/", "s3://compacted/vpc/"
    result = cli("compact", "--lake", src, "--to", dest, *common)
    assert result.code == 0, result.err
    listed = s3.client("s3").list_objects_v2(Bucket="compacted")["Contents"]
    copied = {o["Key"].removeprefix("vpc/"): o["Size"] for o in listed}
    assert companions(raw.root).items() <= copied.items()

    for query in ("sg-open-to-world", "config-changes"):
        on_s3 = cli("query", query, "--lake", dest, "-f", "json", *WINDOW, *common)
        on_raw = cli("query", query, "--lake", src, "-f", "json", *WINDOW, *common)
        assert on_s3.code == on_raw.code == 0, on_s3.err + on_raw.err
        assert parse_json(on_s3.out) == parse_json(on_raw.out) != []

    # and Athena's config tables for the copy read its own config
    ddl = cli("athena", "ddl", "--lake", dest, "--config", *common)
    assert ddl.code == 0, ddl.err
    assert "LOCATION 's3://compacted/vpc/config/security_group_rules/'" in ddl.out


def test_a_lake_that_is_the_awslogs_folder(raw: sl.SampleLake, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    """`--lake .../AWSLogs`: its trail is `<account>/CloudTrail/`, and goes under the compacted
    lake's own AWSLogs/, where queries of it look."""
    lake, dest = raw.root / "AWSLogs", tmp_path / "compacted"
    result = cli("compact", "--lake", lake, "--to", dest)
    assert result.code == 0, result.err
    trails = files_under(raw.root, "AWSLogs/*/CloudTrail")
    assert trails and files_under(dest, "AWSLogs/*/CloudTrail") == trails
    changes = ["query", "config-changes", "-f", "json", *WINDOW]
    on_raw = cli(*changes, "--lake", lake)
    assert on_raw.code == 0 and parse_json(on_raw.out), on_raw.err
    assert cli(*changes, "--lake", dest).out == on_raw.out
    assert "copied" not in cli("compact", "--lake", lake, "--to", dest).out


@pytest.mark.s3
def test_a_file_that_cannot_be_read_is_a_warning(raw: sl.SampleLake, cli, s3) -> None:  # type: ignore[no-untyped-def]
    """Old trail objects are often lifecycled to Glacier, where a GET fails: the flow logs are
    committed, the rest copied, and the next run tries again (an error with --strict). A
    snapshot with a part not copied is not committed in the copy."""
    client = s3.client("s3")
    client.create_bucket(Bucket="raw-logs")
    client.create_bucket(Bucket="compacted")
    held = sorted(companions(raw.root))
    trail = next(k for k in held if "/CloudTrail/" in k)
    part = next(k for k in held if k.startswith("config/security_groups/"))
    snapshot = part.split("snapshot=")[1].split("/")[0]
    for key in held:
        glacier = {"StorageClass": "GLACIER"} if key in (trail, part) else {}
        client.upload_file(str(raw.root / key), "raw-logs", key, ExtraArgs=glacier)
    common = ["--endpoint-url", s3.endpoint]
    src, dest = "s3://raw-logs/", "s3://compacted/"
    strict = cli("compact", "--lake", src, "--to", dest, "--strict", *common)
    assert strict.code == 1 and "cannot copy" in strict.err, strict.err

    result = cli("compact", "--lake", src, "--to", dest, *common)
    assert result.code == 0, result.err
    assert "2 network-config or CloudTrail file(s) not copied" in result.err
    listed = client.list_objects_v2(Bucket="compacted")["Contents"]
    copied = {o["Key"] for o in listed}
    withheld = {k for k in held if snapshot in k}  # the snapshot's parts and its manifest
    assert f"config/_snapshots/{snapshot}.json" in withheld
    assert copied & set(held) == set(held) - withheld - {trail}


def test_the_trail_is_copied_for_the_days_of_the_flow_logs(
    raw: sl.SampleLake, tmp_path: Path, cli
) -> None:  # type: ignore[no-untyped-def]
    """A trail holds years of every API call: without --since, only the days around the
    compacted flow logs are copied (the flow logs are all of 2024-05-01)."""
    lake, dest = tmp_path / "raw", tmp_path / "compacted"
    shutil.copytree(raw.root, lake)
    trail = "AWSLogs/111122223333/CloudTrail/us-east-1"
    for day in ("2024/03/01", "2024/04/29", "2024/05/02", "2024/05/03"):
        (lake / trail / day).mkdir(parents=True)
        (lake / trail / day / "calls.json.gz").write_bytes(b"")
    result = cli("compact", "--lake", lake, "--to", dest)
    assert result.code == 0, result.err
    copied = {"/".join(k.split("/")[-4:-1]) for k in companions(dest) if "/CloudTrail/" in k}
    assert copied == {"2024/04/29", "2024/05/01", "2024/05/02"}
    checked = cli("compact", "--lake", lake, "--to", dest, "--verify")
    assert checked.code == 0 and "not copied yet" not in checked.err, checked.err
