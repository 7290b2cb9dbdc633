"""Where the shipped data lives: `sql/` and `queries/`.

In a source checkout (and an editable install) they sit at the top of the repository; a wheel
carries them inside the package as `flowlake/_data/` (see pyproject's force-include).
"""

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


@cache
def data_dir(name: str) -> Path:
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"flowlake is installed without its {name}/ folder")


def sql_dir() -> Path:
    return data_dir("sql")


def queries_dir() -> Path:
    return data_dir("queries")
