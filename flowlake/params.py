"""Query parameters: typed, validated, and turned into SQL literals.

User input reaches SQL only through `SqlValue`, whose text is built here from the parsed value
(an int, a validated address, an escaped string) and never from the raw input.
"""

import ipaddress
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flowlake.errors import UsageError
from flowlake.sqltext import string_literal
from flowlake.timewindow import parse_duration, parse_instant

PROTOCOLS = {"icmp": 1, "tcp": 6, "udp": 17, "gre": 47, "esp": 50, "ah": 51, "icmpv6": 58}
PROTOCOL_NAMES = {number: name for name, number in PROTOCOLS.items()}
_PREFIX = re.compile(r"^(\d{1,3}\.){1,3}$|^[0-9a-f]{1,4}(:[0-9a-f]{0,4}){0,6}:$", re.IGNORECASE)
_SAFE_STRING = re.compile(r"^[\w .:/@=+,#%*-]{0,200}$")
# Whole-number parameters (limits, thresholds, bytes): 10^15 bytes is a petabyte, past any real
# value, and well inside both engines' BIGINT.
INT_MAX = 10**15


@dataclass(frozen=True)
class SqlValue:
    """A validated parameter: `value` for logic in templates, `str()` for the SQL literal."""

    value: Any
    literal: str

    def __str__(self) -> str:
        return self.literal


@dataclass(frozen=True)
class Network:
    """A CIDR with what both engines need to match it."""

    cidr: str
    version: int
    first: int
    last: int

    @property
    def first_hex(self) -> str:
        return f"{self.first:032x}"

    @property
    def last_hex(self) -> str:
        return f"{self.last:032x}"


def _int(raw: str, name: str, low: int, high: int) -> int:
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise UsageError(f"parameter {name}: {raw!r} is not a whole number") from None
    if not low <= value <= high:
        raise UsageError(f"parameter {name}: {value} is outside {low}..{high}")
    return value


def parse_network(raw: str, name: str = "cidr") -> Network:
    try:
        net = ipaddress.ip_network(str(raw).strip(), strict=False)
    except ValueError:
        raise UsageError(f"parameter {name}: {raw!r} is not an IP address or CIDR") from None
    return Network(str(net), net.version, int(net.network_address), int(net.broadcast_address))


def convert(kind: str, raw: Any, name: str, choices: list[str] | None = None) -> SqlValue:
    """Validate `raw` as a parameter of type `kind` and give its SQL literal."""
    text = str(raw).strip()
    if kind == "int":
        value = _int(text, name, 0, INT_MAX)
        return SqlValue(value, str(value))
    if kind == "port":
        value = _int(text, name, 0, 65535)
        return SqlValue(value, str(value))
    if kind == "protocol":
        number = PROTOCOLS.get(text.lower())
        if number is None:
            try:
                number = _int(text, name, 0, 255)
            except UsageError:
                names = ", ".join(PROTOCOLS)
                raise UsageError(
                    f"parameter {name}: {raw!r} is not a protocol: use {names} or a number 0..255"
                ) from None
        return SqlValue(number, str(number))
    if kind == "ip":
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            raise UsageError(f"parameter {name}: {raw!r} is not an IPv4 or IPv6 address") from None
        return SqlValue(str(address), string_literal(str(address)))
    if kind == "cidr":
        network = parse_network(text, name)
        return SqlValue(network, string_literal(network.cidr))
    if kind == "address":
        # a CIDR, an address, or an address prefix as Insights users write it ("10.0.1.")
        if _PREFIX.match(text):
            return SqlValue(text.lower(), string_literal(text.lower()))
        return convert("cidr", text, name)
    if kind == "enum":
        allowed = choices or []
        if text.lower() not in allowed:
            raise UsageError(f"parameter {name}: {raw!r} is not one of {', '.join(allowed)}")
        return SqlValue(text.lower(), string_literal(text.lower()))
    if kind == "action":
        if text.upper() not in ("ACCEPT", "REJECT"):
            raise UsageError(f"parameter {name}: {raw!r} is not ACCEPT or REJECT")
        return SqlValue(text.upper(), string_literal(text.upper()))
    if kind == "string":
        if not _SAFE_STRING.match(text):
            raise UsageError(f"parameter {name}: {raw!r} has characters not allowed in a value")
        return SqlValue(text, string_literal(text))
    if kind == "duration":
        seconds = int(_named(name, parse_duration, text).total_seconds())
        return SqlValue(seconds, str(seconds))
    if kind == "timestamp":
        instant = _named(name, parse_instant, text)
        return SqlValue(instant, timestamp_literal(instant))
    if kind == "bool":
        if text.lower() not in ("true", "false", "1", "0", "yes", "no"):
            raise UsageError(f"parameter {name}: {raw!r} is not true or false")
        value = text.lower() in ("true", "1", "yes")
        return SqlValue(value, "TRUE" if value else "FALSE")
    raise UsageError(f"parameter {name}: unknown type {kind!r}")


def _named(name: str, parse: Any, text: str) -> Any:
    try:
        return parse(text)
    except UsageError as exc:
        raise UsageError(f"parameter {name}: {exc}") from None


def timestamp_literal(instant: datetime) -> str:
    """A UTC instant typed like start_time in both engines (timestamp with time zone)."""
    return f"from_iso8601_timestamp('{instant.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}')"
