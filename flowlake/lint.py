"""A static check of compiled Athena SQL, since Athena itself cannot run here.

`lint_athena` parses the text with sqlglot's Athena dialect and runs small rules over the syntax
trees (and over the tokens where a tree forgets how something was spelled). sqlglot's Athena
parser is lenient: it reads DuckDB syntax and functions Athena does not have, and its generator
writes many of them back out. Each rule names one family of constructs that parse here and fail
in Athena engine version 3 (Trino).
"""

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import ClassVar

# Only the commands that compile SQL import this module, so sqlglot may load with it.
import sqlglot  # noqa: TID253
from sqlglot import exp  # noqa: TID253
from sqlglot.errors import ErrorLevel, ParseError, SqlglotError  # noqa: TID253
from sqlglot.tokens import Token, TokenType  # noqa: TID253

from flowlake.resources import sql_dir


@dataclass(frozen=True)
class LintIssue:
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.message}"


@cache
def athena_functions() -> frozenset[str]:
    """The function names of Athena engine version 3, from sql/athena/functions_v3.txt."""
    text = (sql_dir() / "athena" / "functions_v3.txt").read_text(encoding="utf-8")
    lines = (line.strip() for line in text.splitlines())
    return frozenset(line for line in lines if line and not line.startswith("#"))


def athena_sql(node: exp.Expr) -> str:
    """The node as sqlglot's Athena generator writes it, without comments or warnings."""
    return node.sql(dialect="athena", comments=False, unsupported_level=ErrorLevel.IGNORE)


_NAME = re.compile(r'"?([A-Za-z_][A-Za-z0-9_]*)"?')
_CALL = re.compile(_NAME.pattern + r"\s*\(")
_OPENING = {TokenType.L_PAREN, TokenType.L_BRACKET, TokenType.L_BRACE}
_CLOSING = {TokenType.R_PAREN, TokenType.R_BRACKET, TokenType.R_BRACE}


class Source:
    """One lint input: the SQL text, the syntax trees of its statements and its tokens."""

    def __init__(self, sql: str, dialect: str) -> None:
        self.sql = sql
        self.tokens: list[Token] = sqlglot.tokenize(sql, read=dialect)
        self.statements = [tree for tree in sqlglot.parse(sql, read=dialect) if tree is not None]
        self._token_at = {token.start: index for index, token in enumerate(self.tokens)}

    def find_all(self, *types: type[exp.Expr]) -> Iterator[exp.Expr]:
        for statement in self.statements:
            yield from statement.find_all(*types)

    def called_name(self, node: exp.Expr) -> str | None:
        """The function name Athena reads for a call node, lowercase: as spelled in the source
        when the parser kept its position, else as sqlglot's Athena generator writes it. None
        for syntax that is no call (CASE, ARRAY[...], CURRENT_DATE)."""
        if isinstance(node, exp.Anonymous):
            return node.name.lower()
        if isinstance(node, exp.Connector):
            return None  # AND, OR: operators, although sqlglot's classes derive from Func
        start, end = node.meta.get("start"), node.meta.get("end")
        spelled = (
            None if start is None or end is None else _NAME.fullmatch(self.sql[start : end + 1])
        )
        written = spelled or _CALL.match(athena_sql(node))
        return written.group(1).lower() if written else None

    def arguments(self, node: exp.Expr) -> list[list[Token]] | None:
        """The source tokens of each argument of a call `name(a, b ...)`, up to an ORDER BY in
        it; None when the node has no such call in the source (CAST, EXTRACT have no position)."""
        index = self._token_at.get(node.meta.get("start", -1), -1)
        following = self.tokens[index + 1 : index + 2] if index >= 0 else []
        if [token.token_type for token in following] != [TokenType.L_PAREN]:
            return None
        arguments: list[list[Token]] = [[]]
        depth = 0
        for token in self.tokens[index + 2 :]:
            kind = token.token_type
            if depth == 0 and (kind in _CLOSING or kind == TokenType.ORDER_BY):
                break
            if depth == 0 and kind == TokenType.COMMA:
                arguments.append([])
                continue
            depth += (kind in _OPENING) - (kind in _CLOSING)
            arguments[-1].append(token)
        return [] if arguments == [[]] else arguments


class Rule:
    """A check over one lint input; each subclass says what it catches and why."""

    name: ClassVar[str]

    def check(self, source: Source) -> Iterator[str]:
        raise NotImplementedError

    def run(self, source: Source) -> Iterator[LintIssue]:
        for message in self.check(source):
            yield LintIssue(self.name, message)


class UnknownFunction(Rule):
    """Every call must name a function of Athena engine version 3 (sql/athena/functions_v3.txt).
    sqlglot passes calls it does not know through unchanged (DuckDB's epoch(), list_sum()) and
    writes some it does know under names Trino lacks (PERCENTILE_CONT, DATE_BIN, DATE_PART);
    Athena fails those with FUNCTION_NOT_FOUND."""

    name = "unknown-function"

    def check(self, source: Source) -> Iterator[str]:
        known = athena_functions()
        for node in source.find_all(exp.Func):
            called = source.called_name(node)
            if called and called not in known:
                yield f"{called}() is not a function of Athena engine version 3"


# (fewest, most) arguments, from the Trino function docs; None: no upper bound.
ARITY: dict[str, tuple[int, int | None]] = {
    "concat": (2, None),  # Athena v3 breaking change: "two or more concatenation arguments"
    "log": (2, 2),
    "bit_count": (2, 2),
    "regexp_like": (2, 2),
    "regexp_replace": (2, 3),
    "regexp_extract": (2, 3),
    "regexp_extract_all": (2, 3),
    "split_part": (3, 3),
    "strpos": (2, 3),
    "lpad": (3, 3),
    "rpad": (3, 3),
    "nullif": (2, 2),
    "round": (1, 2),
    "date_trunc": (2, 2),
    "date_add": (3, 3),
    "date_diff": (3, 3),
    "date_format": (2, 2),
    "date_parse": (2, 2),
    "format_datetime": (2, 2),
    "parse_datetime": (2, 2),
    "from_unixtime": (1, 3),
    "to_unixtime": (1, 1),
    "approx_distinct": (1, 2),
    "approx_percentile": (2, 3),
    "max_by": (2, 3),
    "min_by": (2, 3),
    "element_at": (2, 2),
    "contains": (2, 2),
    "sequence": (2, 3),
}


class ArgumentCount(Rule):
    """Calls to the functions in ARITY must pass as many arguments as Trino defines; Athena fails
    other counts ("Unexpected parameters"). sqlglot keeps DuckDB's one-argument LOG(x) (base 10
    in DuckDB), BIT_COUNT(x), REGEXP_LIKE(s, p, 'i') from regexp_matches, and Athena v3 needs two
    or more arguments for CONCAT."""

    name = "argument-count"

    def check(self, source: Source) -> Iterator[str]:
        for node in source.find_all(exp.Func):
            called = source.called_name(node)
            arguments = source.arguments(node) if called in ARITY else None
            if called is None or arguments is None:
                continue
            low, high = ARITY[called]
            if low <= len(arguments) and (high is None or len(arguments) <= high):
                continue
            if high is None:
                expected = f"{low} or more"
            else:
                expected = f"{low}" if low == high else f"{low} to {high}"
            yield f"{called}() takes {expected} arguments in Athena, not {len(arguments)}"


_STAR_MODIFIERS = {
    "except_": "EXCEPT / EXCLUDE",
    "replace": "REPLACE",
    "rename": "RENAME",
    "ilike": "ILIKE",
}
_NODE_CONSTRUCTS: dict[type[exp.Expr], str] = {
    exp.Qualify: "QUALIFY: filter in an outer query",
    exp.ILike: "ILIKE: compare lower(...)",
    exp.Glob: "GLOB",
    exp.SimilarTo: "SIMILAR TO",
    exp.Collate: "COLLATE",
}
_JOINS = {"ASOF", "NATURAL", "POSITIONAL", "ANTI", "SEMI"}


def _duckdb_construct(node: exp.Expr) -> str | None:
    """The DuckDB (or other non-Trino) construct this node is, if any."""
    if type(node) in _NODE_CONSTRUCTS:
        return _NODE_CONSTRUCTS[type(node)]
    args = node.args
    if isinstance(node, exp.Star):
        clauses = [clause for arg, clause in _STAR_MODIFIERS.items() if args.get(arg)]
        return f"SELECT * {clauses[0]} (...): list the columns" if clauses else None
    if isinstance(node, exp.Struct) and any(
        isinstance(e, exp.PropertyEQ) for e in node.expressions
    ):
        return "struct literal {...}: use CAST(ROW(...) AS ROW(...))"
    if isinstance(node, exp.Slice) and isinstance(node.parent, exp.Bracket):
        return "slice x[a:b]: use slice(x, start, length)"
    if isinstance(node, exp.Group) and args.get("all"):
        grouped = any(args.get(arg) for arg in ("expressions", "grouping_sets", "cube", "rollup"))
        return None if grouped else "GROUP BY ALL: name the grouping columns"
    if isinstance(node, exp.Ordered) and isinstance(node.this, exp.Column):
        column = node.this
        bare_all = not column.table and not column.this.quoted and column.name.upper() == "ALL"
        return "ORDER BY ALL: name the columns" if bare_all else None
    if isinstance(node, exp.SetOperation) and args.get("by_name"):
        return f"{node.key.upper()} BY NAME"
    if isinstance(node, exp.Join):
        words = [str(args.get(arg) or "").upper() for arg in ("method", "kind")]
        return next((f"{word} JOIN" for word in words if word in _JOINS), None)
    if isinstance(node, (exp.Limit, exp.Fetch)) and args.get("limit_options"):
        percent = args["limit_options"].args.get("percent")
        return "LIMIT ... PERCENT: use TABLESAMPLE" if percent else None
    if isinstance(node, exp.CTE) and args.get("materialized") is not None:
        return "WITH ... AS [NOT] MATERIALIZED"
    if isinstance(node, exp.Placeholder) and node.this:
        return f"named parameter :{node.this}: use ?"
    return None


class DuckDBOnlySyntax(Rule):
    """Syntax DuckDB has and Athena (Trino) lacks, as it can appear in Athena output: star
    modifiers (sqlglot writes DuckDB's * EXCLUDE as * EXCEPT), QUALIFY, GROUP BY ALL, ORDER BY
    ALL, UNION BY NAME, ILIKE, GLOB, list literals [...], struct literals {...}, slices x[a:b],
    ASOF/ANTI/SEMI joins, the :: cast, STRUCT(...) types, LIMIT n PERCENT, MATERIALIZED CTEs,
    COLLATE and named parameters. Checked on the tree, and on the tokens for what the tree
    forgets: a list literal [1] and ARRAY[1] make the same node."""

    name = "duckdb-syntax"

    def check(self, source: Source) -> Iterator[str]:
        for node in source.find_all(exp.Expr):
            construct = _duckdb_construct(node)
            if construct:
                yield f"Athena has no {construct}"
        pairs = list(zip(source.tokens, source.tokens[1:], strict=False))
        constructors = sum(
            a.token_type == TokenType.ARRAY and b.token_type == TokenType.L_BRACKET
            for a, b in pairs
        )
        if sum(1 for _ in source.find_all(exp.Array)) > constructors:
            yield "Athena has no list literal [...]: write ARRAY[...]"
        for a, b in pairs:
            if a.token_type == TokenType.DCOLON:
                yield "Athena has no :: cast: write CAST(x AS type)"
            if a.text.upper() == "STRUCT" and b.token_type in (TokenType.L_PAREN, TokenType.LT):
                yield "Athena has no STRUCT type: write ROW(name type, ...)"


# Trino's types (docs: language/types), by the first word sqlglot's Athena generator writes.
TRINO_TYPES = frozenset(
    "boolean tinyint smallint integer bigint real double decimal varchar char varbinary json"
    " date time timestamp interval array map row ipaddress ipprefix uuid hyperloglog"
    " p4hyperloglog qdigest tdigest setdigest geometry sphericalgeography".split()
)
INTERVAL_TYPES = ("INTERVAL DAY TO SECOND", "INTERVAL YEAR TO MONTH")


class UnsupportedType(Rule):
    """CAST targets must be Trino types; Athena fails others with "Unknown type". sqlglot writes
    DuckDB's HUGEINT as INT128 and keeps LIST(...), INET, ENUM(...), UNION(...), UINT and a bare
    INTERVAL, which Trino only has as INTERVAL DAY TO SECOND and INTERVAL YEAR TO MONTH."""

    name = "unsupported-type"

    def check(self, source: Source) -> Iterator[str]:
        for cast in source.find_all(exp.Cast):
            for node in cast.args["to"].find_all(exp.DataType):
                if isinstance(node, exp.IntervalSpan):  # the DAY TO SECOND of an interval type
                    continue
                written = athena_sql(node)
                base = re.split(r"[\s(]", written, maxsplit=1)[0].lower()
                if base not in TRINO_TYPES or (
                    base == "interval" and written not in INTERVAL_TYPES
                ):
                    yield f"{written} is not an Athena type"


class NullTreatment(Rule):
    """IGNORE NULLS and RESPECT NULLS go only with the window value functions first_value,
    last_value, nth_value, lag and lead; Athena v3 fails them elsewhere ("Cannot specify null
    treatment clause"). sqlglot writes DuckDB's any_value(x) as ARBITRARY(x) IGNORE NULLS."""

    name = "null-treatment"
    VALUE_FUNCTIONS = ("first_value", "last_value", "nth_value", "lag", "lead")

    def check(self, source: Source) -> Iterator[str]:
        for node in source.find_all(exp.IgnoreNulls, exp.RespectNulls):
            called = source.called_name(node.this) if isinstance(node.this, exp.Func) else None
            if called not in self.VALUE_FUNCTIONS:
                clause = "IGNORE NULLS" if isinstance(node, exp.IgnoreNulls) else "RESPECT NULLS"
                where = f"{called}()" if called else "this expression"
                yield f"{clause} on {where}: Athena allows it on {', '.join(self.VALUE_FUNCTIONS)}"


# Trino docs, functions/datetime: EXTRACT fields, interval fields, date_trunc/add/diff units.
EXTRACT_FIELDS = frozenset(
    "year quarter month week day day_of_month day_of_week dow day_of_year doy year_of_week yow"
    " hour minute second timezone_hour timezone_minute".split()
)
INTERVAL_UNITS = frozenset("year month day hour minute second".split())
DATE_UNITS = frozenset("millisecond second minute hour day week month quarter year".split())
UNIT_FUNCTIONS = ("date_trunc", "date_add", "date_diff")


class DateTimeUnits(Rule):
    """Date and time fields must be Trino's: the EXTRACT fields; INTERVAL literals written
    INTERVAL 'n' unit with a unit from YEAR to SECOND; the unit strings of date_trunc, date_add
    and date_diff. And an interval does not cast to a number. sqlglot keeps INTERVAL '1'
    MILLISECOND, INTERVAL '1 day 2 hours', INTERVAL (n) MINUTE and EXTRACT(ISODOW ...), and
    writes DuckDB's date_add(ts, INTERVAL 1 DAY) as DATE_ADD('DAY', CAST(INTERVAL '1' DAY AS
    BIGINT), ts)."""

    name = "datetime-unit"

    def check(self, source: Source) -> Iterator[str]:
        for node in source.find_all(exp.Extract):
            if not isinstance(node.this, exp.Var) or node.this.name.lower() not in EXTRACT_FIELDS:
                yield f"EXTRACT has no field {athena_sql(node.this)} in Athena"
        for node in source.find_all(exp.Interval):
            if not isinstance(node.parent, exp.DataType):  # not the type INTERVAL DAY TO SECOND
                yield from self._interval_literal(node)
        for node in source.find_all(exp.Func):
            called = source.called_name(node)
            arguments = source.arguments(node) if called in UNIT_FUNCTIONS else None
            unit = arguments[0] if arguments else []
            if len(unit) == 1 and unit[0].token_type == TokenType.STRING:
                if unit[0].text.lower() not in DATE_UNITS:
                    yield f"{called}('{unit[0].text}', ...): no such unit"
        for node in source.find_all(exp.Cast):
            target = athena_sql(node.args["to"])
            if isinstance(node.this, exp.Interval) and not target.startswith(("VARCHAR", "INTER")):
                yield f"an interval does not cast to {target}: use to_milliseconds(...)"

    @staticmethod
    def _interval_literal(node: exp.Expr) -> Iterator[str]:
        value, unit, literal = node.this, node.args.get("unit"), athena_sql(node)
        if not (isinstance(value, exp.Literal) and value.is_string):
            yield f"{literal}: the value of an interval literal must be a quoted string"
        if unit is None:
            yield f"{literal}: write one unit, as in INTERVAL '5' MINUTE"
            return
        ends = [unit.this, unit.expression] if isinstance(unit, exp.IntervalSpan) else [unit]
        for end in ends:
            if end.name.lower() not in INTERVAL_UNITS:
                yield f"{literal}: {end.name} is not an interval unit (YEAR to SECOND)"


RULES: tuple[Rule, ...] = (
    UnknownFunction(),
    ArgumentCount(),
    DuckDBOnlySyntax(),
    UnsupportedType(),
    NullTreatment(),
    DateTimeUnits(),
)


def lint_athena(sql: str) -> list[LintIssue]:
    """What Athena engine version 3 would reject in this compiled SQL (one or more statements);
    an empty list when no rule finds anything."""
    try:
        source = Source(sql, "athena")
    except SqlglotError as error:
        return _unparseable(sql, error)
    return _unique(issue for rule in RULES for issue in rule.run(source))


def _unparseable(sql: str, error: SqlglotError) -> list[LintIssue]:
    """Athena's grammar rejects the text. When DuckDB's reads it, the cause is likely a DuckDB
    construct (QUALIFY, a STRUCT type ...): name those rather than only the parse position."""
    try:
        found = _unique(DuckDBOnlySyntax().run(Source(sql, "duckdb")))
    except SqlglotError:
        found = []
    if found:
        return found
    if isinstance(error, ParseError) and error.errors:
        first = error.errors[0]
        where = f"{first['description']} (line {first['line']}, column {first['col']})"
    else:
        where = str(error).splitlines()[0]
    return [LintIssue("parse", f"Athena cannot parse this SQL: {where}")]


def _unique(issues: Iterable[LintIssue]) -> list[LintIssue]:
    return list(dict.fromkeys(issues))
