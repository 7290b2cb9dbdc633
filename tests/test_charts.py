"""Charts from a query's chart hint: in the terminal (plotext), to PNG and HTML (matplotlib)."""

import os
import re
import shutil
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest

from flowlake.api import run_query
from flowlake.catalog import catalog, get
from flowlake.charts import PIPE_SIZE, chart_data, chart_text, draw_chart
from flowlake.errors import FlowlakeError, UsageError
from flowlake.lake import Lake
from flowlake.sample_lake import write_sample_lake

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
BAR = {"kind": "bar", "x": "dstport", "y": "rejects"}
LINE = {"kind": "line", "x": "bin_start", "y": ["accepts", "rejects"]}
START = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)


def bar_table() -> pa.Table:
    """reject-by-port's shape: top ports first, DuckDB's sums as decimals."""
    return pa.table(
        {
            "dstport": pa.array([22, 3389, 1433], pa.int32()),
            "protocol": pa.array([6, 6, 6], pa.int32()),
            "rejects": pa.array([120, 45, 7], pa.int64()),
            "bytes": pa.array([Decimal(7200), Decimal(2700), Decimal(420)], pa.decimal128(38, 0)),
        }
    )


def line_table() -> pa.Table:
    """traffic-over-time's shape: 5-minute bins from 10:00 UTC, rejects start at 10:30."""
    bins = [START + timedelta(minutes=5 * i) for i in range(12)]
    return pa.table(
        {
            "bin_start": pa.array(bins, pa.timestamp("us", tz="UTC")),
            "accepts": pa.array([10 + i for i in range(12)], pa.int64()),
            "rejects": pa.array([0] * 6 + [40] * 6, pa.int64()),
        }
    )


def labelled_rows(lines: list[str]) -> dict[str, int]:
    """Where each bar label of a terminal chart is: {"22": 3, ...}."""
    found = (re.match(r"\s*(\S+)┤", line) for line in lines)
    return {match[1]: i for i, match in enumerate(found) if match}


def uncolored(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from the PNG's IHDR chunk."""
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


# The terminal


def test_bar_chart_in_the_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    draw_chart(bar_table(), BAR, "Rejected traffic by destination port")
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert "Rejected traffic by destination port" in lines[0]
    assert "\x1b[" not in out  # no colours when stdout is not a terminal
    assert max(len(line) for line in lines) == PIPE_SIZE[0]
    assert "█" in out
    # the ports label the bars, top of the result on top, each with its value
    rows = labelled_rows(lines)
    assert rows["22"] < rows["3389"] < rows["1433"]
    assert "120" in lines[rows["22"]] and "45" in lines[rows["3389"]]
    assert "rejects" in out and "dstport" in out


def test_bars_are_as_long_as_their_values() -> None:
    lines = chart_text(chart_data(bar_table(), BAR), "t", 100, 14).splitlines()
    bar = {port: lines[row].count("█") for port, row in labelled_rows(lines).items()}
    assert bar["3389"] / bar["22"] == pytest.approx(45 / 120, abs=0.05)


def test_every_bar_of_a_long_top_n_keeps_its_label_and_value(
    capsys: pytest.CaptureFixture[str],
) -> None:
    addresses = [f"10.0.{i}.{i * 7}" for i in range(30)]
    table = pa.table({"srcaddr": addresses, "bytes": [10_000 - 300 * i for i in range(30)]})
    draw_chart(table, {"kind": "bar", "x": "srcaddr", "y": "bytes"}, "Top talkers")
    labelled = [line for line in capsys.readouterr().out.splitlines() if "┤" in line]
    assert len(labelled) == 30
    for i, line in enumerate(labelled):
        assert re.match(rf"\s*{addresses[i]}┤█+ {10_000 - 300 * i:,}\s*│$", line), line


def test_bars_of_several_series(capsys: pytest.CaptureFixture[str]) -> None:
    hint = {"kind": "bar", "x": "dstport", "y": ["rejects", "bytes"]}
    draw_chart(bar_table(), hint, "Ports")
    out = capsys.readouterr().out
    assert "█ rejects" in out and "▒ bytes" in out  # the legend, a marker a series
    rows = out.splitlines()
    port_22 = next(i for i, line in enumerate(rows) if re.match(r"\s*22┤", line))
    assert "█" in rows[port_22] and "▒" in rows[port_22 + 1]


def test_terminal_chart_fits_the_terminal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.setattr(shutil, "get_terminal_size", lambda: os.terminal_size((132, 40)))
    monkeypatch.delenv("NO_COLOR", raising=False)
    draw_chart(line_table(), LINE, "Traffic over time")
    out = capsys.readouterr().out
    assert "\x1b[" in out  # colours on a terminal
    assert len(out.splitlines()) == 38  # the prompt keeps two rows
    assert max(len(line) for line in uncolored(out).splitlines()) == 132

    monkeypatch.setenv("NO_COLOR", "1")
    draw_chart(line_table(), LINE, "Traffic over time")
    assert "\x1b[" not in capsys.readouterr().out


def test_line_chart_with_two_series_in_the_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    draw_chart(line_table(), LINE, "Traffic over time")
    out = capsys.readouterr().out
    assert "Traffic over time" in out.splitlines()[0]
    assert len(out.splitlines()) == PIPE_SIZE[1]
    assert "accepts" in out and "rejects" in out  # the legend
    assert "10:00" in out and "10:30" in out  # UTC times along x
    assert "bin_start (UTC, 2024-05-01)" in out
    assert "•" in out  # the second series has its own marker without colours


def test_line_chart_of_daily_bins_labels_dates() -> None:
    days = [START.replace(hour=0) + timedelta(days=i) for i in range(3)]
    table = pa.table({"day": pa.array(days, pa.timestamp("us", tz="UTC")), "flows": [1, 5, 2]})
    text = chart_text(chart_data(table, {"kind": "line", "x": "day", "y": "flows"}), "Daily")
    assert "2024-05-01" in text and "2024-05-03" in text


def test_empty_result_prints_a_notice(capsys: pytest.CaptureFixture[str]) -> None:
    draw_chart(bar_table().slice(0, 0), BAR, "Rejected traffic by destination port")
    assert capsys.readouterr().out == "(no rows to chart)\n"


# Files


def test_png_files(tmp_path: Path) -> None:
    bar, line = tmp_path / "bar.png", tmp_path / "out" / "line.PNG"
    draw_chart(bar_table(), BAR, "Rejected traffic by destination port", bar)
    draw_chart(line_table(), LINE, "Traffic over time", line)
    assert png_size(line) == (1000, 500)
    width, height = png_size(bar)
    assert width == 1000 and 300 <= height < width

    from matplotlib.image import imread

    pixels = imread(bar)
    assert pixels.shape[:2] == (height, width)  # rows, then columns
    assert pixels.min() < 0.5 < pixels.max()  # something drawn on white
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_html_file_has_the_title_an_svg_and_the_rows(tmp_path: Path) -> None:
    page = tmp_path / "line.html"
    draw_chart(line_table(), LINE, "Traffic <over> time", page)
    text = page.read_text()
    assert text.startswith("<!doctype html>")
    assert "<title>Traffic &lt;over&gt; time</title>" in text
    assert "<h1>Traffic &lt;over&gt; time</h1>" in text
    assert "<svg" in text and "</svg>" in text and "<?xml" not in text
    assert "<script" not in text and not re.search(r"(src|href)=\"(https?:)?//", text)
    assert "<th>bin_start</th><th>accepts</th><th>rejects</th>" in text
    assert '<td>2024-05-01T10:30:00Z</td><td class="n">16</td><td class="n">40</td>' in text
    assert "12 rows" in text
    svg = text[text.index("<svg") : text.index("</svg>")]
    assert "accepts" in svg and "rejects" in svg  # the legend, as text


def test_html_bar_chart_names_the_ports(tmp_path: Path) -> None:
    page = tmp_path / "bar.html"
    draw_chart(bar_table(), BAR, "Rejected traffic by destination port", page)
    svg = page.read_text().split("<svg", 1)[1].split("</svg>")[0]
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)  # text stays text, not paths
    for wanted in ("Rejected traffic by destination port", "22", "3389", "1433", "120", "45"):
        assert wanted in texts, (wanted, texts)
    assert "rejects" in texts and "dstport" in texts  # the axes


def test_empty_result_to_a_file_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "empty.html"
    draw_chart(line_table().slice(0, 0), LINE, "Traffic over time", page)
    assert "(no rows to chart)" in page.read_text()
    assert capsys.readouterr().err == "(no rows to chart)\n"
    draw_chart(line_table().slice(0, 0), LINE, "Traffic over time", tmp_path / "empty.png")
    assert png_size(tmp_path / "empty.png")[0] == 1000


# Errors


def test_query_without_a_chart_hint() -> None:
    with pytest.raises(UsageError, match=r"^query recent-rejects has no chart; use --format$"):
        draw_chart(bar_table(), None, "Most recent rejected flows", query="recent-rejects")


def test_unsupported_output_file(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"\.png or \.html.*'chart\.svg'"):
        draw_chart(bar_table(), BAR, "t", tmp_path / "chart.svg")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("hint", "message"),
    [
        ({"kind": "bar", "x": "srcaddr", "y": "rejects"}, "column 'srcaddr'.*columns: dstport"),
        ({"kind": "line", "x": "dstport", "y": ["rejects", "flows"]}, "column 'flows'"),
        ({"kind": "pie", "x": "dstport", "y": "rejects"}, "chart kind 'pie'"),
        ({"kind": "bar", "x": "dstport"}, "one or more columns y"),
        ({"kind": "bar", "x": "rejects", "y": "dstport"}, None),  # numbers both ways: fine
    ],
)
def test_hint_that_does_not_fit_the_result(hint: dict[str, object], message: str | None) -> None:
    if message is None:
        chart_data(bar_table(), hint)
        return
    with pytest.raises(FlowlakeError, match=message) as caught:
        chart_data(bar_table(), hint)
    assert "\n" not in str(caught.value)


def test_value_column_must_be_numeric() -> None:
    table = pa.table({"srcaddr": ["10.0.0.1"], "action": ["REJECT"]})
    with pytest.raises(FlowlakeError, match="'action' is not numeric"):
        chart_data(table, {"kind": "bar", "x": "srcaddr", "y": "action"})


# The catalogue


@pytest.mark.parametrize("name", sorted(n for n, s in catalog().items() if s.chart))
def test_catalogue_chart_hints_name_the_query_columns(name: str) -> None:
    spec = catalog()[name]
    assert spec.chart is not None
    x, y = spec.chart["x"], spec.chart["y"]
    xs = [x] if isinstance(x, str) else x  # several key columns: those the result has
    assert set(xs) & set(spec.columns), (xs, spec.columns)
    ys = [y] if isinstance(y, str) else y
    assert set(ys) <= set(spec.columns), (ys, spec.columns)
    assert spec.chart["kind"] in ("bar", "line")


def test_reject_by_port_on_the_sample_lake(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lake = Lake(str(write_sample_lake(tmp_path / "lake", hours=1).root))
    spec = get("reject-by-port")
    table = run_query(spec.name, {}, lake).result.table
    top_port, top_rejects = table["dstport"][0].as_py(), table["rejects"][0].as_py()

    draw_chart(table, spec.chart, spec.title, query=spec.name)
    lines = capsys.readouterr().out.splitlines()
    first_bar = next(line for line in lines if "┤" in line)
    assert re.match(rf"\s*{top_port}┤█+ {top_rejects}\s*│$", first_bar), first_bar

    draw_chart(table, spec.chart, spec.title, tmp_path / "rejects.html", query=spec.name)
    assert f'<td class="n">{top_port}</td>' in (tmp_path / "rejects.html").read_text()


def test_bar_labels_join_the_key_columns_the_result_has() -> None:
    hint = {"kind": "bar", "x": ["srcaddr", "dstaddr", "interface_id"], "y": "bytes"}
    pair = pa.table(
        {"srcaddr": ["10.0.0.1", "10.0.0.2"], "dstaddr": ["8.8.8.8", "1.1.1.1"], "bytes": [9, 4]}
    )
    assert chart_data(pair, hint).x == ["10.0.0.1 → 8.8.8.8", "10.0.0.2 → 1.1.1.1"]
    single = pa.table({"interface_id": ["eni-1"], "bytes": [3]})
    assert chart_data(single, hint).x == ["eni-1"]
