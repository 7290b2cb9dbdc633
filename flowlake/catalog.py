"""The query catalogue: `queries/<name>.sql` files, each with a TOML header in a Jinja comment.

{#- flowlake
title = "Rejected traffic by destination port"
description = "..."
columns = ["dstport", "protocol", "rejects"]
fields = ["dstport", "protocol", "action"]      # flow-log fields the query reads
tables = ["security_group_rules"]               # network-config tables it reads, if any
chart = { kind = "bar", x = "dstport", y = "rejects" }
answers = ["seed: SSH blocked by SG/NACL ..."]
insights = '''fields ... | filter action = "REJECT"'''

[params.port]
type = "port"
help = "only this destination port"
-#}
SELECT ...
"""

import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from flowlake.errors import UsageError
from flowlake.params import SqlValue, convert
from flowlake.resources import queries_dir

_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")  # a query's name is its file's stem

PARAM_TYPES = (
    "int", "port", "protocol", "ip", "cidr", "address", "enum", "action", "string",
    "duration", "timestamp", "bool",
)  # fmt: skip
# What `flowlake show`, `views` and the catalogue tests use for a required parameter with no
# `example` in its header.
TYPE_EXAMPLES = {
    "int": "10",
    "port": "22",
    "protocol": "tcp",
    "ip": "10.0.1.10",
    "cidr": "10.0.0.0/8",
    "address": "10.0.1.",
    "action": "REJECT",
    "string": "eni-0a1b2c3d4e5f60010",
    "duration": "10m",
    "timestamp": "2024-05-01T00:00:00Z",
    "bool": "true",
}
_HEADER_START = "{#- flowlake"
_HEADER_END = "-#}"


@dataclass(frozen=True)
class ParamSpec:
    name: str
    type: str
    help: str
    default: Any = None
    required: bool = False
    choices: tuple[str, ...] = ()
    example: str | None = None

    @property
    def example_value(self) -> str:
        """A value to show the query with: the header's `example`, else one of its type."""
        if self.example is not None:
            return self.example
        return self.choices[0] if self.choices else TYPE_EXAMPLES[self.type]

    def convert(self, raw: Any) -> SqlValue:
        return convert(self.type, raw, self.name, list(self.choices))

    def describe(self) -> str:
        kind = "|".join(self.choices) if self.choices else self.type
        if self.required:
            return f"{self.name} ({kind}, required)"
        return (
            f"{self.name} ({kind}, default {self.default})"
            if self.default is not None
            else f"{self.name} ({kind}, optional)"
        )


@dataclass(frozen=True)
class QuerySpec:
    name: str
    title: str
    description: str
    params: dict[str, ParamSpec]
    columns: list[str]
    fields: list[str]
    body: str
    path: Path
    chart: dict[str, str] | None = None
    answers: list[str] = field(default_factory=list)
    insights: str | None = None
    tables: list[str] = field(default_factory=list)
    """Network-config tables (and cloudtrail_events) the query reads, from `config snapshot`,
    `config import` or CloudTrail: checked before it runs."""

    def example_params(self) -> dict[str, str]:
        """Values for the required parameters, so the query can be shown and compiled."""
        return {p.name: p.example_value for p in self.params.values() if p.required}

    def bind(self, raw: dict[str, Any]) -> dict[str, SqlValue | None]:
        """Validate user parameters against the spec; unknown names and bad values are errors."""
        unknown = sorted(set(raw) - set(self.params))
        if unknown:
            known = ", ".join(self.params) or "none"
            raise UsageError(
                f"query {self.name} has no parameter {unknown[0]!r} (parameters: {known})"
            )
        bound: dict[str, SqlValue | None] = {}
        for name, spec in self.params.items():
            value = raw.get(name, spec.default)
            if value is None or value == "":
                if spec.required:
                    raise UsageError(f"query {self.name} needs parameter {name}: -p {name}=VALUE")
                bound[name] = None
            else:
                bound[name] = spec.convert(value)
        return bound


def parse_header(text: str, path: Path) -> tuple[dict[str, Any], str]:
    if not text.startswith(_HEADER_START):
        raise ValueError(f"{path}: a query file starts with a '{_HEADER_START}' header")
    end = text.index(_HEADER_END)
    header = tomllib.loads(text[len(_HEADER_START) : end])
    return header, text[end + len(_HEADER_END) :].lstrip("\n")


def load_spec(path: Path) -> QuerySpec:
    header, body = parse_header(path.read_text(), path)
    params = {}
    for name, p in header.get("params", {}).items():
        if p.get("type") not in PARAM_TYPES:
            raise ValueError(f"{path}: parameter {name} has unknown type {p.get('type')!r}")
        params[name] = ParamSpec(
            name=name,
            type=p["type"],
            help=p.get("help", ""),
            default=p.get("default"),
            required=p.get("required", False),
            choices=tuple(p.get("choices", ())),
            example=str(p["example"]) if "example" in p else None,
        )
    return QuerySpec(
        name=path.stem,
        title=header["title"],
        description=header["description"].strip(),
        params=params,
        columns=list(header.get("columns", [])),
        fields=list(header.get("fields", [])),
        body=body,
        path=path,
        chart=header.get("chart"),
        answers=list(header.get("answers", [])),
        insights=(header.get("insights") or "").strip() or None,
        tables=_config_tables(header, path),
    )


def _config_tables(header: dict[str, Any], path: Path) -> list[str]:
    from flowlake.netconfig.schema import tables

    named = list(header.get("tables", []))
    unknown = [t for t in named if t not in tables()]
    if unknown:
        raise ValueError(f"{path}: unknown config table {unknown[0]!r} in `tables`")
    return named


@cache
def catalog() -> dict[str, QuerySpec]:
    return {p.stem: _load_one(p) for p in sorted(queries_dir().glob("*.sql"))}


@cache
def _load_one(path: Path) -> QuerySpec:
    return load_spec(path)


def get(name: str) -> QuerySpec:
    path = queries_dir() / f"{name}.sql"
    if _NAME.fullmatch(name) and path.is_file():  # one header to parse, not the catalogue's
        return _load_one(path)
    specs = catalog()
    if name not in specs:
        close = [n for n in specs if name in n or n in name]
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise UsageError(f"unknown query {name!r}{hint}: `flowlake list` shows the catalogue")
    return specs[name]
