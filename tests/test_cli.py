"""The CLI as a user runs it: list, show, sql, query formats, config, demo, help texts."""

import csv
import io
import json
import zipfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from flowlake.catalog import catalog
from flowlake.sample_lake import write_sample_lake

from .helpers import parse_json


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return write_sample_lake(tmp_path_factory.mktemp("lake"), hours=3)


def test_list_names_every_query(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("list")
    assert result.code == 0
    for name, spec in catalog().items():
        assert name in result.out and spec.title in result.out
    listed = json.loads(cli("list", "--format", "json").out)
    assert {q["name"] for q in listed} == set(catalog())
    port = next(q for q in listed if q["name"] == "reject-by-port")
    assert {"name": "port", "type": "port"}.items() <= port["params"][0].items()


def test_show_prints_description_params_sql_and_insights(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("show", "reject-by-port")
    assert result.code == 0
    out = result.out
    assert "Rejected traffic by destination port" in out
    assert "port (port, optional)" in out
    assert "SQL (duckdb" in out and "SQL (athena" in out
    assert 'filter action = "REJECT"' in out  # the Insights query it replaces


def test_sql_prints_each_dialect(cli) -> None:  # type: ignore[no-untyped-def]
    athena = cli(
        "sql", "recent-rejects", "-p", "srcaddr=10.0.0.0/8", "--dialect", "athena", "--since", "7d"
    )
    assert athena.code == 0
    assert "CONTAINS('10.0.0.0/8', TRY_CAST(srcaddr AS IPADDRESS))" in athena.out
    assert '"day" BETWEEN' in athena.out  # partition pruning on Athena
    duck = cli("sql", "recent-rejects", "-p", "srcaddr=10.0.0.0/8")
    assert "FLOWLAKE_IPV4_INT(srcaddr) BETWEEN 167772160 AND 184549375" in duck.out
    assert duck.out.rstrip().endswith(";")


def test_output_formats_agree(cli, sample, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base = ["query", "reject-by-port", "--lake", sample.root, "-p", "limit=5"]
    as_json = parse_json(cli(*base, "-f", "json").out)
    assert len(as_json) == 5 and as_json[0]["first_seen"].endswith("Z")
    lines = cli(*base, "-f", "jsonl").out.splitlines()
    assert [json.loads(line) for line in lines] == as_json
    rows = list(csv.DictReader(io.StringIO(cli(*base, "-f", "csv").out)))
    assert [int(r["rejects"]) for r in rows] == [r["rejects"] for r in as_json]
    markdown = cli(*base, "-f", "markdown").out
    assert markdown.startswith("| dstport | protocol | rejects |") and markdown.count("\n") == 7
    table = cli(*base).out
    assert "Rejected traffic by destination port" in table and str(as_json[0]["rejects"]) in table

    target = tmp_path / "out" / "rejects.parquet"
    result = cli(*base, "-f", "parquet", "-o", target)
    assert result.code == 0 and result.out == ""
    assert pq.read_table(target).to_pylist()[0]["rejects"] == as_json[0]["rejects"]
    assert not list(target.parent.glob(".*")), "no temporary file left behind"

    saved = tmp_path / "rejects.json"
    cli(*base, "-f", "json", "-o", saved)
    assert json.loads(saved.read_text()) == as_json


def test_lake_from_environment_and_config_file(cli, sample, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from flowlake import config

    monkeypatch.chdir(tmp_path)
    config.file_settings.cache_clear()
    monkeypatch.setenv("FLOWLAKE_LAKE", str(sample.root))
    assert cli("query", "reject-by-port", "-f", "json").code == 0
    monkeypatch.delenv("FLOWLAKE_LAKE")
    (tmp_path / "flowlake.toml").write_text(f'lake = "{sample.root}"\n')
    config.file_settings.cache_clear()
    result = cli("query", "reject-by-port", "-f", "json", "-p", "port=22")
    assert result.code == 0, result.err
    assert parse_json(result.out)[0]["rejects"] == sample.expected.rejects_by_port[(22, 6)]
    (tmp_path / "flowlake.toml").write_text('lake = "x"\nlakes = "typo"\n')
    config.file_settings.cache_clear()
    bad = cli("query", "reject-by-port")
    assert bad.code == 2 and "unknown setting 'lakes'" in bad.err
    config.file_settings.cache_clear()


def test_recent_rejects_filters(cli, sample) -> None:  # type: ignore[no-untyped-def]
    e = sample.expected
    result = cli(
        "query", "recent-rejects", "--lake", sample.root, "-p", f"srcaddr={e.ssh_attacker}/32",
        "-p", "dstport=22", "-p", "limit=1000", "-f", "json",
    )  # fmt: skip
    got = parse_json(result.out)
    assert len(got) == e.ssh_rejects
    assert {r["srcaddr"] for r in got} == {e.ssh_attacker}
    assert [r["start_time"] for r in got] == sorted((r["start_time"] for r in got), reverse=True)
    ipv6 = parse_json(
        cli(
            "query",
            "recent-rejects",
            "--lake",
            sample.root,
            "-p",
            "dstaddr=2001:db8:1234:a100::/56",
            "-p",
            "limit=100",
            "-f",
            "json",
        ).out  # fmt: skip
    )
    assert len(ipv6) == e.ipv6_rejects
    prefix = parse_json(
        cli(
            "query",
            "recent-rejects",
            "--lake",
            sample.root,
            "-p",
            "srcaddr=203.0.113.",
            "-f",
            "json",
        ).out
    )
    assert prefix and all(r["srcaddr"].startswith("203.0.113.") for r in prefix)


def test_demo_runs_the_main_job(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("demo", "--folder", tmp_path / "demo", "--format", "json")
    assert result.code == 0, result.err
    rows = parse_json(result.out)
    ports = {r["dstport"] for r in rows}
    assert {22, 80} <= ports  # SSH denied, HTTP rejected after the security-group change
    assert "Sample lake:" in result.err
    # the demo lake carries its network config: the HTTP rejects are attributed to the SG
    attributed = parse_json(
        cli(
            "query",
            "reject-attribution",
            "--lake",
            tmp_path / "demo",
            "-p",
            "port=80",
            "-f",
            "json",
        ).out
    )
    assert attributed and {r["blocked_by"] for r in attributed} == {"security-group-inbound"}


def test_every_command_help_has_an_example(cli) -> None:  # type: ignore[no-untyped-def]
    for command in ("list", "show", "sql", "query", "demo"):
        result = cli(command, "--help")
        assert result.code == 0
        assert "Example: flowlake " + command in " ".join(result.out.split())


def test_httpfs_version_mismatch_is_a_clear_error(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import duckdb

    from flowlake.engines.duckdb_conn import httpfs_extension_path
    from flowlake.errors import FlowlakeError

    assert httpfs_extension_path().name == "httpfs.duckdb_extension"
    monkeypatch.setattr(duckdb, "__version__", "9.9.9")
    with pytest.raises(FlowlakeError, match=r"duckdb 9\.9\.9 needs httpfs built for v9\.9\.9"):
        httpfs_extension_path()


def test_wheel_ships_the_sql_and_queries(tmp_path: Path) -> None:
    import subprocess
    import sys

    root = Path(__file__).parents[1]
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            tmp_path,
            root,
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("flowlake-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "flowlake/_data/queries/reject-by-port.sql" in names
    assert "flowlake/_data/sql/schema/flow_log_fields.csv" in names
    assert "flowlake/_data/sql/macros/ip.sql" in names


def test_query_chart_in_the_terminal_and_to_files(cli, sample, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base = ["query", "reject-by-port", "--lake", sample.root, "-p", "limit=5", "--chart"]
    result = cli(*base)
    assert result.code == 0, result.err
    assert "Rejected traffic by destination port" in result.out
    assert "22" in result.out and str(sample.expected.rejects_by_port[(22, 6)]) in result.out
    png = tmp_path / "rejects.png"
    assert cli(*base, "--output", png).code == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    html = tmp_path / "rejects.html"
    assert cli(*base, "--output", html).code == 0
    assert "<svg" in html.read_text() and oct(html.stat().st_mode & 0o044) == oct(0o044)
    no_chart = cli("query", "recent-rejects", "--lake", sample.root, "--chart")
    assert no_chart.code == 2 and "has no chart" in no_chart.err


def all_commands() -> list[str]:
    """Every command path of the CLI, sub-commands included ("config snapshot")."""
    import typer.main

    from flowlake.cli import app

    def walk(group, prefix: str) -> list[str]:  # type: ignore[no-untyped-def]
        found = []
        for name, command in getattr(group, "commands", {}).items():
            path = f"{prefix}{name}"
            found += walk(command, path + " ") if hasattr(command, "commands") else [path]
        return found

    return walk(typer.main.get_command(app), "")


def test_readme_shows_every_command(cli) -> None:  # type: ignore[no-untyped-def]
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    commands = all_commands()
    assert len(commands) >= 10
    for command in commands:
        assert f"flowlake {command}" in readme, f"README has no example of `flowlake {command}`"
        help_text = " ".join(cli(*command.split(), "--help").out.split())
        assert f"Example: flowlake {command}" in help_text, command
