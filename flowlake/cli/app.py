"""Commands. Each parses its options, calls the library, and renders; nothing else."""

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from flowlake.cli import athena_options as athena_opt
from flowlake.cli import options as opt
from flowlake.errors import UsageError

if TYPE_CHECKING:
    from flowlake.lake import Lake

app = typer.Typer(
    name="flowlake",
    help="VPC Flow Logs troubleshooting as SQL: rejected traffic, by which layer, since when.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def parse_params(pairs: list[str] | None) -> dict[str, str]:
    params: dict[str, str] = {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name:
            raise UsageError(f"parameter {pair!r} is not NAME=VALUE")
        # `-p src=$IP` with IP unset must not drop the filter; no parameter takes a list
        if not value:
            raise UsageError(f"parameter {name} needs a value: -p {name}=VALUE")
        if name in params:
            raise UsageError(f"parameter {name} is given twice: give it once")
        params[name] = value
    return params


def build_lake(
    lake: str | None,
    since: str | None,
    until: str | None,
    fields: str | None = None,
    strict: bool = False,
    profile: str | None = None,
    region: str | None = None,
    endpoint_url: str | None = None,
) -> "Lake":
    from flowlake import config, registry
    from flowlake.lake import Lake
    from flowlake.lake.store import S3Options
    from flowlake.timewindow import TimeWindow

    location = config.setting("lake", lake)
    if not location:
        raise UsageError(
            "no lake given: pass --lake FOLDER|s3://bucket/prefix or set FLOWLAKE_LAKE"
        )
    field_text = config.setting("fields", fields)
    return Lake(
        location=location,
        window=TimeWindow.parse(since, until),
        fields=registry.parse_format(field_text) if field_text else None,
        s3=S3Options(
            profile=config.setting("profile", profile),
            region=config.setting("region", region),
            endpoint_url=config.setting("endpoint_url", endpoint_url),
        ),
        strict=strict,
    )


def report(warnings: list[str], notices: list[str]) -> None:
    for line in notices:
        print(f"flowlake: {line}", file=sys.stderr)
    for line in warnings:
        print(f"flowlake: warning: {line}", file=sys.stderr)


@app.command("list")
def list_queries(
    fmt: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
) -> None:
    """List the query catalogue: name, title and parameters.

    Example: flowlake list --format json
    """
    from flowlake.catalog import catalog

    specs = catalog().values()
    if fmt == "json":
        rows = [
            {
                "name": s.name,
                "title": s.title,
                "params": [
                    {
                        "name": p.name,
                        "type": p.type,
                        "default": p.default,
                        "required": p.required,
                        "choices": list(p.choices),
                        "help": p.help,
                    }
                    for p in s.params.values()
                ],
            }
            for s in specs
        ]
        print(json.dumps(rows, indent=2))
        return
    if fmt != "table":
        raise UsageError(f"unknown format {fmt!r}: use table or json")
    width = max(len(s.name) for s in specs)
    for s in specs:
        params = ", ".join(p.name for p in s.params.values())
        print(f"{s.name:<{width}}  {s.title}" + (f"  [{params}]" if params else ""))


@app.command()
def show(name: Annotated[str, typer.Argument(help="Query name, from `flowlake list`.")]) -> None:
    """Describe a query: what it answers, its parameters, its SQL for both engines, and the
    CloudWatch Logs Insights query it replaces.

    Example: flowlake show reject-by-port
    """
    from flowlake.catalog import get
    from flowlake.compiler import compile_query

    spec = get(name)
    print(f"{spec.name}: {spec.title}\n\n{spec.description}\n")
    print("Parameters:")
    for p in spec.params.values():
        print(f"  {p.describe()}: {p.help}")
    if not spec.params:
        print("  none")
    print(f"\nColumns: {', '.join(spec.columns)}")
    print(f"Flow-log fields needed: {' '.join(spec.fields) or 'none'}")
    if spec.tables:
        print(f"Network-config tables needed: {' '.join(spec.tables)} (flowlake config ...)")
    if spec.answers:
        print("\nAnswers:")
        for answer in spec.answers:
            print(f"  - {answer}")
    if spec.insights:
        print("\nCloudWatch Logs Insights equivalent:\n")
        print("\n".join("  " + line for line in spec.insights.splitlines()))
    examples = spec.example_params()
    with_examples = "".join(f", example {k}={v}" for k, v in examples.items())
    for dialect in ("duckdb", "athena"):
        print(f"\nSQL ({dialect}, default parameters{with_examples}):\n")
        print(compile_query(name, examples, dialect).sql + ";")


@app.command()
def sql(
    name: Annotated[str, typer.Argument(help="Query name, from `flowlake list`.")],
    params: opt.Params = None,
    dialect: opt.Dialect = "duckdb",
    since: opt.Since = None,
    until: opt.Until = None,
) -> None:
    """Print a query's SQL for DuckDB or Athena, to paste into a BI tool or the Athena console.

    Example: flowlake sql reject-by-port -p port=22 --dialect athena --since 7d
    """
    from flowlake.compiler import compile_query
    from flowlake.timewindow import TimeWindow

    compiled = compile_query(name, parse_params(params), dialect, TimeWindow.parse(since, until))
    print(compiled.sql + ";")


@app.command()
def query(
    name: Annotated[str, typer.Argument(help="Query name, from `flowlake list`.")],
    params: opt.Params = None,
    lake: opt.Lake = None,
    since: opt.Since = None,
    until: opt.Until = None,
    fmt: opt.Format = "table",
    output: opt.Output = None,
    fields: opt.Fields = None,
    strict: opt.Strict = False,
    profile: opt.Profile = None,
    region: opt.Region = None,
    endpoint_url: opt.EndpointUrl = None,
    engine: athena_opt.Engine = "duckdb",
    database: athena_opt.Database = None,
    workgroup: athena_opt.Workgroup = None,
    output_location: athena_opt.OutputLocation = None,
    max_scan: athena_opt.MaxScan = None,
    timeout: athena_opt.Timeout = None,
    chart: Annotated[
        bool,
        typer.Option(
            "--chart",
            help="Draw the query's chart instead of the table: in the terminal, or to "
            "--output FILE.png|.html.",
        ),
    ] = False,
) -> None:
    """Run a catalogue query on a lake of flow logs (local folder or S3) with DuckDB, or on
    its Athena table with --engine athena (see `flowlake athena setup`).

    Example: flowlake query reject-by-port --lake s3://logs/flow --since 24h -p protocol=tcp
    """
    from flowlake import output as out
    from flowlake.api import run_query
    from flowlake.catalog import get
    from flowlake.cli.progress import scanning

    get(name)  # an unknown query is reported before anything else
    if chart and fmt != "table":
        raise UsageError(
            f"--chart draws a chart, not --format {fmt}: leave one out "
            "(the chart's file type comes from --output: .png or .html)"
        )
    chosen = None
    if engine == "duckdb":
        the_lake = build_lake(lake, since, until, fields, strict, profile, region, endpoint_url)
    else:
        from flowlake.cli.athena_cmd import athena_query

        the_lake, chosen = athena_query(
            engine, lake, since, until, profile, region, endpoint_url,
            database, workgroup, output_location, max_scan, timeout,
        )  # fmt: skip
    with scanning(the_lake):
        run = run_query(name, parse_params(params), the_lake, chosen)
    spec = run.compiled.spec
    if chart:
        from flowlake.charts import draw_chart

        with out.writing_to(output):
            draw_chart(run.result.table, spec.chart, spec.title, output, query=spec.name)
    else:
        out.render(run.result, fmt, output, title=spec.title)
    report(run.result.warnings, run.result.notices)


@app.command()
def demo(
    folder: Annotated[
        Path | None, typer.Option(help="Where to write the sample lake (default: a temp folder).")
    ] = None,
    fmt: opt.Format = "table",
) -> None:
    """Generate a sample lake holding the seeds' scenarios (recent timestamps, AWS's layout),
    then run reject-by-port on it.

    Example: flowlake demo --folder ./sample-lake
    """
    import tempfile

    from flowlake import output as out
    from flowlake.api import run_query
    from flowlake.lake import Lake
    from flowlake.netconfig.sample import write_sample_network
    from flowlake.sample_lake import write_sample_lake

    root = folder or Path(tempfile.mkdtemp(prefix="flowlake-demo-"))
    with out.writing_to(root):
        sample = write_sample_lake(root)
        write_sample_network(sample.root, sample.expected)  # its network config and CloudTrail
    print(
        f"Sample lake: {sample.root} ({len(sample.files)} files, {sample.records} records, "
        f"{sample.start:%Y-%m-%d %H:%M} to {sample.end:%H:%M} UTC, with network config)",
        file=sys.stderr,
    )
    run = run_query("reject-by-port", {"limit": "10"}, Lake(str(sample.root)))
    out.render(run.result, fmt, None, title="reject-by-port on the sample lake")
    report(run.result.warnings, run.result.notices)
    print(
        f"\nTry: flowlake query reject-attribution --lake {sample.root}\n"
        f"     flowlake query sg-vs-nacl --lake {sample.root}\n"
        f"     flowlake diagnose --src 192.0.2.10 --dst 10.0.1.10 --port 80 --lake {sample.root}\n"
        f"     flowlake compact --lake {sample.root} --to {sample.root}-compacted\n"
        f"     flowlake sql reject-by-port --dialect athena",
        file=sys.stderr,
    )
