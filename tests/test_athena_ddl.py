"""Athena DDL from a lake: its layout, accounts, regions and format read from S3 (moto), the
partition projection's location template filled with real dates naming the prefixes where the
files are, and DDL that parses as Hive DDL and says what the Glue definition says."""

from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlglot
from sqlglot import exp

from flowlake import registry
from flowlake.athena.ddl import database_ddl, table_ddl, view_ddl
from flowlake.athena.lake_shape import FileFormat, LakeShape, inspect_lake, text_columns
from flowlake.athena.partitions import (
    DAY_FORMATS,
    PartitionedWindow,
    fill_template,
    java_to_strftime,
)
from flowlake.athena.table import table_for
from flowlake.compiler import compile_query
from flowlake.errors import FlowlakeError, LakeError
from flowlake.lake.store import S3Options, open_store
from flowlake.lint import lint_athena
from flowlake.sample_lake import ACCOUNT_A, ACCOUNT_B, write_sample_lake
from flowlake.sample_lake import DEFAULT_FIELDS as SAMPLE_FIELDS
from flowlake.timewindow import TimeWindow

from .conftest import upload_folder

# an hour either side of midnight: the lake spans two days
NOW = datetime(2024, 5, 2, 0, 30, tzinfo=UTC)
DAYS = (date(2024, 5, 1), date(2024, 5, 2))


def lake_in_s3(s3: Any, tmp_path: Path, bucket: str, **options: Any) -> tuple[Any, Any]:
    """A one-hour sample lake uploaded under s3://bucket/logs/: (sample, its S3 store)."""
    sample = write_sample_lake(tmp_path / bucket, now=NOW, hours=1, **options)
    upload_folder(s3, sample.root, bucket, "logs/")
    return sample, open_store(f"s3://{bucket}/logs", S3Options(endpoint_url=s3.endpoint))


def shape(layout: str = "default", hourly: bool = False, file_format: str = "text") -> LakeShape:
    """A lake's shape as inspect_lake finds it, for tests of what is built from one."""
    columns = text_columns(list(SAMPLE_FIELDS))
    if file_format == "parquet":
        columns = tuple((c, registry.field_for(c).athena_type) for c, _ in columns)
    found = FileFormat(file_format, columns, file_format == "text", "AWSLogs/.../file")
    return LakeShape(
        "s3://ddl-lake/logs/AWSLogs/", layout, hourly, (), (ACCOUNT_A, ACCOUNT_B),
        ("eu-west-1", "us-east-1"), 2024, found,
    )  # fmt: skip


def test_java_date_formats_become_strftime() -> None:
    assert java_to_strftime("yyyy/MM/dd") == "%Y/%m/%d"
    assert java_to_strftime("'year='yyyy'/month='MM'/day='dd") == "year=%Y/month=%m/day=%d"
    assert java_to_strftime("yyyy-MM-dd-HH") == "%Y-%m-%d-%H"
    assert java_to_strftime("'it''s 100%' yyyy") == "it's 100%% %Y"
    with pytest.raises(FlowlakeError, match="EEE is not supported"):
        java_to_strftime("EEE yyyy")


LAYOUTS = [
    pytest.param({"layout": "default"}, id="default"),
    pytest.param({"layout": "default", "hourly": True}, id="default-hourly"),
    pytest.param({"layout": "hive"}, id="hive"),
    pytest.param({"layout": "hive", "hourly": True, "file_format": "parquet"}, id="hive-hourly"),
    pytest.param({"layout": "default", "org": "o-a1b2c3d4e5"}, id="default-org"),
    pytest.param({"layout": "hive", "org": "o-a1b2c3d4e5", "hourly": True}, id="hive-org-hourly"),
]


@pytest.mark.parametrize("options", LAYOUTS)
def test_location_template_names_where_the_files_are(
    s3: Any, tmp_path: Path, options: dict[str, Any]
) -> None:
    sample, store = lake_in_s3(s3, tmp_path, "flow-logs", **options)
    table = table_for(inspect_lake(store))
    projection = table.projection
    columns = {c.name: c for c in projection.columns}

    # what the lake holds became the projection's values
    assert columns["aws_account_id"].projection["values"] == f"{ACCOUNT_A},{ACCOUNT_B}"
    assert columns["aws_region"].projection["values"] == "eu-west-1,us-east-1"
    assert ("aws_org_id" in columns) == ("org" in options)
    assert ("hour" in columns) == bool(options.get("hourly"))
    assert columns["day"].projection["range"].endswith(",NOW")

    # fill the template as Athena does, for every projected value of the lake's two days
    day_format = java_to_strftime(columns["day"].projection["format"])
    orgs = [options["org"]] if "org" in options else [None]
    # the lake's files are stamped 23:35 to 00:30: hours 22 to 01 hold them all (and the
    # check below that every uploaded file was found proves it), the other 20 are empty
    hours = ["22", "23", "00", "01"] if options.get("hourly") else [None]
    client = s3.client("s3")
    found: list[str] = []
    for org in orgs:
        for account in (ACCOUNT_A, ACCOUNT_B):
            for region in ("eu-west-1", "us-east-1"):
                for day in DAYS:
                    for hour in hours:
                        values = {"aws_account_id": account, "aws_region": region}
                        values["day"] = f"{day:{day_format}}"
                        if org:
                            values["aws_org_id"] = org
                        if hour:
                            values["hour"] = hour
                        prefix = fill_template(projection.template, values)
                        bucket, _, key = prefix.removeprefix("s3://").partition("/")
                        listed = client.list_objects_v2(Bucket=bucket, Prefix=key, Delimiter="/")
                        found += [o["Key"] for o in listed.get("Contents", [])]
    uploaded = sorted("logs/" + p.relative_to(sample.root).as_posix() for p in sample.files)
    assert sorted(found) == uploaded  # every file, each under exactly one partition
    # and the library's own enumeration (used for scan estimates) names the same prefixes
    listed = [
        o.key for p in projection.prefixes(DAYS) for o in store.walk(p.removeprefix(store.url))
    ]
    assert sorted("logs/" + k for k in listed) == uploaded


def test_text_table_follows_the_files_header(s3: Any, tmp_path: Path) -> None:
    sample, store = lake_in_s3(s3, tmp_path, "text-lake")
    table = table_for(inspect_lake(store))
    assert table.file_format == "text"
    # the sample writes AWS's v5 custom-format example, not the default order: by position
    assert table.column_names == list(sample.fields)
    assert table.column_names[:4] == ["version", "srcaddr", "dstaddr", "srcport"]
    types = dict(table.columns)
    assert (types["protocol"], types["packets"], types["start"]) == ("int", "bigint", "bigint")
    properties = table.properties()
    assert properties["skip.header.line.count"] == "1"
    assert properties["serialization.null.format"] == "-"
    assert table.location == "s3://text-lake/logs/AWSLogs/"


def test_parquet_table_takes_the_files_types(s3: Any, tmp_path: Path) -> None:
    sample, store = lake_in_s3(s3, tmp_path, "parquet-lake", file_format="parquet")
    table = table_for(inspect_lake(store))
    types = dict(table.columns)
    assert table.file_format == "parquet"
    assert set(types) == set(sample.fields)
    # AWS's Parquet: INT32 protocol and ports, INT64 counters and times
    assert (types["protocol"], types["dstport"], types["bytes"], types["end"]) == (
        "int", "int", "bigint", "bigint",
    )  # fmt: skip
    assert "skip.header.line.count" not in table.properties()


def _parse_hive(sql: str) -> exp.Create:
    tree = sqlglot.parse_one(sql, read="hive")
    assert isinstance(tree, exp.Create)
    return tree


def _properties(tree: exp.Create) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for prop in tree.args["properties"].expressions:
        if type(prop) is exp.Property:
            found[prop.this.name] = prop.args["value"].name
        else:
            found[type(prop).__name__] = prop
    return found


@pytest.mark.parametrize("file_format", ["text", "parquet"])
@pytest.mark.parametrize("layout", ["default", "hive"])
def test_ddl_parses_as_hive_and_says_what_glue_is_told(layout: str, file_format: str) -> None:
    table = table_for(
        shape(layout, hourly=layout == "hive", file_format=file_format), database="netlogs"
    )
    glue = table.glue_input()

    assert _parse_hive(database_ddl("netlogs")).args["exists"]  # IF NOT EXISTS
    tree = _parse_hive(table_ddl(table))
    assert tree.args["exists"] and tree.args["kind"] == "TABLE"
    assert tree.this.this.name == "vpc_flow_logs" and tree.this.this.args["db"].name == "netlogs"
    columns = [(c.name, c.args["kind"].sql("hive").lower()) for c in tree.this.expressions]
    assert columns == [(c["Name"], c["Type"]) for c in glue["StorageDescriptor"]["Columns"]]

    properties = _properties(tree)
    assert "ExternalProperty" in properties
    partitions = properties["PartitionedByProperty"].this.expressions
    assert [(c.name, c.args["kind"].sql("hive").lower()) for c in partitions] == [
        (k["Name"], k["Type"]) for k in glue["PartitionKeys"]
    ]
    assert properties["LocationProperty"].this.name == glue["StorageDescriptor"]["Location"]
    tblproperties = {k: v for k, v in properties.items() if isinstance(v, str)}
    assert tblproperties == {
        k: v for k, v in glue["Parameters"].items() if k not in ("EXTERNAL", "classification")
    }
    day_format = "'year='yyyy'/month='MM'/day='dd" if layout == "hive" else "yyyy/MM/dd"
    assert tblproperties["projection.day.format"] == day_format
    if file_format == "text":
        delimited = properties["RowFormatDelimitedProperty"]
        assert delimited.args["fields"].name == " "
        assert glue["StorageDescriptor"]["SerdeInfo"]["Parameters"]["field.delim"] == " "
    else:
        assert properties["FileFormatProperty"].this.name.upper() == "PARQUET"
        assert "Parquet" in glue["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"]


def test_view_gives_the_columns_duckdb_has() -> None:
    sql = view_ddl(table_for(shape()))
    assert lint_athena(sql) == []
    tree = sqlglot.parse_one(sql, read="athena")
    assert tree.args["replace"]  # OR REPLACE: reruns are harmless
    select = tree.expression
    aliases = [e.alias for e in select.expressions if e.alias]
    assert aliases == ["start_time", "end_time"]
    assert [f.sql("athena") for f in select.find_all(exp.UnixToTime)] == [
        'FROM_UNIXTIME("start")', 'FROM_UNIXTIME("end")',
    ]  # fmt: skip


def test_fields_option_and_extra_accounts() -> None:
    table = table_for(
        replace(shape(), file_format=None),
        fields=["version", "account_id", "srcaddr", "end"],
        accounts=["999988887777"],
    )
    assert table.columns == (
        ("version", "int"), ("account_id", "string"), ("srcaddr", "string"), ("end", "bigint"),
    )  # fmt: skip
    accounts = table.projection.column("aws_account_id")
    assert accounts is not None
    assert accounts.projection["values"] == f"{ACCOUNT_A},{ACCOUNT_B},999988887777"
    assert "`end` bigint" in table_ddl(table)  # a reserved word, quoted


def test_lake_with_two_text_formats_is_refused(s3: Any, tmp_path: Path) -> None:
    first = write_sample_lake(tmp_path / "a", now=NOW, hours=1)
    # account B's newest files in another format: a positional table cannot read both
    second = write_sample_lake(
        tmp_path / "b",
        now=datetime(2024, 5, 2, 1, 30, tzinfo=UTC),
        hours=1,
        fields=["version", "account-id", "interface-id", "srcaddr", "dstaddr", "start", "end"],
    )
    upload_folder(s3, first.root, "mixed")
    client = s3.client("s3")
    for path in second.files:
        key = path.relative_to(second.root).as_posix()
        if f"/{ACCOUNT_B}/" in key:
            client.upload_file(str(path), "mixed", key)
    with pytest.raises(LakeError, match="different formats .* own table"):
        inspect_lake(open_store("s3://mixed", S3Options(endpoint_url=s3.endpoint)))


def test_ddl_command(cli, s3: Any, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    lake_in_s3(s3, tmp_path, "cli-lake", layout="hive")
    result = cli(
        "athena", "ddl", "--lake", "s3://cli-lake/logs", "--endpoint-url", s3.endpoint,
        "--database", "netlogs", "--table", "flows",
    )  # fmt: skip
    assert result.code == 0, result.err
    statements = [s.strip() for s in result.out.split(";\n") if s.strip()]
    assert len(statements) == 3
    assert statements[0] == "CREATE DATABASE IF NOT EXISTS `netlogs`"
    assert statements[1].startswith("CREATE EXTERNAL TABLE IF NOT EXISTS `netlogs`.`flows`")
    assert "aws-account-id=${aws_account_id}/aws-service=vpcflowlogs/" in statements[1]
    assert statements[2].startswith('CREATE OR REPLACE VIEW "netlogs"."flow_logs" AS')
    for statement in statements[:2]:
        sqlglot.parse_one(statement, read="hive")

    with_config = cli(
        "athena", "ddl", "--lake", "s3://cli-lake/logs", "--endpoint-url", s3.endpoint,
        "--database", "netlogs", "--table", "flows", "--config",
    )  # fmt: skip
    assert with_config.code == 0, with_config.err
    extra = [s.strip() for s in with_config.out.split(";\n") if s.strip()][3:]
    assert any("security_group_rules" in s and "s3://cli-lake/logs/config/" in s for s in extra)
    assert any("network_acl_entries" in s for s in extra)


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--lake", "./somewhere"], 2, "Athena reads S3: --lake must be s3://"),
        (["--lake", "s3://empty-bucket/x"], 1, "no AWSLogs/ folder in s3://empty-bucket/x/"),
        (["--lake", "s3://no-such-bucket/x"], 1, "bucket does not exist"),
        (["--lake", "s3://empty-bucket", "--table", "Flow-Logs"], 2, "table name 'Flow-Logs'"),
        (["--lake", "s3://empty-bucket", "--accounts", "1234"], 2, "account id '1234'"),
        (["--lake", "s3://empty-bucket", "--regions", "Europe"], 2, "region 'Europe' is not"),
        (["--lake", "s3://empty-bucket", "--fields", ","], 2, "flow-log format ',' names no field"),
    ],
)
def test_ddl_bad_input_is_one_line(  # type: ignore[no-untyped-def]
    cli, s3: Any, args: list[str], code: int, message: str
) -> None:
    s3.client("s3").create_bucket(Bucket="empty-bucket")
    s3.client("s3").put_object(Bucket="empty-bucket", Key="AWSLogs/readme.txt", Body=b"x")
    result = cli("athena", "ddl", "--endpoint-url", s3.endpoint, *args)
    assert result.code == code
    assert message in result.err
    assert len(result.err.strip().splitlines()) == 1 and "Traceback" not in result.err


def test_compiled_window_speaks_the_tables_day_format() -> None:
    since, until = datetime(2024, 5, 1, tzinfo=UTC), datetime(2024, 5, 2, tzinfo=UTC)
    hive = PartitionedWindow(since, until, day_format=java_to_strftime(DAY_FORMATS["hive"]))
    sql = compile_query("reject-by-port", {}, "athena", hive).sql
    assert "\"day\" BETWEEN 'year=2024/month=05/day=01' AND 'year=2024/month=05/day=02'" in sql
    assert lint_athena(sql) == []
    # AWS's default layout: the golden files' predicate, unchanged
    default = compile_query("reject-by-port", {}, "athena", TimeWindow(since, until)).sql
    assert "\"day\" BETWEEN '2024/05/01' AND '2024/05/02'" in default
    assert (
        default
        == compile_query("reject-by-port", {}, "athena", PartitionedWindow(since, until)).sql
    )
    # DuckDB has no partitions: the format changes nothing there
    assert (
        compile_query("reject-by-port", {}, "duckdb", hive).sql
        == compile_query("reject-by-port", {}, "duckdb", TimeWindow(since, until)).sql
    )
