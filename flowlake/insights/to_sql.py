"""An Insights syntax tree -> one SQL statement, built as a sqlglot tree in the Athena (Trino)
source dialect (docs/decisions/0001-source-dialect.md) and written for DuckDB or Athena by sqlglot.

How the pipeline of commands becomes SQL:

- Commands run in order over the lake's records. `fields`, `parse` and `display` name values;
  later commands see them (the values are inlined, so one SELECT holds a whole stretch of
  commands). `filter` adds to the WHERE clause.
- `stats` aggregates what came before it into a subquery (group keys first, then aggregates,
  named by their alias or their text as written: `count(*)`, `sum(bytes)`, `bin(5m)`); the
  commands after it work on that subquery's rows.
- `sort` and `limit` apply to the result of their stretch of commands, after its filters: a
  `filter` written after `limit` still narrows the rows the limit counts (as the seeds expect
  of `sort @timestamp desc | limit 5 | filter srcAddr like ...`). The last `sort` wins; several
  limits keep the smallest.
- The result: `display`'s values (the last `display`), else every `fields` value, else the
  stats columns, else `@timestamp` and `@message` as Insights shows a bare query. Rows come
  in the `sort` order, else newest `@timestamp` first (stats results: by their columns); ties
  are broken by the shown columns so a result is the same on every run. Without `limit`, at
  most DEFAULT_LIMIT rows.

Only IP matching differs by dialect, exactly as `sql/macros/ip.sql` writes it, so that
`flowlake.dialect_check.athena_to_duckdb` can translate the Athena output back.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# Only the commands that translate Insights queries import this module, so sqlglot may load
# with it (as in flowlake.lint).
from sqlglot import exp  # noqa: TID253

from flowlake.errors import UsageError
from flowlake.insights import parser as ast
from flowlake.insights.fields import MESSAGE, LakeFields, Value
from flowlake.insights.parser import InsightsError
from flowlake.params import Network, parse_network
from flowlake.timewindow import TimeWindow

DEFAULT_LIMIT = 10_000
"""Rows returned without `limit`: 10,000 in the current Insights documentation (the limit
command page); earlier documentation said 1,000."""

DIALECTS = ("duckdb", "athena")
SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
CALENDAR = {"mo": ("month", "MONTH", 1), "q": ("quarter", "MONTH", 3), "y": ("year", "YEAR", 1)}


@dataclass(frozen=True)
class Translation:
    """One Insights query as SQL for one dialect, and the names of its result columns."""

    query: ast.Query
    dialect: str
    sql: str
    columns: list[str]


def translate(
    query: ast.Query, lake: LakeFields, dialect: str, window: TimeWindow | None = None
) -> Translation:
    if dialect not in DIALECTS:
        raise UsageError(f"unknown dialect {dialect!r}: use {' or '.join(DIALECTS)}")
    tree, columns = _Translator(lake, dialect, window or TimeWindow()).query(query)
    if lake.message_used:  # the line is built once, as a column of the records
        tree = tree.transform(_from_records)
        line = exp.alias_(lake.message(), MESSAGE, quoted=True)
        tree = tree.with_("records", as_=exp.select(exp.Star(), line).from_("flow_logs"))
    return Translation(query, dialect, tree.sql(dialect=dialect, pretty=True), columns)


def _from_records(node: Any) -> Any:
    if isinstance(node, exp.Table) and node.name == "flow_logs":
        return exp.to_table("records")
    return node


# -- small sqlglot helpers ----------------------------------------------------------------------

_OPERATORS = (exp.Binary, exp.Unary, exp.Predicate, exp.Connector)


def _p(node: Any) -> Any:
    """`node` parenthesized when it is an operation: sqlglot writes a built tree as it is,
    without the parentheses its precedence may need (and AND / OR are calls to sqlglot)."""
    if isinstance(node, _OPERATORS) and not isinstance(node, exp.Paren):
        return exp.Paren(this=node)
    return node


def _cast(node: Any, to: str, safe: bool = False) -> Any:
    kind = exp.TryCast if safe else exp.Cast
    return kind(this=node, to=exp.DataType.build(to))


def _number(value: float) -> Any:
    return exp.Literal.number(value)


def _string(value: str) -> Any:
    return exp.Literal.string(value)


def _func(name: str, *args: Any) -> Any:
    """A call as sqlglot's Athena parser reads it, so sqlglot writes it for each engine."""
    return exp.func(name, *args, dialect="athena")


def _column(name: str) -> Any:
    return exp.column(name, quoted=True)


def _named(value: Value, name: str) -> Any:
    """`value AS "name"`, or just the column when it already has that name."""
    if isinstance(value.sql, exp.Column) and value.sql.name == name and not value.sql.table:
        return _column(name)
    return exp.alias_(value.sql, name, quoted=True)


# -- stages ---------------------------------------------------------------------------------------


@dataclass
class _Stage:
    """A stretch of commands over one relation: the lake, or the rows of a `stats`."""

    source: Any  # FROM: the flow_logs table, or a subquery
    lake: LakeFields | None  # the lake's fields, in the first stage only
    columns: list[str] = field(default_factory=list)  # a stats stage: its columns, in order
    scope: dict[str, Value] = field(default_factory=dict)  # named values, newest last
    where: list[Any] = field(default_factory=list)
    shown: dict[str, Value] = field(default_factory=dict)  # from `fields`
    display: list[tuple[str, Value]] | None = None
    sort: list[tuple[Value, bool]] | None = None
    limit: int | None = None
    dedup: list[tuple[str, Value]] | None = None
    dedup_at: ast.Pos | None = None


class _Aggregating:
    """What an expression of `stats` may use: aggregates, and the aliases named before it."""

    def __init__(self) -> None:
        self.aliases: dict[str, Value] = {}
        self.used = False


class _Translator:
    def __init__(self, lake: LakeFields, dialect: str, window: TimeWindow) -> None:
        self.lake = lake
        self.dialect = dialect
        self.window = window
        self.stats_count = 0

    # -- the pipeline -------------------------------------------------------------------------
    def query(self, query: ast.Query) -> tuple[Any, list[str]]:
        stage = _Stage(source=exp.to_table("flow_logs"), lake=self.lake)
        stage.where += self._window()
        for command in query.commands:
            if stage.dedup is not None and not isinstance(command, ast.Limit):
                raise InsightsError(
                    f"only limit may follow dedup (dedup at {stage.dedup_at}), not "
                    f"{command.keyword}",
                    command.pos,
                )
            stage = self.command(command, stage)
        return self.finish(stage)

    def command(self, command: ast.Command, stage: _Stage) -> _Stage:
        if isinstance(command, ast.Fields):
            for item in command.items:
                value = self.value(item.expr, stage)
                stage.scope[item.name] = stage.shown[item.name] = value
        elif isinstance(command, ast.Display):
            stage.display = []
            for item in command.items:
                value = self.value(item.expr, stage)
                stage.display.append((item.name, value))
                stage.scope[item.name] = value
        elif isinstance(command, ast.Filter):
            stage.where.append(self.condition(command.condition, stage))
        elif isinstance(command, ast.Parse):
            self.parse(command, stage)
        elif isinstance(command, ast.Stats):
            return self.stats(command, stage)
        elif isinstance(command, ast.Sort):
            stage.sort = [(self.value(k.expr, stage), k.descending) for k in command.keys]
        elif isinstance(command, ast.Limit):
            stage.limit = min(stage.limit or command.count, command.count)
        elif isinstance(command, ast.Dedup):
            stage.dedup = [(f.name, self.field(f, stage)) for f in command.fields]
            stage.dedup_at = command.pos
        return stage

    def _window(self) -> list[Any]:
        """The time window on the flow's start; on Athena also its partition days, as the
        `time_window` macro (sql/macros/time.sql) writes them."""
        from flowlake.compiler import WindowContext

        timestamp = self.lake.resolve("@timestamp")
        if self.window.is_open or timestamp is None:
            return []
        terms: list[Any] = []
        if self.window.since:
            terms.append(exp.GTE(this=timestamp.sql, expression=_instant(self.window.since)))
        if self.window.until:
            terms.append(exp.LT(this=timestamp.sql, expression=_instant(self.window.until)))
        context = WindowContext.of(self.window)
        day = exp.column("day", quoted=True)
        if self.dialect == "athena" and context.first_day and context.last_day:
            low, high = _string(context.first_day), _string(context.last_day)
            terms.append(exp.Between(this=day, low=low, high=high))
        elif self.dialect == "athena" and context.last_day:  # --until alone
            terms.append(exp.LTE(this=day, expression=_string(context.last_day)))
        return terms

    def parse(self, command: ast.Parse, stage: _Stage) -> None:
        source = (
            self.field(command.source, stage)
            if command.source
            else self._lake_field("@message", command.pos, stage)
        )
        if isinstance(command.pattern, ast.String):
            regexes = _glob(command.pattern.value)
            if len(regexes) != len(command.names):
                raise InsightsError(
                    f"parse pattern has {len(regexes)} '*' but {len(command.names)} name(s) "
                    "after as",
                    command.pattern.pos,
                )
            names = [(f.name, r) for f, r in zip(command.names, regexes, strict=True)]
        else:
            names = list(_named_groups(command.pattern).items())
        text = _as_string(source)
        for name, regex in names:
            extract = _func("regexp_extract", text, _string(regex), _number(1))
            # no match: NULL in Trino, '' in DuckDB; NULLIF makes both NULL
            stage.scope[name] = Value(exp.Nullif(this=extract, expression=_string("")), "string")

    def stats(self, command: ast.Stats, stage: _Stage) -> _Stage:
        if stage.limit is not None:  # the rows a limit keeps, then their statistics
            stage = self._limited(stage)
        groups: list[tuple[str, Value]] = []
        for item in command.groups:
            groups.append((item.name, self.value(item.expr, stage)))
        aggregating = _Aggregating()
        aggregates: list[tuple[str, Value]] = []
        for item in command.aggregates:
            aggregating.used = False
            value = self.value(item.expr, stage, aggregating)
            if not aggregating.used:
                raise InsightsError(
                    f"stats needs an aggregate function such as count(*) or sum(bytes), not "
                    f"'{item.expr.text}'",
                    item.expr.pos,
                )
            aggregates.append((item.name, value))
            aggregating.aliases[item.name] = value
        named = groups + aggregates
        seen: set[str] = set()
        for (name, _), item in zip(named, [*command.groups, *command.aggregates], strict=True):
            if name.lower() in seen:
                raise InsightsError(f"stats names '{name}' twice: give one an alias", item.expr.pos)
            seen.add(name.lower())
        select = exp.select(*(exp.alias_(v.sql, n, quoted=True) for n, v in named))
        select = select.from_(stage.source)
        if stage.where:
            select = select.where(exp.and_(*stage.where))
        if groups:
            select = select.group_by(*(v.sql for _, v in groups))
        self.stats_count += 1
        subquery = select.subquery(f"stats_{self.stats_count}")
        result = _Stage(source=subquery, lake=None, columns=[n for n, _ in named])
        result.scope = {n: Value(_column(n), v.kind) for n, v in named}
        return result

    def _limited(self, stage: _Stage) -> _Stage:
        """The stage's rows after its filters, sort and limit, as a subquery of every column,
        so later commands still find the fields by the same expressions."""
        select = exp.select(exp.Star()).from_(stage.source)
        if stage.where:
            select = select.where(exp.and_(*stage.where))
        if stage.lake is not None:  # ties broken by every column: the same rows each run
            every = [(c, v) for c in stage.lake.columns if (v := stage.lake.resolve(c))]
        else:
            every = [(n, stage.scope[n]) for n in stage.columns]
        order = self._order(stage, every)
        limit = stage.limit or DEFAULT_LIMIT
        select = select.order_by(*order).limit(limit) if order else select.limit(limit)
        self.stats_count += 1
        limited = _Stage(source=select.subquery(f"limited_{self.stats_count}"), lake=stage.lake)
        limited.columns, limited.scope = stage.columns, stage.scope
        return limited

    def finish(self, stage: _Stage) -> tuple[Any, list[str]]:
        shown = self._shown(stage)
        names = [n for n, _ in shown]
        limit = stage.limit or DEFAULT_LIMIT
        if stage.dedup is not None:
            return self._deduplicated(stage, shown, limit), names
        select = exp.select(*(_named(v, n) for n, v in shown)).from_(stage.source)
        if stage.where:
            select = select.where(exp.and_(*stage.where))
        order = self._order(stage, shown)
        if order:
            select = select.order_by(*order)
        return select.limit(limit), names

    def _shown(self, stage: _Stage) -> list[tuple[str, Value]]:
        if stage.display is not None:
            shown = stage.display
        elif stage.shown:
            shown = list(stage.shown.items())
        elif stage.columns:
            shown = [(n, stage.scope[n]) for n in stage.columns]
        else:
            shown = [
                (n, v)
                for n in ("@timestamp", "@message")
                if (v := self.lake.resolve(n)) is not None
            ]
        unique: dict[str, Value] = {}
        for name, value in shown:
            unique.setdefault(name, value)
        return list(unique.items())

    def _order(self, stage: _Stage, shown: list[tuple[str, Value]]) -> list[Any]:
        keys: list[tuple[Any, bool]] = []
        if stage.sort is not None:
            keys += [(v.sql, desc) for v, desc in stage.sort]
        elif stage.lake is not None and (ts := self.lake.resolve("@timestamp")):
            keys.append((ts.sql, True))  # Insights' default: newest first
        keys += [(v.sql, False) for _, v in shown]  # ties: by the shown columns
        unique: list[tuple[Any, bool]] = []
        for key in keys:
            if all(key[0] != other[0] for other in unique):
                unique.append(key)
        return [exp.Ordered(this=_p(k), desc=desc, nulls_first=False) for k, desc in unique]

    def _deduplicated(self, stage: _Stage, shown: list[tuple[str, Value]], limit: int) -> Any:
        """One row per combination of the dedup fields, the first in the sort order; rows
        with a missing dedup field are all kept (Insights' rule)."""
        assert stage.dedup is not None
        order = self._order(stage, shown)
        keys = [(f"__dedup_{i}", v) for i, (_, v) in enumerate(stage.dedup)]
        sort = [(f"__sort_{i}", o) for i, o in enumerate(order)]
        rank = exp.Window(
            this=exp.RowNumber(),
            partition_by=[v.sql for _, v in keys],
            order=exp.Order(expressions=order),
        )
        inner = exp.select(
            *(_named(v, n) for n, v in shown),
            *(exp.alias_(v.sql, n, quoted=True) for n, v in keys),
            *(exp.alias_(o.this, n, quoted=True) for n, o in sort),
            exp.alias_(rank, "__row", quoted=True),
        ).from_(stage.source)
        if stage.where:
            inner = inner.where(exp.and_(*stage.where))
        first = exp.EQ(this=_column("__row"), expression=_number(1))
        missing = [exp.Is(this=_column(n), expression=exp.Null()) for n, _ in keys]
        outer = exp.select(*(_column(n) for n, _ in shown)).from_(inner.subquery("deduplicated"))
        outer = outer.where(exp.or_(first, *missing))
        ordered = [
            exp.Ordered(this=_column(n), desc=o.args.get("desc"), nulls_first=False)
            for n, o in sort
        ]
        return outer.order_by(*ordered).limit(limit)

    # -- expressions ----------------------------------------------------------------------------
    def field(
        self, node: ast.Field, stage: _Stage, aggregating: _Aggregating | None = None
    ) -> Value:
        if aggregating and node.name in aggregating.aliases:
            aggregating.used = True
            return aggregating.aliases[node.name]
        if node.name in stage.scope:
            return stage.scope[node.name]
        folded = [n for n in stage.scope if n.lower() == node.name.lower()]
        if len(folded) == 1:
            return stage.scope[folded[0]]
        return self._lake_field(node.name, node.pos, stage)

    def _lake_field(self, name: str, pos: ast.Pos, stage: _Stage) -> Value:
        if stage.lake is not None:
            value = stage.lake.resolve(name)
            if value is not None:
                return value
            missing = stage.lake.missing(name)
            if missing:
                raise InsightsError(
                    f"field {name} needs the flow-log field {missing}, which this lake's "
                    f"format does not have",
                    pos,
                )
            known = ", ".join([*stage.scope, *stage.lake.names()])
        else:
            known = ", ".join(stage.scope)
            if self.lake.resolve(name) is not None:
                raise InsightsError(
                    f"field {name} is not in the result of stats (it has: {known})", pos
                )
        raise InsightsError(f"unknown field {name} (fields: {known})", pos)

    def condition(self, node: ast.Expr, stage: _Stage) -> Any:
        return _as_bool(self.value(node, stage), node)

    def value(
        self, node: ast.Expr, stage: _Stage, aggregating: _Aggregating | None = None
    ) -> Value:
        def sub(child: ast.Expr) -> Value:
            return self.value(child, stage, aggregating)

        if isinstance(node, ast.Field):
            return self.field(node, stage, aggregating)
        if isinstance(node, ast.Number):
            return Value(_number(node.value), "number")
        if isinstance(node, ast.String):
            return Value(_string(node.value), "string")
        if isinstance(node, ast.Period):
            raise InsightsError(
                f"a period such as {node.text} goes in bin(), datefloor() or dateceil()", node.pos
            )
        if isinstance(node, ast.Regex):
            raise InsightsError("a /regular expression/ goes after like or =~", node.pos)
        if isinstance(node, ast.Star):
            raise InsightsError("* only goes in count(*)", node.pos)
        if isinstance(node, ast.Negate):
            return Value(exp.Neg(this=_p(_as_number(sub(node.operand), node))), "number")
        if isinstance(node, ast.BinaryOp):
            return _arithmetic(node.op, sub(node.left), sub(node.right), node)
        if isinstance(node, ast.Compare):
            return _compare(node, sub(node.left), sub(node.right))
        if isinstance(node, ast.Match):
            return _match(node, sub(node.subject))
        if isinstance(node, ast.In):
            return _in(node, sub(node.subject))
        if isinstance(node, ast.Not):
            return Value(exp.Not(this=_p(_as_bool(sub(node.operand), node.operand))), "bool")
        if isinstance(node, ast.BoolOp):
            left, right = (_p(_as_bool(sub(n), n)) for n in (node.left, node.right))
            joined = exp.And if node.op == "and" else exp.Or
            return Value(joined(this=left, expression=right), "bool")
        if isinstance(node, ast.Call):
            return self.call(node, stage, aggregating)
        raise InsightsError(f"unsupported expression '{node.text}'", node.pos)  # pragma: no cover

    def call(self, node: ast.Call, stage: _Stage, aggregating: _Aggregating | None) -> Value:
        name = node.name.lower()
        if name in ast.AGGREGATES:
            if aggregating is None:
                raise InsightsError(f"{node.name}() only goes in stats", node.pos)
            args = [self._argument(a, stage, name) for a in node.args]
            value = _aggregate(name, node, args, self._timestamp(stage, node))
            aggregating.used = True
            return value
        if name in ("bin", "datefloor", "dateceil"):
            return self._time_bucket(name, node, stage, aggregating)
        values = [self.value(a, stage, aggregating) for a in node.args]
        if name in ("isipv4insubnet", "isipv6insubnet", "isipinsubnet"):
            return self._in_subnet(name, node, values)
        return _scalar(name, node, values)

    def _argument(self, node: ast.Expr, stage: _Stage, function: str) -> Value | None:
        if isinstance(node, ast.Star):
            if function != "count":
                raise InsightsError(f"* only goes in count(*), not {function}()", node.pos)
            return None
        if isinstance(node, ast.Call) and node.name.lower() in ast.AGGREGATES:
            raise InsightsError(f"{node.name}() cannot go inside {function}()", node.pos)
        return self.value(node, stage, None)

    def _timestamp(self, stage: _Stage, node: ast.Call) -> Value | None:
        if node.name.lower() not in ("earliest", "latest"):
            return None
        return self._lake_field("@timestamp", node.pos, stage)

    def _time_bucket(
        self, name: str, node: ast.Call, stage: _Stage, aggregating: _Aggregating | None
    ) -> Value:
        if name == "bin":
            _arity(node, 1, 1)
            timestamp, period = self._lake_field("@timestamp", node.pos, stage), node.args[0]
        else:
            _arity(node, 2, 2)
            timestamp, period = self.value(node.args[0], stage, aggregating), node.args[1]
            if timestamp.kind != "timestamp":
                raise InsightsError(f"{node.name}() takes a timestamp first", node.args[0].pos)
        if not isinstance(period, ast.Period):
            raise InsightsError(f"{node.name}() takes a period such as 5m or 1h", period.pos)
        ceiling = name == "dateceil"
        return Value(_bucket(timestamp.sql, period, ceiling), "timestamp")

    def _in_subnet(self, name: str, node: ast.Call, args: list[Value]) -> Value:
        """isIpv4InSubnet(field, "cidr") as the `in_cidr` macro writes it for the dialect."""
        _arity(node, 2, 2)
        cidr = node.args[1]
        if not isinstance(cidr, ast.String):
            raise InsightsError(
                f'{node.name}() takes the subnet as a string, "10.0.0.0/8"', cidr.pos
            )
        try:
            network = parse_network(cidr.value)
        except UsageError:
            raise InsightsError(f"{cidr.value!r} is not a CIDR block", cidr.pos) from None
        family = {"isipv4insubnet": 4, "isipv6insubnet": 6}.get(name)
        if family and network.version != family:
            raise InsightsError(
                f"{node.name}() takes an IPv{family} subnet, not {network.cidr}", cidr.pos
            )
        address = _as_string(args[0])
        # false, not NULL, for a missing address or one of the other family, on both engines
        matched = exp.Coalesce(
            this=_cidr_match(address, network, self.dialect), expressions=[exp.false()]
        )
        return Value(matched, "bool")


# -- expression pieces ---------------------------------------------------------------------------


def _instant(moment: datetime) -> Any:
    from flowlake.params import timestamp_literal

    iso = timestamp_literal(moment).split("'")[1]  # the ISO text our literal helper formats
    return _func("from_iso8601_timestamp", _string(iso))


def _arity(node: ast.Call, low: int, high: int | None) -> None:
    count = len(node.args)
    if count < low or (high is not None and count > high):
        if high is None:
            wanted = f"{low} or more"
        else:
            wanted = str(low) if low == high else f"{low} to {high}"
        raise InsightsError(f"{node.name}() takes {wanted} argument(s), not {count}", node.pos)


def _as_number(value: Value, node: ast.Expr) -> Any:
    if value.kind == "number":
        return value.sql
    if value.kind == "string":  # parse's fields are text: numbers where they read as one
        return _cast(value.sql, "DOUBLE", safe=True)
    raise InsightsError(f"'{node.text}' is not a number", node.pos)


def _as_string(value: Value) -> Any:
    return value.sql if value.kind == "string" else _cast(value.sql, "VARCHAR")


def _as_bool(value: Value, node: ast.Expr) -> Any:
    if value.kind == "bool":
        return value.sql
    if value.kind == "number":
        return exp.NEQ(this=_p(value.sql), expression=_number(0))
    raise InsightsError(f"'{node.text}' is not a condition", node.pos)


def _numeric_text(text: str) -> float | None:
    try:
        number = float(text)
    except ValueError:
        return None
    return int(number) if number.is_integer() and "." not in text else number


def _timestamp_text(text: str) -> datetime | None:
    from flowlake.timewindow import parse_instant

    if not re.match(r"^\d{4}-\d{2}-\d{2}", text.strip()):
        return None
    try:
        return parse_instant(text)
    except UsageError:
        return None


_COMPARISONS: dict[str, type[exp.Expr]] = {
    "=": exp.EQ,
    "!=": exp.NEQ,
    "<": exp.LT,
    "<=": exp.LTE,
    ">": exp.GT,
    ">=": exp.GTE,
}


def _compare(node: ast.Compare, left: Value, right: Value) -> Value:
    """Insights compares values of different types as their text or number would: a number
    field with "22" as 22, a parsed (text) field with 22 as a number, a timestamp with an ISO
    time or with milliseconds since the epoch."""
    sides = [left, right]
    nodes = [node.left, node.right]
    kinds = {left.kind, right.kind}
    if "timestamp" in kinds and kinds != {"timestamp"}:
        for i in (0, 1):
            if sides[i].kind == "timestamp":
                continue
            other = nodes[i]
            moment = _timestamp_text(other.value) if isinstance(other, ast.String) else None
            if moment is not None:
                sides[i] = Value(_instant(moment), "timestamp")
            elif sides[i].kind == "number":
                j = 1 - i
                sides[j] = Value(_to_millis(sides[j].sql), "number")
            else:
                raise InsightsError(f"cannot compare a timestamp with '{other.text}'", other.pos)
    elif kinds == {"number", "string"}:
        for i in (0, 1):
            literal = nodes[i]
            if sides[i].kind == "string" and isinstance(literal, ast.String):
                number = _numeric_text(literal.value)
                if number is None:  # "abc" against a number: compare the number's text
                    j = 1 - i
                    sides[j] = Value(_as_string(sides[j]), "string")
                else:
                    sides[i] = Value(_number(number), "number")
        if {s.kind for s in sides} == {"number", "string"}:
            sides = [Value(_as_number(s, n), "number") for s, n in zip(sides, nodes, strict=True)]
    elif "bool" in kinds and kinds != {"bool"}:  # a condition against 1 or 0
        sides = [_bool_number(s) if s.kind == "bool" else s for s in sides]
    operator = _COMPARISONS[node.op]
    return Value(operator(this=_p(sides[0].sql), expression=_p(sides[1].sql)), "bool")


def _bool_number(value: Value) -> Value:
    case = exp.Case(ifs=[exp.If(this=value.sql, true=_number(1))], default=_number(0))
    return Value(case, "number")


def _arithmetic(op: str, left: Value, right: Value, node: ast.BinaryOp) -> Value:
    a, b = _p(_as_number(left, node.left)), _p(_as_number(right, node.right))
    if op == "/":  # Insights divides as decimals; Trino would truncate integers
        return Value(exp.Div(this=_cast(a, "DOUBLE"), expression=b), "number")
    if op == "^":
        return Value(_func("power", a, b), "number")
    operators = {"+": exp.Add, "-": exp.Sub, "*": exp.Mul, "%": exp.Mod}
    return Value(operators[op](this=a, expression=b), "number")


def _regex(node: ast.Regex) -> str:
    """The pattern, checked: Java, RE2 and Python read the common syntax alike."""
    try:
        re.compile(re.sub(r"\(\?<([A-Za-z]\w*)>", r"(?P<\1>", node.pattern))
    except re.error as error:
        raise InsightsError(
            f"invalid regular expression /{node.pattern}/: {error}", node.pos
        ) from None
    return node.pattern


def _match(node: ast.Match, subject: Value) -> Value:
    text = _as_string(subject)
    if isinstance(node.pattern, ast.Regex):
        matched = _func("regexp_like", text, _string(_regex(node.pattern)))
    else:  # a quoted pattern is a plain substring, case-sensitive
        position = exp.StrPosition(this=text, substr=_string(node.pattern.value))
        matched = exp.GT(this=position, expression=_number(0))
    return Value(exp.Not(this=_p(matched)) if node.negated else matched, "bool")


def _in(node: ast.In, subject: Value) -> Value:
    numbers: list[float] = []
    for item in node.values:
        number = item.value if isinstance(item, ast.Number) else _numeric_text(item.value)
        if number is None:
            break
        numbers.append(number)
    if subject.kind == "number" and len(numbers) == len(node.values):
        column, items = subject.sql, [_number(n) for n in numbers]
    else:  # complete string matches; a number as written
        column = _as_string(subject)
        items = [
            _string(item.value if isinstance(item, ast.String) else item.text)
            for item in node.values
        ]
    if not items:
        return Value(exp.false() if not node.negated else exp.true(), "bool")
    member = exp.In(this=_p(column), expressions=items)
    return Value(exp.Not(this=_p(member)) if node.negated else member, "bool")


def _to_millis(timestamp: Any) -> Any:
    millis = exp.Mul(this=_func("to_unixtime", timestamp), expression=_number(1000))
    return _cast(_func("round", millis), "BIGINT")


def _bucket(timestamp: Any, period: ast.Period, ceiling: bool) -> Any:
    """The start (datefloor, bin) or end (dateceil) of the period holding `timestamp`: whole
    multiples of the period since the Unix epoch (UTC), as Insights aligns bins; months,
    quarters and years are calendar ones."""
    if period.unit in CALENDAR:
        unit, interval_unit, months = CALENDAR[period.unit]
        if period.amount != 1:
            raise InsightsError(
                f"a period of {period.text}: months, quarters and years take 1", period.pos
            )
        start = _func("date_trunc", _string(unit), timestamp)
        if not ceiling:
            return start
        step = exp.Interval(this=_string(str(months)), unit=exp.var(interval_unit))
        exact = exp.EQ(this=start, expression=timestamp)
        return exp.Case(
            ifs=[exp.If(this=exact, true=timestamp)], default=exp.Add(this=start, expression=step)
        )
    rounding = "ceil" if ceiling else "floor"
    seconds = _func("to_unixtime", timestamp)
    if period.unit == "ms":
        scaled = exp.Div(
            this=exp.Mul(this=seconds, expression=_number(1000)), expression=_number(period.amount)
        )
        whole: Any = exp.Div(
            this=exp.Mul(this=_func(rounding, scaled), expression=_number(period.amount)),
            expression=_number(1000),
        )
    else:
        size = _number(period.amount * SECONDS[period.unit])
        whole = exp.Mul(
            this=_func(rounding, exp.Div(this=seconds, expression=size)), expression=size
        )
    return _func("from_unixtime", whole)


def _cidr_match(address: Any, network: Network, dialect: str) -> Any:
    """The `in_cidr` macro of sql/macros/ip.sql, as a tree."""
    if dialect == "athena":
        # the family first: IPADDRESS holds IPv4 as IPv4-mapped IPv6 (see the macro)
        ip = exp.TryCast(this=address, to=exp.DataType.build("IPADDRESS", dialect="athena"))
        colon = exp.Anonymous(this="strpos", expressions=[address, _string(":")])
        family = exp.GT if network.version == 6 else exp.EQ
        return exp.Paren(
            this=exp.And(
                this=family(this=colon, expression=_number(0)),
                expression=exp.ArrayContains(this=_string(network.cidr), expression=ip),
            )
        )
    if network.version == 4:
        number = exp.Anonymous(this="flowlake_ipv4_int", expressions=[address])
        low, high = _number(network.first), _number(network.last)
    else:
        number = exp.Anonymous(this="flowlake_ipv6_hex", expressions=[address])
        low, high = _string(network.first_hex), _string(network.last_hex)
    return exp.Paren(this=exp.Between(this=number, low=low, high=high))


# -- functions ---------------------------------------------------------------------------------


def _aggregate(
    name: str, node: ast.Call, args: list[Value | None], timestamp: Value | None
) -> Value:
    def one(kind: str = "any") -> Value:
        _arity(node, 1, 1)
        value = args[0]
        if value is None:
            raise InsightsError(f"{node.name}() takes a field", node.pos)
        if kind == "number":
            return Value(_as_number(value, node.args[0]), "number")
        return value

    if name == "count":
        _arity(node, 0, 1)
        if not args or args[0] is None:
            return Value(exp.Count(this=exp.Star()), "number")
        return Value(exp.Count(this=args[0].sql), "number")
    if name == "count_distinct":
        return Value(exp.Count(this=exp.Distinct(expressions=[one().sql])), "number")
    if name in ("sum", "avg", "stddev"):
        return Value(_func(name, one("number").sql), "number")
    if name in ("min", "max", "sortsfirst", "sortslast"):
        value = one()
        function = "min" if name in ("min", "sortsfirst") else "max"
        return Value(_func(function, value.sql), value.kind)
    if name in ("earliest", "latest"):
        value = one()
        assert timestamp is not None
        function = "min_by" if name == "earliest" else "max_by"
        return Value(_func(function, value.sql, timestamp.sql), value.kind)
    if name == "pct":
        _arity(node, 2, 2)
        percent = node.args[1]
        if not isinstance(percent, ast.Number) or not 0 <= percent.value <= 100:
            raise InsightsError("pct() takes a percentile from 0 to 100 second", percent.pos)
        measured = args[0]
        if measured is None:
            raise InsightsError("pct() takes a field", node.pos)
        fraction = _number(percent.value / 100)
        return Value(
            _func("approx_percentile", _as_number(measured, node.args[0]), fraction), "number"
        )
    raise InsightsError(f"unsupported function {node.name}()", node.pos)  # pragma: no cover


def _scalar(name: str, node: ast.Call, args: list[Value]) -> Value:
    rule = _SCALARS.get(name)
    if rule is None:  # pragma: no cover - the parser lets only known names through
        raise InsightsError(f"unsupported function {node.name}()", node.pos)
    low, high, build = rule
    _arity(node, low, high)
    return build(node, args)


def _text_args(node: ast.Call, args: list[Value]) -> list[Any]:
    return [_as_string(a) for a in args]


def _number_args(node: ast.Call, args: list[Value]) -> list[Any]:
    return [_as_number(a, n) for a, n in zip(args, node.args, strict=True)]


def _is_empty(node: ast.Call, args: list[Value], blank: bool) -> Value:
    value = args[0]
    missing = exp.Is(this=_p(value.sql), expression=exp.Null())
    if value.kind != "string":
        return Value(missing, "bool")
    text = _func("trim", value.sql) if blank else value.sql
    return Value(exp.Or(this=missing, expression=exp.EQ(this=text, expression=_string(""))), "bool")


def _concat(node: ast.Call, args: list[Value]) -> Value:
    # Trino's concat gives NULL when a part is missing, DuckDB's skips it: make both skip it
    parts = [exp.Coalesce(this=t, expressions=[_string("")]) for t in _text_args(node, args)]
    return Value(parts[0] if len(parts) == 1 else _func("concat", *parts), "string")


def _substr(node: ast.Call, args: list[Value]) -> Value:
    # Insights counts from 0, SQL from 1
    start_node = node.args[1]
    if isinstance(start_node, ast.Number):
        start = _number(int(start_node.value) + 1)
    else:
        start = exp.Add(
            this=_cast(_as_number(args[1], start_node), "BIGINT"), expression=_number(1)
        )
    length = None
    if len(args) == 3:
        length_node = node.args[2]
        length = (
            _number(int(length_node.value))
            if isinstance(length_node, ast.Number)
            else _cast(_as_number(args[2], length_node), "BIGINT")
        )
    text = _as_string(args[0])
    return Value(exp.Substring(this=text, start=start, length=length), "string")


def _trim(position: str) -> Callable[[ast.Call, list[Value]], Value]:
    def build(node: ast.Call, args: list[Value]) -> Value:
        text = _text_args(node, args)
        if len(text) == 1:
            function = {"BOTH": "trim", "LEADING": "ltrim", "TRAILING": "rtrim"}[position]
            return Value(_func(function, text[0]), "string")
        return Value(exp.Trim(this=text[0], expression=text[1], position=position), "string")

    return build


def _coalesce(node: ast.Call, args: list[Value]) -> Value:
    kinds = {a.kind for a in args}
    if len(kinds) == 1:
        values, kind = [a.sql for a in args], kinds.pop()
    else:
        values, kind = [_as_string(a) for a in args], "string"
    return Value(exp.Coalesce(this=values[0], expressions=values[1:]), kind)


def _contains(node: ast.Call, args: list[Value]) -> Value:
    text, part = _text_args(node, args)
    found = exp.GT(this=exp.StrPosition(this=text, substr=part), expression=_number(0))
    return Value(exp.Case(ifs=[exp.If(this=found, true=_number(1))], default=_number(0)), "number")


def _from_millis(node: ast.Call, args: list[Value]) -> Value:
    (millis,) = _number_args(node, args)
    seconds = exp.Div(this=_cast(_p(millis), "DOUBLE"), expression=_number(1000))
    return Value(_func("from_unixtime", seconds), "timestamp")


def _to_millis_call(node: ast.Call, args: list[Value]) -> Value:
    if args[0].kind != "timestamp":
        raise InsightsError("toMillis() takes a timestamp such as @timestamp", node.args[0].pos)
    return Value(_to_millis(args[0].sql), "number")


def _numeric(function: str) -> Callable[[ast.Call, list[Value]], Value]:
    return lambda node, args: Value(_func(function, *_number_args(node, args)), "number")


def _textual(function: str) -> Callable[[ast.Call, list[Value]], Value]:
    return lambda node, args: Value(_func(function, *_text_args(node, args)), "string")


_Builder = Callable[[ast.Call, list[Value]], Value]
_SCALARS: dict[str, tuple[int, int | None, _Builder]] = {
    "isempty": (1, 1, lambda n, a: _is_empty(n, a, blank=False)),
    "isblank": (1, 1, lambda n, a: _is_empty(n, a, blank=True)),
    "ispresent": (
        1,
        1,
        lambda n, a: Value(exp.Not(this=exp.Is(this=_p(a[0].sql), expression=exp.Null())), "bool"),
    ),
    "coalesce": (1, None, _coalesce),
    "strlen": (1, 1, lambda n, a: Value(_func("length", *_text_args(n, a)), "number")),
    "toupper": (1, 1, _textual("upper")),
    "tolower": (1, 1, _textual("lower")),
    "concat": (1, None, _concat),
    "substr": (2, 3, _substr),
    "replace": (3, 3, _textual("replace")),
    "trim": (1, 2, _trim("BOTH")),
    "ltrim": (1, 2, _trim("LEADING")),
    "rtrim": (1, 2, _trim("TRAILING")),
    "strcontains": (2, 2, _contains),
    "abs": (1, 1, _numeric("abs")),
    "ceil": (1, 1, _numeric("ceil")),
    "floor": (1, 1, _numeric("floor")),
    "greatest": (1, None, _numeric("greatest")),
    "least": (1, None, _numeric("least")),
    "log": (1, 1, _numeric("ln")),
    "sqrt": (1, 1, _numeric("sqrt")),
    "frommillis": (1, 1, _from_millis),
    "tomillis": (1, 1, _to_millis_call),
}


# -- parse patterns ------------------------------------------------------------------------------

_SPECIAL = set("\\.^$|?*+()[]{}")


def _glob(pattern: str) -> list[str]:
    """A glob pattern as one regular expression per `*`, capturing that `*` only (DuckDB's
    regexp_extract counts groups up to 9): each `*` lazy, but the last one takes the rest."""
    pieces = ["".join("\\" + c if c in _SPECIAL else c for c in p) for p in pattern.split("*")]
    stars = len(pieces) - 1
    regexes = []
    for keep in range(1, stars + 1):
        regex = pieces[0]
        for i, piece in enumerate(pieces[1:], start=1):
            wildcard = ".*" if i == stars else ".*?"
            regex += (f"({wildcard})" if i == keep else f"(?:{wildcard})") + piece
        regexes.append(regex)
    return regexes


def _named_groups(node: ast.Regex) -> dict[str, str]:
    """For each named group of the regex, the regex with only that group capturing: the
    others become non-capturing, and the name goes (RE2 and Java spell names differently;
    DuckDB's regexp_extract counts groups up to 9)."""
    pattern = _regex(node)
    names = re.findall(r"\(\?P?<([A-Za-z][A-Za-z0-9_]*)>", pattern)
    if not names:
        raise InsightsError("a parse regex names what it extracts: (?<name>...)", node.pos)
    return {name: _capturing_only(pattern, name) for name in names}


def _capturing_only(pattern: str, keep: str) -> str:
    """`pattern` with every capturing group non-capturing but the group named `keep`, which
    becomes a plain group: a scan that skips escapes and character classes."""
    out: list[str] = []
    i, in_class = 0, False
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            if pattern[i + 1 : i + 2] == "]":  # a literal ] right after [ stays in the class
                out.append("[]")
                i += 2
                continue
        elif char == "(":
            named = re.match(r"\(\?P?<([A-Za-z][A-Za-z0-9_]*)>", pattern[i:])
            if named:
                out.append("(" if named[1] == keep else "(?:")
                i += len(named[0])
                continue
            if not pattern.startswith("(?", i):  # a plain capturing group
                out.append("(?:")
                i += 1
                continue
        out.append(char)
        i += 1
    return "".join(out)


__all__ = ["DEFAULT_LIMIT", "Translation", "translate"]
