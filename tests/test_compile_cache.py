"""The compiled-SQL cache: a hit is exactly what the compiler writes, and costs no sqlglot."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from flowlake import compile_cache
from flowlake.compiler import compile_query
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
    fresh = [compiled("off", n, p, d, w) for n, p, d, w in cases]
    first = [compiled(str(tmp_path), n, p, d, w) for n, p, d, w in cases]
    assert len(entries(tmp_path)) == len(cases)  # query, parameters, dialect, window: the key
    again = [compiled(str(tmp_path), n, p, d, w) for n, p, d, w in cases]
    assert first == again == fresh


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
