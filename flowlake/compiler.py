"""Templates to SQL: Jinja2 renders a query in the source dialect (Athena/Trino, see
docs/decisions/0001-source-dialect.md), then sqlglot writes it for the target engine."""

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from flowlake import compile_cache
from flowlake.catalog import QuerySpec, get
from flowlake.errors import FlowlakeError, UsageError
from flowlake.params import SqlValue, timestamp_literal
from flowlake.resources import sql_dir
from flowlake.timewindow import TimeWindow

SOURCE_DIALECT = "athena"
DIALECTS = ("duckdb", "athena")
DELIVERY_MARGIN = timedelta(hours=1)
DAY_FORMAT = "%Y/%m/%d"
"""Athena's `day` partition values for AWS's default S3 layout. A window with a `day_format`
(flowlake.athena.partitions.PartitionedWindow: the Hive layout's table) brings its own."""


@dataclass(frozen=True)
class WindowContext:
    """The time window as templates see it: SQL literals, and Athena's partition days.

    Templates put these into the SQL as they are and never branch on them: the compiled SQL is
    cached per window shape with stand-in values (compile_query), and each window's own values
    replace them in the text."""

    since: str | None = None
    until: str | None = None
    first_day: str | None = None
    last_day: str | None = None
    day_format: str = DAY_FORMAT

    @classmethod
    def of(cls, window: TimeWindow) -> "WindowContext":
        day_format = getattr(window, "day_format", DAY_FORMAT)
        if window.is_open:
            return cls(day_format=day_format)
        # records are filed by delivery, up to a margin after their flows start: the last
        # day is bounded by either end of the window (an open end by now), the first by since
        last = (window.until or datetime.now(UTC)) + DELIVERY_MARGIN
        return cls(
            since=timestamp_literal(window.since) if window.since else None,
            until=timestamp_literal(window.until) if window.until else None,
            first_day=f"{window.since:{day_format}}" if window.since else None,
            last_day=f"{last:{day_format}}",
            day_format=day_format,
        )


# The values a window's SQL is compiled and cached with: `compile_query` puts the window's own
# values in their place, so a new window (each `--since 1h` is one) is a string replace rather
# than Jinja and sqlglot (~0.45 s). Dates no window can have (the earliest is 1970).
_STAND_IN = TimeWindow(
    datetime(1901, 2, 3, 4, 5, 6, tzinfo=UTC), datetime(1902, 3, 4, 5, 6, 7, tzinfo=UTC)
)


def _stand_in(window: TimeWindow) -> TimeWindow:
    """`window`'s shape (which ends it has, its day format) with the stand-in values."""
    return replace(
        window,
        since=_STAND_IN.since if window.since else None,
        until=_STAND_IN.until if window.until else None,
    )


def _texts(context: WindowContext) -> list[str | None]:
    """A window's values as they stand inside the SQL's string literals: the instants (inside
    timestamp_literal's quotes) before the days, which can be part of an instant's text."""
    instants = [t.split("'")[1] if t else None for t in (context.since, context.until)]
    return [*instants, context.first_day, context.last_day]


def _put_values(sql: str, values: dict[str, str]) -> str:
    """`sql` with each stand-in text replaced by its value, all in one pass (longest first: a
    day can be the start of an instant), so no value is replaced again."""
    if not values:
        return sql
    pattern = "|".join(re.escape(text) for text in sorted(values, key=len, reverse=True))
    return re.sub(pattern, lambda match: values[match[0]], sql)


@dataclass(frozen=True)
class CompiledQuery:
    spec: QuerySpec
    dialect: str
    sql: str
    source: str  # the rendered template, in the source dialect


def _environment(target: str, window: WindowContext) -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(sql_dir() / "macros")),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(target=target, window=window)
    for macro_file in sorted((sql_dir() / "macros").glob("*.sql")):
        module = env.get_template(macro_file.name).make_module()
        env.globals.update(
            {name: getattr(module, name) for name in dir(module) if not name.startswith("_")}
        )
    return env


def render(
    spec: QuerySpec, bound: dict[str, SqlValue | None], target: str, window: TimeWindow
) -> str:
    import jinja2

    env = _environment(target, WindowContext.of(window))
    try:
        return env.from_string(spec.body).render(**bound).strip().rstrip(";")
    except jinja2.TemplateError as exc:
        raise FlowlakeError(f"query {spec.name}: template error: {exc}") from None


def check_dialect(dialect: str) -> None:
    if dialect not in DIALECTS:
        raise UsageError(f"unknown dialect {dialect!r}: use {' or '.join(DIALECTS)}")


def transpile(source_sql: str, dialect: str, name: str = "query", view: bool = False) -> str:
    """`source_sql` (Athena SQL) written for `dialect`; as a view's body (`view`), without its
    outermost LIMIT: that is a query's default row count, and a BI tool filtering the view must
    see every row. (A LIMIT inside is part of the query's meaning and stays; so does the ORDER BY,
    which Trino ignores in a view and DuckDB keeps for a plain SELECT * of it.)"""
    import sqlglot
    from sqlglot.errors import SqlglotError

    check_dialect(dialect)
    try:
        tree = sqlglot.parse_one(source_sql, read=SOURCE_DIALECT)
        if view:
            tree.set("limit", None)
        return tree.sql(dialect=dialect, pretty=True)
    except SqlglotError as exc:
        raise FlowlakeError(f"{name}: SQL does not parse: {str(exc).splitlines()[0]}") from None


def compile_query(
    name: str,
    params: dict[str, Any] | None = None,
    dialect: str = "duckdb",
    window: TimeWindow | None = None,
    *,
    view: bool = False,
) -> CompiledQuery:
    """`name` with `params` in `dialect`; with `view`, as a view's body (see `transpile`)."""
    spec = get(name)
    bound = spec.bind(params or {})  # bad parameters fail here, cached or not
    window = window or TimeWindow()
    check_dialect(dialect)
    shape = _stand_in(window)
    stand_in = WindowContext.of(shape)
    cache_key = compile_cache.key(
        spec.name, spec.body, sorted(bound.items()), dialect, stand_in, view
    )
    entry = compile_cache.load(cache_key)
    if entry is None:
        source = render(spec, bound, dialect, shape)
        entry = {"sql": transpile(source, dialect, spec.name, view), "source": source}
        compile_cache.store(cache_key, entry)
    values = {
        stand_in_text: text
        for stand_in_text, text in zip(
            _texts(stand_in), _texts(WindowContext.of(window)), strict=True
        )
        if stand_in_text and text
    }
    sql, source = entry["sql"], entry.get("source", "")
    if any(sql.count(text) != source.count(text) for text in values):
        # sqlglot wrote a window value some other way: this window is compiled as itself
        source = render(spec, bound, dialect, window)
        return CompiledQuery(spec, dialect, transpile(source, dialect, spec.name, view), source)
    return CompiledQuery(spec, dialect, _put_values(sql, values), _put_values(source, values))
