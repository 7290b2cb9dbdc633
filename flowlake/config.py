"""Settings that can come from the command line, the environment or `flowlake.toml`.

Precedence: command-line option, then FLOWLAKE_* environment variable, then `flowlake.toml` in
the current directory (or the file named by FLOWLAKE_CONFIG).

    # flowlake.toml
    lake = "s3://my-log-bucket/flow-logs"
    fields = "version account-id interface-id srcaddr dstaddr ..."   # files without a header
    profile = "network-audit"
    region = "eu-west-1"
"""

import os
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from flowlake.errors import UsageError

KEYS = ("lake", "fields", "profile", "region", "endpoint_url")


@cache
def file_settings() -> dict[str, Any]:
    path = Path(os.environ.get("FLOWLAKE_CONFIG", "flowlake.toml"))
    if not path.is_file():
        return {}
    try:
        settings = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: not valid TOML ({exc})") from None
    unknown = sorted(set(settings) - set(KEYS))
    if unknown:
        raise UsageError(f"{path}: unknown setting {unknown[0]!r} (known: {', '.join(KEYS)})")
    return settings


def setting(key: str, given: str | None) -> str | None:
    if given:
        return given
    return os.environ.get(f"FLOWLAKE_{key.upper()}") or file_settings().get(key)
