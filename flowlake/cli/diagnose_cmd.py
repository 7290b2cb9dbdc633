"""`flowlake diagnose`: one conversation through the seeds' troubleshooting steps."""

import json
from typing import TYPE_CHECKING, Annotated

import typer

from flowlake.cli import options as opt
from flowlake.cli.app import app, build_lake, report
from flowlake.errors import UsageError

if TYPE_CHECKING:
    from flowlake.netconfig.diagnose import Diagnosis, Leg


@app.command()
def diagnose(
    src: Annotated[str, typer.Option("--src", help="Source address (the side that connects).")],
    dst: Annotated[str, typer.Option("--dst", help="Destination address.")],
    port: Annotated[
        int | None, typer.Option("--port", help="Destination port (not for ICMP).")
    ] = None,
    protocol: Annotated[str, typer.Option(help="tcp, udp, icmp or a number.")] = "tcp",
    lake: opt.Lake = None,
    since: opt.Since = None,
    until: opt.Until = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
    cloudtrail: Annotated[
        str | None,
        typer.Option(help="CloudTrail logs' folder or s3:// prefix (default: the lake)."),
    ] = None,
    fields: opt.Fields = None,
    profile: opt.Profile = None,
    region: opt.Region = None,
    endpoint_url: opt.EndpointUrl = None,
) -> None:
    """Why does SRC not reach DST:PORT? Direction, the flow records both ways, the security-group
    or network-ACL rule and its fix, the route, the CloudTrail change behind it, and what flow
    logs cannot see.

    Example: flowlake diagnose --src 192.0.2.10 --dst 10.0.1.10 --port 80 --lake ./logs --since 6h
    """
    from flowlake.netconfig.diagnose import diagnose as run

    if fmt not in ("table", "json"):
        raise UsageError(f"unknown format {fmt!r}: use table or json")
    the_lake = build_lake(lake, since, until, fields, False, profile, region, endpoint_url)
    result = run(the_lake, src, dst, port, protocol, cloudtrail)
    if fmt == "json":
        print(json.dumps(result.to_dict(), indent=2))
    else:
        render(result)
    report(result.warnings, result.notices)


def _leg(name: str, leg: "Leg") -> str:
    from flowlake.output import plain

    if not leg.records:
        return f"{name}: none recorded"
    text = f"{name}: {leg.accepted} accepted, {leg.rejected} rejected"
    text += f" ({plain(leg.first_seen)} to {plain(leg.last_seen)}) on {', '.join(leg.interfaces)}"
    if leg.state == "changed":
        text += (
            f"; accepted until {plain(leg.last_accept)}, rejected from {plain(leg.first_reject)}"
        )
    return text


def render(d: "Diagnosis") -> None:
    from rich.console import Console
    from rich.markup import escape

    from flowlake.output import plain

    console = Console(highlight=False, soft_wrap=True)
    what = {1: "icmp", 6: "tcp", 17: "udp"}.get(d.protocol, str(d.protocol))
    host = f"[{d.dst}]" if ":" in d.dst else d.dst  # an IPv6 address:port reads as one address
    target = f"{host}:{d.port}" if d.port is not None else d.dst
    console.print(f"[bold]{escape(d.src)} -> {escape(target)} ({what})[/bold]")

    def step(number: int, title: str, lines: list[str]) -> None:
        console.print(f"\n[bold]{number}. {title}[/bold]")
        for line in lines:
            console.print(f"   {escape(line)}")

    if d.invisible:
        step(1, "Visibility", [f"{d.dst} is {d.invisible}: not in flow logs"])
    else:
        sides = []
        for label, side in (("source", d.src_interface), ("destination", d.dst_interface)):
            if side:
                sides.append(
                    f"{label} is {side['interface_id']} in {side['subnet_id']} "
                    f"(groups {side['security_group_ids'] or 'none'})"
                )
        step(1, "Direction", [d.direction, *sides])
        records = [_leg("requests", d.request)]
        records += [f"{eni}: {n} NODATA records" for eni, n in sorted(d.nodata.items())]
        step(2, "Flow-log records", records)
        step(3, "Reply leg", [_leg("replies", d.reply)])
        rules = [
            f"{r['leg']} {r['direction']}: {r['blocked_by']}: {r['rule']}" for r in d.attribution
        ] or (["no rejected flow to attribute"] if d.config else ["no network config in the lake"])
        step(4, "Rules", rules)
        if d.route:
            route = (
                f"{d.route['route_table_id']}: {d.route['destination']} -> {d.route['target']}"
                if d.route["destination"]
                else d.route_note or ""
            )
        else:
            route = d.route_note or "unknown (no network config)"
        step(5, "Route", [route])
        changes = [
            f"{plain(c['event_time'])} {c['event_name']} {c['resource_id']}: {c['change']}"
            + (" (on this path)" if c["related"] else "")
            + (f" [failed: {c['error_code']}]" if c["error_code"] else "")
            for c in d.changes
        ]
        if d.changed_at is None:
            changes = ["the traffic did not change in the window"]
        elif not changes:
            changes = [d.cloudtrail_note or "no network change in CloudTrail near that moment"]
        moment = f"traffic {d.change_kind} at {plain(d.changed_at)}" if d.changed_at else None
        step(6, "Changes", [line for line in [moment, *changes] if line])
    console.print(f"\n[bold]Verdict[/bold]: {escape(d.verdict)}")
    for fix in d.fix:
        console.print(f"[bold]Fix[/bold]: {escape(fix)}")
    for note in d.notes:
        console.print(f"[dim]Note: {escape(note)}[/dim]")
