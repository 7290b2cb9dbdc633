"""The bench's floor: it must give flowlake's answer (or it is no floor) and say rightly whether
a target is within its reach."""

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench.timing import Measurement, Run, Target, Timing
from flowlake import sample_lake as sl

FLOOR = Path(__file__).resolve().parents[1] / "bench" / "floor.py"


def timed(best: float, label: str = "x") -> Timing:
    run = Run(wall=best, cpu=best, max_rss_kib=1024, stdout="", stderr="")
    return Timing(label, [run], run)


def test_floor_answers_reject_by_port_as_flowlake_does(cli, tmp_path: Path) -> None:
    now = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    raw = sl.write_sample_lake(tmp_path / "raw", now=now, hours=2)
    dest = tmp_path / "compacted"
    assert cli("compact", "--lake", raw.root, "--to", dest).code == 0
    files = sorted(str(f) for f in dest.rglob("*.parquet"))
    ours = cli("query", "reject-by-port", "--lake", dest, "-f", "csv")
    assert ours.code == 0 and ours.out.count("\n") > 2

    floor = subprocess.run(
        [sys.executable, str(FLOOR), "parquet", *files], capture_output=True, text=True, check=True
    )

    # the same rows in the same order; flowlake prints times as ISO, the floor as Unix seconds
    assert rows(floor.stdout) == rows(ours.out)


def rows(csv_text: str) -> list[list[str]]:
    header, *lines = [line.split(",") for line in csv_text.splitlines()]
    assert header[-2:] == ["first_seen", "last_seen"]
    return [[*line[:-2], *(str(epoch(t)) for t in line[-2:])] for line in lines]


def epoch(time: str) -> int:
    return int(time) if time.isdigit() else int(datetime.fromisoformat(time).timestamp())


def test_floor_note_says_whether_the_target_is_in_reach() -> None:
    row = Measurement("q", timed(0.3), Target(0.02, "x"), baseline=timed(6.0))

    row.floor = timed(0.2, "same aggregate")
    assert row.floor_note() == (
        "floor (same aggregate) 0.200 s (30x faster than the baseline), "
        "above the 0.120 s the target allows"
    )
    row.floor = timed(0.1, "same aggregate")
    assert row.floor_note().endswith(
        "(60x faster than the baseline), below the 0.120 s the target allows"
    )
