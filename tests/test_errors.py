"""Bad input gets one clear line on stderr and a non-zero exit, never a traceback."""

import gzip
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from flowlake.registry import DEFAULT_FORMAT
from flowlake.sample_lake import write_sample_lake

from .conftest import MotoServer, upload_folder
from .helpers import one_line_error, parse_json

HEADER = " ".join(DEFAULT_FORMAT)
GOOD = "2 111122223333 eni-1 203.0.113.9 10.0.0.5 40000 22 6 1 40 1700000000 1700000030 REJECT OK"


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_sample_lake(tmp_path_factory.mktemp("lake"), hours=1).root


def test_unknown_query(cli, lake: Path) -> None:  # type: ignore[no-untyped-def]
    one_line_error(
        cli("query", "reject-by-prot", "--lake", lake), 2, "unknown query 'reject-by-prot'"
    )
    one_line_error(cli("sql", "nope"), 2, "unknown query")
    one_line_error(cli("show", "nope"), 2, "unknown query")


def test_unknown_parameter_and_bad_values(cli, lake: Path) -> None:  # type: ignore[no-untyped-def]
    one_line_error(
        cli("query", "reject-by-port", "--lake", lake, "-p", "prot=6"), 2, "no parameter 'prot'"
    )
    one_line_error(cli("query", "reject-by-port", "--lake", lake, "-p", "port=99999"), 2, "port")
    one_line_error(cli("sql", "recent-rejects", "-p", "srcaddr=10.0.0.300"), 2, "srcaddr")
    one_line_error(cli("sql", "recent-rejects", "-p", "srcaddr"), 2, "NAME=VALUE")
    one_line_error(cli("query", "reject-by-port", "--lake", lake, "--since", "soon"), 2, "soon")
    one_line_error(cli("sql", "reject-by-port", "--dialect", "oracle"), 2, "oracle")
    one_line_error(cli("query", "reject-by-port", "--lake", lake, "-f", "xml"), 2, "xml")


def test_no_lake_given(cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    one_line_error(cli("query", "reject-by-port"), 2, "--lake")
    one_line_error(
        cli("query", "reject-by-port", "--lake", tmp_path / "missing"), 1, "does not exist"
    )


def test_malformed_lines_are_skipped_and_counted_or_fail_with_strict(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    lines = [
        HEADER,
        GOOD,
        "2 111122223333 eni-1 garbage",
        GOOD,
        "2 x y z 1 2 ssh 4 5 6 7 8 9 10",
        GOOD,
    ]
    (tmp_path / "a.log.gz").write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    result = cli("query", "reject-by-port", "--lake", tmp_path, "-f", "json")
    assert result.code == 0
    assert parse_json(result.out)[0]["rejects"] == 3
    assert "skipped 2 malformed line(s) in" in result.err and "a.log.gz (line 3, 5)" in result.err

    strict = cli("query", "reject-by-port", "--lake", tmp_path, "--strict")
    one_line_error(strict, 1, "a.log.gz", "line 3")
    assert strict.out == ""


def test_corrupt_gzip_is_named_and_skipped_unless_strict(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "good.log.gz").write_bytes(gzip.compress(f"{HEADER}\n{GOOD}\n".encode()))
    (tmp_path / "bad.log.gz").write_bytes(
        gzip.compress(f"{HEADER}\n{GOOD}\n".encode()) + b"trailing junk"
    )
    result = cli("query", "reject-by-port", "--lake", tmp_path, "-f", "json")
    assert result.code == 0, result.err
    assert parse_json(result.out)[0]["rejects"] == 1
    assert "warning: skipped" in result.err and "bad.log.gz" in result.err
    one_line_error(cli("query", "reject-by-port", "--lake", tmp_path, "--strict"), 1, "bad.log.gz")


def test_truncated_gzip_is_named_as_truncated(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    """A download cut short: DuckDB reads up to the cut, and the cut line says why."""
    whole = gzip.compress(("\n".join([HEADER] + [GOOD] * 2000) + "\n").encode(), mtime=0)
    (tmp_path / "cut.log.gz").write_bytes(whole[: len(whole) // 2])
    result = cli("query", "reject-by-port", "--lake", tmp_path, "-f", "json")
    assert result.code == 0, result.err
    assert 0 < parse_json(result.out)[0]["rejects"] < 2000
    assert "cut.log.gz" in result.err and "the file is truncated" in result.err
    one_line_error(
        cli("query", "reject-by-port", "--lake", tmp_path, "--strict"), 1, "cut.log.gz",
        "the file is truncated",
    )  # fmt: skip

    (tmp_path / "cut.log.gz").write_bytes(whole)  # the whole file: no note
    result = cli("query", "reject-by-port", "--lake", tmp_path, "-f", "json")
    assert parse_json(result.out)[0]["rejects"] == 2000 and result.err == ""


def test_no_files_in_the_window_is_an_empty_result(cli, lake: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli(
        "query",
        "reject-by-port",
        "--lake",
        lake,
        "--since",
        "2001-01-01",
        "--until",
        "2001-01-02",
        "-f",
        "json",
    )
    assert result.code == 0
    assert parse_json(result.out) == []
    assert "no flow-log files" in result.err


def test_missing_fields_name_what_the_lake_has(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "narrow.log").write_text("srcaddr dstaddr action\n10.0.0.1 10.0.0.2 REJECT\n")
    result = cli("query", "reject-by-port", "--lake", tmp_path)
    one_line_error(
        result, 1, "needs flow-log field(s) dstport protocol", "it has: srcaddr dstaddr action"
    )


def test_missing_bucket(cli, s3: MotoServer) -> None:  # type: ignore[no-untyped-def]
    result = cli(
        "query",
        "reject-by-port",
        "--lake",
        "s3://no-such-bucket/logs",
        "--endpoint-url",
        s3.endpoint,
    )
    one_line_error(result, 1, "s3://no-such-bucket/logs/", "bucket does not exist")


def test_a_file_archived_in_glacier_is_named(tmp_path: Path, cli, s3: MotoServer) -> None:  # type: ignore[no-untyped-def]
    """S3 answers a GET of a Glacier object with 403, which read as "access denied": lifecycle
    rules archive old flow logs, and the user must learn which file and what to do."""
    sample = write_sample_lake(tmp_path / "lake", hours=1)
    client = s3.client("s3")
    client.create_bucket(Bucket="old-logs")
    files = sorted(p for p in sample.root.rglob("*.log.gz"))
    for n, path in enumerate(files):
        archived = {"StorageClass": "GLACIER"} if n == 0 else {}
        key = path.relative_to(sample.root).as_posix()
        client.upload_file(str(path), "old-logs", key, ExtraArgs=archived)
    name = files[0].name
    common = ["--lake", "s3://old-logs/", "--endpoint-url", s3.endpoint]
    query = cli("query", "reject-by-port", *common)
    one_line_error(query, 1, name, "archived in S3 GLACIER", "--since")
    compact = cli("compact", *common, "--to", tmp_path / "compacted")
    assert compact.code == 1 and f"{name} is archived in S3 GLACIER" in compact.err, compact.err
    assert not (tmp_path / "compacted" / "_flowlake" / "manifest.json").exists()


def test_unreachable_endpoint(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli(
        "query", "reject-by-port", "--lake", "s3://b/logs", "--endpoint-url", "http://127.0.0.1:9"
    )
    one_line_error(result, 1, "cannot reach")


@pytest.fixture
def authenticating(s3: MotoServer) -> Iterator[MotoServer]:
    """moto checks credentials and IAM policies from now until the test ends."""
    requests.post(f"{s3.endpoint}/moto-api/reset-auth", data=b"0", timeout=10)
    try:
        yield s3
    finally:
        requests.post(f"{s3.endpoint}/moto-api/reset-auth", data=b"inf", timeout=10)


def test_bad_credentials_and_access_denied(
    tmp_path: Path, cli, s3: MotoServer, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    sample = write_sample_lake(tmp_path / "lake", hours=1)
    upload_folder(s3, sample.root, "private-logs")
    iam = s3.client("iam")
    iam.create_user(UserName="auditor")
    iam.put_user_policy(
        UserName="auditor",
        PolicyName="no-s3",
        PolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:Describe*","Resource":"*"}]}',
    )
    key = iam.create_access_key(UserName="auditor")["AccessKey"]
    requests.post(f"{s3.endpoint}/moto-api/reset-auth", data=b"0", timeout=10)
    try:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAFAKEFAKEFAKEFAKE")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret-at-all")
        bad = cli(
            "query", "reject-by-port", "--lake", "s3://private-logs/", "--endpoint-url", s3.endpoint
        )
        one_line_error(bad, 1, "access key is not valid")
        assert "not-the-secret-at-all" not in bad.err + bad.out

        monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
        denied = cli(
            "query", "reject-by-port", "--lake", "s3://private-logs/", "--endpoint-url", s3.endpoint
        )
        one_line_error(denied, 1, "access denied")
        assert key["SecretAccessKey"] not in denied.err + denied.out
    finally:
        requests.post(f"{s3.endpoint}/moto-api/reset-auth", data=b"inf", timeout=10)


def test_s3_lake_of_one_file_and_a_prefix(tmp_path: Path, cli, s3: MotoServer) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "one.log.gz").write_bytes(gzip.compress(f"{HEADER}\n{GOOD}\n".encode()))
    upload_folder(s3, tmp_path, "single")
    for lake in ("s3://single/one.log.gz", "s3://single", "s3://single/"):
        result = cli(
            "query", "reject-by-port", "--lake", lake, "--endpoint-url", s3.endpoint, "-f", "json"
        )
        assert result.code == 0, (lake, result.err)
        assert parse_json(result.out)[0]["rejects"] == 1


def test_option_typos_are_one_line_too(cli) -> None:  # type: ignore[no-untyped-def]
    one_line_error(
        cli("query", "reject-by-port", "--bogus"), 2, "No such option: --bogus", "--help"
    )
    one_line_error(cli("query"), 2, "Missing argument")
