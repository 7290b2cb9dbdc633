"""A spinner on stderr while a scan runs; stdout carries results only."""

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from flowlake.lake import Lake


@contextmanager
def scanning(lake: Lake) -> Iterator[None]:
    if not sys.stderr.isatty():
        yield
        return
    from rich.console import Console

    with Console(stderr=True).status(f"Scanning {lake.location} ..."):
        yield
