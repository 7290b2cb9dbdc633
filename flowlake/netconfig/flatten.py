"""describe-* documents -> rows of the config tables (sql/schema/config_tables.csv).

One row per thing a query joins on: a security-group rule per (group, direction, protocol,
port range, peer); a network-ACL entry per rule, with the `*` rule that ends every ACL; a
route per (table, destination); an address and a group per interface. Lists that are only
shown (an interface's groups, an ACL's subnets) are also kept as comma-separated text.
"""

import json
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from flowlake.netconfig.documents import Document, Item, items
from flowlake.netconfig.schema import column_names

Row = dict[str, Any]
Tables = dict[str, list[Row]]

PROTOCOL_NUMBERS = {"tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58, "all": -1}
DEFAULT_RULE = 32767  # the `*` rule: AWS lists it last in every ACL, per direction


def protocol_number(item: Item, key: str) -> tuple[str, int]:
    """(protocol as written, IANA number or -1 for all) from an IpProtocol / Protocol field."""
    written = item.required(key).lower()
    if written in PROTOCOL_NUMBERS:
        return written, PROTOCOL_NUMBERS[written]
    try:
        number = int(written)
    except ValueError:
        raise item.fail(f"{key} {written!r} is not a protocol name or number") from None
    if not -1 <= number <= 255:
        raise item.fail(f"{key} {number} is not a protocol number (0-255, or -1 for all)")
    return written, number


def cidr(item: Item, key: str, required: bool = False) -> str | None:
    """A CIDR field, checked (queries match addresses against it) and in canonical form."""
    import ipaddress

    written = item.required(key) if required else item.text(key)
    if written is None:
        return None
    try:
        return str(ipaddress.ip_network(written.strip(), strict=False))
    except ValueError:
        raise item.fail(f"{key} {written!r} is not a CIDR") from None


def _joined(values: Iterable[str | None]) -> str | None:
    kept = [v for v in values if v]
    return ",".join(kept) if kept else None


def _iso(value: Any) -> str | None:
    if isinstance(value, datetime):  # boto3 gives datetimes, the CLI prints ISO text
        return value.isoformat().replace("+00:00", "Z")
    return None if value is None else str(value)


# -- one function per describe-* output --------------------------------------------------------


def security_groups(item: Item, out: Tables) -> None:
    group_id = item.required("GroupId")
    name = item.text("GroupName")
    vpc = item.text("VpcId")
    counts = {"ingress": 0, "egress": 0}
    for direction, key in (("ingress", "IpPermissions"), ("egress", "IpPermissionsEgress")):
        for permission in item.children(key, required=True):
            written, number = protocol_number(permission, "IpProtocol")
            base = {
                "group_id": group_id,
                "group_name": name,
                "vpc_id": vpc,
                "direction": direction,
                "protocol": written,
                "protocol_number": number,
                "from_port": permission.integer("FromPort"),
                "to_port": permission.integer("ToPort"),
            }
            if number == -1:  # all traffic: AWS may still print -1 or 0..65535 ports
                base.update(from_port=None, to_port=None)
            peers: list[Row] = []
            for r in permission.children("IpRanges"):
                peers.append(
                    {"cidr_ipv4": cidr(r, "CidrIp", True), "description": r.text("Description")}
                )
            for r in permission.children("Ipv6Ranges"):
                peers.append(
                    {"cidr_ipv6": cidr(r, "CidrIpv6", True), "description": r.text("Description")}
                )
            for r in permission.children("PrefixListIds"):
                peers.append(
                    {
                        "prefix_list_id": r.required("PrefixListId"),
                        "description": r.text("Description"),
                    }
                )
            for r in permission.children("UserIdGroupPairs"):
                peers.append(
                    {
                        "referenced_group_id": r.required("GroupId"),
                        "referenced_owner_id": r.text("UserId"),
                        "description": r.text("Description"),
                    }
                )
            for peer in peers:
                out["security_group_rules"].append({**base, **peer})
            counts[direction] += len(peers)
    out["security_groups"].append(
        {
            "group_id": group_id,
            "group_name": name,
            "vpc_id": vpc,
            "owner_id": item.text("OwnerId"),
            "description": item.text("Description"),
            "ingress_rules": counts["ingress"],
            "egress_rules": counts["egress"],
            "name": item.name_tag(),
        }
    )


def network_acls(item: Item, out: Tables) -> None:
    acl = item.required("NetworkAclId")
    vpc = item.text("VpcId")
    is_default = bool(item.flag("IsDefault"))
    name = item.name_tag()
    subnets: list[str] = []
    for association in item.children("Associations"):
        subnet = association.text("SubnetId")
        if not subnet:
            continue
        subnets.append(subnet)
        out["network_acl_associations"].append(
            {
                "network_acl_id": acl,
                "vpc_id": vpc,
                "subnet_id": subnet,
                "association_id": association.text("NetworkAclAssociationId"),
                "is_default_acl": is_default,
            }
        )
    base = {
        "network_acl_id": acl,
        "vpc_id": vpc,
        "is_default_acl": is_default,
        "subnet_ids": _joined(subnets),
        "name": name,
    }
    entries: list[Row] = []
    for entry in item.children("Entries", required=True):
        written, number = protocol_number(entry, "Protocol")
        action = (entry.required("RuleAction")).lower()
        if action not in ("allow", "deny"):
            raise entry.fail(f"RuleAction {action!r} is not allow or deny")
        ports = entry.child("PortRange")
        icmp = entry.child("IcmpTypeCode")
        cidr4, cidr6 = cidr(entry, "CidrBlock"), cidr(entry, "Ipv6CidrBlock")
        if not cidr4 and not cidr6:
            raise entry.fail("has neither CidrBlock nor Ipv6CidrBlock")
        rule_number = entry.integer("RuleNumber", required=True)
        entries.append(
            {
                **base,
                "rule_number": rule_number,
                "egress": entry.flag("Egress", required=True),
                "protocol": written,
                "protocol_number": number,
                "rule_action": action,
                "cidr_ipv4": cidr4,
                "cidr_ipv6": cidr6,
                "port_from": ports.integer("From") if ports and number in (6, 17) else None,
                "port_to": ports.integer("To") if ports and number in (6, 17) else None,
                "icmp_type": icmp.integer("Type") if icmp and number in (1, 58) else None,
                "icmp_code": icmp.integer("Code") if icmp and number in (1, 58) else None,
                "is_default_rule": rule_number == DEFAULT_RULE,
            }
        )
    # AWS always lists the `*` rule; a hand-trimmed file may not: it is there all the same
    for egress in (False, True):
        if not any(e["egress"] == egress and e["is_default_rule"] for e in entries):
            entries.append(
                {
                    **base,
                    "rule_number": DEFAULT_RULE,
                    "egress": egress,
                    "protocol": "-1",
                    "protocol_number": -1,
                    "rule_action": "deny",
                    "cidr_ipv4": "0.0.0.0/0",
                    "cidr_ipv6": None,
                    "port_from": None,
                    "port_to": None,
                    "icmp_type": None,
                    "icmp_code": None,
                    "is_default_rule": True,
                }
            )
    out["network_acl_entries"] += sorted(entries, key=lambda e: (e["egress"], e["rule_number"]))


# Route target keys, most specific first (a route to an instance also names its interface).
_TARGETS = (
    ("NatGatewayId", "nat-gateway"),
    ("EgressOnlyInternetGatewayId", "egress-only-internet-gateway"),
    ("TransitGatewayId", "transit-gateway"),
    ("VpcPeeringConnectionId", "vpc-peering"),
    ("InstanceId", "instance"),
    ("NetworkInterfaceId", "network-interface"),
    ("LocalGatewayId", "local-gateway"),
    ("CarrierGatewayId", "carrier-gateway"),
    ("CoreNetworkArn", "core-network"),
)
_GATEWAY_PREFIXES = {
    "local": "local",
    "igw-": "internet-gateway",
    "vgw-": "virtual-private-gateway",
    "vpce-": "vpc-endpoint",
}


def _route_target(route: Item) -> tuple[str, str | None]:
    gateway = route.text("GatewayId")
    if gateway:
        for prefix, kind in _GATEWAY_PREFIXES.items():
            if gateway.startswith(prefix):
                return kind, gateway
    for key, kind in _TARGETS:
        if route.text(key):
            return kind, route.text(key)
    return ("unknown", gateway)


def route_tables(item: Item, out: Tables) -> None:
    table = item.required("RouteTableId")
    vpc = item.text("VpcId")
    is_main = False
    subnets: list[str] = []
    for association in item.children("Associations"):
        state = association.child("AssociationState")
        if state and state.text("State") not in (None, "associated"):
            continue
        main = bool(association.flag("Main"))
        is_main = is_main or main
        subnet = association.text("SubnetId")
        if subnet:
            subnets.append(subnet)
        out["route_table_associations"].append(
            {
                "route_table_id": table,
                "vpc_id": vpc,
                "subnet_id": subnet,
                "gateway_id": association.text("GatewayId"),
                "is_main": main,
                "association_id": association.text("RouteTableAssociationId"),
            }
        )
    for route in item.children("Routes", required=True):
        kind, target = _route_target(route)
        destination = (
            cidr(route, "DestinationCidrBlock"),
            cidr(route, "DestinationIpv6CidrBlock"),
            route.text("DestinationPrefixListId"),
        )
        if not any(destination):
            raise route.fail("has no DestinationCidrBlock, DestinationIpv6CidrBlock or prefix list")
        out["route_table_routes"].append(
            {
                "route_table_id": table,
                "vpc_id": vpc,
                "is_main": is_main,
                "subnet_ids": _joined(subnets),
                "destination_cidr": destination[0],
                "destination_ipv6_cidr": destination[1],
                "destination_prefix_list_id": destination[2],
                "target_type": kind,
                "target_id": target,
                "state": route.text("State") or "active",
                "origin": route.text("Origin"),
                "name": item.name_tag(),
            }
        )


def network_interfaces(item: Item, out: Tables) -> None:
    eni = item.required("NetworkInterfaceId")
    where = {"interface_id": eni, "vpc_id": item.text("VpcId"), "subnet_id": item.text("SubnetId")}
    primary = item.text("PrivateIpAddress")
    addresses: list[Row] = []
    private: list[str] = []
    public_primary = None
    association = item.child("Association")
    for entry in item.children("PrivateIpAddresses"):
        address = entry.required("PrivateIpAddress")
        is_primary = bool(entry.flag("Primary")) or address == primary
        private.append(address)
        addresses.append({"address": address, "kind": "private", "is_primary": is_primary})
        public = entry.child("Association")
        if public and public.text("PublicIp"):
            addresses.append(
                {"address": public.text("PublicIp"), "kind": "public", "is_primary": is_primary}
            )
            if is_primary:
                public_primary = public.text("PublicIp")
    if primary and primary not in private:  # a trimmed document: the primary address alone
        private.insert(0, primary)
        addresses.insert(0, {"address": primary, "kind": "private", "is_primary": True})
        if association and association.text("PublicIp"):
            public_primary = association.text("PublicIp")
            addresses.append({"address": public_primary, "kind": "public", "is_primary": True})
    ipv6 = [a.required("Ipv6Address") for a in item.children("Ipv6Addresses")]
    addresses += [{"address": a, "kind": "ipv6", "is_primary": False} for a in ipv6]
    out["network_interface_addresses"] += [{**where, **a} for a in addresses]
    groups = item.children("Groups")
    for group in groups:
        out["network_interface_groups"].append(
            {**where, "group_id": group.required("GroupId"), "group_name": group.text("GroupName")}
        )
    attachment = item.child("Attachment")
    out["network_interfaces"].append(
        {
            **where,
            "availability_zone": item.text("AvailabilityZone"),
            "interface_type": item.text("InterfaceType") or "interface",
            "status": item.text("Status"),
            "description": item.text("Description") or None,
            "instance_id": attachment.text("InstanceId") if attachment else None,
            "attachment_status": attachment.text("Status") if attachment else None,
            "private_ip": primary or (private[0] if private else None),
            "private_ips": _joined(private),
            "public_ip": public_primary,
            "ipv6_addresses": _joined(ipv6),
            "security_group_ids": _joined(g.text("GroupId") for g in groups),
            "requester_managed": item.flag("RequesterManaged"),
            "owner_id": item.text("OwnerId"),
            "name": item.name_tag("TagSet") or item.name_tag("Tags"),
        }
    )


def subnets(item: Item, out: Tables) -> None:
    out["subnets"].append(
        {
            "subnet_id": item.required("SubnetId"),
            "vpc_id": item.required("VpcId"),
            "cidr_block": cidr(item, "CidrBlock"),
            "ipv6_cidr_blocks": _joined(
                a.text("Ipv6CidrBlock") for a in item.children("Ipv6CidrBlockAssociationSet")
            ),
            "availability_zone": item.text("AvailabilityZone"),
            "availability_zone_id": item.text("AvailabilityZoneId"),
            "map_public_ip_on_launch": item.flag("MapPublicIpOnLaunch"),
            "state": item.text("State"),
            "name": item.name_tag(),
        }
    )


def vpcs(item: Item, out: Tables) -> None:
    primary = cidr(item, "CidrBlock")
    blocks = [cidr(a, "CidrBlock") for a in item.children("CidrBlockAssociationSet")]
    out["vpcs"].append(
        {
            "vpc_id": item.required("VpcId"),
            "cidr_block": primary,
            "cidr_blocks": _joined(blocks) or primary,
            "ipv6_cidr_blocks": _joined(
                a.text("Ipv6CidrBlock") for a in item.children("Ipv6CidrBlockAssociationSet")
            ),
            "is_default": item.flag("IsDefault"),
            "state": item.text("State"),
            "name": item.name_tag(),
        }
    )


def nat_gateways(item: Item, out: Tables) -> None:
    addresses = item.children("NatGatewayAddresses")
    primary = next(
        (a for a in addresses if a.flag("IsPrimary")), addresses[0] if addresses else None
    )
    out["nat_gateways"].append(
        {
            "nat_gateway_id": item.required("NatGatewayId"),
            "vpc_id": item.text("VpcId"),
            "subnet_id": item.text("SubnetId"),
            "state": item.text("State"),
            "connectivity_type": item.text("ConnectivityType") or "public",
            "interface_id": primary.text("NetworkInterfaceId") if primary else None,
            "interface_ids": _joined(
                dict.fromkeys(a.text("NetworkInterfaceId") or "" for a in addresses)
            ),
            "private_ips": _joined(a.text("PrivateIp") for a in addresses),
            "public_ips": _joined(a.text("PublicIp") for a in addresses),
            "create_time": _iso(item.data.get("CreateTime")),
            "name": item.name_tag(),
        }
    )


def internet_gateways(item: Item, out: Tables) -> None:
    base = {"internet_gateway_id": item.required("InternetGatewayId"), "name": item.name_tag()}
    attachments = item.children("Attachments")
    for attachment in attachments:
        out["internet_gateways"].append(
            {**base, "vpc_id": attachment.text("VpcId"), "state": attachment.text("State")}
        )
    if not attachments:
        out["internet_gateways"].append({**base, "vpc_id": None, "state": "detached"})


def vpc_peering_connections(item: Item, out: Tables) -> None:
    peering = item.required("VpcPeeringConnectionId")
    status = item.child("Status")
    row: Row = {
        "peering_connection_id": peering,
        "status": status.text("Code") if status else None,
        "name": item.name_tag(),
    }
    for side, key in (("requester", "RequesterVpcInfo"), ("accepter", "AccepterVpcInfo")):
        info = item.child(key)
        assert info is not None  # a KINDS key: checked by items()
        cidrs = list(
            dict.fromkeys(
                [cidr(c, "CidrBlock", True) for c in info.children("CidrBlockSet")]
                or ([cidr(info, "CidrBlock", True)] if info.has("CidrBlock") else [])
            )
        )
        row.update(
            {
                f"{side}_vpc_id": info.text("VpcId"),
                f"{side}_owner_id": info.text("OwnerId"),
                f"{side}_region": info.text("Region"),
                f"{side}_cidr_blocks": _joined(cidrs),
            }
        )
        for block in cidrs:
            out["vpc_peering_cidrs"].append(
                {
                    "peering_connection_id": peering,
                    "side": side,
                    "vpc_id": info.text("VpcId"),
                    "cidr_block": block,
                }
            )
    out["vpc_peering_connections"].append(row)


def _texts(item: Item, key: str) -> list[str]:
    value = item.data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise item.fail(f"{key} is not a list of strings")
    return value


def vpc_endpoints(item: Item, out: Tables) -> None:
    out["vpc_endpoints"].append(
        {
            "vpc_endpoint_id": item.required("VpcEndpointId"),
            "vpc_id": item.required("VpcId"),
            "service_name": item.required("ServiceName"),
            "endpoint_type": item.text("VpcEndpointType"),
            "state": item.text("State"),
            "route_table_ids": _joined(_texts(item, "RouteTableIds")),
            "subnet_ids": _joined(_texts(item, "SubnetIds")),
            "interface_ids": _joined(_texts(item, "NetworkInterfaceIds")),
            "security_group_ids": _joined(g.text("GroupId") for g in item.children("Groups")),
            "private_dns_enabled": item.flag("PrivateDnsEnabled"),
            "name": item.name_tag(),
        }
    )


def reservations(item: Item, out: Tables) -> None:
    for instance in item.children("Instances", required=True):
        state = instance.child("State")
        out["instances"].append(
            {
                "instance_id": instance.required("InstanceId"),
                "name": instance.name_tag(),
                "state": state.text("Name") if state else None,
                "instance_type": instance.text("InstanceType"),
                "vpc_id": instance.text("VpcId"),
                "subnet_id": instance.text("SubnetId"),
                "private_ip": instance.text("PrivateIpAddress"),
                "public_ip": instance.text("PublicIpAddress"),
                "interface_ids": _joined(
                    n.text("NetworkInterfaceId") for n in instance.children("NetworkInterfaces")
                ),
                "security_group_ids": _joined(
                    g.text("GroupId") for g in instance.children("SecurityGroups")
                ),
                "tags": json.dumps(instance.tags(), sort_keys=True)
                if instance.has("Tags")
                else None,
                "launch_time": _iso(instance.data.get("LaunchTime")),
            }
        )


FLATTENERS: dict[str, tuple[Callable[[Item, Tables], None], tuple[str, ...]]] = {
    "SecurityGroups": (security_groups, ("security_groups", "security_group_rules")),
    "NetworkAcls": (network_acls, ("network_acl_entries", "network_acl_associations")),
    "RouteTables": (route_tables, ("route_table_routes", "route_table_associations")),
    "NetworkInterfaces": (
        network_interfaces,
        ("network_interfaces", "network_interface_addresses", "network_interface_groups"),
    ),
    "Subnets": (subnets, ("subnets",)),
    "Vpcs": (vpcs, ("vpcs",)),
    "NatGateways": (nat_gateways, ("nat_gateways",)),
    "InternetGateways": (internet_gateways, ("internet_gateways",)),
    "VpcPeeringConnections": (
        vpc_peering_connections,
        ("vpc_peering_connections", "vpc_peering_cidrs"),
    ),
    "VpcEndpoints": (vpc_endpoints, ("vpc_endpoints",)),
    "Reservations": (reservations, ("instances",)),
}


def flatten(documents: Iterable[Document], account_id: str, region: str) -> Tables:
    """Rows for every table the documents describe (a kind given twice is merged).

    Each row carries the scope it was taken in (account_id, region) and every column of its
    table, None where the document says nothing.
    """
    out: Tables = {}
    for document in documents:
        function, tables = FLATTENERS[document.kind]
        for table in tables:
            out.setdefault(table, [])
        for item in items(document):
            function(item, out)
    for table, rows in out.items():
        names = column_names(table)
        scope = {"account_id": account_id, "region": region}
        out[table] = [{name: {**row, **scope}.get(name) for name in names} for row in rows]
    return out


def owner_ids(documents: Iterable[Document]) -> list[str]:
    """The accounts owning the described resources, most frequent first."""
    from collections import Counter

    seen: Counter[str] = Counter()
    for document in documents:
        for data in document.items:
            if isinstance(data, dict) and isinstance(data.get("OwnerId"), str):
                seen[data["OwnerId"]] += 1
    return [owner for owner, _ in seen.most_common()]


def regions(documents: Iterable[Document]) -> list[str]:
    """Regions the documents' Availability Zones name (us-east-1a -> us-east-1)."""
    found: set[str] = set()
    for document in documents:
        for data in document.items:
            for zone in _zones(data):
                if zone[-1:].isalpha() and zone[-2:-1].isdigit():
                    found.add(zone[:-1])
    return sorted(found)


def _zones(data: Any) -> Iterable[str]:
    if not isinstance(data, dict):
        return
    zone = data.get("AvailabilityZone")
    if isinstance(zone, str):
        yield zone
    placement = data.get("Placement")
    if isinstance(placement, dict) and isinstance(placement.get("AvailabilityZone"), str):
        yield placement["AvailabilityZone"]
    for instance in data.get("Instances") or []:
        yield from _zones(instance)
