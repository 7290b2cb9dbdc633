"""Checking Athena output without Athena: translate it back to DuckDB and run it.

The only constructs that may not translate back are the ones our macros emit on purpose for
Athena (sql/macros/): IP matching with the IPADDRESS type (a CIDR literal or a CIDR column) and
partition predicates on `day`.
This module reverses exactly those, so every other part of the Athena SQL is executed as
written (through sqlglot's athena -> duckdb translation) and its rows compared.
"""

from typing import Any

from flowlake.params import parse_network

PARTITION_COLUMNS = {"day"}


def _duckdb_cidr_match(column_sql: str, cidr: str) -> str:
    network = parse_network(cidr)
    if network.version == 4:
        return f"(flowlake_ipv4_int({column_sql}) BETWEEN {network.first} AND {network.last})"
    return (
        f"(flowlake_ipv6_hex({column_sql}) BETWEEN '{network.first_hex}' AND '{network.last_hex}')"
    )


def athena_to_duckdb(athena_sql: str) -> str:
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(athena_sql, read="athena")

    def reverse(node: Any) -> Any:
        if (
            isinstance(node, exp.ArrayContains)
            and isinstance(node.this, exp.Literal)
            and isinstance(node.expression, exp.Cast)
            and node.expression.to.this == exp.DataType.Type.IPADDRESS
        ):
            column = node.expression.this.sql("duckdb")
            return sqlglot.parse_one(_duckdb_cidr_match(column, node.this.name), read="duckdb")
        if (
            isinstance(node, exp.ArrayContains)
            and isinstance(node.expression, exp.Cast)
            and node.expression.to.this == exp.DataType.Type.IPADDRESS
        ):  # a CIDR held in a column (the `cidr_contains` macro)
            cidr, address = node.this.sql("duckdb"), node.expression.this.sql("duckdb")
            return sqlglot.parse_one(
                f"coalesce(flowlake_in_cidr({cidr}, {address}), FALSE)", read="duckdb"
            )
        if isinstance(node, exp.Between | exp.GTE | exp.LTE | exp.GT | exp.LT | exp.EQ):
            column = node.this
            if isinstance(column, exp.Column) and column.name in PARTITION_COLUMNS:
                return exp.true()
        return node

    return tree.transform(reverse).sql("duckdb", pretty=True)
