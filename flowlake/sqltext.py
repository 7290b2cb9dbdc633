"""Quoting for the SQL flowlake writes itself (identifiers, string literals): one place."""


def quote(identifier: str) -> str:
    """A double-quoted identifier."""
    return '"' + identifier.replace('"', '""') + '"'


def string_literal(value: str) -> str:
    """A single-quoted string literal."""
    return "'" + value.replace("'", "''") + "'"
