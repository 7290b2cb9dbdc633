"""Charts of a query result, drawn from the chart hint in the query's header.

The hint names the column along the x axis and one or more value columns:

    chart = { kind = "bar", x = "dstport", y = "rejects" }                  # top-N: a bar a row
    chart = { kind = "line", x = "bin_start", y = ["accepts", "rejects"] }  # a line a column

`draw_chart` draws it in the terminal with plotext, or writes a PNG (matplotlib, Agg) or a
self-contained HTML page (the chart as inline SVG, then the data as a table) when given a file.
Bars keep the result's order, first row on top; lines run in x order, timestamps read as UTC.
plotext and matplotlib are imported only when a chart is drawn.
"""

import html
import io
import math
import os
import re
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from flowlake.errors import FlowlakeError, UsageError
from flowlake.output import plain, write_atomically

KINDS = ("bar", "line")
FILE_SUFFIXES = (".png", ".html")
NO_ROWS = "(no rows to chart)"

PIPE_SIZE = (100, 24)
"""Width and height of a terminal chart when stdout is not a terminal (a pipe, a file, a test)."""
PLAIN_BAR_MARKERS = ("full", "▒", "░", "▓")
PLAIN_LINE_MARKERS = ("hd", "dot", "x", "+")
"""Without colours, series are told apart by their marker."""
PORT_PROTOCOLS = (6, 17)
"""TCP and UDP: the protocols whose flow records carry ports (any other's port is 0)."""


@dataclass(frozen=True)
class ChartData:
    """What a chart shows: the x values in the result's order, and the values of each series."""

    kind: str
    """bar or line."""
    x_name: str
    x_axis: str
    """text (bar labels, categories), time (UTC datetimes) or number."""
    x: list[Any]
    series: dict[str, list[float | None]]

    @property
    def empty(self) -> bool:
        return not self.x

    def points(self, name: str) -> list[tuple[Any, float]]:
        """One series as (x, y) pairs in x order, without NULLs; text x becomes the row's index."""
        xs = range(len(self.x)) if self.x_axis == "text" else self.x
        pairs = [(x, y) for x, y in zip(xs, self.series[name], strict=True)]
        return sorted((x, y) for x, y in pairs if x is not None and y is not None)


def chart_data(table: Any, chart: Mapping[str, Any]) -> ChartData:
    """Check a chart hint against a result (a pyarrow Table) and take out the values to draw."""
    import pyarrow as pa

    kind = chart.get("kind")
    if kind not in KINDS:
        raise FlowlakeError(f"chart kind {kind!r} is not one of: {', '.join(KINDS)}")
    x_hint, y = chart.get("x"), chart.get("y")
    y_names = [y] if isinstance(y, str) else list(y or [])
    # x may list key columns: those the result has label the bars together ("a → b"), so a
    # query whose key depends on a parameter (top-talkers by=...) keeps one chart hint
    x_names = [x_hint] if isinstance(x_hint, str) else list(x_hint or [])
    if not x_names or not y_names:
        raise FlowlakeError("a chart hint names column(s) x and one or more columns y")
    columns = table.column_names
    present = [n for n in x_names if n in columns] or x_names[:1]
    x_name = present[0]
    for name in [*present, *y_names]:
        if name not in columns:
            raise FlowlakeError(
                f"the chart hint names column {name!r}, which the result lacks "
                f"(columns: {', '.join(columns)})"
            )
    for name in y_names:
        y_type = table.schema.field(name).type
        if not (is_numeric(y_type) or pa.types.is_null(y_type)):
            raise FlowlakeError(f"chart column {name!r} is not numeric ({y_type})")

    x_type = table.schema.field(x_name).type
    x_values = table.column(x_name).to_pylist()
    x: list[Any]
    if kind == "line" and (pa.types.is_timestamp(x_type) or pa.types.is_date(x_type)):
        x_axis, x = "time", [_utc(v) for v in x_values]
    elif kind == "line" and is_numeric(x_type):
        x_axis, x = "number", [_number(v) for v in x_values]
    elif x_name.endswith("port") and _has_protocol_numbers(table):  # 53/tcp, 53/udp: two bars
        ports, protocols = table.column(x_name).to_pylist(), table.column("protocol").to_pylist()
        x_axis, x = "text", _port_labels(ports, protocols)
    else:  # bar labels: ports, addresses, interfaces
        keys = [table.column(n).to_pylist() for n in present]
        x_axis, x = "text", [" → ".join(_label(v) for v in row) for row in zip(*keys, strict=True)]
    series = {name: [_number(v) for v in table.column(name).to_pylist()] for name in y_names}
    return ChartData(kind=kind, x_name=x_name, x_axis=x_axis, x=x, series=series)


def draw_chart(
    table: Any,
    chart: Mapping[str, Any] | None,
    title: str,
    output: Path | None = None,
    *,
    query: str | None = None,
) -> None:
    """Draw a result's chart in the terminal (stdout), or write it to a .png or .html file.

    `query` names the query in the error when it has no chart hint.
    """
    if not chart:
        raise UsageError(f"query {query or repr(title)} has no chart; use --format")
    suffix = output.suffix.lower() if output is not None else ""
    if output is not None and suffix not in FILE_SUFFIXES:
        raise UsageError(f"a chart is written to a .png or .html file, not {output.name!r}")
    data = chart_data(table, chart)
    if output is None:
        if data.empty:
            print(NO_ROWS)
            return
        width, height = terminal_size(data)
        color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
        print(chart_text(data, title, width, height, color=color))
        return
    if data.empty:
        print(NO_ROWS, file=sys.stderr)
    if suffix == ".png":
        write_atomically(output, chart_png(data, title))
    else:
        write_atomically(output, chart_html(table, data, title).encode())


# The terminal: plotext


def terminal_size(data: ChartData) -> tuple[int, int]:
    """The terminal's size, or a fixed one when stdout is not a terminal.

    Bar charts are as tall as their bars need, taller than the terminal if need be (it scrolls):
    squeezed, plotext drops labels and writes values over each other.
    """
    if sys.stdout.isatty():
        columns, lines = shutil.get_terminal_size()
        width, height = columns, lines - 2  # the prompt stays on screen
    else:
        width, height = PIPE_SIZE
    if data.kind == "bar":  # a row a bar, a blank row after each group; title, frame, ticks, label
        groups = len(data.series)
        legend = 2 * groups + 3 if groups > 1 else 0
        return max(width, 40), max(len(data.x) * (groups + 1), legend) + 5
    return max(width, 40), max(height, 12)


def chart_text(
    data: ChartData,
    title: str,
    width: int = PIPE_SIZE[0],
    height: int = PIPE_SIZE[1],
    *,
    color: bool = False,
) -> str:
    """The chart as plotext draws it, `width` columns by `height` rows."""
    import plotext as plt

    figure = plt.figure
    figure.clear()  # plotext keeps one figure for the whole process
    plt.terminal.limit(False, False)  # the size below wins, even on a narrower terminal
    figure.plot_size(width, height)
    figure.title(title)
    if data.kind == "bar":
        _plotext_bars(figure, data, width, height, color)
    else:
        _plotext_lines(figure, data, width, height, color)
    return str(figure.build().string(colorless=not color)).rstrip("\n")


def _plotext_bars(figure: Any, data: ChartData, width: int, height: int, color: bool) -> None:
    # a row a bar and a blank row after each group; y counts the canvas rows, from the bottom
    count, groups = len(data.x), len(data.series)
    pitch = groups + 1
    rows = max(height - 5, count * pitch)  # less the title, the frame, the ticks, the label
    firsts = [rows - i * pitch for i in range(count)]  # the first row on top
    for j, (name, values) in enumerate(data.series.items()):
        bars = figure.bar(
            [row - j for row in firsts],
            [v or 0 for v in values],
            orientation="horizontal",
            width=0.5 / pitch if count > 1 else 0.5,  # of the spacing between rows: half a row
            marker="full" if color else PLAIN_BAR_MARKERS[j % len(PLAIN_BAR_MARKERS)],
        )
        if groups > 1:
            bars.label(name)
        figure.draw(bars)
    figure.ruler("y").ticks(firsts, labels=data.x)
    figure.ruler("y").lim(1, rows)  # a unit a row, exactly

    # plotext 6.1 sizes the value axis of horizontal bars wrongly: state it, and the ticks
    top = max((v or 0 for values in data.series.values() for v in values), default=0) or 1
    canvas = width - max(len(label) for label in data.x) - 3
    if groups == 1:  # each bar's value after its end, with room for the longest bar's
        lengths = [v or 0.0 for v in next(iter(data.series.values()))]
        texts = [_format_number(v) for v in lengths]
        for row, length, text in zip(firsts, lengths, texts, strict=True):
            figure.draw(figure.text(length, row, " " + text))
        room = max(len(text) for text in texts) + 2
        top = top * canvas / max(canvas - room, canvas // 2)
    _value_axis(figure, "x", data, 0, top, canvas // 12)
    if groups > 1:  # bottom right, where the shortest bars of a top-N leave room
        figure.legend(x=top, y=0.5, ha="right", va="bottom", relative=True)
    figure.label(", ".join(data.series), axis="x")
    figure.label(data.x_name, axis="y")


def _plotext_lines(figure: Any, data: ChartData, width: int, height: int, color: bool) -> None:
    lowest, top = 0.0, 0.0
    for i, name in enumerate(data.series):
        points = data.points(name)
        if not points:
            continue
        xs = [x.timestamp() if data.x_axis == "time" else float(x) for x, _ in points]
        ys = [y for _, y in points]
        lowest, top = min(lowest, *ys), max(top, *ys)
        marker = "hd" if color else PLAIN_LINE_MARKERS[i % len(PLAIN_LINE_MARKERS)]
        line = figure.signal(xs, ys, marker=marker)
        line.lines(True)
        if len(data.series) > 1:
            line.label(name)
        figure.draw(line)
    ticks = max(2, width // 14)
    if data.x_axis == "time":
        times = sorted({x for x in data.x if x is not None})
        chosen = _spread(times, ticks)
        figure.ruler("x").ticks([t.timestamp() for t in chosen], labels=_time_labels(chosen))
        figure.label(_time_axis_label(data.x_name, times), axis="x")
    else:
        if data.x_axis == "text":
            chosen = _spread(list(range(len(data.x))), ticks)
            figure.ruler("x").ticks(chosen, labels=[data.x[i] for i in chosen])
        figure.label(data.x_name, axis="x")
    # from zero: a drop to nothing shows as one
    _value_axis(figure, "y", data, lowest, top or 1, height // 4)


def _value_axis(
    figure: Any, axis: str, data: ChartData, lowest: float, top: float, count: int
) -> None:
    """Limits, and about `count` round ticks labelled 250k or 1.5G rather than 2.5e5."""
    step = _round_step((top - lowest) / max(count, 2), _whole(data))
    first = math.ceil(lowest / step)
    ticks = [i * step for i in range(first, math.floor(top / step) + 1)]
    figure.ruler(axis).lim(lowest, top)
    figure.ruler(axis).ticks(ticks, labels=[_compact(tick) for tick in ticks])


def _round_step(rough: float, whole: bool) -> float:
    """The smallest of 1, 2 and 5 times a power of ten at least `rough`; at least 1 if `whole`."""
    if rough <= 0 or (whole and rough <= 1):
        return 1.0
    power = 10.0 ** math.floor(math.log10(rough))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= rough)


def _spread(values: list[Any], count: int) -> list[Any]:
    """At most `count` of the values, evenly spaced, starting with the first."""
    step = math.ceil(len(values) / count) if values else 1
    return values[::step]


def _time_labels(times: list[datetime]) -> list[str]:
    if all(t.hour == t.minute == t.second == 0 for t in times):
        form = "%Y-%m-%d"
    elif len({t.date() for t in times}) == 1:
        form = "%H:%M"
    else:
        form = "%m-%d %H:%M"
    return [t.strftime(form) for t in times]


def _time_axis_label(name: str, times: list[datetime]) -> str:
    days = sorted({t.date() for t in times})
    midnights = all(t.hour == t.minute == t.second == 0 for t in times)
    if len(days) == 1 and not midnights:
        return f"{name} (UTC, {days[0].isoformat()})"
    return f"{name} (UTC)"


# Files: matplotlib


def chart_png(data: ChartData, title: str) -> bytes:
    """The chart as a PNG picture, 1000 pixels wide."""
    buffer = io.BytesIO()
    _matplotlib_figure(data, title).savefig(buffer, format="png")
    return buffer.getvalue()


def chart_svg(data: ChartData, title: str) -> str:
    """The chart as an <svg> element, its text kept as text (searchable, and small)."""
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "flowlake"}):
        _matplotlib_figure(data, title).savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    svg = text[text.index("<svg") :]  # no XML prologue inside a page
    return re.sub(r"\s*<metadata>.*?</metadata>", "", svg, count=1, flags=re.DOTALL)


def chart_html(table: Any, data: ChartData, title: str) -> str:
    """A page that stands alone: the title, the chart as inline SVG, and the rows as a table."""
    numeric = {field.name for field in table.schema if is_numeric(field.type)}
    head = "".join(f"<th>{html.escape(name)}</th>" for name in table.column_names)
    rows = []
    for record in table.to_pylist():
        cells = []
        for name, value in record.items():
            text = "" if value is None else str(plain(value))
            css = ' class="n"' if name in numeric else ""
            cells.append(f"<td{css}>{html.escape(text)}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    body = "\n".join(rows) if rows else f'<tr><td colspan="{table.num_columns}">{NO_ROWS}</td></tr>'
    return _PAGE.format(
        title=html.escape(title),
        svg=chart_svg(data, title),
        head=head,
        rows=body,
        count=f"{table.num_rows} row{'' if table.num_rows == 1 else 's'}",
    )


_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; }}
svg {{ max-width: 100%; height: auto; }}
table {{ border-collapse: collapse; font-size: 0.9em; }}
th, td {{ border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: left; }}
td.n {{ text-align: right; font-variant-numeric: tabular-nums; }}
caption {{ text-align: left; color: #666; padding: 0.3em 0; }}
</style>
</head>
<body>
<h1>{title}</h1>
<figure>
{svg}
</figure>
<table>
<caption>{count}; times are UTC</caption>
<thead><tr>{head}</tr></thead>
<tbody>
{rows}
</tbody>
</table>
</body>
</html>
"""


def _matplotlib_figure(data: ChartData, title: str) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    bars = len(data.x) * len(data.series)
    tall = min(12.0, max(3.5, 1.5 + 0.3 * bars)) if data.kind == "bar" else 5.0
    figure = Figure(figsize=(10.0, tall), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.set_title(title, loc="left")
    if data.empty:
        axes.text(0.5, 0.5, NO_ROWS, ha="center", va="center", transform=axes.transAxes)
        axes.set_axis_off()
    elif data.kind == "bar":
        _matplotlib_bars(axes, data)
    else:
        _matplotlib_lines(axes, data)
    return figure


def _whole_ticks() -> Any:
    """matplotlib's default ticks (AutoLocator's steps), whole numbers only."""
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(nbins="auto", steps=[1, 2, 2.5, 5, 10], integer=True)


def _matplotlib_bars(axes: Any, data: ChartData) -> None:
    from matplotlib.ticker import EngFormatter

    groups = len(data.series)
    positions = list(range(len(data.x)))
    thickness = 0.8 / groups
    for i, (name, values) in enumerate(data.series.items()):
        shift = (i - (groups - 1) / 2) * thickness
        heights = [v or 0 for v in values]
        bars = axes.barh([p + shift for p in positions], heights, height=thickness, label=name)
        if groups == 1:
            axes.bar_label(bars, labels=[_format_number(v) for v in heights], padding=3)
    axes.set_yticks(positions, labels=data.x)
    axes.invert_yaxis()  # the first row on top
    axes.set_ylabel(data.x_name)
    axes.set_xlabel(", ".join(data.series))
    axes.xaxis.set_major_formatter(EngFormatter(sep=""))
    if _whole(data):  # counts: no tick at 0.2, which EngFormatter writes 200m
        axes.xaxis.set_major_locator(_whole_ticks())
    axes.grid(axis="x", alpha=0.3)
    axes.set_axisbelow(True)
    if groups > 1:
        axes.legend()


def _matplotlib_lines(axes: Any, data: ChartData) -> None:
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
    from matplotlib.ticker import EngFormatter

    lowest = 0.0
    for name in data.series:
        points = data.points(name)
        if not points:
            continue
        ys = [y for _, y in points]
        lowest = min(lowest, *ys)
        marker = "." if len(points) <= 60 else None
        axes.plot([x for x, _ in points], ys, label=name, marker=marker)
    if data.x_axis == "time":
        locator = AutoDateLocator(tz=UTC)
        axes.xaxis.set_major_locator(locator)
        axes.xaxis.set_major_formatter(ConciseDateFormatter(locator, tz=UTC))
        axes.set_xlabel(f"{data.x_name} (UTC)")
    else:
        if data.x_axis == "text":
            chosen = _spread(list(range(len(data.x))), 12)
            axes.set_xticks(chosen, labels=[data.x[i] for i in chosen])
        axes.set_xlabel(data.x_name)
    if len(data.series) == 1:
        axes.set_ylabel(next(iter(data.series)))
    axes.set_ylim(bottom=lowest)  # from zero: a drop to nothing shows as one
    axes.yaxis.set_major_formatter(EngFormatter(sep=""))
    if _whole(data):  # counts: no tick at 0.2, which EngFormatter writes 200m
        axes.yaxis.set_major_locator(_whole_ticks())
    axes.grid(alpha=0.3)
    if len(data.series) > 1:
        axes.legend()


# Values


def is_numeric(arrow_type: Any) -> bool:
    import pyarrow as pa

    return bool(
        pa.types.is_integer(arrow_type)
        or pa.types.is_floating(arrow_type)
        or pa.types.is_decimal(arrow_type)
    )


def _utc(value: Any) -> datetime | None:
    """A timestamp as an aware UTC datetime; DuckDB's naive timestamps are UTC already."""
    if value is None:
        return None
    if not isinstance(value, datetime):  # a DATE column: its midnight
        value = datetime(value.year, value.month, value.day) if isinstance(value, date) else value
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _label(value: Any) -> str:
    return "-" if value is None else str(plain(value))


def _port_labels(ports: list[Any], protocols: list[Any]) -> list[str]:
    """A bar per port and protocol: 53/tcp and 53/udp, and icmp rather than its port 0. Ports
    of one protocol only (the usual top-N of TCP ports) keep their plain number."""
    from flowlake.params import PROTOCOL_NAMES

    mixed = len({p for p in protocols if p in PORT_PROTOCOLS}) > 1
    labels = []
    for port, protocol in zip(ports, protocols, strict=True):
        name = PROTOCOL_NAMES.get(protocol, f"protocol {protocol}")
        if protocol is None:
            labels.append(_label(port))
        elif protocol not in PORT_PROTOCOLS:
            labels.append(name)
        else:
            labels.append(f"{_label(port)}/{name}" if mixed else _label(port))
    return labels


def _has_protocol_numbers(table: Any) -> bool:
    import pyarrow as pa

    names = table.column_names
    return "protocol" in names and pa.types.is_integer(table.schema.field("protocol").type)


def _whole(data: ChartData) -> bool:
    """Every value is a whole number (counts, bytes): ticks must be whole too."""
    values = [v for values in data.series.values() for v in values if v is not None]
    return all(v.is_integer() for v in values)


def _format_number(value: float) -> str:
    """A value in full: 1,073,741,824."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.4g}"


def _compact(value: float) -> str:
    """A value in three digits at most: 250k, 1.5G."""
    for factor, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:.3g}{suffix}"
    return f"{value:.3g}"
