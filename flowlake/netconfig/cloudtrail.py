"""CloudTrail's network changes as the `cloudtrail_events` table.

CloudTrail writes `AWSLogs/[o-org/]<account>/CloudTrail/<region>/yyyy/MM/dd/*.json.gz`, each
file one `{"Records": [...]}` document. Only the days the window needs are listed (from a day
before `since`, so the change just before a window that opens on an outage is there). DuckDB
reads the files and keeps the calls that change what traffic may pass; Python then writes one
line per change (`revoke ingress tcp 80 from 0.0.0.0/0`) from the request parameters.
"""

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from flowlake.lake.store import ObjectInfo, Store
from flowlake.timewindow import TimeWindow

# Calls that change which packets may pass (security groups, network ACLs, routes, gateways,
# peering, endpoints, interfaces' groups). Describe* and the like never change anything.
NETWORK_EVENTS = frozenset(
    """
    AuthorizeSecurityGroupIngress AuthorizeSecurityGroupEgress RevokeSecurityGroupIngress
    RevokeSecurityGroupEgress ModifySecurityGroupRules CreateSecurityGroup DeleteSecurityGroup
    CreateNetworkAclEntry DeleteNetworkAclEntry ReplaceNetworkAclEntry ReplaceNetworkAclAssociation
    CreateNetworkAcl DeleteNetworkAcl
    CreateRoute DeleteRoute ReplaceRoute CreateRouteTable DeleteRouteTable AssociateRouteTable
    DisassociateRouteTable ReplaceRouteTableAssociation
    CreateNatGateway DeleteNatGateway AttachInternetGateway DetachInternetGateway
    DeleteInternetGateway CreateVpcPeeringConnection AcceptVpcPeeringConnection
    DeleteVpcPeeringConnection RejectVpcPeeringConnection CreateVpcEndpoint DeleteVpcEndpoints
    ModifyVpcEndpoint ModifyNetworkInterfaceAttribute AttachNetworkInterface
    DetachNetworkInterface DeleteNetworkInterface ModifyInstanceAttribute
    """.split()
)
# Without --since, CloudTrail is read back this far (a trail holds years of every API call).
DEFAULT_LOOKBACK = timedelta(days=7)
_DATE_DIR = re.compile(r"^\d{4}/$")
_ACCOUNT_DIR = re.compile(r"^\d{12}/$")
_RESOURCE_KEYS = (
    "groupId",
    "networkAclId",
    "routeTableId",
    "natGatewayId",
    "internetGatewayId",
    "vpcPeeringConnectionId",
    "vpcEndpointId",
    "networkInterfaceId",
    "instanceId",
    "associationId",
    "groupName",
)


def _leaf(prefix: str) -> str:
    return prefix.rstrip("/").rsplit("/", 1)[-1] + "/"


def days(window: TimeWindow, now: datetime | None = None) -> tuple[list[datetime], bool]:
    """The key dates to read, and whether the default look-back was used."""
    now = now or datetime.now(UTC)
    since = window.since or (window.until or now) - DEFAULT_LOOKBACK
    first = (since - timedelta(days=1)).date()
    last = ((window.until or now) + timedelta(hours=1)).date()
    count = (last - first).days + 1
    dates = [
        datetime(first.year, first.month, first.day, tzinfo=UTC) + timedelta(days=n)
        for n in range(count)
    ]
    return dates, window.since is None


def find_files(store: Store, window: TimeWindow) -> tuple[list[ObjectInfo], bool]:
    """CloudTrail log files for the window, and whether any CloudTrail folder was found."""
    wanted, _ = days(window)
    found: list[ObjectInfo] = []
    trails = list(trail_roots(store))
    for root in trails:  # .../CloudTrail/
        for region in store.list_dir(root)[0]:
            for day in wanted:
                _, files = store.list_dir(f"{region}{day:%Y/%m/%d}/")
                found += [f for f in files if f.key.endswith((".json.gz", ".json"))]
    return found, bool(trails)


def trail_roots(store: Store) -> Iterator[str]:
    """`AWSLogs/<account>/CloudTrail/` folders, with an organization level or not."""
    top, _ = store.list_dir("")
    bases = ["AWSLogs/"] if "AWSLogs/" in top else []
    if not bases and any(_ACCOUNT_DIR.match(_leaf(d)) for d in top):
        bases = [""]  # the location is the AWSLogs folder itself
    for base in bases:
        for entry in store.list_dir(base)[0]:
            leaf = _leaf(entry)
            accounts = store.list_dir(entry)[0] if leaf.startswith("o-") else [entry]
            for account in accounts:
                if (
                    _ACCOUNT_DIR.match(_leaf(account))
                    and f"{account}CloudTrail/" in (store.list_dir(account)[0])
                ):
                    yield f"{account}CloudTrail/"


def trail_root_of(key: str) -> str:
    """The `.../CloudTrail/` folder a CloudTrail file's key is under."""
    return key[: key.index("/CloudTrail/") + len("/CloudTrail/")]


def read_events(con: Any, paths: list[str]) -> list[dict[str, Any]]:
    """The network changes in these files, one row per call, in time order."""
    if not paths:
        return []
    names = ", ".join("'" + n.replace("'", "''") + "'" for n in sorted(NETWORK_EVENTS))
    files = "[" + ", ".join("'" + p.replace("'", "''") + "'" for p in paths) + "]"
    rows = con.execute(
        f"""
        SELECT r->>'eventTime', r->>'eventName', r->>'eventSource', r->>'awsRegion',
               coalesce(r->>'recipientAccountId', r->'userIdentity'->>'accountId'),
               r->'userIdentity'->>'arn', r->>'sourceIPAddress', r->>'errorCode', r->>'eventID',
               CAST(r->'requestParameters' AS VARCHAR), CAST(r->'responseElements' AS VARCHAR)
        FROM (SELECT unnest(Records) AS r
              FROM read_json({files}, columns = {{'Records': 'JSON[]'}}, format = 'auto'))
        WHERE r->>'eventName' IN ({names})
        """
    ).fetchall()
    events = [_event(*row) for row in rows]
    return sorted(events, key=lambda e: (e["event_time"], e["event_id"] or ""))


def _event(
    when: str,
    name: str,
    source: str | None,
    region: str | None,
    account: str | None,
    user: str | None,
    source_ip: str | None,
    error: str | None,
    event_id: str | None,
    request: str | None,
    response: str | None,
) -> dict[str, Any]:
    params = _json(request)
    return {
        "account_id": account,
        "region": region,
        "event_time": datetime.fromisoformat(when.replace("Z", "+00:00")).astimezone(UTC),
        "event_name": name,
        "resource_id": resource_id(params, _json(response)),
        "change": describe_change(name, params),
        "user_arn": user,
        "source_ip": source_ip,
        "error_code": error,
        "event_id": event_id,
        "request_parameters": request,
    }


def _json(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _items(value: Any) -> list[Any]:
    """CloudTrail writes EC2 lists as {"items": [...]} (sometimes as a bare list)."""
    if isinstance(value, dict):
        value = value.get("items", [])
    return value if isinstance(value, list) else []


def resource_id(params: dict[str, Any], response: dict[str, Any]) -> str | None:
    modify = params.get("ModifySecurityGroupRulesRequest")
    if isinstance(modify, dict) and modify.get("GroupId"):
        return str(modify["GroupId"])
    for source in (params, *response.values(), response):
        if isinstance(source, dict):
            for key in _RESOURCE_KEYS:
                if isinstance(source.get(key), str):
                    return str(source[key])
    return None


def _protocol(value: Any) -> str:
    text = str(value).lower()
    return {"-1": "all", "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}.get(text, text)


def _ports(low: Any, high: Any) -> str:
    if low in (None, -1) and high in (None, -1):
        return ""
    return f" {low}" if low == high else f" {low}-{high}"


def _peers(permission: dict[str, Any]) -> list[str]:
    peers = [r.get("cidrIp") for r in _items(permission.get("ipRanges"))]
    peers += [r.get("cidrIpv6") for r in _items(permission.get("ipv6Ranges"))]
    peers += [r.get("prefixListId") for r in _items(permission.get("prefixListIds"))]
    peers += [g.get("groupId") or g.get("groupName") for g in _items(permission.get("groups"))]
    return [str(p) for p in peers if p]


def describe_change(name: str, params: dict[str, Any]) -> str:
    """One line saying what a network call changed."""
    if name.endswith(("SecurityGroupIngress", "SecurityGroupEgress")):
        verb = "authorize" if name.startswith("Authorize") else "revoke"
        direction, word = ("ingress", "from") if name.endswith("Ingress") else ("egress", "to")
        rules = [
            f"{_protocol(p.get('ipProtocol'))}{_ports(p.get('fromPort'), p.get('toPort'))} "
            f"{word} {', '.join(_peers(p)) or '?'}"
            for p in _items(params.get("ipPermissions"))
        ]
        rule_ids = [
            r.get("securityGroupRuleId") for r in _items(params.get("securityGroupRuleIds"))
        ]
        rules += [str(r) for r in rule_ids if r]
        if not rules and params.get("ipProtocol"):  # the older flat form
            ports = _ports(params.get("fromPort"), params.get("toPort"))
            rules = [f"{_protocol(params['ipProtocol'])}{ports} {word} {params.get('cidrIp', '?')}"]
        return f"{verb} {direction} " + "; ".join(rules or ["(no rule given)"])
    if name == "ModifySecurityGroupRules":
        request = params.get("ModifySecurityGroupRulesRequest") or {}
        rule = request.get("SecurityGroupRule") or {}
        inner = rule.get("SecurityGroupRule") or {}
        peer = inner.get("CidrIpv4") or inner.get("CidrIpv6") or inner.get("ReferencedGroupId")
        ports = _ports(inner.get("FromPort"), inner.get("ToPort"))
        return (
            f"modify {rule.get('SecurityGroupRuleId', 'rule')}: "
            f"{_protocol(inner.get('IpProtocol'))}{ports} {peer or ''}".rstrip()
        )
    if name in ("CreateNetworkAclEntry", "ReplaceNetworkAclEntry"):
        direction = "outbound" if params.get("egress") else "inbound"
        span = params.get("portRange") or {}
        word = "to" if params.get("egress") else "from"
        verb = "create" if name.startswith("Create") else "replace"
        return (
            f"{verb} {direction} rule {params.get('ruleNumber')} "
            f"{str(params.get('ruleAction', '?')).upper()} {_protocol(params.get('aclProtocol'))}"
            f"{_ports(span.get('from'), span.get('to'))} {word} "
            f"{params.get('cidrBlock') or params.get('ipv6CidrBlock') or '?'}"
        )
    if name == "DeleteNetworkAclEntry":
        direction = "outbound" if params.get("egress") else "inbound"
        return f"delete {direction} rule {params.get('ruleNumber')}"
    if name == "ReplaceNetworkAclAssociation":
        return f"{params.get('associationId')} now uses {params.get('networkAclId')}"
    if name in ("CreateRoute", "ReplaceRoute", "DeleteRoute"):
        destination = (
            params.get("destinationCidrBlock")
            or params.get("destinationIpv6CidrBlock")
            or params.get("destinationPrefixListId")
        )
        if name == "DeleteRoute":
            return f"delete route {destination}"
        target = next(
            (str(v) for k, v in sorted(params.items()) if k.endswith("Id") and k != "routeTableId"),
            "?",
        )
        return f"{'create' if name == 'CreateRoute' else 'replace'} route {destination} -> {target}"
    if name == "ModifyNetworkInterfaceAttribute" and params.get("groupSet"):
        groups = [g.get("groupId") for g in _items(params.get("groupSet"))]
        return "security groups now " + ", ".join(str(g) for g in groups if g)
    text = json.dumps(params, sort_keys=True, separators=(",", ":"))
    return text if len(text) <= 200 else text[:197] + "..."
