"""Parameters reach SQL only as typed, validated literals."""

import pytest

from flowlake.catalog import get
from flowlake.compiler import compile_query
from flowlake.errors import UsageError
from flowlake.params import convert, parse_network


@pytest.mark.parametrize(
    ("kind", "raw", "literal"),
    [
        ("port", "22", "22"),
        ("port", " 443 ", "443"),
        ("protocol", "tcp", "6"),
        ("protocol", "UDP", "17"),
        ("protocol", "icmpv6", "58"),
        ("protocol", "47", "47"),
        ("int", "50", "50"),
        ("ip", "10.0.1.5", "'10.0.1.5'"),
        ("ip", "2001:DB8::1", "'2001:db8::1'"),
        ("cidr", "10.0.1.0/24", "'10.0.1.0/24'"),
        ("cidr", "10.0.1.7/24", "'10.0.1.0/24'"),
        ("cidr", "10.0.1.7", "'10.0.1.7/32'"),
        ("cidr", "2001:db8::/56", "'2001:db8::/56'"),
        ("address", "10.0.1.", "'10.0.1.'"),
        ("address", "192.0.2.0/24", "'192.0.2.0/24'"),
        ("action", "reject", "'REJECT'"),
        ("enum", "Pair", "'pair'"),
        ("string", "eni-0abc123", "'eni-0abc123'"),
        ("duration", "5m", "300"),
        ("duration", "1h", "3600"),
        ("timestamp", "2024-05-01T10:00Z", "from_iso8601_timestamp('2024-05-01T10:00:00Z')"),
        ("bool", "yes", "TRUE"),
    ],
)
def test_valid_values_become_literals(kind: str, raw: str, literal: str) -> None:
    assert str(convert(kind, raw, "p", ["srcaddr", "pair"])) == literal


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        ("port", "65536"),
        ("port", "-1"),
        ("port", "22; DROP TABLE x"),
        ("protocol", "tcpx"),
        ("protocol", "256"),
        ("int", "1e3"),
        ("ip", "10.0.0.256"),
        ("ip", "'; SELECT 1 --"),
        ("cidr", "10.0.0.0/33"),
        ("address", "10.0.1.%"),
        ("action", "DROP"),
        ("enum", "srcaddr; --"),
        ("string", "x' OR '1'='1"),
        ("duration", "5 parsecs"),
        ("timestamp", "yesterday-ish"),
        ("bool", "maybe"),
    ],
)
def test_invalid_values_are_refused(kind: str, raw: str) -> None:
    with pytest.raises(UsageError, match="parameter p"):
        convert(kind, raw, "p", ["srcaddr", "pair"])


def test_network_ranges() -> None:
    v4 = parse_network("10.0.1.0/24")
    assert (v4.version, v4.first, v4.last) == (4, 0x0A000100, 0x0A0001FF)
    v6 = parse_network("2001:db8::/32")
    assert v6.first_hex == "20010db8" + "0" * 24 and v6.last_hex == "20010db8" + "f" * 24


def test_unknown_and_missing_parameters() -> None:
    with pytest.raises(UsageError, match="has no parameter 'prot'"):
        get("reject-by-port").bind({"prot": "6"})
    with pytest.raises(UsageError, match="is not a whole number"):
        compile_query("reject-by-port", {"port": "ssh"})


def test_quotes_in_values_cannot_escape_the_literal() -> None:
    sql = compile_query("recent-rejects", {"interface_id": "eni-1"}, "duckdb").sql
    assert "interface_id = 'eni-1'" in sql
    with pytest.raises(UsageError):
        compile_query("recent-rejects", {"interface_id": "eni-1' OR 1=1 --"}, "duckdb")
