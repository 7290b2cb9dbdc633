"""`--since` / `--until`: ISO 8601 instants or durations back from now (`15m`, `24h`, `7d`)."""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flowlake.errors import UsageError

_DURATION = re.compile(r"^(\d+)\s*(s|m|h|d|w)$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
# Bounds that keep date arithmetic (pruning margins, `now - 7d`) far from datetime's limits.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)  # flow logs count time in Unix seconds
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
MAX_DURATION_DAYS = 36500  # a hundred years


def parse_duration(text: str) -> timedelta:
    """`90s`, `5m`, `24h`, `7d`, `2w` -> timedelta (must be positive)."""
    match = _DURATION.match(text.strip().lower())
    if not match or int(match[1]) == 0:
        raise UsageError(f"invalid duration {text!r}: use a number and a unit, e.g. 5m, 24h, 7d")
    seconds = int(match[1]) * _UNIT_SECONDS[match[2]]
    if seconds > MAX_DURATION_DAYS * 86400:
        raise UsageError(f"invalid duration {text!r}: at most {MAX_DURATION_DAYS}d")
    return timedelta(seconds=seconds)


def parse_instant(text: str, now: datetime | None = None) -> datetime:
    """An ISO 8601 date or time (UTC unless it says otherwise), or a duration before now."""
    now = now or datetime.now(UTC)
    text = text.strip()
    if _DURATION.match(text.lower()):
        return _in_range(now - parse_duration(text), text)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"invalid time {text!r}: use ISO 8601 (2024-05-01T10:00Z) or a duration (15m, 24h, 7d)"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return _in_range(parsed, text).astimezone(UTC)


def _in_range(instant: datetime, text: str) -> datetime:
    if not EARLIEST <= instant < LATEST:
        raise UsageError(f"time {text!r} is outside {EARLIEST:%Y-%m-%d}..{LATEST:%Y-%m-%d}")
    return instant


def _option(option: str, text: str, now: datetime) -> datetime:
    """`text` as an instant; an error names the option it came from."""
    try:
        return parse_instant(text, now)
    except UsageError as exc:
        raise UsageError(f"{option}: {exc}") from None


@dataclass(frozen=True)
class TimeWindow:
    """Flows whose start time is in [since, until); either end may be open."""

    since: datetime | None = None
    until: datetime | None = None

    @classmethod
    def parse(
        cls, since: str | None, until: str | None, now: datetime | None = None
    ) -> "TimeWindow":
        now = now or datetime.now(UTC)
        window = cls(
            _option("--since", since, now) if since else None,
            _option("--until", until, now) if until else None,
        )
        if window.since and window.until and window.since >= window.until:
            raise UsageError(f"--since ({window.since:%Y-%m-%dT%H:%M:%SZ}) is not before --until")
        return window

    @property
    def is_open(self) -> bool:
        return self.since is None and self.until is None

    def days(self, until_margin: timedelta = timedelta(0)) -> list[date] | None:
        """The delivery dates a file of this window can carry, or None when unbounded.

        A record is delivered after its flow starts, so a file's date is never before
        `since`; it may be up to the delivery delay after `until`.
        """
        if self.since is None:
            return None
        end = (self.until or datetime.now(UTC)) + until_margin
        first, last = self.since.date(), end.date()
        return [first + timedelta(days=n) for n in range((last - first).days + 1)]
