"""Out-of-range, empty, repeated or conflicting input, and unwritable output: one clear line on
stderr and a non-zero exit (2 for what the user typed, 1 for what the system refused), never an
internal error."""

from pathlib import Path

import pytest

from flowlake.sample_lake import write_sample_lake

from .helpers import one_line_error


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_sample_lake(tmp_path_factory.mktemp("lake"), hours=1).root


@pytest.fixture
def a_file(tmp_path: Path) -> Path:
    path = tmp_path / "a-file"
    path.write_text("not a folder\n")
    return path


def test_output_that_cannot_be_written(cli, lake: Path, tmp_path: Path, a_file: Path) -> None:  # type: ignore[no-untyped-def]
    query = ("query", "log-health", "--lake", lake)
    one_line_error(cli(*query, "-f", "csv", "-o", tmp_path), 1, f"cannot write {tmp_path}: ")
    under_a_file = a_file / "x.csv"
    one_line_error(
        cli(*query, "-f", "csv", "-o", under_a_file), 1, f"cannot write {under_a_file}: Not a dir"
    )
    parquet = a_file / "x.parquet"
    one_line_error(cli(*query, "-f", "parquet", "-o", parquet), 1, f"cannot write {parquet}")
    insights = ("insights", "stats count(*)", "--lake", lake, "-f", "csv", "-o", under_a_file)
    one_line_error(cli(*insights), 1, f"cannot write {under_a_file}")
    for chart in (a_file / "x.png", a_file / "x.html"):
        one_line_error(
            cli("query", "reject-by-port", "--lake", lake, "--chart", "-o", chart),
            1,
            f"cannot write {chart}",
        )


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (("--since", "0001-01-01"), ("--since", "0001-01-01", "1970-01-01..2100-01-01")),
        (("--until", "9999-12-31T23:59Z"), ("--until", "1970-01-01..2100-01-01")),
        (("--since", "0001-01-01T00:00+01:00"), ("--since", "1970-01-01..2100-01-01")),
        (("--since", "9999999999d"), ("--since", "9999999999d", "at most 36500d")),
        (("-p", "limit=99999999999999999999999"), ("parameter limit", "outside 0..")),
    ],
)
def test_out_of_range_times_and_numbers(
    cli, lake: Path, args: tuple[str, ...], needles: tuple[str, ...]
) -> None:  # type: ignore[no-untyped-def]
    one_line_error(cli("query", "flows", "--lake", lake, *args), 2, *needles)


def test_out_of_range_durations(cli, lake: Path) -> None:  # type: ignore[no-untyped-def]
    one_line_error(
        cli("sql", "port-scan", "-p", "window=999999999999d"), 2, "parameter window", "36500d"
    )
    one_line_error(
        cli("query", "traffic-over-time", "--lake", lake, "-p", "bin=99999999999999d"),
        2,
        "parameter bin",
        "36500d",
    )


def test_demo_folder_that_cannot_be_written(cli, a_file: Path) -> None:  # type: ignore[no-untyped-def]
    one_line_error(cli("demo", "--folder", a_file), 1, f"cannot write {a_file}")
    one_line_error(cli("demo", "--folder", a_file / "demo"), 1, f"cannot write {a_file / 'demo'}")


def test_empty_values_are_refused(cli, lake: Path) -> None:  # type: ignore[no-untyped-def]
    # `-p src=$IP` with IP unset would otherwise return every flow
    one_line_error(cli("sql", "flows", "-p", "src="), 2, "parameter src needs a value")
    one_line_error(cli("sql", "flows", "-p", "src= "), 2, "parameter src needs a value")
    one_line_error(cli("query", "flows", "--lake", lake, "--fields", ""), 2, "--fields")


def test_a_repeated_parameter_is_refused(cli) -> None:  # type: ignore[no-untyped-def]
    one_line_error(
        cli("sql", "reject-by-port", "-p", "port=22", "-p", "port=80"), 2, "parameter port", "twice"
    )


def test_messages_say_what_is_accepted(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("sql", "flows", "-p", "limit=-5")
    one_line_error(result, 2, "parameter limit", "-5 is outside 0..")
    assert "None" not in result.err
    one_line_error(
        cli("sql", "flows", "-p", "protocol=foo"), 2, "parameter protocol", "tcp", "udp", "icmp"
    )


def test_chart_with_another_format_is_refused(cli, lake: Path) -> None:  # type: ignore[no-untyped-def]
    one_line_error(
        cli("query", "reject-by-port", "--lake", lake, "--chart", "--format", "json"),
        2,
        "--chart",
        "--format json",
    )


def test_files_that_do_not_match_given_fields_say_so(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    record = "2 123456789012 eni-1 1.2.3.4 10.0.0.1 1 22 6 1 40 1714550000 1714550060 REJECT OK"
    (tmp_path / "a.log").write_text(record + "\n")
    result = cli("query", "reject-by-port", "--lake", tmp_path, "--fields", "version bogus")
    assert result.code == 1
    (line,) = result.err.strip().splitlines()
    assert "do not match the format given" in line and "pass the flow log" not in line, line
