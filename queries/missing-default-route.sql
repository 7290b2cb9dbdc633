{#- flowlake
title = "Subnets with no route for the public addresses their hosts reach"
description = """
Subnets whose route table (its own, or the VPC's main table) has no active route covering
public addresses the subnet's interfaces sent traffic to in the window: no 0.0.0.0/0 (or ::/0)
to an internet or NAT gateway, a route that was deleted, or one left `blackhole` by a deleted
gateway. Flow logs then go quiet rather than show REJECT (packets never leave the interface),
which is why the seeds say "no logs: check route tables". A destination covered by any active
route (local, peering, transit gateway, a prefix list of a gateway endpoint is not
expanded) counts as routed. The fix adds the default route through an available NAT gateway
of the VPC (the same Availability Zone first), else its internet gateway.
"""
columns = ["subnet_id", "vpc_id", "route_table_id", "destinations", "example_destination", "flows", "last_seen", "fix"]
fields = ["interface_id", "srcaddr", "dstaddr", "start"]
tables = ["subnets", "route_table_routes", "route_table_associations", "network_interfaces", "network_interface_addresses", "nat_gateways", "internet_gateways"]
answers = [
    "seed: Step 6 - route tables can silently drop packets: private subnet trying to reach a public IP without NAT",
    "seed: Troubleshooting a broken NAT gateway: if no logs, check route tables (no path to the NAT gateway); fix: add 0.0.0.0/0 -> nat-gateway-id",
    "seed: Deleting 0.0.0.0/0 -> igw-123 makes public subnets unreachable",
    "seed: the public subnet lacked a route to the Internet Gateway; aws ec2 create-route restored HTTP access",
]
-#}
WITH tables_of AS (
    -- each subnet's route table: its own association, else the VPC's main table
    SELECT
        s.subnet_id,
        s.vpc_id,
        s.availability_zone,
        coalesce(
            (SELECT min(a.route_table_id) FROM route_table_associations AS a WHERE a.subnet_id = s.subnet_id),
            (SELECT min(m.route_table_id) FROM route_table_associations AS m WHERE m.vpc_id = s.vpc_id AND m.is_main)
        ) AS route_table_id
    FROM subnets AS s
),
outbound AS (
    -- public destinations each interface sent to (its own address as the source)
    SELECT f.interface_id, f.dstaddr, count(*) AS flows, max(f.start_time) AS last_seen
    FROM flow_logs AS f
    WHERE {{ time_window() }}
        AND f.dstaddr IS NOT NULL
        AND NOT {{ is_private('f.dstaddr') }}
        AND EXISTS (
            SELECT 1 FROM network_interface_addresses AS a
            WHERE a.interface_id = f.interface_id AND a.address = f.srcaddr
        )
    GROUP BY f.interface_id, f.dstaddr
),
unrouted AS (
    SELECT t.subnet_id, t.vpc_id, t.availability_zone, t.route_table_id, o.dstaddr, o.flows, o.last_seen
    FROM outbound AS o
    JOIN network_interfaces AS i ON i.interface_id = o.interface_id
    JOIN tables_of AS t ON t.subnet_id = i.subnet_id
    WHERE NOT EXISTS (
        SELECT 1 FROM route_table_routes AS r
        WHERE r.route_table_id = t.route_table_id AND r.state = 'active'
            AND ({{ cidr_contains('r.destination_cidr', 'o.dstaddr') }} OR {{ cidr_contains('r.destination_ipv6_cidr', 'o.dstaddr') }})
    )
),
ways_out AS (
    SELECT n.vpc_id, n.nat_gateway_id AS target, s.availability_zone, 'nat' AS kind
    FROM nat_gateways AS n
    LEFT JOIN subnets AS s ON s.subnet_id = n.subnet_id
    WHERE n.state = 'available'
    UNION ALL
    SELECT vpc_id, internet_gateway_id, NULL, 'igw'
    FROM internet_gateways
    WHERE vpc_id IS NOT NULL AND state = 'available'
),
summary AS (
    SELECT
        subnet_id, vpc_id, availability_zone, route_table_id,
        count(DISTINCT dstaddr) AS destinations,
        min(dstaddr) AS example_destination,
        sum(flows) AS flows,
        max(last_seen) AS last_seen,
        max(CASE WHEN strpos(dstaddr, ':') > 0 THEN 1 ELSE 0 END) AS ipv6
    FROM unrouted
    GROUP BY subnet_id, vpc_id, availability_zone, route_table_id
),
chosen AS (
    SELECT
        s.*,
        w.target,
        w.kind,
        row_number() OVER (
            PARTITION BY s.subnet_id
            ORDER BY CASE WHEN w.kind = 'nat' AND w.availability_zone = s.availability_zone THEN 0
                          WHEN w.kind = 'nat' THEN 1 ELSE 2 END, w.target
        ) AS position
    FROM summary AS s
    LEFT JOIN ways_out AS w ON w.vpc_id = s.vpc_id AND (s.ipv6 = 0 OR w.kind = 'igw')
)
SELECT
    subnet_id,
    vpc_id,
    route_table_id,
    destinations,
    example_destination,
    CAST(flows AS BIGINT) AS flows,
    last_seen,
    CASE
        WHEN route_table_id IS NULL THEN 'no route table for ' || subnet_id || ' in the config snapshot'
        WHEN target IS NULL THEN 'no NAT or internet gateway in ' || vpc_id || ': create one, then a default route to it'
        ELSE 'aws ec2 create-route --route-table-id ' || route_table_id
            || CASE WHEN ipv6 = 1 THEN ' --destination-ipv6-cidr-block ::/0' ELSE ' --destination-cidr-block 0.0.0.0/0' END
            || CASE WHEN kind = 'nat' THEN ' --nat-gateway-id ' ELSE ' --gateway-id ' END || target
    END AS fix
FROM chosen
WHERE position = 1
ORDER BY subnet_id
