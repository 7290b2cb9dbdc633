"""A DuckDB connection set up the flowlake way: UTC, httpfs from its wheel, our SQL macros."""

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flowlake.errors import FlowlakeError
from flowlake.resources import sql_dir

if TYPE_CHECKING:
    from flowlake.lake.store import S3Options


def httpfs_extension_path() -> Path:
    """The httpfs binary shipped by the `duckdb-extension-httpfs` wheel for this duckdb."""
    import duckdb

    try:
        import duckdb_extension_httpfs
    except ImportError:
        raise FlowlakeError(
            "the duckdb-extension-httpfs package is not installed (needed for s3:// lakes): "
            f"pip install duckdb-extension-httpfs=={duckdb.__version__}"
        ) from None
    base = Path(duckdb_extension_httpfs.__file__).parent / "extensions"
    wanted = base / f"v{duckdb.__version__}" / "httpfs.duckdb_extension"
    if not wanted.is_file():
        found = sorted(p.name for p in base.iterdir()) if base.is_dir() else []
        raise FlowlakeError(
            f"duckdb {duckdb.__version__} needs httpfs built for v{duckdb.__version__}, but the "
            f"installed duckdb-extension-httpfs has {', '.join(found) or 'none'}: "
            f"pip install duckdb-extension-httpfs=={duckdb.__version__}"
        )
    return wanted


def duckdb_module() -> Any:
    """DuckDB's compiled module, `_duckdb`, which the `duckdb` package re-exports whole.
    Importing the package also finds its own version through importlib.metadata and builds
    DB-API type objects: 60-90 ms of every query command, for nothing flowlake uses.
    The package itself if the module ever moves."""
    try:
        import _duckdb

        return _duckdb
    except ImportError:  # a duckdb that no longer ships it
        import duckdb

        return duckdb


def _spill_folder() -> str:
    import tempfile
    import uuid

    return os.path.join(tempfile.gettempdir(), f"flowlake-spill-{uuid.uuid4().hex}")


def connect(*, httpfs: bool = False) -> Any:
    con = duckdb_module().connect(
        config={
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            # An in-memory database spills to `.tmp` in the current folder, under the same
            # file names in every database: a big query in a read-only folder fails, and two
            # databases spilling there at once overwrite each other's blocks (two compaction
            # workers did, and crashed). A folder of its own: DuckDB makes it when it first
            # spills and removes it on close.
            "temp_directory": _spill_folder(),
        }
    )
    con.execute("SET enable_progress_bar = false")  # stdout carries results only
    con.execute("SET TimeZone = 'UTC'")
    if httpfs:
        # signature checks stay on: the wheel's binary is signed by DuckDB
        con.execute(f"LOAD '{httpfs_extension_path()}'")
        # one HEAD per object: the reader would otherwise ask for each file's size twice
        con.execute("SET enable_http_metadata_cache = true")
    for macro_file in sorted((sql_dir() / "duckdb").glob("*.sql")):
        con.execute(macro_file.read_text())
    return con


def create_s3_secret(con: Any, options: "S3Options", name: str = "flowlake_s3") -> None:
    """Hand boto3's credentials to DuckDB's httpfs as a session-scoped secret."""
    from flowlake.lake.aws import duckdb_secret
    from flowlake.sqltext import string_literal

    settings = ", ".join(
        f"{k} {v if k == 'USE_SSL' else string_literal(v)}"
        for k, v in duckdb_secret(options).items()
    )
    try:
        con.execute(f"CREATE OR REPLACE TEMPORARY SECRET {name} (TYPE s3, {settings})")
    except Exception:
        # the statement holds credentials: never let it reach a message
        raise FlowlakeError("DuckDB refused the S3 credentials secret") from None
