"""The floor under a flowlake query: what any Python program using DuckDB pays at the least.

    python bench/floor.py startup            Python starts and loads DuckDB, nothing more
    python bench/floor.py parquet FILE...    and runs reject-by-port over the Parquet FILEs

`startup` is the least any tool built on Python and DuckDB takes to answer anything. `parquet`
adds the aggregate reject-by-port compiles to, run by DuckDB's own Parquet reader on the
columns as stored, with nothing of flowlake (no CLI, no discovery, no view, no lake checks); it
prints the answer in the columns of `flowlake query -f csv` (times as Unix seconds, as awk
gives them), so the bench checks it against awk's as it checks flowlake's. A target below a
floor is out of reach of flowlake on the machine measured; the table says so.

Run as a script, not `-m bench.floor`: the floor must not import more than it needs.
"""

import sys

REJECT_BY_PORT = (
    "SELECT dstport, protocol, count(*) AS rejects, sum(packets) AS packets, "
    "sum(bytes) AS bytes, count(DISTINCT srcaddr) AS sources, "
    'min("start") AS first_seen, max("start") AS last_seen '
    "FROM read_parquet($files) WHERE action = 'REJECT' "
    "GROUP BY dstport, protocol ORDER BY rejects DESC, dstport, protocol LIMIT 20"
)


def main(argv: list[str]) -> int:
    kind, *files = argv
    try:
        import _duckdb as duckdb  # what flowlake loads: the package adds ~0.1 s of imports
    except ImportError:
        import duckdb  # type: ignore[no-redef]
    con = duckdb.connect()
    if kind == "startup":
        return 0
    rows = con.execute(REJECT_BY_PORT, {"files": files}).fetchall()
    lines = ["dstport,protocol,rejects,packets,bytes,sources,first_seen,last_seen"]
    lines += [",".join("" if v is None else str(v) for v in row) for row in rows]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
