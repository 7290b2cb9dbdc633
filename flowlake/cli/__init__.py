"""The `flowlake` command: a thin skin over flowlake.api. Library errors become one line."""

import os
import sys

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


def main() -> None:
    try:
        code = app(standalone_mode=False)
        sys.exit(code if isinstance(code, int) else 0)
    except FlowlakeError as exc:
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
        if os.environ.get("FLOWLAKE_DEBUG"):
            raise
        print(
            f"flowlake: internal error: {type(exc).__name__}: {exc} (FLOWLAKE_DEBUG=1 for details)",
            file=sys.stderr,
        )
        sys.exit(70)


__all__ = ["app", "main"]
