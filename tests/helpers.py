"""Small helpers shared by the end-to-end tests."""

import json
from datetime import datetime
from typing import Any

from .conftest import CliResult


def parse_json(text: str) -> list[dict[str, Any]]:
    return json.loads(text)


def iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def expected_reject_by_port(expected: Any, limit: int = 20) -> list[dict[str, Any]]:
    """reject-by-port computed independently from the generator's known answers."""
    rows = [
        {
            "dstport": port,
            "protocol": protocol,
            "rejects": count,
            "sources": len(expected.reject_sources_by_port[port]),
            "first_seen": iso(expected.first_reject[port]),
            "last_seen": iso(expected.last_reject[port]),
        }
        for (port, protocol), count in expected.rejects_by_port.items()
    ]
    rows.sort(key=lambda r: (-r["rejects"], r["dstport"], r["protocol"]))
    return rows[:limit]


def without(rows: list[dict[str, Any]], *columns: str) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k not in columns} for r in rows]


def one_line_error(result: CliResult, code: int, *needles: str) -> None:
    """The CLI failed with `code` and one `flowlake: error:` line holding every needle."""
    assert result.code == code, (result.code, result.err)
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("flowlake: error: ")
    assert "Traceback" not in result.err
    for needle in needles:
        assert needle in lines[0], lines[0]


def in_compacted_order(rows: list[tuple[str | None, int | None]]) -> bool:
    """Whether a compacted file's (action, start) rows run as compaction sorts them: by action,
    then start, nulls last in each (so rows of one action are in start order)."""

    def key(row: tuple[str | None, int | None]) -> tuple[bool, str, bool, int]:
        action, start = row
        return (action is None, action or "", start is None, start or 0)

    return rows == sorted(rows, key=key)
