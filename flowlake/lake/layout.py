"""AWS's S3 key layouts for flow logs, as data: how a key is built and what its path says.

    default   AWSLogs/[o-org/]<acct>/vpcflowlogs/<region>/yyyy/MM/dd/[HH/]<file>
    hive      AWSLogs/[o-org/]aws-account-id=<acct>/aws-service=vpcflowlogs/aws-region=<region>/
              year=yyyy/month=MM/day=dd/[hour=HH/]<file>

File names: <acct>_vpcflowlogs_<region>_<flow-log-id>_<YYYYMMDDTHHmmZ>_<hash>.log.gz|.log.parquet
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime

LAYOUTS = ("default", "hive")

FILE_NAME = re.compile(
    r"(?P<account>\d{12})_vpcflowlogs_(?P<region>[a-z0-9-]+)_(?P<flow_log_id>fl-[0-9a-z]+)_"
    r"(?P<stamp>\d{8}T\d{4}Z)_(?P<hash>[0-9a-z]+)\.log(?:\.gz|\.parquet)?$"
)


def delivery_stamp(name: str) -> datetime | None:
    """The delivery time in AWS's file name (UTC, to the minute), if the name has one.

    Read by slicing, not strptime: compaction reads it for every file of a month (8,640
    five-minute files), and strptime cost ~45 us a call."""
    match = FILE_NAME.search(name.rsplit("/", 1)[-1])
    if not match:
        return None
    s = match["stamp"]
    try:
        return datetime(
            int(s[0:4]), int(s[4:6]), int(s[6:8]), int(s[9:11]), int(s[11:13]), tzinfo=UTC
        )
    except ValueError:  # 20241399T2599Z: no time at all
        return None


# The date part of a key in either layout, with an optional hour level.
_DEFAULT_DATE = re.compile(r"/(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/(?:(?P<h>\d{2})/)?[^/]*$")
_HIVE_DATE = re.compile(
    r"/year=(?P<y>\d{4})/month=(?P<m>\d{2})/day=(?P<d>\d{2})/(?:hour=(?P<h>\d{2})/)?[^/]*$"
)


@dataclass(frozen=True)
class Partition:
    """Where one hour or day of one account and region lives."""

    layout: str
    account: str
    region: str
    org: str | None = None

    def root(self) -> str:
        """The key prefix above the date levels, relative to the lake's prefix."""
        org = f"{self.org}/" if self.org else ""
        if self.layout == "hive":
            return (
                f"AWSLogs/{org}aws-account-id={self.account}/aws-service=vpcflowlogs/"
                f"aws-region={self.region}/"
            )
        return f"AWSLogs/{org}{self.account}/vpcflowlogs/{self.region}/"

    def date_prefix(self, when: datetime, hourly: bool) -> str:
        if self.layout == "hive":
            prefix = f"year={when:%Y}/month={when:%m}/day={when:%d}/"
            return prefix + (f"hour={when:%H}/" if hourly else "")
        return f"{when:%Y/%m/%d}/" + (f"{when:%H}/" if hourly else "")


def file_name(
    account: str, region: str, flow_log_id: str, when: datetime, digest: str, parquet: bool
) -> str:
    ext = ".log.parquet" if parquet else ".log.gz"
    return f"{account}_vpcflowlogs_{region}_{flow_log_id}_{when:%Y%m%dT%H%MZ}_{digest}{ext}"


def object_key(
    partition: Partition,
    when: datetime,
    flow_log_id: str,
    digest: str,
    *,
    hourly: bool = False,
    parquet: bool = False,
) -> str:
    """The key AWS would write a file delivered at `when` under (relative to the lake prefix)."""
    return (
        partition.root()
        + partition.date_prefix(when, hourly)
        + file_name(partition.account, partition.region, flow_log_id, when, digest, parquet)
    )


def date_in_key(key: str) -> tuple[int, int, int, int | None] | None:
    """(year, month, day, hour or None) from a key in either layout, or None if it has none."""
    match = _HIVE_DATE.search(key) or _DEFAULT_DATE.search(key)
    if not match:
        return None
    hour = match.group("h")
    return int(match["y"]), int(match["m"]), int(match["d"]), int(hour) if hour else None


def partition_root(key: str) -> str:
    """The part of a key above its date levels (its folder when it has none)."""
    match = _HIVE_DATE.search(key) or _DEFAULT_DATE.search(key)
    return key[: match.start()] if match else key.rsplit("/", 1)[0]


def flow_log_id(key: str) -> str | None:
    """The flow log a file belongs to; every file of one flow log shares its format."""
    match = FILE_NAME.search(key.rsplit("/", 1)[-1])
    return match["flow_log_id"] if match else None


# The account and region levels of a key in either layout (with or without an org level).
_DEFAULT_ROOT = re.compile(
    r"(?:^|/)AWSLogs/(?:o-[0-9a-z]+/)?(?P<account>\d{12})/vpcflowlogs/"
    r"(?P<region>[a-z0-9-]+)/"
)
_HIVE_ROOT = re.compile(
    r"(?:^|/)aws-account-id=(?P<account>[^/]+)/aws-service=vpcflowlogs/aws-region=(?P<region>[^/]+)/"
)


def account_region(key: str) -> tuple[str, str] | None:
    """(account, region) a flow-log file was delivered for, from its key in either layout or
    from AWS's file name; None when neither says."""
    match = (
        _HIVE_ROOT.search(key)
        or _DEFAULT_ROOT.search(key)
        or FILE_NAME.search(key.rsplit("/", 1)[-1])
    )
    return (match["account"], match["region"]) if match else None
