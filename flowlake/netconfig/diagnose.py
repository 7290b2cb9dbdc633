"""`flowlake diagnose`: the seeds' step-by-step troubleshooting flow for one conversation.

    1 direction        which interfaces hold the two addresses: inbound, outbound or internal
    2 flow records     the requests (src -> dst:port): accepted, rejected, none, NODATA
    3 reply leg        the answers (dst:port -> src): a rejected reply is a stateless ACL
    4 rules            the security-group or network-ACL rule (reject-attribution), the fix
    5 routes           the route the initiating subnet takes to the destination
    6 changes          CloudTrail network changes near the moment the traffic changed
    verdict, fix       the conclusion of the above, and what flow logs cannot see

Each step reads the lake through one DuckDB engine; the rules come from the catalogue query
reject-attribution, so `diagnose` and `query reject-attribution` always agree.
"""

import ipaddress
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flowlake.errors import UsageError
from flowlake.lake import Lake
from flowlake.params import PROTOCOLS, convert
from flowlake.sqltext import string_literal

# Traffic flow logs never record (AWS: "Flow log limitations").
INVISIBLE = {
    "169.254.169.254": "the instance metadata service (IMDS)",
    "fd00:ec2::254": "the instance metadata service (IMDS, IPv6)",
    "169.254.169.123": "the Amazon Time Sync Service",
    "fd00:ec2::123": "the Amazon Time Sync Service (IPv6)",
    "169.254.169.253": "the Amazon DNS resolver",
    "fd00:ec2::253": "the Amazon DNS resolver (IPv6)",
    "169.254.169.250": "Windows license activation (KMS)",
    "169.254.169.251": "Windows license activation (KMS)",
    "255.255.255.255": "DHCP",
}
STOPPED_AFTER = timedelta(minutes=15)  # silence this long before the window's end: stopped
CHANGE_BEFORE = timedelta(minutes=30)  # CloudTrail changes shown around the moment traffic changed
CHANGE_AFTER = timedelta(minutes=10)


@dataclass
class Leg:
    """The records of one direction of the conversation."""

    accepted: int = 0
    rejected: int = 0
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    last_accept: datetime | None = None
    first_reject: datetime | None = None
    last_action: str | None = None
    interfaces: list[str] = field(default_factory=list)

    @property
    def records(self) -> int:
        return self.accepted + self.rejected

    @property
    def state(self) -> str:
        if not self.records:
            return "none"
        if self.accepted and self.rejected:
            return (
                "changed"
                if self.first_reject and self.last_accept and (self.first_reject > self.last_accept)
                else "mixed"
            )
        return "accepted" if self.accepted else "rejected"


@dataclass
class Diagnosis:
    src: str
    dst: str
    port: int | None
    protocol: int
    since: datetime | None
    until: datetime | None
    direction: str = "unknown"
    src_interface: dict[str, Any] | None = None
    dst_interface: dict[str, Any] | None = None
    request: Leg = field(default_factory=Leg)
    reply: Leg = field(default_factory=Leg)
    nodata: dict[str, int] = field(default_factory=dict)  # interface -> NODATA records
    config: bool = False
    attribution: list[dict[str, Any]] = field(default_factory=list)
    route: dict[str, Any] | None = None
    route_note: str | None = None
    changed_at: datetime | None = None
    change_kind: str | None = None  # "rejected" or "stopped"
    changes: list[dict[str, Any]] = field(default_factory=list)
    cause: dict[str, Any] | None = None
    cloudtrail_note: str | None = None
    invisible: str | None = None
    verdict: str = ""
    fix: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # from reading the lake, for stderr
    notices: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        from flowlake.output import plain

        def clean(value: Any) -> Any:
            if isinstance(value, dict):
                return {k: clean(v) for k, v in value.items()}
            if isinstance(value, list):
                return [clean(v) for v in value]
            return plain(value)

        data = clean(asdict(self))
        data["request"]["state"] = self.request.state
        data["reply"]["state"] = self.reply.state
        return data


def _rows(engine: Any, sql: str) -> list[dict[str, Any]]:
    return engine.run(sql).rows()


def invisible_reason(dst: str, vpc_cidrs: list[str], protocol: int, port: int | None) -> str | None:
    """What service `dst` is when flow logs never record traffic to it, else None."""
    address = ipaddress.ip_address(dst)
    if dst in INVISIBLE:
        return INVISIBLE[dst]
    if protocol == 17 and port in (67, 68):
        return "DHCP"
    for cidr in vpc_cidrs:
        network = ipaddress.ip_network(cidr, strict=False)
        if address.version == network.version and address == network.network_address + 2:
            return f"the Amazon DNS resolver of {cidr} (its base address + 2)"
    return None


def _interface(engine: Any, address: str) -> dict[str, Any] | None:
    found = _rows(
        engine,
        "SELECT i.interface_id, i.subnet_id, i.vpc_id, i.interface_type, i.security_group_ids, "
        "i.account_id, i.region FROM network_interface_addresses a JOIN network_interfaces i "
        f"ON i.interface_id = a.interface_id WHERE a.address = {string_literal(address)} "
        "ORDER BY i.interface_id LIMIT 1",
    )
    return found[0] if found else None


def _legs(engine: Any, d: Diagnosis) -> None:
    """Both legs from one scan: each leg's records by start time, action and interface."""
    src, dst = string_literal(d.src), string_literal(d.dst)
    ports = d.protocol in (6, 17) and d.port is not None
    request = f"srcaddr = {src} AND dstaddr = {dst}" + (f" AND dstport = {d.port}" if ports else "")
    reply = f"srcaddr = {dst} AND dstaddr = {src}" + (f" AND srcport = {d.port}" if ports else "")
    rows = _rows(
        engine,
        f"SELECT CASE WHEN {request} THEN 'request' ELSE 'reply' END AS leg, action, "
        "interface_id, start_time, count(*) AS n FROM flow_logs "
        f"WHERE (({request}) OR ({reply})) AND protocol = {d.protocol} AND action IS NOT NULL "
        "GROUP BY ALL ORDER BY start_time, action, interface_id",
    )
    for row in rows:  # in time order
        leg: Leg = getattr(d, row["leg"])
        when = row["start_time"]
        if row["interface_id"] not in leg.interfaces:
            leg.interfaces.append(row["interface_id"])
        leg.first_seen = leg.first_seen or when
        leg.last_seen, leg.last_action = when, row["action"]
        if row["action"] == "ACCEPT":
            leg.accepted += row["n"]
            leg.last_accept, leg.first_reject = when, None  # a REJECT after this one starts anew
        else:
            leg.rejected += row["n"]
            leg.first_reject = leg.first_reject or when


def _ts(value: datetime) -> str:
    """A DuckDB timestamp literal (diagnose runs on DuckDB only)."""
    from datetime import UTC

    return f"CAST('{value.astimezone(UTC):%Y-%m-%d %H:%M:%S.%f}+00' AS TIMESTAMPTZ)"


def _nodata(engine: Any, d: Diagnosis) -> None:
    enis = {i["interface_id"] for i in (d.src_interface, d.dst_interface) if i}
    enis.update(d.request.interfaces)
    if not enis:
        return
    names = ", ".join(string_literal(e) for e in sorted(enis))
    for row in _rows(
        engine,
        "SELECT interface_id, count(*) AS n FROM flow_logs "
        f"WHERE interface_id IN ({names}) AND log_status = 'NODATA' GROUP BY interface_id",
    ):
        d.nodata[row["interface_id"]] = row["n"]


# Addresses that are not the internet, as the `is_private` macro has them (sql/macros/ip.sql);
# Python's is_private also counts the documentation ranges, which the seeds use as clients.
PRIVATE = tuple(
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16",
        "127.0.0.0/8", "fc00::/7", "fe80::/10",
    )
)  # fmt: skip


def is_private(text: str) -> bool:
    address = ipaddress.ip_address(text)
    return any(address.version == n.version and address in n for n in PRIVATE)


def _direction(d: Diagnosis) -> None:
    src, dst = d.src_interface, d.dst_interface
    if src and dst:
        d.direction = "internal"
    elif src:
        d.direction = "outbound"
    elif dst:
        d.direction = "inbound"
    else:  # no config: the private side is ours
        src_private, dst_private = is_private(d.src), is_private(d.dst)
        if src_private != dst_private:
            d.direction = "outbound" if src_private else "inbound"


def _route(engine: Any, d: Diagnosis) -> None:
    """The route the initiator's subnet takes to the destination (longest prefix)."""
    side = d.src_interface or d.dst_interface
    target = d.dst if d.src_interface else d.src
    if not side:
        return
    subnet = string_literal(side["subnet_id"])
    tables = _rows(
        engine,
        "SELECT route_table_id FROM route_table_associations "
        f"WHERE subnet_id = {subnet} ORDER BY route_table_id LIMIT 1",
    ) or _rows(
        engine,
        "SELECT route_table_id FROM route_table_associations "
        f"WHERE is_main AND vpc_id = {string_literal(side['vpc_id'])} LIMIT 1",
    )
    if not tables:
        d.route_note = f"no route table for {side['subnet_id']} in the config snapshot"
        return
    table = tables[0]["route_table_id"]
    routes = _rows(
        engine,
        "SELECT route_table_id, destination_cidr, destination_ipv6_cidr, "
        "destination_prefix_list_id, target_type, target_id, state FROM route_table_routes "
        f"WHERE route_table_id = {string_literal(table)}",
    )
    address = ipaddress.ip_address(target)
    best: tuple[int, dict[str, Any]] | None = None
    for route in routes:
        cidr = route["destination_cidr"] or route["destination_ipv6_cidr"]
        if not cidr:
            continue
        network = ipaddress.ip_network(cidr)
        if network.version == address.version and address in network:
            if best is None or network.prefixlen > best[0]:
                best = (network.prefixlen, route)
    if best is None:
        lists = [r["destination_prefix_list_id"] for r in routes if r["destination_prefix_list_id"]]
        d.route = {"route_table_id": table, "destination": None, "target": None}
        d.route_note = f"{table} has no route covering {target}" + (
            f" (prefix lists {', '.join(lists)} are not expanded)" if lists else ""
        )
        return
    route = best[1]
    destination = route["destination_cidr"] or route["destination_ipv6_cidr"]
    d.route = {
        "route_table_id": table,
        "destination": destination,
        "target": route["target_id"],
        "target_type": route["target_type"],
        "state": route["state"],
    }
    if route["state"] != "active":
        d.route_note = f"{table}: {destination} -> {route['target_id']} is {route['state']}"


def _missing_route_fix(engine: Any, d: Diagnosis) -> str | None:
    side = d.src_interface or d.dst_interface
    if not side or not d.route:
        return None
    vpc = string_literal(side["vpc_id"])
    ways = _rows(
        engine,
        "SELECT nat_gateway_id AS target, 'nat' AS kind FROM nat_gateways "
        f"WHERE vpc_id = {vpc} AND state = 'available' "
        "UNION ALL SELECT internet_gateway_id, 'igw' FROM internet_gateways "
        f"WHERE vpc_id = {vpc} AND state = 'available' ORDER BY kind DESC, target",
    )
    if not ways:
        return None
    private = is_private(side_address(d))
    way = next((w for w in ways if w["kind"] == "nat"), ways[0]) if private else ways[-1]
    family = (
        "--destination-ipv6-cidr-block ::/0"
        if ":" in d.dst
        else "--destination-cidr-block 0.0.0.0/0"
    )
    option = "--nat-gateway-id" if way["kind"] == "nat" else "--gateway-id"
    table = d.route["route_table_id"]
    return f"aws ec2 create-route --route-table-id {table} {family} {option} {way['target']}"


def side_address(d: Diagnosis) -> str:
    return d.src if d.src_interface else d.dst


def _attribution(engine: Any, d: Diagnosis) -> None:
    from flowlake.api import run_query

    params: dict[str, str] = {"address": d.src}
    if d.port is not None and d.protocol in (6, 17):
        params["port"] = str(d.port)
    assert engine.lake
    rows = run_query("reject-attribution", params, engine.lake, engine).result.rows()
    pair = {d.src, d.dst}
    d.attribution = [
        r
        for r in rows
        if {r["local_address"], r["peer_address"]} == pair and r["protocol"] == d.protocol
    ]


def _changes(engine: Any, d: Diagnosis, cloudtrail: str | None) -> None:
    from flowlake.netconfig.views import MissingConfigError, load_cloudtrail

    if d.changed_at is None:
        return
    try:
        engine.notices.extend(load_cloudtrail(engine, cloudtrail))
    except MissingConfigError as exc:
        d.cloudtrail_note = str(exc)
        return
    low, high = d.changed_at - CHANGE_BEFORE, d.changed_at + CHANGE_AFTER
    related: set[str] = set()
    for side in (d.src_interface, d.dst_interface):
        if side:
            related.add(side["interface_id"])
            related.update(_resources(engine, side))
    d.changes = [
        {**row, "related": row["resource_id"] in related}
        for row in _rows(
            engine,
            "SELECT event_time, event_name, resource_id, change, user_arn, error_code "
            f"FROM cloudtrail_events WHERE event_time >= {_ts(low)} AND event_time <= {_ts(high)} "
            "ORDER BY event_time, event_name",
        )
    ]
    candidates = [c for c in d.changes if c["error_code"] is None]
    if candidates:
        moment = d.changed_at
        d.cause = min(
            candidates,
            key=lambda c: (
                not c["related"],
                c["event_time"] > moment,
                abs((moment - c["event_time"]).total_seconds()),
            ),
        )


def _resources(engine: Any, side: dict[str, Any]) -> set[str]:
    eni, subnet = string_literal(side["interface_id"]), string_literal(side["subnet_id"])
    rows = _rows(
        engine,
        f"SELECT group_id AS id FROM network_interface_groups WHERE interface_id = {eni} "
        f"UNION SELECT network_acl_id FROM network_acl_associations WHERE subnet_id = {subnet} "
        f"UNION SELECT route_table_id FROM route_table_associations WHERE subnet_id = {subnet} "
        f"UNION SELECT route_table_id FROM route_table_associations WHERE is_main "
        f"AND vpc_id = {string_literal(side['vpc_id'])}",
    )
    return {r["id"] for r in rows}


def _conclude(engine: Any, d: Diagnosis, end: datetime) -> None:
    request, reply = d.request, d.reply
    if request.state == "changed":
        d.changed_at, d.change_kind = request.first_reject, "rejected"
    elif reply.state == "changed":
        d.changed_at, d.change_kind = reply.first_reject, "rejected"
    elif (
        request.last_seen
        and request.last_action == "ACCEPT"
        and reply.last_action in (None, "ACCEPT")
        and end - request.last_seen > STOPPED_AFTER
    ):
        d.changed_at, d.change_kind = request.last_seen, "stopped"

    rejected_rule = next((r for r in d.attribution if r["leg"] == "request"), None)
    reply_rule = next((r for r in d.attribution if r["leg"] == "response"), None)
    if request.records and request.last_action == "REJECT":
        what = "rejected" + (
            f" since {_when(request.first_reject)}" if request.state == "changed" else ""
        )
        if rejected_rule and rejected_rule["blocked_by"] != "unknown":
            d.verdict = (
                f"the requests are {what}: {rejected_rule['blocked_by']}: {rejected_rule['rule']}"
            )
            d.fix = [rejected_rule["fix"]] if rejected_rule["fix"] else []
        elif rejected_rule:
            d.verdict = f"the requests are {what}; no rule named: {rejected_rule['rule']}"
        else:
            d.verdict = (
                f"the requests are {what} by a security group or a network ACL: snapshot the "
                "network config (`flowlake config snapshot`) to name the rule"
            )
        if rejected_rule and rejected_rule.get("also"):
            d.notes.append(rejected_rule["also"])
    elif request.records and reply.records and reply.last_action == "REJECT":
        if reply_rule and reply_rule["blocked_by"] != "unknown":
            d.verdict = (
                f"the requests are accepted but the replies are rejected: "
                f"{reply_rule['blocked_by']}: {reply_rule['rule']} (network ACLs are stateless)"
            )
            d.fix = [reply_rule["fix"]] if reply_rule["fix"] else []
        else:
            d.verdict = (
                "the requests are accepted but the replies are rejected: a network ACL "
                "(stateless) on the reply's way; security groups let replies out"
            )
    elif request.records and reply.records:
        if d.change_kind == "stopped":
            d.verdict = (
                f"the traffic was accepted both ways, and stopped at {_when(request.last_seen)}"
            )
        else:
            d.verdict = "accepted both ways: the network lets this traffic through"
    elif request.records:
        d.verdict = (
            "the requests are accepted but no reply was recorded: the destination does not "
            "answer, or its side is not logged"
        )
    else:
        d.verdict = "no flow-log record of this traffic in the window"
        quiet = [f"{eni} ({n} NODATA)" for eni, n in sorted(d.nodata.items())]
        if quiet:
            d.notes.append(
                "NODATA on " + ", ".join(quiet) + ": no packets left the interface (routes?)"
            )

    if d.route_note and (d.change_kind == "stopped" or not request.records or not d.route):
        d.verdict = f"no route: {d.route_note}" + (
            f" (the traffic stopped at {_when(request.last_seen)})"
            if d.change_kind == "stopped"
            else ""
        )
        fix = _missing_route_fix(engine, d)
        d.fix = [fix] if fix else []


def _when(value: datetime | None) -> str:
    return "?" if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")


def diagnose(
    lake: Lake,
    src: str,
    dst: str,
    port: int | None = None,
    protocol: str = "tcp",
    cloudtrail: str | None = None,
    now: datetime | None = None,
    engine: Any = None,
) -> Diagnosis:
    """Run every step for the conversation src -> dst:port over the lake's window."""
    from datetime import UTC

    from flowlake.engines.duckdb import DuckDBEngine
    from flowlake.netconfig.views import present_tables

    src = str(convert("ip", src, "--src").value)
    dst = str(convert("ip", dst, "--dst").value)
    number = int(convert("protocol", protocol, "--protocol").value)
    if number in (6, 17) and port is None:
        name = next((k for k, v in PROTOCOLS.items() if v == number), protocol)
        raise UsageError(f"--port is needed for {name}")
    if port is not None:
        port = int(convert("port", port, "--port").value)
    d = Diagnosis(src, dst, port, number, lake.window.since, lake.window.until)
    engine = engine or DuckDBEngine(lake)
    engine.connect()
    present = present_tables(engine.con)
    d.config = {"network_interfaces", "network_interface_addresses"} <= set(present)
    vpc_cidrs: list[str] = []
    if "vpcs" in present:
        for row in _rows(engine, "SELECT cidr_blocks, ipv6_cidr_blocks FROM vpcs"):
            vpc_cidrs += [c for c in (row["cidr_blocks"] or "").split(",") if c]
    d.invisible = invisible_reason(dst, vpc_cidrs, number, port)
    if d.invisible:
        d.verdict = (
            f"{dst} is {d.invisible}: VPC flow logs never record this traffic, so its absence "
            "from the lake says nothing (test from the instance instead)"
        )
        d.warnings, d.notices = list(engine.warnings), list(engine.notices)
        return d
    if d.config:
        d.src_interface, d.dst_interface = _interface(engine, src), _interface(engine, dst)
    _direction(d)
    _legs(engine, d)
    _nodata(engine, d)
    if d.config:
        _attribution(engine, d)
        _route(engine, d)
    else:
        d.notes.append(
            "no network config in the lake: `flowlake config snapshot` (or `config import`) "
            "lets diagnose name the rule and check routes"
        )
    end = lake.window.until or now or datetime.now(UTC)
    _conclude(engine, d, end)
    _changes(engine, d, cloudtrail)
    d.warnings, d.notices = list(engine.warnings), list(engine.notices)
    if d.cause:
        d.verdict += (
            f"; caused by {d.cause['event_name']} on {d.cause['resource_id']} "
            f"({d.cause['change']}) at {_when(d.cause['event_time'])} by {d.cause['user_arn']}"
        )
    return d
