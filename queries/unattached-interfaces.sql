{#- flowlake
title = "Network interfaces attached to nothing"
description = """
Network interfaces whose status is `available`: attached to no instance, left behind by a
deleted instance, a failed deployment or a batch job. They keep their private addresses and
security groups (and any Elastic IP), and they break `delete-security-group` and subnet
clean-ups. `flows` counts their records in the window (an unattached interface has none, or
NODATA only). The fix deletes the interface once nothing needs it.
"""
columns = ["interface_id", "name", "vpc_id", "subnet_id", "private_ip", "public_ip", "security_group_ids", "description", "flows", "fix"]
fields = ["interface_id", "start"]
tables = ["network_interfaces"]
answers = [
    "seed: The 5-Minute Recovery Checklist - Diagnose: aws ec2 describe-network-interfaces --filters \"Name=status,Values=available\"",
]
-#}
WITH seen AS (
    SELECT interface_id, count(*) AS flows
    FROM flow_logs
    WHERE {{ time_window() }}
        AND interface_id IN (SELECT interface_id FROM network_interfaces WHERE status = 'available')
    GROUP BY interface_id
)
SELECT
    i.interface_id,
    i.name,
    i.vpc_id,
    i.subnet_id,
    i.private_ip,
    i.public_ip,
    i.security_group_ids,
    i.description,
    coalesce(s.flows, 0) AS flows,
    'aws ec2 delete-network-interface --network-interface-id ' || i.interface_id AS fix
FROM network_interfaces AS i
LEFT JOIN seen AS s ON s.interface_id = i.interface_id
WHERE i.status = 'available'
ORDER BY i.interface_id
