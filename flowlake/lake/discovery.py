"""Finding a lake's flow-log files for a time window, and grouping them by format.

The walk lists one directory level at a time. Above the date levels (account, region, ...) it
lists everything; at a date level it only visits the days (and hours) the window can hold, so
files outside the window are never listed nor opened. Within a flow log every file has the same
format (AWS fixes it when the flow log is created), so one header per flow log is read.
"""

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from flowlake import registry
from flowlake.errors import LakeError
from flowlake.lake import layout
from flowlake.lake.store import ObjectInfo, Store
from flowlake.timewindow import TimeWindow

# How late AWS may deliver a record after its flow started ("best effort", typically 10 minutes).
DELIVERY_MARGIN = timedelta(hours=1)
# A file's name is stamped when it is opened; records it holds may start a little before that.
STAMP_MARGIN = timedelta(minutes=20)

FLOW_LOG_SUFFIXES = (".log.gz", ".log", ".log.parquet", ".parquet", ".gz", ".txt")
# Folders in a log bucket that never hold flow logs (other services, flowlake's own data).
SKIP_DIRS = re.compile(
    r"^(CloudTrail|CloudTrail-Digest|CloudTrail-Insight|Config|elasticloadbalancing|config|"
    r"_flowlake|aws-service=(?!vpcflowlogs).*)/$"
)
_YEAR_DIR = re.compile(r"^(year=)?\d{4}/$")
_MONTH_DIR = re.compile(r"^(month=)?\d{2}/$")
_HOUR_DIR = re.compile(r"^(hour=)?(\d{2})/$")
_ISO_STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_FIELD_NAME = re.compile(r"^[a-z][a-z0-9-]*$")
MAX_DEPTH = 12


@dataclass(frozen=True)
class Source:
    """Files read by one reader call: same kind, same columns in the same order."""

    kind: str  # "text" or "parquet"
    fields: tuple[str, ...]  # column names in file order (text); empty for parquet
    header: bool
    gzip: bool
    keys: tuple[str, ...]
    bytes: int

    def describe(self) -> str:
        what = "Parquet" if self.kind == "parquet" else ("header" if self.header else "no header")
        return f"{len(self.keys)} file(s), {what}"


@dataclass
class Discovery:
    sources: list[Source] = field(default_factory=list)
    listings: int = 0  # directory listings made (S3 LIST calls)
    skipped: list[str] = field(default_factory=list)  # files that are not flow logs, and why

    @property
    def files(self) -> int:
        return sum(len(s.keys) for s in self.sources)

    @property
    def bytes(self) -> int:
        return sum(s.bytes for s in self.sources)


def _leaf(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1] + "/"


def _is_flow_log_file(key: str) -> bool:
    return key.endswith(FLOW_LOG_SUFFIXES) or "." not in key.rsplit("/", 1)[-1]


def _in_window_by_name(key: str, window: TimeWindow) -> bool:
    """Whether a file may hold records of the window, by the delivery hour in its name: the
    same rule as for an hour's folder (a compacted lake files each AWS file under its delivery
    hour), so a window reads the same records from a raw lake and from its compacted copy."""
    stamp = layout.delivery_stamp(key)
    return stamp is None or _hour_in_window(stamp.replace(minute=0), window)


def _hour_in_window(start: datetime, window: TimeWindow) -> bool:
    """Whether files delivered in the hour from `start` may hold records of the window."""
    if window.since and start + timedelta(hours=1) <= window.since - STAMP_MARGIN:
        return False
    return not (window.until and start > window.until + DELIVERY_MARGIN)


class _Walker:
    def __init__(self, store: Store, window: TimeWindow):
        self.store = store
        self.window = window
        self.found: list[ObjectInfo] = []
        self.listings = 0

    def _list(self, prefix: str) -> tuple[list[str], list[ObjectInfo]]:
        self.listings += 1
        return self.store.list_dir(prefix)

    def _keep(self, files: Iterable[ObjectInfo]) -> None:
        self.found += [
            f for f in files if _is_flow_log_file(f.key) and _in_window_by_name(f.key, self.window)
        ]

    def visit(self, prefix: str, depth: int = 0) -> None:
        if depth > MAX_DEPTH:
            return
        dirs, files = self._list(prefix)
        self._keep(files)
        years = [d for d in dirs if _YEAR_DIR.match(_leaf(d))]
        if years:
            self._visit_dates(prefix, hive=_leaf(years[0]).startswith("year="))
        for sub in dirs:
            if sub not in years and not SKIP_DIRS.match(_leaf(sub)):
                self.visit(sub, depth + 1)

    def _visit_dates(self, root: str, hive: bool) -> None:
        days = self.window.days(DELIVERY_MARGIN)
        if days is None:  # no lower bound: everything under the partition root
            self._keep(self.store.walk(root))
            self.listings += 1
            return
        for day in days:
            if hive:
                prefix = f"{root}year={day:%Y}/month={day:%m}/day={day:%d}/"
            else:
                prefix = f"{root}{day:%Y/%m/%d}/"
            dirs, files = self._list(prefix)
            self._keep(files)
            for hour_dir in dirs:
                match = _HOUR_DIR.match(_leaf(hour_dir))
                if not match:
                    continue
                start = datetime(day.year, day.month, day.day, int(match[2]), tzinfo=UTC)
                if _hour_in_window(start, self.window):
                    self._keep(self._list(hour_dir)[1])


def detect_format(first_line: str, default_fields: list[str], name: str) -> tuple[list[str], bool]:
    """(column names in file order, has header) from a text file's first line."""
    tokens = first_line.split()
    names = [registry.column_name(t) for t in tokens]
    if (
        tokens
        and all(_FIELD_NAME.match(t) for t in tokens)
        and any(n in registry.by_column() for n in names)
    ):
        return names, True
    if len(tokens) == len(default_fields):
        return list(default_fields), False
    if len(tokens) == len(default_fields) + 1 and _ISO_STAMP.match(tokens[0]):
        # a CloudWatch Logs export: each line starts with the event's timestamp
        return ["export_timestamp", *default_fields], False
    given = list(default_fields) != [registry.column_name(f) for f in registry.DEFAULT_FORMAT]
    hint = (
        "the files do not match the format given (--fields, FLOWLAKE_FIELDS or flowlake.toml)"
        if given
        else "pass the flow log's format with --fields"
    )
    raise LakeError(
        f"{name}: lines have {len(tokens)} fields and no header, but the format has "
        f"{len(default_fields)} ({' '.join(default_fields[:4])} ...): {hint}"
    )


def _detect_group(
    store: Store, group: list[ObjectInfo], default_fields: list[str], skipped: list[str]
) -> tuple[list[str], bool, list[ObjectInfo]] | None:
    """The format of one flow log's files, read from the newest file that is a flow log.

    Files tried on the way that are not (unreadable, another shape) are left out and
    reported; when no file is, the newest one's problem is the error.
    """
    rejected: list[tuple[ObjectInfo, LakeError]] = []
    for candidate in reversed(group):
        try:
            line = store.first_line(candidate.key)
        except LakeError as exc:
            rejected.append((candidate, exc))
            continue
        if not line:
            continue  # an empty file holds no records
        try:
            names, header = detect_format(line, default_fields, store.reader_path(candidate.key))
        except LakeError as exc:
            rejected.append((candidate, exc))
            continue
        skipped.extend(str(exc) for _, exc in rejected)
        left_out = {id(f) for f, _ in rejected}
        return names, header, [f for f in group if id(f) not in left_out]
    if rejected:
        raise rejected[0][1]
    return None


def discover(store: Store, window: TimeWindow, default_fields: list[str]) -> Discovery:
    walker = _Walker(store, window)
    walker.visit("")
    # by the path the reader opens: a lake that is one local file has the empty key
    name = {id(f): store.reader_path(f.key) for f in walker.found}
    parquet = [f for f in walker.found if name[id(f)].endswith(".parquet")]
    text = [f for f in walker.found if not name[id(f)].endswith(".parquet")]

    # (kind, columns, header, gzip) -> files read by one reader call
    sources: dict[tuple[str, tuple[str, ...], bool, bool], list[ObjectInfo]] = defaultdict(list)
    # one format per flow log and place: a flow log's format is fixed when it is created
    by_flow_log: dict[tuple[str, str], list[ObjectInfo]] = defaultdict(list)
    for f in text:
        if f.size:
            flow_log = layout.flow_log_id(f.key) or f"file:{f.key}"
            by_flow_log[(layout.partition_root(f.key), flow_log)].append(f)
    skipped: list[str] = []
    not_flow_logs: list[LakeError] = []
    for group in by_flow_log.values():
        try:
            detected = _detect_group(store, group, default_fields, skipped)
        except LakeError as exc:  # no file of the group is a flow log (a README, a CSV ...)
            not_flow_logs.append(exc)
            continue
        if detected is None:
            continue
        names, header, members = detected
        for f in members:
            sources[("text", tuple(names), header, name[id(f)].endswith(".gz"))].append(f)
    if parquet:
        sources[("parquet", (), False, False)] = parquet
    if not_flow_logs:
        if not sources:  # nothing is: the lake, or its format, is not what the user thinks
            raise not_flow_logs[0]
        skipped += [str(exc) for exc in not_flow_logs]

    result = Discovery(listings=walker.listings, skipped=skipped)
    for (kind, columns, header, gz), files in sources.items():
        keys = tuple(f.key for f in files)
        result.sources.append(Source(kind, columns, header, gz, keys, sum(f.size for f in files)))
    return result
