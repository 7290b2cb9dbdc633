"""Compiled SQL kept on disk, keyed by everything it is compiled from.

Compiling a template costs Jinja and sqlglot: about 0.3 s of imports on every command, for
SQL that changes only when the template, its parameters, the window, the macros, flowlake's
compiler or sqlglot change. Every one of those is in the key, so a hit is the SQL the compiler
would write now; a miss compiles and stores. (A window is keyed by its shape: the compiler puts
its times into the cached SQL, see flowlake.compiler.compile_query.) The cache is an
optimisation only: any error reading or writing it is ignored, and `FLOWLAKE_CACHE_DIR=off`
turns it off.

    $FLOWLAKE_CACHE_DIR, else $XDG_CACHE_HOME/flowlake, else ~/.cache/flowlake
        sql/<sha256 of the key>.json   {"sql": ..., "source": ...}
"""

import contextlib
import hashlib
import json
import os
from functools import cache
from importlib.util import find_spec
from pathlib import Path

from flowlake import __version__
from flowlake.output import write_atomically
from flowlake.resources import sql_dir

CACHE_ENV = "FLOWLAKE_CACHE_DIR"
_OFF = ("", "off", "0", "none")


def cache_dir() -> Path | None:
    """Where compiled SQL is kept, or None when the cache is off."""
    configured = os.environ.get(CACHE_ENV)
    if configured is not None:
        return None if configured.strip().lower() in _OFF else Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "flowlake"


@cache
def _toolchain() -> str:
    """What else decides the output: flowlake's compiler and macros, and sqlglot's version."""
    digest = hashlib.sha256(__version__.encode())
    digest.update(Path(__file__).with_name("compiler.py").read_bytes())
    for macro in sorted((sql_dir() / "macros").glob("*.sql")):
        digest.update(macro.name.encode() + b"\0" + macro.read_bytes())
    spec = find_spec("sqlglot")  # its version without importing it (the point of the cache)
    if spec and spec.origin:
        package = Path(spec.origin).parent
        version = package / "_version.py"
        digest.update((version if version.is_file() else package / "__init__.py").read_bytes())
    return digest.hexdigest()


def key(*parts: object) -> str:
    """The cache key of a compilation: `parts` must say everything else it depends on."""
    text = json.dumps([_toolchain(), *map(repr, parts)])
    return hashlib.sha256(text.encode()).hexdigest()


def _path(cache_key: str) -> Path | None:
    root = cache_dir()
    return root / "sql" / f"{cache_key}.json" if root else None


def load(cache_key: str) -> dict[str, str] | None:
    path = _path(cache_key)
    if path is None:
        return None
    try:
        entry = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if isinstance(entry, dict) and isinstance(entry.get("sql"), str):
        return entry
    return None


def store(cache_key: str, entry: dict[str, str]) -> None:
    """Write atomically (a reader never sees half an entry); fail silently."""
    path = _path(cache_key)
    if path is not None:
        with contextlib.suppress(OSError):
            write_atomically(path, json.dumps(entry).encode())
