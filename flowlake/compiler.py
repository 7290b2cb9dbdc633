"""Templates to SQL: Jinja2 renders a query in the source dialect (Athena/Trino, see
docs/decisions/0001-source-dialect.md), then sqlglot writes it for the target engine."""

from dataclasses import dataclass
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
    """The time window as templates see it: SQL literals, and Athena's partition days."""

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
    cache_key = compile_cache.key(
        spec.name, spec.body, sorted(bound.items()), dialect, WindowContext.of(window), view
    )
    cached = compile_cache.load(cache_key)
    if cached is not None:
        return CompiledQuery(spec, dialect, cached["sql"], cached.get("source", ""))
    source = render(spec, bound, dialect, window)
    sql = transpile(source, dialect, spec.name, view)
    compile_cache.store(cache_key, {"sql": sql, "source": source})
    return CompiledQuery(spec, dialect, sql, source)
