"""The local engine: DuckDB in-process over the lake's files (a folder or S3 through httpfs)."""

import re
from collections.abc import Collection
from datetime import UTC
from typing import Any

from flowlake import registry
from flowlake.engines.base import Result, Rows
from flowlake.engines.duckdb_conn import connect, create_s3_secret, duckdb_module
from flowlake.errors import FlowlakeError, LakeError
from flowlake.lake import Lake
from flowlake.lake.discovery import Discovery, Source
from flowlake.lake.view import (
    FILENAME,
    LINEAGE_COLUMN,
    duckdb_type,
    file_list,
    flow_logs_view,
    parquet_reader,
    quote,
    recovered_table,
    rejects_scan,
    rejects_table,
    text_reader,
)

# Columns of flow_logs that flowlake derives: a file that has them is no flow log.
_COMPUTED_COLUMNS = {"start_time", "end_time", FILENAME}

_IO_ERROR = re.compile(
    r"(gzip|GZIP|decompress|zlib|Parquet|parquet|magic bytes|CSV Parser state machine)"
)


class DuckDBEngine:
    name = "duckdb"
    """Runs in-process; reads local folders and s3:// (httpfs from its PyPI wheel)."""
    dialect = "duckdb"

    def __init__(
        self,
        lake: Lake | None = None,
        *,
        filename: bool = False,
        config_tables: Collection[str] | None = None,
    ):
        self.lake = lake
        self.filename = filename
        """Add a `filename` column to flow_logs: the path each row was read from."""
        self.config_tables = config_tables
        """The network-config tables to create (all when None): each costs ~1 ms a query."""
        self.con: Any = None
        self._columns: list[str] = []
        self._base_columns: list[str] = []  # the files' columns, without the derived ones
        self._view_sql = ""
        self._materialized = False
        self._text_sources: dict[int, Source] = {}
        self._excluded: set[str] = set()
        self._not_flow_logs: list[str] = []  # why Parquet files were left out of the view
        self._seen_rejects: set[tuple[str, int]] = set()
        self._malformed: dict[str, list[int]] = {}
        self.warnings: list[str] = []
        self.notices: list[str] = []

    # -- set-up ---------------------------------------------------------------------------
    def connect(self) -> Any:
        if self.con is None:
            is_s3 = bool(self.lake and self.lake.is_s3)
            self.con = connect(httpfs=is_s3)
            if is_s3 and self.lake:
                create_s3_secret(self.con, self.lake.s3)
            if self.lake:
                self._register_lake()
            from flowlake.netconfig.views import register_config_tables

            self.warnings += register_config_tables(self.con, self.lake, self.config_tables)
        return self.con

    def _path(self, key: str) -> str:
        assert self.lake
        return self.lake.store.reader_path(key)

    def _register_lake(self) -> None:
        assert self.lake
        discovery = self.lake.discovery
        for reason in discovery.skipped:
            if self.lake.strict:
                raise LakeError(reason)
            self.warnings.append(f"skipped {reason}")
        if not discovery.sources:
            self.notices.append(f"no flow-log files in {self.lake.store.url} for this time window")
        if not self._build_view() and self._not_flow_logs:
            raise LakeError(self._not_flow_logs[0])  # nothing in the lake is a flow log

    def _build_view(self) -> bool:
        """(Re)create flow_logs over the lake's files; whether any file is in it."""
        assert self.lake and self.con
        branches: list[str] = []
        columns: list[str] = []
        self._text_sources = {}
        for index, source in enumerate(self.lake.discovery.sources):
            paths = [p for p in map(self._path, source.keys) if p not in self._excluded]
            if not paths:
                continue
            if source.kind == "parquet":
                names = self._flow_log_parquet(paths)
                paths = [p for p in paths if p not in self._excluded]
                if not paths:
                    continue
                source_columns = list(names)
                branches.append(parquet_reader(paths, names, filename=self.filename))
            else:
                source_columns = list(source.fields)
                self._text_sources[index] = source
                self._create_recovered_table(index, source)
                reader = text_reader(source, paths, index, filename=self.filename)
                if self.lake.strict:
                    # every column parsed by every query: DuckDB's CSV reader skips the columns a
                    # query does not read, and a bad value in one of them would go unseen
                    reader = f"SELECT * FROM ({reader}) WHERE hash(COLUMNS(*)) IS NOT NULL"
                branches.append(reader)
                branches.append(f"SELECT * FROM {recovered_table(index)}")
            columns += [c for c in source_columns if c not in columns]
        read_files = bool(branches)
        if not branches:  # nothing in the window: an empty view with every known column
            known = [f.column for f in registry.fields()]
            empty = ", ".join(f"NULL::{duckdb_type(c)} AS {quote(c)}" for c in known)
            if self.filename:
                empty += f", NULL::VARCHAR AS {FILENAME}"
            branches, columns = [f"SELECT {empty} WHERE false"], known
        self._base_columns = columns
        self._columns = columns + [
            c for c in ("start_time", "end_time") if c.split("_")[0] in columns
        ]
        if self.filename:
            self._columns.append(FILENAME)
        self._view_sql = flow_logs_view(branches, columns, self.lake.window, filename=self.filename)
        self.con.execute(self._view_sql)
        return read_files

    def set_sources(self, sources: list[Source]) -> None:
        """flow_logs over `sources` (some of the lake's) from now on: a statement binds a reader
        over every file of the view, so work done part by part reads each part alone. Malformed
        lines and unreadable files met so far stay counted."""
        assert self.lake
        self.connect()
        self.lake.discovery = Discovery(sources=sources)
        self._build_view()

    def _flow_log_parquet(self, paths: list[str]) -> dict[str, str]:
        """Registry column -> the files' name for it, over those of the Parquet `paths` that
        are flow logs; the others are left out with a warning (an error with --strict).

        A flow log has `start` or `log-status` and none of the columns flowlake computes: a
        query's own Parquet output saved into the lake folder must not be read as records
        (its counts would count as flows, its start_time replace the records' own)."""
        assert self.con and self.lake
        schemas: dict[str, list[str]] = {}
        try:
            for file_name, name in self.con.execute(
                f"SELECT file_name, name FROM parquet_schema({file_list(paths)}) "
                "WHERE type IS NOT NULL"  # leaf columns: not the schema's root
            ).fetchall():
                schemas.setdefault(file_name, []).append(name)
        except Exception as exc:
            raise LakeError(f"cannot read Parquet files: {_first_line(exc)}") from None
        names: dict[str, str] = {}
        for path in paths:
            columns = [c for c in schemas.get(path, []) if c != LINEAGE_COLUMN]
            mapped = {registry.column_name(c) for c in columns}
            computed = sorted(mapped & _COMPUTED_COLUMNS)
            if computed or not mapped & {"start", "log_status"}:
                self._not_a_flow_log(path, computed)
                continue
            for name in columns:
                column = registry.column_name(name)
                if names.setdefault(column, name) != name:
                    raise LakeError(
                        f"Parquet files name one field two ways ({names[column]!r} and "
                        f"{name!r}): keep such files in separate lakes"
                    )
        return names

    def _not_a_flow_log(self, path: str, computed: list[str]) -> None:
        assert self.lake
        why = (
            f"has column {', '.join(computed)}, which flowlake computes"
            if computed
            else "has neither a start nor a log-status field"
        )
        reason = f"{path}: not a flow-log Parquet file ({why})"
        if self.lake.strict:
            raise LakeError(reason)
        self._not_flow_logs.append(reason)
        self.warnings.append(f"skipped {reason}")
        self._excluded.add(path)

    def _create_recovered_table(self, index: int, source: Source) -> None:
        columns = ", ".join(f"{quote(c)} {duckdb_type(c)}" for c in source.fields)
        if self.filename:
            columns += f", {FILENAME} VARCHAR"
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {recovered_table(index)} ({columns})")

    # -- queries --------------------------------------------------------------------------
    def columns(self) -> list[str]:
        self.connect()
        return list(self._columns)

    def run(self, sql: str, *, arrow: bool = False) -> Result:
        """Rows of `sql` as Python values (as an Arrow table with `arrow`, for bulk copies)."""
        self.connect()
        table = self._execute(sql, arrow=arrow)
        if self._text_sources and self._recover_lines():
            table = self._execute(sql, arrow=arrow)  # again, with the recovered lines in the view
        return Result(table, warnings=self.all_warnings(), notices=list(self.notices))

    def materialize(self, table: str, query: str = "SELECT * FROM flow_logs") -> None:
        """CREATE TEMP TABLE `table` AS `query` (a query of flow_logs) with one scan of the files.

        Where `run` scans again once lines with runs of spaces are recovered, this runs `query`
        once more over a flow_logs holding only the recovered lines and appends its rows.
        Malformed lines and unreadable files are reported as by `run`. Once per engine: the
        lines recovered here are in flow_logs for any later query.
        """
        self.connect()
        if self._materialized:
            raise RuntimeError("materialize runs once per engine")
        self._materialized = True
        self._execute(f"CREATE OR REPLACE TEMP TABLE {quote(table)} AS {query}", fetch=False)
        if not (self._text_sources and self._recover_lines()):
            return
        assert self.lake
        typed = [f"NULL::{duckdb_type(c)} AS {quote(c)}" for c in self._base_columns]
        if self.filename:
            typed.append(f"NULL::VARCHAR AS {FILENAME}")
        branches = [f"SELECT {', '.join(typed)} WHERE false"]  # every column, with its type
        branches += [f"SELECT * FROM {recovered_table(i)}" for i in self._text_sources]
        self.con.execute(
            flow_logs_view(branches, self._base_columns, self.lake.window, filename=self.filename)
        )
        try:
            self.con.execute(f"INSERT INTO {quote(table)} BY NAME {query}")
        finally:
            self.con.execute(self._view_sql)  # flow_logs over every file again

    def all_warnings(self) -> list[str]:
        """Skipped files and malformed lines met so far, one line each."""
        return self.warnings + self._malformed_warnings()

    @property
    def malformed(self) -> dict[str, int]:
        """Malformed lines skipped so far, per file path."""
        return {path: len(lines) for path, lines in self._malformed.items()}

    @property
    def unreadable(self) -> set[str]:
        """Paths of files left out because they cannot be read (corrupt gzip or Parquet)."""
        return set(self._excluded)

    def _execute(self, sql: str, fetch: bool = True, arrow: bool = False) -> Any:
        for index in self._text_sources:
            self.con.execute(f"DROP TABLE IF EXISTS {rejects_table(index)}")
            self.con.execute(f"DROP TABLE IF EXISTS {rejects_scan(index)}")
        while True:
            try:
                if not fetch:
                    self.con.execute(sql)
                    return None
                if arrow:
                    return self.con.execute(sql).to_arrow_table()
                return fetch_rows(self.con, sql)
            except Exception as exc:
                if not self._skip_unreadable_file(exc):
                    raise self._archived_file(exc) or _engine_error(exc) from None

    def _archived_file(self, exc: Exception) -> LakeError | None:
        """S3 answers 403 to a GET of an object archived in Glacier, which reads as "access
        denied": name the file and what to do instead, when that is the cause."""
        from urllib.parse import unquote

        if not (self.lake and self.lake.is_s3 and "403" in str(exc)):
            return None
        store: Any = self.lake.store
        message = unquote(str(exc))
        for source in self.lake.discovery.sources:
            for key in source.keys:
                if f"/{store.prefix}{key}" in message and (kind := store.archived(key)):
                    return LakeError(
                        f"{store.reader_path(key)} is archived in S3 {kind}: restore it "
                        "(aws s3api restore-object) or leave its days out with --since/--until"
                    )
        return None

    def _skip_unreadable_file(self, exc: Exception) -> bool:
        """A corrupt file fails the whole scan: find it, drop it from the view, go on."""
        if not self.lake or not _IO_ERROR.search(str(exc)):
            return False
        bad = self._find_unreadable()
        if not bad:
            return False
        if self.lake.strict:
            raise LakeError(f"{bad}: cannot be read ({_first_line(exc)})")
        self.warnings.append(f"skipped {bad}: not a readable flow-log file ({_first_line(exc)})")
        self._excluded.add(bad)
        self._build_view()
        return True

    def _find_unreadable(self) -> str | None:
        assert self.lake
        for source in self.lake.discovery.sources:
            for key in source.keys:
                path = self._path(key)
                if path in self._excluded:
                    continue
                # malformed lines are not what this looks for: they must not fail the probe
                reader = (
                    parquet_reader([path], None)
                    if source.kind == "parquet"
                    else text_reader(source, [path], None, ignore_errors=True)
                )
                try:
                    self.con.execute(f"SELECT count(*) FROM ({reader})").fetchall()
                except Exception:
                    return path
        return None

    def _recover_lines(self) -> bool:
        """Sort rejected lines: runs of spaces are recovered, anything else is malformed.

        Returns whether lines were recovered that the view did not have yet (the query must
        then run again). Each line is recovered or reported once per engine, however many
        queries scan it.
        """
        assert self.lake
        recovered_now = False
        scanned = {
            row[0] for row in self.con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
        }
        for index, source in self._text_sources.items():
            if rejects_table(index) not in scanned:
                continue  # a query that does not read flow_logs (network-config tables only)
            rows = self.con.execute(
                f"SELECT DISTINCT s.file_path, e.line, e.csv_line FROM {rejects_table(index)} e "
                f"JOIN {rejects_scan(index)} s USING (scan_id, file_id) ORDER BY 1, 2"
            ).fetchall()
            good: list[tuple[Any, ...]] = []
            for path, line, text in rows:
                if (path, line) in self._seen_rejects:
                    continue
                self._seen_rejects.add((path, line))
                values = _split_record(text, source)
                if values is None:
                    if self.lake.strict:
                        raise LakeError(
                            f"{path}: line {line} is not a valid flow-log record{_truncated(path)}"
                        )
                    self._malformed.setdefault(path, []).append(int(line))
                else:
                    good.append((*values, path) if self.filename else values)
            if good:
                typed = ", ".join(
                    f"TRY_CAST(NULLIF(${n + 1}, '-') AS {duckdb_type(c)})"
                    for n, c in enumerate(source.fields)
                )
                if self.filename:
                    typed += f", ${len(source.fields) + 1}"
                self.con.executemany(f"INSERT INTO {recovered_table(index)} SELECT {typed}", good)
                recovered_now = True
        return recovered_now

    def _malformed_warnings(self) -> list[str]:
        warnings = []
        for path, lines in sorted(self._malformed.items()):
            shown = ", ".join(map(str, sorted(lines)[:5])) + (" ..." if len(lines) > 5 else "")
            warnings.append(
                f"skipped {len(lines)} malformed line(s) in {path} (line {shown})"
                f"{_truncated(path)}; --strict to fail"
            )
        return warnings


def _truncated(path: str) -> str:
    """A note for a local gzip file whose stream ends early: DuckDB reads such a file up to the
    cut without an error, and its last line, cut short, is what is reported as malformed."""
    from flowlake.lake.store import gzip_ok

    if path.endswith(".gz") and "://" not in path and not gzip_ok(path):
        return ": the file is truncated (its gzip stream ends early)"
    return ""


def fetch_rows(con: Any, sql: str) -> Rows:
    """Run `sql` and fetch its rows as Python values, keeping DuckDB's column types.

    DuckDB's Python client needs pytz for zoned timestamps: those columns are fetched as UTC
    wall-clock time (the session's zone is UTC) and get their zone back here. Statements other
    than queries (COPY, whose one row is its count; SET; CREATE) run as they are.
    """
    if con.extract_statements(sql)[-1].type != duckdb_module().StatementType.SELECT:
        cursor = con.execute(sql)
        described = cursor.description or []
        rows = cursor.fetchall() if described else []
        return Rows([d[0] for d in described], [str(d[1]) for d in described], rows)
    relation = con.sql(sql)
    names, types = list(relation.columns), [str(t) for t in relation.types]
    zoned = [i for i, t in enumerate(types) if t == "TIMESTAMP WITH TIME ZONE"]
    if any("WITH TIME ZONE" in t for n, t in enumerate(types) if n not in zoned):
        return Rows.from_arrow(relation.to_arrow_table())  # zones nested in lists or structs
    if zoned:
        columns = (f"#{n + 1}::TIMESTAMP" if n in zoned else f"#{n + 1}" for n in range(len(names)))
        relation = relation.project(", ".join(columns))
    values = relation.fetchall()
    if zoned:
        values = [
            tuple(
                v.replace(tzinfo=UTC) if n in zoned and v is not None else v
                for n, v in enumerate(row)
            )
            for row in values
        ]
    return Rows(names, types, values)


def _split_record(text: str, source: Source) -> tuple[str, ...] | None:
    """The fields of a rejected line if it is a record with irregular spacing, else None."""
    tokens = text.split()
    if len(tokens) != len(source.fields):
        return None
    for token, column in zip(tokens, source.fields, strict=True):
        if token != "-" and registry.field_for(column).is_numeric and column != "export_timestamp":
            if not token.lstrip("-").isdigit():
                return None
    return tuple(tokens)


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _engine_error(exc: Exception) -> FlowlakeError:
    message = _first_line(exc)
    lowered = message.lower()
    if "403" in message or "access denied" in lowered or "forbidden" in lowered:
        return LakeError(f"S3 denied access while reading the lake: {message}")
    if "could not establish connection" in lowered or "connection refused" in lowered:
        return LakeError(f"cannot reach the S3 endpoint: {message}")
    return FlowlakeError(f"query failed in DuckDB: {message}")
