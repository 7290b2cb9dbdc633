"""Timing subprocesses, and the one table every benchmark adds its rows to.

Every contestant runs as a subprocess, the way a user runs it: wall clock from spawn to exit,
CPU time (user + system) and peak resident memory from the kernel's accounting of that child
(`os.wait4`, which for a shell pipeline covers the largest process of the pipeline).
"""

import os
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Run:
    """One execution of a command."""

    wall: float  # seconds, spawn to exit
    cpu: float  # user + system seconds, the command and the children it waited for
    max_rss_kib: int  # peak resident set of the largest process, KiB
    stdout: str
    stderr: str


class CommandFailed(RuntimeError):
    pass


# GNU time reports the peak RSS of the command alone. The kernel's figure for a child of this
# process also counts what the child inherited at fork (this interpreter's own peak, with
# DuckDB loaded after generating the data), which would hide a small command's footprint.
GNU_TIME = "/usr/bin/time"


def run(argv: Sequence[str], env: dict[str, str] | None = None) -> Run:
    """Run `argv` to completion; stdout and stderr go to temporary files, not pipes."""
    use_time = os.access(GNU_TIME, os.X_OK)
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.NamedTemporaryFile("r") as rss,
    ):
        command = [GNU_TIME, "-f", "%M", "-o", rss.name, *argv] if use_time else list(argv)
        start = time.perf_counter()
        proc = subprocess.Popen(command, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        stderr = err.read().decode(errors="replace")
        reported = rss.read().strip().splitlines()
    if proc.returncode != 0:
        raise CommandFailed(
            f"{' '.join(argv[:4])} ... exited with {proc.returncode}: {stderr.strip()[-2000:]}"
        )
    max_rss = int(reported[-1]) if use_time and reported and reported[-1].isdigit() else 0
    # CPU: the child's own accounting covers every process it waited for (the whole pipeline).
    return Run(wall, usage.ru_utime + usage.ru_stime, max_rss or usage.ru_maxrss, stdout, stderr)


@dataclass
class Timing:
    """A command timed several times after a warm-up run (page cache, .pyc files)."""

    label: str
    runs: list[Run]
    warmup: Run

    @property
    def best(self) -> float:
        return min(r.wall for r in self.runs)

    @property
    def cpu(self) -> float:
        """CPU seconds of the fastest run."""
        return min(self.runs, key=lambda r: r.wall).cpu

    @property
    def max_rss_mib(self) -> float:
        return max(r.max_rss_kib for r in [self.warmup, *self.runs]) / 1024

    @property
    def output(self) -> str:
        """What the command printed (the warm-up run's stdout: every run prints the same)."""
        return self.warmup.stdout


def measure(
    label: str, argv: Sequence[str], repeat: int = 3, env: dict[str, str] | None = None
) -> Timing:
    """One warm-up run, then the best of `repeat` runs."""
    warmup = run(argv, env)
    return Timing(label, [run(argv, env) for _ in range(repeat)], warmup)


@dataclass(frozen=True)
class Target:
    """A limit on the row's figure: a ratio to the baseline (`x`) or seconds (`s`)."""

    limit: float
    unit: str  # "x" or "s"
    inclusive: bool = True

    def met(self, value: float) -> bool:
        return value <= self.limit if self.inclusive else value < self.limit

    def __str__(self) -> str:
        op = "<=" if self.inclusive else "<"
        return f"{op} {self.limit}" + (" s" if self.unit == "s" else "")


@dataclass
class Measurement:
    """One row of the table: a contestant, optionally against a baseline, and its target.

    With a baseline the figure is the ratio contender/baseline of best wall times; without
    one it is the contender's best wall time. `check` says whether the contestants gave the
    same answer; a row whose answers differ is INVALID whatever its times.
    """

    benchmark: str
    contender: Timing
    target: Target
    baseline: Timing | None = None
    check: str = ""
    valid: bool = True
    notes: list[str] = field(default_factory=list)

    @property
    def figure(self) -> float:
        if self.baseline:
            return self.contender.best / self.baseline.best
        return self.contender.best

    @property
    def result(self) -> str:
        if not self.valid:
            return "INVALID"
        return "PASS" if self.target.met(self.figure) else "MISS"

    def cells(self) -> list[str]:
        base = self.baseline
        details = [f"{self.contender.label.split()[0]} peak RSS {self.contender.max_rss_mib:,.0f} MiB"]
        if base:
            details.append(f"cpu {self.contender.cpu:.1f} s vs {base.cpu:.1f} s")
        if self.check:
            details.append(self.check)
        details += self.notes
        return [
            self.benchmark,
            f"{base.label}  {_seconds(base.best)}" if base else "-",
            f"{self.contender.label}  {_seconds(self.contender.best)}",
            f"{self.figure:.2f}" if base else "-",
            f"target {self.target}",
            self.result,
            "; ".join(details),
        ]


HEADINGS = ["benchmark", "baseline (best)", "contender (best)", "ratio", "target", "result", ""]


def _seconds(value: float) -> str:
    return f"{value:.3f} s" if value < 10 else f"{value:.2f} s"


def table(rows: Sequence[Measurement], facts: Sequence[tuple[str, str]] = ()) -> str:
    """The plain-text table: aligned columns separated by ` | `, then `facts` as key: value."""
    grid = [HEADINGS, *[r.cells() for r in rows]]
    widths = [max(len(line[c]) for line in grid) for c in range(len(HEADINGS))]

    def line(cells: list[str]) -> str:
        return " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    rule = "-+-".join("-" * w for w in widths)
    out = [line(grid[0]), rule, *[line(cells) for cells in grid[1:]]]
    if facts:
        key_width = max(len(k) for k, _ in facts)
        out += [""] + [f"{k.ljust(key_width)}  {v}" for k, v in facts]
    return "\n".join(out)
