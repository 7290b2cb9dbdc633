"""A lake: flow-log files in a folder or under an S3 prefix, read for one time window."""

from dataclasses import dataclass, field
from functools import cached_property

from flowlake import registry
from flowlake.lake.discovery import Discovery, discover
from flowlake.lake.store import S3Options, Store, open_store
from flowlake.timewindow import TimeWindow


@dataclass
class Lake:
    location: str
    window: TimeWindow = field(default_factory=TimeWindow)
    fields: list[str] | None = None
    """Format of files without a header line; AWS's default (v2) when not given."""
    s3: S3Options = field(default_factory=S3Options)
    strict: bool = False
    """Fail on the first malformed line or unreadable file instead of skipping it."""

    @property
    def is_s3(self) -> bool:
        return self.location.startswith("s3://")

    @cached_property
    def store(self) -> Store:
        return open_store(self.location, self.s3)

    @cached_property
    def discovery(self) -> Discovery:
        return discover(
            self.store,
            self.window,
            self.fields or list(map(registry.column_name, registry.DEFAULT_FORMAT)),
        )
