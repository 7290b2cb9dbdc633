"""The `flowlake` command: a thin skin over flowlake.api. Library errors become one line."""

import os
import signal
import sys
from types import FrameType

import typer

from flowlake.cli.app import app
from flowlake.errors import FlowlakeError

# Further commands live in modules of their own that register on `app` when imported.
COMMAND_MODULES: list[str] = [
    "insights_cmd",
    "athena_cmd",
    "views_cmd",
    "compact_cmd",
    "config_cmd",
    "diagnose_cmd",
]
for _module in COMMAND_MODULES:
    __import__(f"flowlake.cli.{_module}")


_interrupted = False


def _on_interrupt(signum: int, frame: FrameType | None) -> None:
    global _interrupted
    _interrupted = True
    signal.default_int_handler(signum, frame)  # KeyboardInterrupt, as without this handler


def _stop_if_interrupted(interrupted: bool = False) -> None:
    if interrupted or _interrupted:
        print("flowlake: interrupted", file=sys.stderr)
        sys.exit(130)


def main() -> None:
    global _interrupted
    # Ctrl-C does not always arrive as KeyboardInterrupt: typer returns it as 130, DuckDB
    # raises "Query interrupted" (which the engine reports as a failed query). A flag set by
    # the signal tells each of them from a real failure. (An ignored SIGINT stays ignored.)
    _interrupted = False
    if signal.getsignal(signal.SIGINT) in (signal.default_int_handler, _on_interrupt):
        signal.signal(signal.SIGINT, _on_interrupt)
    try:
        code = app(standalone_mode=False)
        _stop_if_interrupted(code == 130)
        sys.exit(code if isinstance(code, int) else 0)
    except FlowlakeError as exc:
        _stop_if_interrupted()
        print(f"flowlake: error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except (KeyboardInterrupt, typer.Abort):  # click turns Ctrl-C into Abort
        print("flowlake: interrupted", file=sys.stderr)
        sys.exit(130)
    except typer.TyperException as exc:  # the option parser's usage errors, in one line too
        ctx = getattr(exc, "ctx", None)
        where = f" (see {ctx.command_path} --help)" if ctx is not None else ""
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        print(f"flowlake: error: {message}{where}", file=sys.stderr)
        sys.exit(getattr(exc, "exit_code", 2))
    except Exception as exc:  # noqa: BLE001 - the last line of defence against a traceback
        _stop_if_interrupted()
        if os.environ.get("FLOWLAKE_DEBUG"):
            raise
        print(
            f"flowlake: internal error: {type(exc).__name__}: {exc} (FLOWLAKE_DEBUG=1 for details)",
            file=sys.stderr,
        )
        sys.exit(70)


__all__ = ["app", "main"]
