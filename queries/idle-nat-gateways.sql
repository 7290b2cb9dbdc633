{#- flowlake
title = "NAT gateways that carry nothing"
description = """
Available NAT gateways whose network interface carried at most `max_bytes` bytes in the window
(by default none at all): each one is billed by the hour whether it is used or not, the seeds'
"$3k/month from idle NAT gateways" left in unused Availability Zones. `routes` counts the
route-table routes that still point at the gateway (delete those first, or the subnets behind
them lose their way out). Only meaningful when the flow logs cover the gateway's VPC: a
gateway whose interface is not logged at all looks idle too.
"""
columns = ["nat_gateway_id", "name", "vpc_id", "subnet_id", "interface_id", "public_ips", "flows", "bytes", "last_seen", "routes", "fix"]
fields = ["interface_id", "bytes", "start"]
tables = ["nat_gateways", "route_table_routes"]
answers = [
    "seed: The 4 AM Bill Shock: $3k/month bill from idle NAT Gateways (leftovers in unused AZs)",
    "seed: aws ec2 describe-nat-gateways --filter \"Name=state,Values=available\" --query 'NatGateways[?subnetId==`null`].NatGatewayId'",
    "seed: Is my NAT Gateway working? (stats count(*) by bin(5m))",
]

[params.max_bytes]
type = "int"
default = 0
help = "a gateway with at most this many bytes in the window counts as idle"
-#}
WITH traffic AS (
    SELECT interface_id, count(*) AS flows, sum(bytes) AS bytes, max(start_time) AS last_seen
    FROM flow_logs
    WHERE {{ time_window() }}
        AND interface_id IN (SELECT interface_id FROM nat_gateways)
    GROUP BY interface_id
),
routes AS (
    SELECT target_id, count(*) AS routes
    FROM route_table_routes
    WHERE target_type = 'nat-gateway'
    GROUP BY target_id
)
SELECT
    n.nat_gateway_id,
    n.name,
    n.vpc_id,
    n.subnet_id,
    n.interface_id,
    n.public_ips,
    coalesce(t.flows, 0) AS flows,
    CAST(coalesce(t.bytes, 0) AS BIGINT) AS bytes,
    t.last_seen,
    coalesce(r.routes, 0) AS routes,
    'aws ec2 delete-nat-gateway --nat-gateway-id ' || n.nat_gateway_id AS fix
FROM nat_gateways AS n
LEFT JOIN traffic AS t ON t.interface_id = n.interface_id
LEFT JOIN routes AS r ON r.target_id = n.nat_gateway_id
WHERE n.state = 'available'
    AND coalesce(t.bytes, 0) <= {{ max_bytes }}
ORDER BY n.nat_gateway_id
