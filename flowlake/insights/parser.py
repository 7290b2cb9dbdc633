"""Logs Insights query text -> a small typed syntax tree (grammar in `grammar.lark`).

The parser knows the language, not flow logs nor SQL: field names stay as written and functions
are checked by name only (their arguments are checked in `to_sql`). Every node keeps its place
in the query (`Pos`, 1-based line and column) so errors can point at it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from flowlake.errors import UsageError


class InsightsError(UsageError):
    """A query that cannot be translated: one line naming the construct and where it is."""

    def __init__(self, message: str, pos: Pos | None = None) -> None:
        self.pos = pos
        where = f" at {pos}" if pos else ""
        super().__init__(f"insights query{where}: {message}")


@dataclass(frozen=True)
class Pos:
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.line}:{self.column}"


# -- expressions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    pos: Pos
    text: str  # the query text this node was parsed from, whitespace runs made single spaces


@dataclass(frozen=True)
class Field(Node):
    name: str  # without backticks


@dataclass(frozen=True)
class Number(Node):
    value: int | float


@dataclass(frozen=True)
class String(Node):
    value: str


@dataclass(frozen=True)
class Regex(Node):
    pattern: str  # between the slashes, `\/` unescaped


@dataclass(frozen=True)
class Period(Node):
    amount: int
    unit: str  # canonical: ms s m h d w mo q y


@dataclass(frozen=True)
class Star(Node):
    """The `*` of count(*)."""


@dataclass(frozen=True)
class Call(Node):
    name: str  # as written
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class Negate(Node):
    operand: Expr


@dataclass(frozen=True)
class BinaryOp(Node):
    op: str  # + - * / % ^
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Compare(Node):
    op: str  # = != < <= > >=
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Match(Node):
    """`x like "text"` / `x =~ "text"` (substring) or `x like /re/` (regular expression)."""

    subject: Expr
    pattern: String | Regex
    negated: bool


@dataclass(frozen=True)
class In(Node):
    subject: Expr
    values: tuple[Number | String, ...]
    negated: bool


@dataclass(frozen=True)
class Not(Node):
    operand: Expr


@dataclass(frozen=True)
class BoolOp(Node):
    op: str  # and / or
    left: Expr
    right: Expr


Expr = (
    Field
    | Number
    | String
    | Regex
    | Period
    | Star
    | Call
    | Negate
    | BinaryOp
    | Compare
    | Match
    | In
    | Not
    | BoolOp
)


# -- commands ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Named:
    """An expression and the name its result goes by: the alias, else the text as written."""

    expr: Expr
    alias: Field | None

    @property
    def name(self) -> str:
        return self.alias.name if self.alias else self.expr.text


@dataclass(frozen=True)
class Command:
    pos: Pos
    keyword: str  # lowercase


@dataclass(frozen=True)
class Fields(Command):
    items: tuple[Named, ...]


@dataclass(frozen=True)
class Display(Command):
    items: tuple[Named, ...]


@dataclass(frozen=True)
class Filter(Command):
    condition: Expr


@dataclass(frozen=True)
class Stats(Command):
    aggregates: tuple[Named, ...]
    groups: tuple[Named, ...]


@dataclass(frozen=True)
class SortKey:
    expr: Expr
    descending: bool


@dataclass(frozen=True)
class Sort(Command):
    keys: tuple[SortKey, ...]


@dataclass(frozen=True)
class Limit(Command):
    count: int


@dataclass(frozen=True)
class Parse(Command):
    source: Field | None  # None: @message
    pattern: String | Regex
    names: tuple[Field, ...]  # for a glob pattern; a regex names its groups


@dataclass(frozen=True)
class Dedup(Command):
    fields: tuple[Field, ...]


@dataclass(frozen=True)
class Query:
    text: str
    commands: tuple[Command, ...] = field(default_factory=tuple)


# -- the functions the language has, and the subset flowlake translates -----------------------

AGGREGATES = frozenset(
    "count count_distinct sum avg min max pct stddev earliest latest sortsfirst sortslast".split()
)
SCALARS = frozenset(
    "isipv4insubnet isipv6insubnet isipinsubnet isempty isblank ispresent coalesce strlen "
    "toupper tolower concat substr replace trim ltrim rtrim strcontains abs ceil floor "
    "greatest least log sqrt bin datefloor dateceil frommillis tomillis".split()
)
# Documented Insights functions flowlake does not translate, named in the error.
UNSUPPORTED = frozenset(
    "isvalidip isvalidipv4 isvalidipv6 jsonparse unnest rate count_over_time sum_over_time "
    "histogram".split()
)
UNITS = {
    "ms": "ms", "msec": "ms", "millisecond": "ms",
    "s": "s", "sec": "s", "second": "s",
    "m": "m", "min": "m", "minute": "m",
    "h": "h", "hr": "h", "hour": "h",
    "d": "d", "day": "d",
    "w": "w", "week": "w",
    "mo": "mo", "mon": "mo", "month": "mo",
    "q": "q", "qtr": "q", "quarter": "q",
    "y": "y", "yr": "y", "year": "y",
}  # fmt: skip
COMMANDS = ("fields", "display", "filter", "stats", "sort", "limit", "parse", "dedup")
# Other commands of the language: named as unsupported rather than as a syntax error.
OTHER_COMMANDS = frozenset(
    "unnest lookup join pattern diff anomaly unmask filterindex source head tail".split()
)

_TERMINALS = {
    "FIELD": "a field name",
    "STRING": "a quoted string",
    "REGEX": "a /regular expression/",
    "NUMBER": "a number",
    "INT": "a whole number",
    "MINUS": "'-'",
    "LPAR": "'('",
    "RPAR": "')'",
    "LSQB": "'['",
    "RSQB": "']'",
    "COMMA": "','",
    "COMPARATOR": "a comparison",
    "DIRECTION": "asc or desc",
    "_PIPE": "'|'",
    "BY": "by",
    "_AS": "as",
    "_AND": "and",
    "_OR": "or",
    "_NOT": "not",
    "_IN": "in",
    "$END": "the end of the query",
}


@cache
def _parser() -> Any:
    from lark import Lark

    grammar = (Path(__file__).parent / "grammar.lark").read_text(encoding="utf-8")
    return Lark(
        grammar,
        start="query",
        parser="lalr",
        lexer="contextual",
        propagate_positions=True,
        maybe_placeholders=False,
    )


def parse(text: str) -> Query:
    """The syntax tree of a Logs Insights query, or an InsightsError naming what is wrong."""
    from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

    if not text.strip():
        raise InsightsError("the query is empty")
    try:
        tree = _parser().parse(text)
    except UnexpectedToken as error:
        raise _token_error(error) from None
    except UnexpectedCharacters as error:
        at = error.pos_in_stream or 0
        char = text[at] if at < len(text) else ""
        raise InsightsError(
            f"unexpected character {char!r}", Pos(error.line, error.column)
        ) from None
    except UnexpectedInput as error:  # the end of input where more was needed
        raise InsightsError("the query ends too early", Pos(error.line, error.column)) from None
    return _Builder(text).query(tree)


def _token_error(error: Any) -> InsightsError:
    token = error.token
    pos = Pos(token.line, token.column) if token.line is not None else None
    expected = set(error.expected)
    if token.type == "$END":
        pos = Pos(error.line, error.column) if error.line not in (None, -1) else pos
    command_keywords = {c.upper() for c in COMMANDS}
    if expected and expected <= command_keywords:
        word = str(token)
        if token.type == "$END":
            return InsightsError("a command is missing after '|'", pos)
        if word.lower() in OTHER_COMMANDS:
            return InsightsError(f"unsupported command '{word}' (supported: {_commands()})", pos)
        return InsightsError(f"unknown command '{word}' (commands: {_commands()})", pos)
    wanted = sorted({_TERMINALS.get(name, name.lower()) for name in expected - {"PERIOD"}})
    found = "end of query" if token.type == "$END" else f"'{token}'"
    return InsightsError(f"unexpected {found}; expected {', '.join(wanted)}", pos)


def _commands() -> str:
    return ", ".join(COMMANDS)


# -- tree -> syntax tree ------------------------------------------------------------------------


class _Builder:
    """Turns lark's parse tree into the dataclasses above."""

    def __init__(self, text: str) -> None:
        self.text = text

    def _pos(self, node: Any) -> Pos:
        meta = getattr(node, "meta", None)
        if meta is not None and not getattr(meta, "empty", True):
            return Pos(meta.line, meta.column)
        return Pos(node.line, node.column)

    def _text(self, node: Any) -> str:
        meta = getattr(node, "meta", None)
        if meta is not None and not getattr(meta, "empty", True):
            start, end = meta.start_pos, meta.end_pos
        else:
            start, end = node.start_pos, node.end_pos
        return " ".join(self.text[start:end].split())

    def query(self, tree: Any) -> Query:
        return Query(self.text, tuple(self.command(child) for child in tree.children))

    def command(self, tree: Any) -> Command:
        keyword, *rest = tree.children
        pos, word = Pos(keyword.line, keyword.column), str(keyword).lower()
        kind = tree.data
        if kind == "fields_cmd":
            return Fields(pos, word, tuple(self.named(n) for n in rest))
        if kind == "display_cmd":
            return Display(pos, word, tuple(self.named(n) for n in rest))
        if kind == "filter_cmd":
            return Filter(pos, word, self.expr(rest[0]))
        if kind == "stats_cmd":
            split = next((i for i, c in enumerate(rest) if _is_token(c, "BY")), len(rest))
            aggregates = tuple(self.named(n) for n in rest[:split])
            return Stats(pos, word, aggregates, tuple(self.named(n) for n in rest[split + 1 :]))
        if kind == "sort_cmd":
            keys = []
            for key in (k for k in rest if not _is_token(k, "BY")):
                expr, *direction = key.children
                descending = bool(direction) and str(direction[0]).lower() == "desc"
                keys.append(SortKey(self.expr(expr), descending))
            return Sort(pos, word, tuple(keys))
        if kind == "limit_cmd":
            count = int(rest[0])
            if count < 1:
                raise InsightsError("limit must be at least 1", self._pos(rest[0]))
            return Limit(pos, word, count)
        if kind == "parse_cmd":
            return self.parse_command(pos, word, rest)
        if kind == "dedup_cmd":
            return Dedup(pos, word, tuple(self.field(f) for f in rest))
        raise InsightsError(f"unsupported command '{word}'", pos)  # pragma: no cover

    def parse_command(self, pos: Pos, word: str, rest: list[Any]) -> Parse:
        source = None
        if rest and getattr(rest[0], "data", None) == "field":
            source = self.field(rest.pop(0))
        pattern_token, *names = rest
        if pattern_token.type == "REGEX":
            return Parse(pos, word, source, self.regex(pattern_token), ())
        return Parse(pos, word, source, self.string(pattern_token), tuple(map(self.field, names)))

    def named(self, tree: Any) -> Named:
        expr, *alias = tree.children
        return Named(self.expr(expr), self.field(alias[0]) if alias else None)

    def field(self, tree: Any) -> Field:
        token = tree.children[0]
        name = str(token)
        if name.startswith("`"):
            name = name[1:-1]
        return Field(self._pos(token), self._text(token), name)

    def string(self, token: Any) -> String:
        return String(self._pos(token), self._text(token), _unquote(str(token)))

    def regex(self, token: Any) -> Regex:
        return Regex(self._pos(token), str(token), str(token)[1:-1].replace("\\/", "/"))

    def expr(self, node: Any) -> Expr:
        from lark import Token

        if isinstance(node, Token):  # only a bare STAR reaches here, from count(*)
            return Star(self._pos(node), "*")
        pos, text, kind, children = self._pos(node), self._text(node), node.data, node.children
        if kind == "field":
            return self.field(node)
        if kind == "number":
            raw = str(children[0])
            return Number(pos, text, float(raw) if "." in raw else int(raw))
        if kind == "negative_number":
            raw = str(children[1])
            return Number(pos, text, -(float(raw) if "." in raw else int(raw)))
        if kind == "string":
            return String(pos, text, _unquote(str(children[0])))
        if kind == "period":
            return _period(pos, text, str(children[0]))
        if kind == "call":
            return self.call(node)
        if kind == "neg":
            return Negate(pos, text, self.expr(children[1]))
        if kind == "binop":
            left, op, right = children
            return BinaryOp(pos, text, str(op), self.expr(left), self.expr(right))
        if kind == "compare":
            left, op, right = children
            return Compare(pos, text, str(op), self.expr(left), self.expr(right))
        if kind in ("match", "not_match"):
            subject, pattern = children[0], children[-1].children[0]
            literal = self.regex(pattern) if pattern.type == "REGEX" else self.string(pattern)
            return Match(pos, text, self.expr(subject), literal, kind == "not_match")
        if kind in ("in_", "not_in"):
            subject, values = children
            items = tuple(self.expr(v) for v in values.children)
            return In(pos, text, self.expr(subject), items, kind == "not_in")  # type: ignore[arg-type]
        if kind == "not_":
            return Not(pos, text, self.expr(children[0]))
        if kind in ("and_", "or_"):
            left, right = children
            return BoolOp(pos, text, kind.rstrip("_"), self.expr(left), self.expr(right))
        raise InsightsError(f"unsupported expression '{text}'", pos)  # pragma: no cover

    def call(self, node: Any) -> Call:
        name_token, *arguments = node.children
        name = str(name_token)
        pos = self._pos(name_token)
        lowered = name.lower()
        if lowered not in AGGREGATES | SCALARS:
            what = "unsupported" if lowered in UNSUPPORTED else "unknown"
            raise InsightsError(f"{what} function {name}()", pos)
        args = tuple(self.expr(a) for a in arguments)
        return Call(pos, self._text(node), name, args)


def _is_token(node: Any, kind: str) -> bool:
    return getattr(node, "type", None) == kind


def _unquote(raw: str) -> str:
    body = raw[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m[1], m[1]), body)


def _period(pos: Pos, text: str, raw: str) -> Period:
    match = re.fullmatch(r"(\d+)([a-z]+)", raw.lower())
    assert match
    amount, unit = int(match[1]), match[2]
    if unit not in UNITS and unit.endswith("s") and unit[:-1] in UNITS:
        unit = unit[:-1]
    if unit not in UNITS:
        raise InsightsError(f"unknown time unit in {raw}", pos)
    if amount < 1:
        raise InsightsError(f"a period must be at least 1 {unit}", pos)
    return Period(pos, text, amount, UNITS[unit])
