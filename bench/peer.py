"""flowlogs-reader's `aggregate` over local files: `python -m bench.peer DATA FIRST_DAY END_DAY`.

flowlogs-reader reads S3 only, through a boto3 client it can be handed. This hands it a stand-in
client that answers its three calls (list_objects_v2 with a delimiter, its paginator, and
get_object) from a local folder, so the peer does exactly its own work (listing by day, gunzip,
csv parsing, FlowRecord objects, the 5-tuple aggregation, printing) without network time.
"""

import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

BUCKET = "local"


class LocalS3:
    def __init__(self, root: Path):
        self.root = root

    def list_objects_v2(self, Bucket: str, Prefix: str, Delimiter: str = "") -> dict[str, Any]:  # noqa: N803
        folder = self.root / Prefix
        if Delimiter != "/" or not folder.is_dir():
            return {}
        subdirs = sorted(p.name for p in folder.iterdir() if p.is_dir())
        return {"CommonPrefixes": [{"Prefix": f"{Prefix}{name}/"} for name in subdirs]}

    def get_paginator(self, name: str) -> "LocalS3":
        return self

    def paginate(self, Bucket: str, Prefix: str) -> Iterator[dict[str, Any]]:  # noqa: N803
        folder = self.root / Prefix
        if folder.is_dir():
            keys = sorted(
                p.relative_to(self.root).as_posix() for p in folder.rglob("*") if p.is_file()
            )
            yield {"Contents": [{"Key": key} for key in keys]}

    def get_object(self, Bucket: str, Key: str) -> dict[str, Any]:  # noqa: N803
        path = self.root / Key
        return {"Body": open(path, "rb"), "ContentLength": path.stat().st_size}  # noqa: SIM115


def main(argv: list[str]) -> None:
    from flowlogs_reader import S3FlowLogsReader
    from flowlogs_reader.__main__ import action_aggregate

    root, first, end = Path(argv[0]), argv[1], argv[2]
    reader = S3FlowLogsReader(
        f"{BUCKET}/",
        boto_client=LocalS3(root),
        start_time=datetime.fromisoformat(first),
        end_time=datetime.fromisoformat(end),
    )
    action_aggregate(reader)


if __name__ == "__main__":
    main(sys.argv[1:])
