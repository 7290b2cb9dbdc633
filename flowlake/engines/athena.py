"""The remote engine: Amazon Athena (engine v3) over the Glue table `flowlake athena setup`
creates, queried through its `flow_logs` view (the table plus start_time and end_time).

A query is started, polled with a growing pause, and its result pages (1,000 rows each) are
typed from the result metadata. Each result says what Athena scanned and what that cost.
Stopping matters on Athena: a timeout or Ctrl-C stops the query (StopQueryExecution), which
would otherwise run, and bill, to its end.
"""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from flowlake.athena.partitions import Projection
from flowlake.athena.results import ResultTable
from flowlake.athena.scan import (
    DEFAULT_PRICE_PER_TB,
    cost,
    estimate_scan,
    format_cost,
    human_size,
)
from flowlake.athena.table import DEFAULT_DATABASE, DEFAULT_TABLE, VIEW
from flowlake.engines.base import Result
from flowlake.errors import FlowlakeError
from flowlake.lake import Lake
from flowlake.lake.store import S3Options
from flowlake.timewindow import TimeWindow

FINISHED = ("SUCCEEDED", "FAILED", "CANCELLED")


@cache
def _session(profile: str | None, region: str | None) -> Any:
    """One boto3 session per profile and region: a session loads each service's API model
    once, and engines made in one process (views --apply, a notebook, the tests) share it."""
    from flowlake.lake.aws import session

    return session(S3Options(profile, region))


DEFAULT_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class AthenaSettings:
    database: str = DEFAULT_DATABASE
    table: str = DEFAULT_TABLE
    """The Glue table over the lake's files; queries read its view."""
    view: str = VIEW
    workgroup: str = "primary"
    output_location: str | None = None
    """s3:// prefix for Athena's result files; None: the workgroup's own setting."""
    price_per_tb: float = DEFAULT_PRICE_PER_TB
    timeout: float | None = None
    """Seconds to wait for a query before stopping it; None: no limit."""
    aws: S3Options = field(default_factory=S3Options)
    """Profile and region. Athena and Glue endpoints come from boto3's own settings
    (AWS_ENDPOINT_URL_ATHENA, ...): an S3-compatible --endpoint-url is not theirs."""


class AthenaEngine:
    name = "athena"
    """Runs in Amazon Athena; reads the Glue table over an S3 lake."""
    dialect = "athena"
    FIRST_POLL = 0.25
    """Seconds before the second status check; the pause doubles after each check."""
    MAX_POLL = 4.0
    """The longest pause between status checks."""
    PAGE_SIZE = 1000
    """GetQueryResults' largest page."""

    def __init__(
        self,
        settings: AthenaSettings | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        clients: dict[str, Any] | None = None,
    ):
        self.settings = settings or AthenaSettings()
        self._sleep = sleep
        self._clock = clock
        self._clients: dict[str, Any] = dict(clients or {})  # "athena", "glue": boto3 clients
        self._table: dict[str, Any] | None = None
        self.warnings: list[str] = []
        self.notices: list[str] = []

    # -- AWS clients and errors -----------------------------------------------------------
    def client(self, service: str) -> Any:
        if service not in self._clients:
            from botocore.config import Config

            config = Config(connect_timeout=5, read_timeout=60, retries={"mode": "standard"})
            with self.errors(f"AWS {service}"):  # no region configured, say
                session = _session(self.settings.aws.profile, self.settings.aws.region)
                self._clients[service] = session.client(service, config=config)
        return self._clients[service]

    @contextmanager
    def errors(self, what: str) -> Iterator[None]:
        """AWS failures as one line naming what was asked (credentials never appear)."""
        from flowlake.lake.aws import s3_errors

        with s3_errors(what):
            yield

    # -- the table ------------------------------------------------------------------------
    @property
    def qualified_table(self) -> str:
        return f"{self.settings.database}.{self.settings.table}"

    def glue_table(self) -> dict[str, Any]:
        """The table's definition in the Glue Data Catalog."""
        if self._table is None:
            import botocore.exceptions

            with self.errors(f"Glue table {self.qualified_table}"):
                try:
                    response = self.client("glue").get_table(
                        DatabaseName=self.settings.database, Name=self.settings.table
                    )
                except botocore.exceptions.ClientError as exc:
                    if exc.response.get("Error", {}).get("Code") != "EntityNotFoundException":
                        raise
                    raise FlowlakeError(
                        f"no table {self.qualified_table} in the Glue Data Catalog: create it "
                        "with `flowlake athena setup --lake s3://...`"
                    ) from None
            self._table = response["Table"]
        return self._table

    def projection(self) -> Projection:
        table = self.glue_table()
        keys = [(k["Name"], k["Type"]) for k in table.get("PartitionKeys", [])]
        try:
            return Projection.from_properties(table.get("Parameters", {}), keys)
        except FlowlakeError as exc:
            raise FlowlakeError(f"table {self.qualified_table}: {exc}") from None

    def columns(self) -> list[str]:
        table = self.glue_table()
        names = [c["Name"] for c in table.get("StorageDescriptor", {}).get("Columns", [])]
        names += [k["Name"] for k in table.get("PartitionKeys", [])]
        return names + [f"{c}_time" for c in ("start", "end") if c in names]

    def lake(
        self,
        window: TimeWindow,
        s3: S3Options | None = None,
        *,
        max_scan: int | None = None,
        now: datetime | None = None,
    ) -> Lake:
        """The lake a query reads, for `run_query`: its window (a default one when it has no
        start, as a query without one would read every partition) in the table's partition
        format, checked against `max_scan` bytes by listing the partitions it selects."""
        projection = self.projection()
        if window.since is None:
            until = window.until or (now or datetime.now(UTC))
            window = TimeWindow(until - DEFAULT_WINDOW, window.until)
            self.notices.append(
                f"Athena: no --since given, so the last {DEFAULT_WINDOW.total_seconds() / 3600:g}h "
                f"before {'--until' if window.until else 'now'} (every query names its days)"
            )
        if max_scan is not None:
            estimate = estimate_scan(projection, window, s3 or self.settings.aws, now)
            if estimate.bytes > max_scan:
                raise FlowlakeError(
                    f"estimated scan {estimate.describe()} is above --max-scan "
                    f"{human_size(max_scan)}: narrow --since/--until or raise the limit"
                )
            self.notices.append(f"Athena: estimated scan {estimate.describe()}")
        location = self.glue_table().get("StorageDescriptor", {}).get("Location", "")
        return Lake(location=location, window=projection.window(window), s3=s3 or S3Options())

    # -- running --------------------------------------------------------------------------
    def run(self, sql: str) -> Result:
        execution = self.execute(sql)
        query_id = execution["QueryExecutionId"]
        table = self._results(query_id)
        statistics = execution.get("Statistics", {})
        scanned = int(statistics.get("DataScannedInBytes") or 0)
        seconds = int(statistics.get("TotalExecutionTimeInMillis") or 0) / 1000
        price = self.settings.price_per_tb
        scan = (
            f"Athena scanned {human_size(scanned)} in {seconds:.1f}s, cost "
            f"{format_cost(cost(scanned, price))} at {format_cost(price)}/TB "
            f"(billed per MB, 10 MB minimum; query {query_id})"
        )
        return Result(table, warnings=list(self.warnings), notices=[*self.notices, scan])

    def execute(self, sql: str) -> dict[str, Any]:
        """Run one statement to its end and return its QueryExecution; a failed or
        cancelled query is an error carrying Athena's reason."""
        query_id = self._start(sql)
        try:
            execution = self._wait(query_id)
        except KeyboardInterrupt:
            self._stop(query_id)  # else it runs on, and bills, after we exit
            raise
        status = execution["Status"]
        if status["State"] != "SUCCEEDED":
            reason = status.get("StateChangeReason") or "Athena gave no reason"
            verb = "failed" if status["State"] == "FAILED" else "was cancelled"
            raise FlowlakeError(f"Athena query {query_id} {verb}: {reason}")
        return execution

    def _start(self, sql: str) -> str:
        request: dict[str, Any] = {
            "QueryString": sql,
            "QueryExecutionContext": {
                "Catalog": "AwsDataCatalog",
                "Database": self.settings.database,
            },
            "WorkGroup": self.settings.workgroup,
        }
        if self.settings.output_location:
            request["ResultConfiguration"] = {"OutputLocation": self.settings.output_location}
        with self.errors(f"Athena (workgroup {self.settings.workgroup})"):
            return str(self.client("athena").start_query_execution(**request)["QueryExecutionId"])

    def _status(self, query_id: str) -> dict[str, Any]:
        with self.errors(f"Athena query {query_id}"):
            response = self.client("athena").get_query_execution(QueryExecutionId=query_id)
        return dict(response["QueryExecution"])

    def _wait(self, query_id: str) -> dict[str, Any]:
        timeout = self.settings.timeout
        deadline = None if timeout is None else self._clock() + timeout
        pause = self.FIRST_POLL
        while True:
            execution = self._status(query_id)
            if execution["Status"]["State"] in FINISHED:
                return execution
            if deadline is not None and self._clock() >= deadline:
                stopped = self._stop(query_id)
                raise FlowlakeError(
                    f"Athena query {query_id} did not finish within --timeout {timeout:g}s"
                    + ("; stopped it" if stopped else "; stopping it failed, it may still run")
                )
            left = None if deadline is None else max(deadline - self._clock(), 0.0)
            self._sleep(pause if left is None else min(pause, left))
            pause = min(pause * 2, self.MAX_POLL)

    def _stop(self, query_id: str) -> bool:
        try:
            self.client("athena").stop_query_execution(QueryExecutionId=query_id)
            return True
        except Exception:  # noqa: BLE001 - best effort, on the way out of a timeout or Ctrl-C
            return False

    def _results(self, query_id: str) -> Any:
        result: ResultTable | None = None
        with self.errors(f"Athena query {query_id}"):
            pages = (
                self.client("athena")
                .get_paginator("get_query_results")
                .paginate(QueryExecutionId=query_id, PaginationConfig={"PageSize": self.PAGE_SIZE})
            )
            for page in pages:
                result_set = page.get("ResultSet", {})
                if result is None:
                    metadata = result_set.get("ResultSetMetadata", {})
                    result = ResultTable(metadata.get("ColumnInfo", []))
                result.add_page(result_set.get("Rows", []))
        return (result or ResultTable([])).table()
