"""`aws ec2 describe-*` output as documents: read, recognised, and checked field by field.

A document is what the AWS CLI prints (`{"SecurityGroups": [...]}`) or what boto3 returns for
one paginated call, keyed by its list name. A bare list (the CLI with `--query 'X[*]'`) is
recognised by the keys of its items. Anything else is one line naming the file and the item.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flowlake.errors import FlowlakeError

# The list key of each describe-* output, and keys an item of it always has (to recognise
# a bare list and to reject a projection that dropped what flowlake needs).
KINDS: dict[str, tuple[str, ...]] = {
    "SecurityGroups": ("GroupId", "IpPermissions", "IpPermissionsEgress"),
    "NetworkAcls": ("NetworkAclId", "Entries"),
    "RouteTables": ("RouteTableId", "Routes"),
    "NetworkInterfaces": ("NetworkInterfaceId", "SubnetId"),
    "Subnets": ("SubnetId", "VpcId"),
    "Vpcs": ("VpcId",),
    "NatGateways": ("NatGatewayId", "SubnetId"),
    "InternetGateways": ("InternetGatewayId",),
    "VpcPeeringConnections": ("VpcPeeringConnectionId", "RequesterVpcInfo", "AccepterVpcInfo"),
    "VpcEndpoints": ("VpcEndpointId", "VpcId", "ServiceName"),
    "Reservations": ("Instances",),
}
COMMANDS = {
    "SecurityGroups": "describe-security-groups",
    "NetworkAcls": "describe-network-acls",
    "RouteTables": "describe-route-tables",
    "NetworkInterfaces": "describe-network-interfaces",
    "Subnets": "describe-subnets",
    "Vpcs": "describe-vpcs",
    "NatGateways": "describe-nat-gateways",
    "InternetGateways": "describe-internet-gateways",
    "VpcPeeringConnections": "describe-vpc-peering-connections",
    "VpcEndpoints": "describe-vpc-endpoints",
    "Reservations": "describe-instances",
}
_IGNORED_KEYS = {"ResponseMetadata", "NextToken"}
# A bare list is recognised by its items' id key; kinds whose items also carry another
# kind's id (a NAT gateway has a SubnetId, everything a VpcId) are tried first.
_DETECT_ORDER = (
    "SecurityGroups", "NetworkAcls", "RouteTables", "NetworkInterfaces", "NatGateways",
    "VpcPeeringConnections", "VpcEndpoints", "InternetGateways", "Reservations", "Subnets",
    "Vpcs",
)  # fmt: skip


class ConfigInputError(FlowlakeError):
    """A config document that cannot be used: the message names the file and the item."""


@dataclass(frozen=True)
class Document:
    kind: str  # a KINDS key
    items: list[Any]
    source: str  # file name or "ec2 DescribeSecurityGroups us-east-1", for messages


class Item:
    """One JSON object with its place in the document, for messages that say where."""

    def __init__(self, data: Any, where: str):
        if not isinstance(data, dict):
            raise ConfigInputError(f"{where}: expected an object, found {_json_type(data)}")
        self.data = data
        self.where = where

    def fail(self, problem: str) -> ConfigInputError:
        return ConfigInputError(f"{self.where}: {problem}")

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def text(self, key: str, required: bool = False) -> str | None:
        value = self.data.get(key)
        if value is None:
            if required:
                raise self.fail(f"has no {key}")
            return None
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise self.fail(f"{key} is {_json_type(value)}, expected a string")
        return str(value)

    def required(self, key: str) -> str:
        value = self.text(key, required=True)
        assert value is not None
        return value

    def integer(self, key: str, required: bool = False) -> int | None:
        value = self.data.get(key)
        if value is None:
            if required:
                raise self.fail(f"has no {key}")
            return None
        if isinstance(value, bool):
            raise self.fail(f"{key} is a boolean, expected a number")
        try:
            return int(value)
        except (TypeError, ValueError):
            raise self.fail(f"{key} is {value!r}, expected a whole number") from None

    def flag(self, key: str, required: bool = False) -> bool | None:
        value = self.data.get(key)
        if value is None:
            if required:
                raise self.fail(f"has no {key}")
            return None
        if not isinstance(value, bool):
            raise self.fail(f"{key} is {value!r}, expected true or false")
        return value

    def child(self, key: str) -> "Item | None":
        value = self.data.get(key)
        return None if value is None else Item(value, f"{self.where}.{key}")

    def children(self, key: str, required: bool = False) -> list["Item"]:
        value = self.data.get(key)
        if value is None:
            if required:
                raise self.fail(f"has no {key}")
            return []
        if not isinstance(value, list):
            raise self.fail(f"{key} is {_json_type(value)}, expected a list")
        return [Item(v, f"{self.where}.{key}[{n}]") for n, v in enumerate(value)]

    def name_tag(self, key: str = "Tags") -> str | None:
        for tag in self.children(key):
            if tag.text("Key") == "Name":
                return tag.text("Value")
        return None

    def tags(self, key: str = "Tags") -> dict[str, str]:
        return {
            str(tag.text("Key")): tag.text("Value") or ""
            for tag in self.children(key)
            if tag.text("Key")
        }


def items(document: Document) -> Iterator[Item]:
    """The document's items, each checked for the keys its kind always has."""
    for n, data in enumerate(document.items):
        where = f"{document.source}: {document.kind}[{n}]"
        item = Item(data, where)
        ident = item.data.get(KINDS[document.kind][0])
        if isinstance(ident, str):
            item.where = f"{where} ({ident})"
        for key in KINDS[document.kind]:
            if key not in item.data:
                raise item.fail(
                    f"has no {key}: save the full output of `aws ec2 {COMMANDS[document.kind]}`"
                    " (without a --query that drops it)"
                )
        yield item


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    return "a number"


def parse(data: Any, source: str) -> list[Document]:
    """The documents in one parsed JSON value (an object of lists, or a bare list)."""
    if isinstance(data, list):
        if not data:
            raise ConfigInputError(f"{source}: an empty list: nothing to import")
        first = data[0]
        keys = set(first) if isinstance(first, dict) else set()
        for kind in _DETECT_ORDER:
            if KINDS[kind][0] in keys:
                return [Document(kind, data, source)]
        raise ConfigInputError(
            f"{source}: a list whose items are not of any `aws ec2 describe-*` output flowlake "
            "reads (save the command's full output)"
        )
    if not isinstance(data, dict):
        raise ConfigInputError(f"{source}: expected a JSON object, found {_json_type(data)}")
    documents = []
    for key, value in data.items():
        if key in KINDS:
            if not isinstance(value, list):
                raise ConfigInputError(f"{source}: {key} is {_json_type(value)}, expected a list")
            documents.append(Document(key, value, source))
    if not documents:
        found = ", ".join(k for k in data if k not in _IGNORED_KEYS) or "nothing"
        raise ConfigInputError(
            f"{source}: not an `aws ec2 describe-*` output flowlake reads: expected "
            f"{', '.join(KINDS)} at the top level (found {found})"
        )
    return documents


def load_file(path: Path) -> list[Document]:
    """Read one saved describe-* output. Errors name the file and what is wrong."""
    name = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigInputError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise ConfigInputError(f"{name}: is a folder, expected a JSON file") from None
    except OSError as exc:
        raise ConfigInputError(f"{name}: cannot be read ({exc.strerror})") from None
    if raw[:2] == b"\x1f\x8b":
        import gzip

        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise ConfigInputError(f"{name}: not a valid gzip file ({exc})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigInputError(f"{name}: not UTF-8 text, expected JSON") from None
    if not text.strip():
        raise ConfigInputError(f"{name}: the file is empty")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        cut = " (the file looks cut short)" if exc.pos >= len(text.rstrip()) else ""
        raise ConfigInputError(
            f"{name}: not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}{cut}"
        ) from None
    return parse(data, name)
