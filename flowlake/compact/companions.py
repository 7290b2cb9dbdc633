"""The raw lake's other data, copied beside its compacted flow logs: network-config snapshots
(`config/`) and CloudTrail logs (`AWSLogs/[o-org/]<account>/CloudTrail/`).

Queries read both from the lake they are given: reject-attribution, the config audits and
diagnose read the config tables, config-changes and diagnose read CloudTrail. A compacted lake
without them would fail every such query that its raw lake answers. The files are copied as they
are: a config snapshot is a few small Parquet files, already what readers want, and CloudTrail
files are read by day for their few network calls, as in the raw lake.

- What: every file under `config/` (every snapshot, whatever the window: a query uses the
  newest one of each table and scope), and the CloudTrail files of the days a query of
  compaction's --since/--until reads (the day before --since too). Without --since, the days
  of the flow logs the compacted lake holds, from two days before the first to the day after
  the last: a trail holds years of every API call, and only these days answer its queries.
- Incremental: a file already in the destination with the same size is not copied again.
  Snapshot parts, snapshot manifests and CloudTrail files are never rewritten in place, so a
  size is identity enough.
- Atomic: each file is staged, then published (renamed into place locally, one PUT on S3). A
  snapshot's parts are published before its manifest (`config/_snapshots/<id>.json`), which
  is its commit for readers: a run killed midway leaves at most parts no reader uses, which
  the rerun completes.
- Second to the flow logs: they are committed before, so a file that cannot be read (a trail
  object lifecycled to Glacier, a prefix the role may not list) is a warning that the next run
  tries again, not a failed run; an error with --strict.
"""

import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta

from flowlake.compact.destination import Destination
from flowlake.compact.manifest import Manifest
from flowlake.errors import LakeError
from flowlake.lake import Lake
from flowlake.lake.layout import date_in_key
from flowlake.lake.store import ObjectInfo, Store
from flowlake.netconfig import cloudtrail
from flowlake.netconfig.storage import CONFIG_DIR, MANIFEST_DIR

_STAGING = "companions"


@dataclass
class CompanionReport:
    config: int = 0  # files copied by this run
    cloudtrail: int = 0
    warnings: list[str] = field(default_factory=list)  # what could not be copied
    missing: list[str] = field(default_factory=list)  # not in the destination (verify)
    different: list[str] = field(default_factory=list)  # another size there (verify)


Days = tuple[date, date]
"""The first and last day (of delivery) of the flow logs a compacted lake holds."""


def flow_log_days(manifest: Manifest) -> Days | None:
    """The days of the flow-log files a compacted lake holds (their keys' dates); None if no
    key has a date."""
    paths = (s.path for b in manifest.batches for s in b.sources)
    found = [date(*d[:3]) for p in paths if (d := date_in_key(p))]
    return (min(found), max(found)) if found else None


def _trail_days(lake: Lake, days: Days | None) -> tuple[date | None, date | None]:
    """The CloudTrail days to copy without --since: those of the flow logs (from two days
    before the first: a query from its first hour reads the day before), and none after the
    one a query up to --until reads."""
    first = days[0] - timedelta(days=2) if days else None
    last = days[1] + timedelta(days=1) if days else None
    if lake.window.until:
        until = (lake.window.until + timedelta(hours=1)).date()
        last = min(last, until) if last else until
    return first, last


def _in_days(key: str, first: date | None, last: date | None) -> bool:
    found = date_in_key(key)
    if found is None:
        return False  # not where CloudTrail writes its logs
    day = date(*found[:3])
    return (first is None or day >= first) and (last is None or day <= last)


def source_files(lake: Lake, days: Days | None) -> tuple[list[ObjectInfo], list[ObjectInfo]]:
    """The lake's config files, and its CloudTrail files: with --since, of the days a query of
    the window reads (cloudtrail.find_files lists only those); without, of the days of the
    compacted flow logs (`days`; every day if they have none)."""
    store: Store = lake.store
    config = list(store.walk(CONFIG_DIR))
    if lake.window.since:
        trails = cloudtrail.find_files(store, lake.window)[0]
    else:
        first, last = _trail_days(lake, days)
        trails = [
            f
            for root in cloudtrail.trail_roots(store)
            for f in store.walk(root)
            if f.key.endswith((".json.gz", ".json")) and _in_days(f.key, first, last)
        ]
    return config, trails


def copy_key(key: str) -> str:
    """Where a file goes in the compacted lake: its key, under `AWSLogs/` when the lake is
    that folder itself (the compacted lake is always the folder above it)."""
    if key.startswith(CONFIG_DIR) or key.startswith("AWSLogs/"):
        return key
    return f"AWSLogs/{key}"


def _held(lake: Lake, destination: Destination, trails: list[ObjectInfo]) -> dict[str, int]:
    """Size of each config and CloudTrail file the destination has, listed where the lake's
    go: the day folders of a window, or the whole trail."""
    held = {f.key: f.size for f in destination.files(CONFIG_DIR)}
    if lake.window.since:
        folders = {copy_key(f.key).rsplit("/", 1)[0] + "/" for f in trails}
    else:
        folders = {cloudtrail.trail_root_of(copy_key(f.key)) for f in trails}
    for folder in sorted(folders):
        held.update((f.key, f.size) for f in destination.files(folder))
    return held


def _compare(
    lake: Lake, destination: Destination, days: Days | None
) -> tuple[list[ObjectInfo], list[ObjectInfo], CompanionReport]:
    """The config and CloudTrail files the destination lacks (or holds with another size)."""
    config, trails = source_files(lake, days)
    held = _held(lake, destination, trails)
    report = CompanionReport()

    def lacking(files: list[ObjectInfo]) -> list[ObjectInfo]:
        out = []
        for f in files:
            there = copy_key(f.key)
            if there not in held:
                report.missing.append(there)
            elif held[there] != f.size:
                report.different.append(there)
            else:
                continue  # already there
            out.append(f)
        return out

    return lacking(config), lacking(trails), report


_SNAPSHOT_PART = re.compile(r"/snapshot=([^/]+)/")


def _snapshot_of(key: str) -> str | None:
    """The snapshot a config file belongs to: a part's `snapshot=<id>` folder, a manifest's
    name (`config/_snapshots/<id>.json`)."""
    if key.startswith(MANIFEST_DIR):
        return key.removeprefix(MANIFEST_DIR).removesuffix(".json")
    found = _SNAPSHOT_PART.search(key) if key.startswith(CONFIG_DIR) else None
    return found[1] if found else None


def copy_companions(
    lake: Lake,
    destination: Destination,
    days: Days | None,
    say: Callable[[str], None] = lambda _: None,
) -> CompanionReport:
    """Copy the config and CloudTrail files the destination lacks (`days`: those of the flow
    logs it holds); returns what was copied."""
    try:
        config, trails, report = _compare(lake, destination, days)
    except LakeError as exc:
        if lake.strict:
            raise
        return CompanionReport(warnings=[f"network config and CloudTrail not copied: {exc}"])
    if not config and not trails:
        return report
    say(f"copying {len(config)} network-config and {len(trails)} CloudTrail file(s)")
    staging = destination.staging(_STAGING)

    def stage(f: ObjectInfo) -> tuple[str, str | None]:
        """The file staged at its key in the copy; or why it could not be read."""
        key = copy_key(f.key)
        try:
            data = lake.store.read(f.key)
        except (LakeError, OSError) as exc:
            return key, f"{f.key}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
        target = staging / key
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        return key, None

    with ThreadPoolExecutor(max_workers=8) as pool:
        staged = list(pool.map(stage, config + trails))
    failed = [why for _, why in staged if why]
    if failed and lake.strict:
        raise LakeError(f"cannot copy {failed[0]}")
    if failed:
        report.warnings.append(
            f"{len(failed)} network-config or CloudTrail file(s) not copied (first: {failed[0]}); "
            "the next run tries again"
        )
    # a snapshot with a part missing is not committed in the copy: readers would use it whole
    broken = {_snapshot_of(key) for key, why in staged if why} - {None}
    keys = [key for key, why in staged if not why and _snapshot_of(key) not in broken]
    commits = [k for k in keys if k.startswith(MANIFEST_DIR)]
    destination.publish(staging, [k for k in keys if k not in commits])
    destination.publish(staging, commits)  # a snapshot is read once its manifest is there
    destination.clear_staging()
    report.config = sum(k.startswith(CONFIG_DIR) for k in keys)
    report.cloudtrail = len(keys) - report.config
    return report


def check_companions(lake: Lake, destination: Destination, days: Days | None) -> CompanionReport:
    """What --verify says of them: files not copied yet, and files that differ."""
    return _compare(lake, destination, days)[2]


__all__ = [
    "CompanionReport",
    "check_companions",
    "copy_companions",
    "flow_log_days",
    "source_files",
]
