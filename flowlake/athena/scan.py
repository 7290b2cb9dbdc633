"""How much an Athena query reads, before (an estimate from S3 listings) and after (the bytes
Athena reports, and what they cost).

The estimate lists the partitions the query's window selects, exactly as partition projection
computes them (every account, region and day of the window), and sums their objects' sizes.
Athena reads whole text files, so for text it is the scan; for Parquet it is an upper bound
(Athena reads only the columns a query needs).
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from flowlake.athena.partitions import Projection
from flowlake.compiler import DELIVERY_MARGIN
from flowlake.errors import UsageError
from flowlake.lake.store import S3Options, open_store
from flowlake.timewindow import TimeWindow

# Athena bills bytes scanned rounded up to the megabyte, at least 10 MB a query, per TB
# (binary units, as AWS's price examples count 1,024 GB to the TB).
MB = 1 << 20
TB = 1 << 40
MINIMUM_BILLED = 10 * MB
DEFAULT_PRICE_PER_TB = 5.0

_UNITS = {
    "": 1, "b": 1,
    "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
    "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
}  # fmt: skip
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$", re.IGNORECASE)


def parse_size(text: str) -> int:
    """`10GB`, `500 MB`, `1.5TiB`, `12345` (bytes) -> bytes."""
    match = _SIZE.match(text)
    if not match or match[2].lower() not in _UNITS:
        raise UsageError(f"invalid size {text!r}: use a number and a unit, e.g. 500MB, 10GB, 1TB")
    return int(float(match[1]) * _UNITS[match[2].lower()])


def human_size(size: int) -> str:
    """Bytes as people read them (decimal units, as --max-scan takes them)."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def cost(scanned: int, price_per_tb: float) -> float:
    """What Athena bills for a query that scanned `scanned` bytes."""
    billed = max(-(-scanned // MB) * MB, MINIMUM_BILLED)
    return billed / TB * price_per_tb


def format_cost(dollars: float) -> str:
    return f"${dollars:,.2f}" if dollars >= 0.01 else f"${dollars:.6f}"


@dataclass(frozen=True)
class ScanEstimate:
    bytes: int
    objects: int
    prefixes: int

    def describe(self) -> str:
        return (
            f"{human_size(self.bytes)} in {self.objects} object(s) under "
            f"{self.prefixes} partition prefix(es)"
        )


def estimate_scan(
    projection: Projection, window: TimeWindow, options: S3Options, now: datetime | None = None
) -> ScanEstimate:
    """Sum the objects under every partition the window selects (listed from S3)."""
    days = window.days(DELIVERY_MARGIN)
    if days is None:
        raise UsageError("a scan estimate needs a window with a start (--since)")
    today = (now or datetime.now(UTC)).date()
    days = [d for d in days if d <= today]  # nothing is delivered under a future day
    total = objects = prefixes = 0
    stores = {}
    for url in projection.prefixes(days):
        bucket, _, key = url.removeprefix("s3://").partition("/")
        if bucket not in stores:
            stores[bucket] = open_store(f"s3://{bucket}/", options)
        prefixes += 1
        for info in stores[bucket].walk(key):
            total += info.size
            objects += 1
    return ScanEstimate(total, objects, prefixes)
