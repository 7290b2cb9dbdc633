"""The `flowlake` command: a thin skin over flowlake.api. Library errors become one line."""

import os
import sys

from flowlake.cli.app import app
from flowlake.errors import FlowlakeError

# Further commands live in modules of their own that register on `app` when imported.
COMMAND_MODULES: list[str] = []
for _module in COMMAND_MODULES:
    __import__(f"flowlake.cli.{_module}")


def main() -> None:
    try:
        code = app(standalone_mode=False)
        sys.exit(code if isinstance(code, int) else 0)
    except FlowlakeError as exc:
        print(f"flowlake: error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        print("flowlake: interrupted", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - the last line of defence against a traceback
        import click

        if isinstance(exc, click.exceptions.Abort):
            sys.exit(130)
        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        if os.environ.get("FLOWLAKE_DEBUG"):
            raise
        print(
            f"flowlake: internal error: {type(exc).__name__}: {exc} (FLOWLAKE_DEBUG=1 for details)",
            file=sys.stderr,
        )
        sys.exit(70)


__all__ = ["app", "main"]
