"""The compiled-SQL cache: a hit is exactly what the compiler writes, and costs no sqlglot."""

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from flowlake import compile_cache
from flowlake.athena.partitions import PartitionedWindow
from flowlake.catalog import catalog, get
from flowlake.compiler import compile_query, render, transpile
from flowlake.errors import FlowlakeError
from flowlake.timewindow import TimeWindow

PARAMS = {"protocol": "tcp", "limit": 7}
HOUR = "2024-05-01T10:00Z"


def compiled(cache: str, *args: object, **kwargs: object) -> str:
    os.environ[compile_cache.CACHE_ENV] = cache
    return compile_query(*args, **kwargs).sql  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def restore_cache_env():  # type: ignore[no-untyped-def]
    saved = os.environ.get(compile_cache.CACHE_ENV)
    yield
    if saved is None:
        os.environ.pop(compile_cache.CACHE_ENV, None)
    else:
        os.environ[compile_cache.CACHE_ENV] = saved


def entries(root: Path) -> list[Path]:
    return sorted((root / "sql").glob("*.json"))


def test_a_hit_is_what_the_compiler_writes(tmp_path: Path) -> None:
    cases = [
        ("top-talkers", {"by": "pair"}, "duckdb", TimeWindow()),
        ("top-talkers", {"by": "pair"}, "athena", TimeWindow()),
        ("top-talkers", {"by": "srcaddr"}, "duckdb", TimeWindow()),
        ("reject-by-port", {}, "duckdb", TimeWindow.parse(HOUR, "2024-05-01T11:00Z")),
        ("reject-by-port", {}, "duckdb", TimeWindow.parse(HOUR, "2024-05-01T12:00Z")),
    ]
    fresh = [direct(n, p, d, w) for n, p, d, w in cases]
    first = [compiled(str(tmp_path), n, p, d, w) for n, p, d, w in cases]
    # query, parameters, dialect and the window's shape are the key: the two windows share one
    assert len(entries(tmp_path)) == len(cases) - 1
    again = [compiled(str(tmp_path), n, p, d, w) for n, p, d, w in cases]
    assert first == again == fresh
    assert "2024-05-01T12:00:00Z" in first[-1] and "2024-05-01T11:00:00Z" in first[-2]


def direct(name: str, params: dict[str, Any], dialect: str, window: TimeWindow) -> str:
    """What the compiler writes for this very window, with no cache and no stand-in values."""
    spec = get(name)
    return transpile(render(spec, spec.bind(params), dialect, window), dialect, name)


WINDOWS = {
    "since": TimeWindow.parse("2024-05-01T10:17Z", None),
    "until": TimeWindow.parse(None, "2024-05-03T00:00Z"),
    "both": TimeWindow.parse("2024-04-30T23:30Z", "2024-05-01T01:00Z"),
    "hive days": PartitionedWindow(
        datetime(2024, 5, 1, 10, tzinfo=UTC), datetime(2024, 5, 2, tzinfo=UTC), "%Y-%m-%d"
    ),
}


@pytest.mark.parametrize("dialect", ["duckdb", "athena"])
def test_every_query_in_every_window_is_what_the_compiler_writes_for_it(
    tmp_path: Path, dialect: str
) -> None:
    # compiled once per window shape with stand-in values; each window gets its own put in
    for name, spec in catalog().items():
        params = spec.example_params()
        for shape, window in WINDOWS.items():
            expected = direct(name, params, dialect, window)
            for _ in range(2):  # a miss, then a hit
                assert compiled(str(tmp_path), name, params, dialect, window) == expected, (
                    name,
                    shape,
                )
            assert "1901" not in expected and "1902" not in expected


def test_a_new_window_is_not_compiled_again(tmp_path: Path) -> None:
    program = (
        "import sys; from flowlake.compiler import compile_query; "
        "from flowlake.timewindow import TimeWindow; "
        "print(compile_query('reject-by-port', {}, 'athena', "
        "TimeWindow.parse(sys.argv[1], sys.argv[2])).sql.replace(chr(10), ' ')); "
        "print(sorted(m for m in ('sqlglot', 'jinja2') if m in sys.modules))"
    )
    env = {**os.environ, compile_cache.CACHE_ENV: str(tmp_path)}

    def run(since: str, until: str) -> list[str]:
        out = subprocess.run(
            [sys.executable, "-c", program, since, until],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.rsplit("\n", 2)[:2]

    _, cold_modules = run("2024-05-01T10:00Z", "2024-05-01T11:00Z")
    sql, warm_modules = run("2024-06-02T07:00Z", "2024-06-02T08:00Z")  # another hour, a day on
    assert cold_modules == "['jinja2', 'sqlglot']" and warm_modules == "[]"
    assert "FROM_ISO8601_TIMESTAMP('2024-06-02T07:00:00Z')" in sql
    assert "FROM_ISO8601_TIMESTAMP('2024-06-02T08:00:00Z')" in sql
    assert "\"day\" BETWEEN '2024/06/02' AND '2024/06/02'" in sql


def test_a_cached_compile_imports_neither_sqlglot_nor_jinja(tmp_path: Path) -> None:
    program = (
        "import sys; from flowlake.compiler import compile_query; "
        "print(compile_query('reject-by-port', {'limit': 3}).sql); "
        "print(sorted(m for m in ('sqlglot', 'jinja2') if m in sys.modules))"
    )
    env = {**os.environ, compile_cache.CACHE_ENV: str(tmp_path)}

    def run() -> list[str]:
        out = subprocess.run(
            [sys.executable, "-c", program], env=env, capture_output=True, text=True, check=True
        )
        return out.stdout.rsplit("\n", 2)[:2]

    cold_sql, cold_modules = run()
    warm_sql, warm_modules = run()
    assert cold_modules == "['jinja2', 'sqlglot']" and warm_modules == "[]"
    assert warm_sql == cold_sql and "LIMIT 3" in warm_sql


def test_bad_parameters_fail_even_when_cached(tmp_path: Path) -> None:
    compiled(str(tmp_path), "reject-by-port", {"limit": 5})
    with pytest.raises(FlowlakeError, match="limit"):
        compiled(str(tmp_path), "reject-by-port", {"limit": "5; DROP TABLE x"})


def test_a_damaged_entry_is_compiled_again(tmp_path: Path) -> None:
    good = compiled(str(tmp_path), "reject-by-port", PARAMS)
    (entry,) = entries(tmp_path)
    for damage in ("{not json", json.dumps({"sql": 3}), ""):
        entry.write_text(damage)
        assert compiled(str(tmp_path), "reject-by-port", PARAMS) == good
        assert json.loads(entry.read_text())["sql"] == good  # and repaired


def test_off_writes_nothing_and_an_unwritable_cache_is_ignored(tmp_path: Path) -> None:
    good = compiled("off", "reject-by-port", PARAMS)
    assert not list(tmp_path.iterdir())
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    assert compiled(str(blocked), "reject-by-port", PARAMS) == good
    assert blocked.read_text() == "not a folder"
