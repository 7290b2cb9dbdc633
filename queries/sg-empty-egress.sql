{#- flowlake
title = "Security groups with no outbound rule (the deny-all egress trap)"
description = """
Security groups without a single egress rule: in Terraform `egress = []` removes AWS's default
allow-all, and every instance left with only such groups can send nothing it starts (no SSM,
no patching, no API calls; answers to inbound traffic still pass, groups being stateful).
`interfaces` counts the interfaces the group is on; `trapped_interfaces` those whose groups
all lack egress rules, which are cut off for real. The fix restores the allow-all rule; narrow
it to what the hosts need.
"""
columns = ["group_id", "group_name", "vpc_id", "interfaces", "trapped_interfaces", "trapped", "fix"]
fields = []
tables = ["security_groups", "network_interface_groups"]
answers = [
    "seed: The \"Deny All\" Egress Trap: egress = [] in Terraform (defaults to deny all): instances lose SSM, patch management, and API connectivity",
    "seed: Outbound to Internet blocked: verify egress SG rule (0.0.0.0/0, TCP 443/80)",
]
-#}
WITH members AS (
    SELECT DISTINCT g.interface_id, g.group_id, coalesce(s.egress_rules, 0) AS egress_rules
    FROM network_interface_groups AS g
    LEFT JOIN security_groups AS s ON s.group_id = g.group_id
),
trapped AS (
    SELECT interface_id
    FROM members
    GROUP BY interface_id
    HAVING max(egress_rules) = 0
)
SELECT
    s.group_id,
    s.group_name,
    s.vpc_id,
    count(DISTINCT m.interface_id) AS interfaces,
    count(DISTINCT t.interface_id) AS trapped_interfaces,
    array_join(array_sort(array_agg(DISTINCT t.interface_id)), ', ') AS trapped,
    'aws ec2 authorize-security-group-egress --group-id ' || s.group_id
        || ' --ip-permissions IpProtocol=-1,IpRanges=[{CidrIp=0.0.0.0/0}]' AS fix
FROM security_groups AS s
LEFT JOIN members AS m ON m.group_id = s.group_id
LEFT JOIN trapped AS t ON t.interface_id = m.interface_id
WHERE s.egress_rules = 0
GROUP BY s.group_id, s.group_name, s.vpc_id
ORDER BY trapped_interfaces DESC, s.group_id
