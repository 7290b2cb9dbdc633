"""Athena end to end on moto's server (S3, Glue and Athena): set-up and its reruns, queries with
their partition predicates, results typed and paginated, cost, the --max-scan guard, timeouts
and Ctrl-C stopping the query. moto never fails a query nor pages its results, so those paths
are also driven by botocore's Stubber, which checks each request against Athena's API model."""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
import requests
from botocore.stub import Stubber

from flowlake.athena.results import ResultTable
from flowlake.athena.scan import MB, cost, human_size, parse_size
from flowlake.engines.athena import AthenaEngine, AthenaSettings
from flowlake.errors import FlowlakeError, UsageError
from flowlake.sample_lake import write_sample_lake

from .conftest import upload_folder
from .helpers import parse_json

NOW = datetime(2024, 5, 2, 0, 30, tzinfo=UTC)
WINDOW = ["--since", "2024-05-01T23:30Z", "--until", "2024-05-02T00:30Z"]
LAKE = "s3://flow-logs/vpc"
HIVE_LAKE = "s3://hive-logs/vpc"
RESULTS = "s3://athena-results/flowlake/"


@dataclass
class Lakes:
    """moto holding two lakes and their Athena tables: database `flowlake` over the default
    layout (text), `hive_flows` over the Hive layout per hour (text)."""

    endpoint: str
    default: Any  # SampleLake
    hive: Any

    def client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.endpoint, region_name="us-east-1")


@pytest.fixture(scope="module")
def aws(moto_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lakes]:
    """Set up once for the module (moto is not reset between its tests, so each test names
    its own database when it needs one). boto3 finds moto's Glue and Athena through its
    per-service endpoint settings, as it would VPC endpoints; flowlake's --endpoint-url is
    for S3-compatible stores."""
    from flowlake.athena.lake_shape import inspect_lake
    from flowlake.athena.setup import setup
    from flowlake.athena.table import table_for
    from flowlake.lake.store import S3Options, open_store

    moto_server.reset()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("AWS_ENDPOINT_URL_ATHENA", moto_server.endpoint)
        env.setenv("AWS_ENDPOINT_URL_GLUE", moto_server.endpoint)
        moto_server.client("s3").create_bucket(Bucket="athena-results")
        root = tmp_path_factory.mktemp("athena")
        default = write_sample_lake(root / "default", now=NOW, hours=1)
        hive = write_sample_lake(root / "hive", now=NOW, hours=1, layout="hive", hourly=True)
        upload_folder(moto_server, default.root, "flow-logs", "vpc/")
        upload_folder(moto_server, hive.root, "hive-logs", "vpc/")
        s3 = S3Options(endpoint_url=moto_server.endpoint)
        for lake, database in ((LAKE, "flowlake"), (HIVE_LAKE, "hive_flows")):
            table = table_for(inspect_lake(open_store(lake, s3)), database=database)
            setup(AthenaEngine(AthenaSettings(database=database)), table)
        yield Lakes(moto_server.endpoint, default, hive)


@pytest.fixture
def queued_queries(aws: Lakes) -> Iterator[Lakes]:
    """moto's queries stay QUEUED until stopped (its default: SUCCEEDED at once)."""
    transitions = f"{aws.endpoint}/moto-api/state-manager"
    model = "athena::execution"
    manual = {"progression": "manual", "times": 1_000_000}
    requests.post(f"{transitions}/set-transition", json={"model_name": model, "transition": manual})
    yield aws
    requests.post(f"{transitions}/unset-transition", json={"model_name": model})


def queue_results(aws: Lakes, columns: list[tuple[str, str]], rows: list[list[str | None]]) -> None:
    """The next Athena query's result, through moto's results API: a SELECT's first row
    holds the column names, as Athena's does."""
    column_info = [{"Name": n, "Label": n, "Type": t} for n, t in columns]
    data = [{"Data": [{"VarCharValue": n} for n, _ in columns]}]
    data += [{"Data": [{} if v is None else {"VarCharValue": v} for v in row]} for row in rows]
    response = requests.post(
        f"{aws.endpoint}/moto-api/static/athena/query-results",
        json={"region": "us-east-1", "results": [{"rows": data, "column_info": column_info}]},
        timeout=10,
    )
    assert response.status_code == 201


def executions(aws: Lakes) -> list[dict[str, Any]]:
    """Every query Athena was sent, oldest first."""
    athena = aws.client("athena")
    ids = athena.list_query_executions()["QueryExecutionIds"]
    return [athena.get_query_execution(QueryExecutionId=i)["QueryExecution"] for i in ids]


def last_query(aws: Lakes) -> dict[str, Any]:
    return executions(aws)[-1]


# -- set-up -------------------------------------------------------------------------------


def test_setup_creates_then_reruns_change_nothing(cli, aws: Lakes) -> None:  # type: ignore[no-untyped-def]
    args = ["athena", "setup", "--lake", LAKE, "--endpoint-url", aws.endpoint]
    first = cli(*args, "--database", "setup_test", "--output", RESULTS)
    assert first.code == 0, first.err
    assert first.out.splitlines()[:2] == [
        "database setup_test: created", "table setup_test.vpc_flow_logs: created",
    ]  # fmt: skip
    glue = aws.client("glue")
    table = glue.get_table(DatabaseName="setup_test", Name="vpc_flow_logs")["Table"]
    parameters = table["Parameters"]
    assert parameters["projection.enabled"] == "true"
    assert parameters["projection.aws_account_id.values"] == "111122223333,444455556666"
    assert parameters["storage.location.template"] == (
        f"{LAKE}/AWSLogs/${{aws_account_id}}/vpcflowlogs/${{aws_region}}/${{day}}/"
    )
    assert [k["Name"] for k in table["PartitionKeys"]] == ["aws_account_id", "aws_region", "day"]
    assert table["StorageDescriptor"]["SerdeInfo"]["Parameters"]["field.delim"] == " "
    view = last_query(aws)
    assert view["Query"].startswith('CREATE OR REPLACE VIEW "setup_test"."flow_logs" AS')
    assert view["ResultConfiguration"]["OutputLocation"].startswith(RESULTS)

    again = cli(*args, "--database", "setup_test")
    assert again.code == 0, again.err
    lines = again.out.splitlines()
    assert lines[:2] == ["database setup_test: exists", "table setup_test.vpc_flow_logs: unchanged"]
    assert lines[2].startswith("view setup_test.flow_logs: created or replaced")
    assert glue.get_table(DatabaseName="setup_test", Name="vpc_flow_logs")["Table"] == table

    # a new account joins the organization: its values are added, nothing else moves
    more = cli(*args, "--database", "setup_test", "--accounts", "999988887777")
    assert more.code == 0, more.err
    assert "table setup_test.vpc_flow_logs: updated (Parameters)" in more.out
    updated = glue.get_table(DatabaseName="setup_test", Name="vpc_flow_logs")["Table"]
    assert updated["Parameters"]["projection.aws_account_id.values"].endswith(",999988887777")
    assert updated["StorageDescriptor"]["Columns"] == table["StorageDescriptor"]["Columns"]


# -- queries ------------------------------------------------------------------------------

REJECT_BY_PORT_COLUMNS = [
    ("dstport", "integer"), ("protocol", "integer"), ("rejects", "bigint"),
    ("packets", "bigint"), ("bytes", "bigint"), ("sources", "bigint"),
    ("first_seen", "timestamp(3) with time zone"), ("last_seen", "timestamp(3) with time zone"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("database", "days"),
    [
        ("flowlake", "'2024/05/01' AND '2024/05/02'"),
        ("hive_flows", "'year=2024/month=05/day=01' AND 'year=2024/month=05/day=02'"),
    ],
)
def test_query_runs_on_athena_and_renders_like_a_local_one(  # type: ignore[no-untyped-def]
    cli, aws: Lakes, database: str, days: str
) -> None:
    first, last = "2024-05-01 23:31:07.000 UTC", "2024-05-02 00:26:07.000 UTC"
    paris, utc = "2024-05-02 01:10:00.000 Europe/Paris", "2024-05-02 00:10:00.000 UTC"
    queue_results(
        aws,
        REJECT_BY_PORT_COLUMNS,
        [
            ["22", "6", "12", "24", "1440", "1", first, last],
            ["3389", "6", "2", None, "120", "2", paris, utc],
        ],
    )
    result = cli(
        "query", "reject-by-port", "--engine", "athena", "--database", database, *WINDOW,
        "--format", "json",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert parse_json(result.out) == [
        {"dstport": 22, "protocol": 6, "rejects": 12, "packets": 24, "bytes": 1440,
         "sources": 1, "first_seen": "2024-05-01T23:31:07Z", "last_seen": "2024-05-02T00:26:07Z"},
        {"dstport": 3389, "protocol": 6, "rejects": 2, "packets": None, "bytes": 120,
         "sources": 2, "first_seen": "2024-05-01T23:10:00Z", "last_seen": "2024-05-02T00:10:00Z"},
    ]  # fmt: skip
    # moto reports 0 bytes scanned: Athena bills 10 MB at least, at $5 per TB
    assert "Athena scanned 0 B in 0.0s, cost $0.000048 at $5.00/TB" in result.err
    sent = last_query(aws)
    assert sent["QueryExecutionContext"]["Database"] == database
    assert sent["WorkGroup"] == "primary"
    assert "FROM flow_logs" in sent["Query"]
    # the window is in the SQL as the table's partition predicate, in its layout's format
    assert f'"day" BETWEEN {days}' in sent["Query"]
    assert "FROM_ISO8601_TIMESTAMP('2024-05-01T23:30:00Z')" in sent["Query"]


def test_default_window_on_athena_is_stated(cli, aws: Lakes) -> None:  # type: ignore[no-untyped-def]
    result = cli("query", "reject-by-port", "--engine", "athena", "--format", "csv")
    assert result.code == 0, result.err
    assert "no --since given, so the last 24h before now" in result.err
    found = re.search(r'"day" BETWEEN \'(\S+)\' AND \'(\S+)\'', last_query(aws)["Query"])
    assert found, "every Athena query names its days"
    first = datetime.strptime(found[1], "%Y/%m/%d").replace(tzinfo=UTC)
    assert timedelta(hours=24) <= datetime.now(UTC) - first < timedelta(hours=49)


def test_max_scan_refuses_a_query_above_the_estimate(cli, aws: Lakes) -> None:  # type: ignore[no-untyped-def]
    files = aws.default.files
    total = sum(p.stat().st_size for p in files)  # the window spans the whole lake
    sent_before = len(executions(aws))
    refused = cli(
        "query", "reject-by-port", "--engine", "athena", *WINDOW, "--max-scan", "1KB",
        "--endpoint-url", aws.endpoint,
    )  # fmt: skip
    assert refused.code == 1
    assert refused.err.strip() == (
        f"flowlake: error: estimated scan {human_size(total)} in {len(files)} object(s) "
        "under 8 partition prefix(es) is above --max-scan 1.0 KB: narrow --since/--until or "
        "raise the limit"
    )  # 2 accounts x 2 regions x 2 days
    assert len(executions(aws)) == sent_before  # the query never started

    # a window on the second day only lists, and counts, that day's partitions
    late = [p for p in files if "/2024/05/02/" in p.as_posix()]
    allowed = cli(
        "query", "reject-by-port", "--engine", "athena", "--since", "2024-05-02T00:05Z",
        "--until", "2024-05-02T00:30Z", "--max-scan", "10GB", "--endpoint-url", aws.endpoint,
    )  # fmt: skip
    assert allowed.code == 0, allowed.err
    size = human_size(sum(p.stat().st_size for p in late))
    assert f"estimated scan {size} in {len(late)} object(s) under 4 partition" in allowed.err
    assert len(executions(aws)) == sent_before + 1


def test_timeout_stops_the_query(cli, queued_queries: Lakes) -> None:  # type: ignore[no-untyped-def]
    result = cli("query", "reject-by-port", "--engine", "athena", *WINDOW, "--timeout", "0.3")
    assert result.code == 1
    execution = last_query(queued_queries)
    assert result.err.strip() == (
        f"flowlake: error: Athena query {execution['QueryExecutionId']} did not finish within "
        "--timeout 0.3s; stopped it"
    )
    assert execution["Status"]["State"] == "CANCELLED"


def test_ctrl_c_stops_the_query(cli, aws: Lakes, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def interrupted(self: AthenaEngine, query_id: str) -> dict[str, Any]:
        raise KeyboardInterrupt

    monkeypatch.setattr(AthenaEngine, "_status", interrupted)
    sent_before = len(executions(aws))
    result = cli("query", "reject-by-port", "--engine", "athena", *WINDOW)
    assert result.code == 130
    assert len(executions(aws)) == sent_before + 1
    assert last_query(aws)["Status"]["State"] == "CANCELLED"  # moto's would have SUCCEEDED


def test_bad_input_is_one_line(cli, aws: Lakes) -> None:  # type: ignore[no-untyped-def]
    v2 = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets " \
         "bytes start end action log-status"  # fmt: skip
    setup = cli(
        "athena", "setup", "--lake", LAKE, "--endpoint-url", aws.endpoint, "--database", "v2",
        "--fields", v2,
    )  # fmt: skip
    assert setup.code == 0, setup.err
    cases = [
        (["--database", "missing"], 1,
         "no table missing.vpc_flow_logs in the Glue Data Catalog: create it with "
         "`flowlake athena setup --lake s3://...`"),
        (["--engine", "spark"], 2, "unknown engine 'spark': use duckdb or athena"),
        (["--workgroup", "nope"], 1,
         "Athena (workgroup nope): InvalidRequestException: WorkGroup does not exist"),
        (["--max-scan", "lots"], 2, "invalid size 'lots'"),
        (["--output-location", "athena-results"], 2, "--output-location must be an s3:// prefix"),
        (["--database", "Net-Logs"], 2, "database name 'Net-Logs'"),
        (["--database", "v2"], 1, "needs flow-log field(s) pkt-srcaddr pkt-dstaddr"),
    ]  # fmt: skip
    for args, code, message in cases:
        engine = [] if "--engine" in args else ["--engine", "athena"]
        result = cli("query", "packet-level-talkers", *WINDOW, *engine, *args)
        assert (result.code, message in result.err) == (code, True), (args, result.err)
        assert len(result.err.strip().splitlines()) == 1 and "Traceback" not in result.err


def test_columns_come_from_glue(aws: Lakes) -> None:
    columns = AthenaEngine(AthenaSettings(database="hive_flows")).columns()
    partitions = ["aws_account_id", "aws_region", "day", "hour"]
    assert columns == [*aws.hive.fields, *partitions, "start_time", "end_time"]


def test_pagination_over_moto_results(aws: Lakes) -> None:
    rows = [[f"eni-{n:05d}", str(n), f"{n}.5"] for n in range(2500)]
    queue_results(aws, [("interface_id", "varchar"), ("n", "bigint"), ("x", "double")], rows)
    result = AthenaEngine().run("SELECT interface_id, n, x FROM flow_logs")
    assert result.table.num_rows == 2500  # the header row is not data
    assert result.rows()[0] == {"interface_id": "eni-00000", "n": 0, "x": 0.5}
    assert result.rows()[-1] == {"interface_id": "eni-02499", "n": 2499, "x": 2499.5}


# -- Athena's API, stubbed: pages, polling, failures, cost ------------------------------------


def stubbed_engine(**settings: Any) -> tuple[AthenaEngine, Stubber, list[float]]:
    client = boto3.client("athena", region_name="us-east-1")
    stubber = Stubber(client)
    pauses: list[float] = []
    clock = [0.0]

    def sleep(seconds: float) -> None:
        pauses.append(seconds)
        clock[0] += seconds

    engine = AthenaEngine(
        AthenaSettings(**settings), sleep=sleep, clock=lambda: clock[0], clients={"athena": client}
    )
    stubber.add_response(
        "start_query_execution",
        {"QueryExecutionId": "q-1"},
        {
            "QueryString": "SELECT 1",
            "QueryExecutionContext": {"Catalog": "AwsDataCatalog", "Database": "flowlake"},
            "WorkGroup": "primary",
        },
    )
    return engine, stubber, pauses


def status(state: str, reason: str | None = None, scanned: int = 0) -> dict[str, Any]:
    execution: dict[str, Any] = {
        "QueryExecutionId": "q-1",
        "Status": {"State": state},
        "Statistics": {"DataScannedInBytes": scanned, "TotalExecutionTimeInMillis": 4200},
    }
    if reason:
        execution["Status"]["StateChangeReason"] = reason
    return {"QueryExecution": execution}


def test_polls_with_a_growing_pause_then_reads_every_page() -> None:
    engine, stubber, pauses = stubbed_engine(price_per_tb=6.25)
    for state in ("QUEUED", "RUNNING", "RUNNING", "RUNNING", "RUNNING", "RUNNING"):
        stubber.add_response("get_query_execution", status(state), {"QueryExecutionId": "q-1"})
    stubber.add_response(
        "get_query_execution", status("SUCCEEDED", scanned=3 << 30), {"QueryExecutionId": "q-1"}
    )
    columns = {"ColumnInfo": [{"Name": "n", "Type": "integer"}]}
    header = {"Data": [{"VarCharValue": "n"}]}
    numbers = iter(range(2500))
    for page, token in enumerate(("t1", "t2", None)):
        rows = [
            {"Data": [{"VarCharValue": str(next(numbers))}]} for _ in range(1000 if token else 500)
        ]
        response: dict[str, Any] = {
            "ResultSet": {
                "Rows": ([header] if page == 0 else []) + rows,
                "ResultSetMetadata": columns,
            }
        }
        if token:
            response["NextToken"] = token
        expected: dict[str, Any] = {"QueryExecutionId": "q-1", "MaxResults": 1000}
        if page:
            expected["NextToken"] = f"t{page}"
        stubber.add_response("get_query_results", response, expected)
    with stubber:
        result = engine.run("SELECT 1")
    stubber.assert_no_pending_responses()
    assert pauses == [0.25, 0.5, 1.0, 2.0, 4.0, 4.0]  # doubling, capped at MAX_POLL
    assert result.table.column("n").to_pylist() == list(range(2500))
    assert str(result.table.schema.field("n").type) == "int32"
    # 3 GiB at $6.25 per TB (2^40 bytes): $0.0183
    assert result.notices == [
        "Athena scanned 3.2 GB in 4.2s, cost $0.02 at $6.25/TB (billed per MB, 10 MB minimum; "
        "query q-1)"
    ]


@pytest.mark.parametrize(
    ("state", "reason", "message"),
    [
        ("FAILED", "SYNTAX_ERROR: line 1:8: Column 'nope' cannot be resolved",
         "Athena query q-1 failed: SYNTAX_ERROR: line 1:8: Column 'nope' cannot be resolved"),
        ("CANCELLED", "Query exceeded the workgroup's data usage limit",
         "Athena query q-1 was cancelled: Query exceeded the workgroup's data usage limit"),
        ("FAILED", None, "Athena query q-1 failed: Athena gave no reason"),
    ],
)  # fmt: skip
def test_failed_and_cancelled_queries_say_why(state: str, reason: str | None, message: str) -> None:
    engine, stubber, _ = stubbed_engine()
    stubber.add_response("get_query_execution", status(state, reason), {"QueryExecutionId": "q-1"})
    with stubber, pytest.raises(FlowlakeError) as caught:
        engine.run("SELECT 1")
    assert str(caught.value) == message


def test_timeout_bounds_the_wait_and_stops() -> None:
    engine, stubber, pauses = stubbed_engine(timeout=1.0)
    for _ in range(4):
        stubber.add_response("get_query_execution", status("RUNNING"), {"QueryExecutionId": "q-1"})
    stubber.add_response("stop_query_execution", {}, {"QueryExecutionId": "q-1"})
    with stubber, pytest.raises(FlowlakeError, match="within --timeout 1s; stopped it"):
        engine.run("SELECT 1")
    stubber.assert_no_pending_responses()
    assert pauses == [0.25, 0.5, 0.25]  # the last pause ends at the deadline


def test_result_types_follow_the_metadata() -> None:
    columns = [
        ("b", "boolean"), ("t", "tinyint"), ("s", "smallint"), ("i", "integer"), ("l", "bigint"),
        ("r", "real"), ("d", "double"), ("m", "decimal"), ("day", "date"), ("ts", "timestamp"),
        ("tz", "timestamp(3) with time zone"), ("v", "varchar"), ("a", "array(varchar)"),
    ]  # fmt: skip
    table = ResultTable([{"Name": n, "Type": t, "Precision": 10, "Scale": 2} for n, t in columns])
    row = [
        "true", "-3", "300", "70000", "5000000000", "1.5", "2.25", "12345.67", "2024-05-01",
        "2024-05-01 10:00:00.123456789", "2024-05-01 12:00:00.000 Europe/Paris", "", "[a, b]",
    ]  # fmt: skip
    table.add_page([{"Data": [{"VarCharValue": v} for v in row]}, {"Data": [{} for _ in row]}])
    arrow = table.table()
    assert [str(t) for t in arrow.schema.types] == [
        "bool", "int8", "int16", "int32", "int64", "float", "double", "decimal128(10, 2)",
        "date32[day]", "timestamp[us, tz=UTC]", "timestamp[us, tz=UTC]", "string", "string",
    ]  # fmt: skip
    first, empty = arrow.to_pylist()
    assert first["b"] is True and first["l"] == 5_000_000_000 and str(first["m"]) == "12345.67"
    assert first["ts"] == datetime(2024, 5, 1, 10, 0, 0, 123456, tzinfo=UTC)
    assert first["tz"] == datetime(2024, 5, 1, 10, 0, tzinfo=UTC)  # Paris is UTC+2 in May
    assert first["v"] == "" and first["a"] == "[a, b]"
    assert set(empty.values()) == {None}  # no VarCharValue is NULL; "" stays a string


def test_sizes_and_costs() -> None:
    assert parse_size("10GB") == 10**10
    assert parse_size("1.5 GiB") == 3 << 29
    assert parse_size("500mb") == 500 * 10**6
    assert parse_size("2048") == 2048
    with pytest.raises(UsageError):
        parse_size("10 parsecs")
    assert cost(0, 5.0) == cost(10 * MB, 5.0) == 10 / (1 << 20) * 5.0  # the 10 MB minimum
    assert cost(100 * MB + 1, 5.0) == 101 / (1 << 20) * 5.0  # rounded up to the megabyte
    assert cost(1 << 40, 5.0) == 5.0
    assert human_size(999) == "999 B" and human_size(3 << 30) == "3.2 GB"
