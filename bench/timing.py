"""Timing subprocesses, and the one table every benchmark adds its rows to.

Every contestant runs as a subprocess, the way a user runs it: wall clock from spawn to exit,
CPU time (user + system) from the kernel's accounting of that child (`os.wait4`: it covers every
process the child waited for, so a whole shell pipeline), and peak resident memory of its
largest process (GNU time's %M, see GNU_TIME).
"""

import os
import resource
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


@dataclass(frozen=True)
class Command:
    label: str
    argv: Sequence[str]
    env: dict[str, str] | None = None


def measure(*commands: Command, repeat: int = 3) -> list[Timing]:
    """Each command once to warm up, then `repeat` rounds running each in turn; best of each.

    Interleaving the rounds (A B A B ...) spreads any slow spell of the machine over every
    contestant instead of over whichever ran at the time.
    """
    warmups = [run(c.argv, c.env) for c in commands]
    rounds = [[run(c.argv, c.env) for c in commands] for _ in range(repeat)]
    return [Timing(c.label, [r[n] for r in rounds], warmups[n]) for n, c in enumerate(commands)]


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
    floor: Timing | None = None  # bench/floor.py, labelled by what it does

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

    def floor_note(self) -> str:
        """The floor's time against what the target allows: a target below the floor is out of
        reach of any Python + DuckDB program on this machine, flowlake included."""
        assert self.floor
        floor = self.floor.best
        if self.baseline and self.target.unit == "x":
            allowed = self.target.limit * self.baseline.best
            speedup = self.baseline.best / floor
            ratio = f" ({speedup:.{0 if speedup >= 10 else 1}f}x faster than the baseline)"
        else:
            allowed, ratio = self.target.limit, ""
        verdict = "above" if floor > allowed else "below"
        return (
            f"floor ({self.floor.label}) {_seconds(floor)}{ratio}, "
            f"{verdict} the {_seconds(allowed)} the target allows"
        )

    def cells(self) -> list[str]:
        base, ours = self.baseline, self.contender
        if base:  # contender first, as in the ratio
            details = [
                f"peak RSS {ours.max_rss_mib:,.0f} vs {base.max_rss_mib:,.0f} MiB",
                f"cpu {ours.cpu:.1f} vs {base.cpu:.1f} s",
            ]
        else:
            details = [f"peak RSS {ours.max_rss_mib:,.0f} MiB", f"cpu {ours.cpu:.2f} s"]
        if self.check:
            details.append(self.check)
        if self.floor:
            details.append(self.floor_note())
        details += self.notes
        return [
            self.benchmark,
            f"{base.label}  {_seconds(base.best)}" if base else "-",
            f"{ours.label}  {_seconds(ours.best)}",
            f"{self.figure:.2f}" if base else "-",
            f"target {self.target}",
            self.result,
            "; ".join(details),
        ]


HEADINGS = [
    "benchmark", "baseline (best)", "contender (best)", "ratio", "target", "result", "details"
]  # fmt: skip


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


def _busy_seconds() -> float | None:
    """CPU seconds all processes on the machine have used since boot (Linux), else None."""
    try:
        with open("/proc/stat") as stat:
            fields = stat.readline().split()
    except OSError:
        return None
    # user nice system idle iowait irq softirq steal ...: everything but idle and iowait
    ticks = [int(v) for v in fields[1:9]]
    busy = sum(ticks) - ticks[3] - ticks[4]
    return busy / os.sysconf("SC_CLK_TCK")


def _own_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class Contention:
    """How much CPU other processes took while the benchmarks ran (they slow every contestant).

    Machine-wide busy time minus this process's and its children's, over the wall time.
    """

    def __init__(self) -> None:
        self.start = (time.perf_counter(), _busy_seconds(), _own_seconds())

    def cores(self) -> float | None:
        """Cores' worth of CPU used by other processes on average since the start."""
        wall0, busy0, own0 = self.start
        busy1 = _busy_seconds()
        if busy0 is None or busy1 is None:
            return None
        wall = time.perf_counter() - wall0
        return max(0.0, (busy1 - busy0) - (_own_seconds() - own0)) / wall if wall > 0 else None
