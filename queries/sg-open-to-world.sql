{#- flowlake
title = "Security groups open to the world on admin or database ports"
description = """
Inbound security-group rules that let the whole internet (0.0.0.0/0 or ::/0) reach an
administrative port (SSH, RDP, Telnet, VNC, WinRM) or a database port (MySQL, PostgreSQL, SQL
Server, Oracle, Redis, MongoDB, Elasticsearch, Memcached, Cassandra), directly or through a
port range or an all-traffic rule. `interfaces` counts the network interfaces the group is on
(0: a group nobody uses yet). The fix revokes the rule; allow an administrator's own range or
use SSM Session Manager instead, as the seeds advise.
"""
columns = ["group_id", "group_name", "vpc_id", "rule", "open_ports", "interfaces", "fix"]
fields = []
tables = ["security_group_rules", "network_interface_groups"]
answers = [
    "seed: SSH blocked by SG/NACL - add inbound TCP 22 rule (and keep it narrow: SSM Session Manager bypasses SSH)",
    "AWS console named query: admin-port traffic, SSH/RDP traffic",
    "seed: 0.0.0.0/0 ... Restrict in prod",
]

[params.ports]
type = "enum"
choices = ["sensitive", "admin", "database", "ssh-rdp"]
default = "sensitive"
help = "which ports count: admin and database (sensitive), admin, database, or ssh-rdp"
-#}
WITH open_rules AS (
    SELECT r.*, p.port
    FROM security_group_rules AS r
    CROSS JOIN (VALUES {% for port in service_ports(ports.value).split(', ') %}({{ port }}){{ ', ' if not loop.last }}{% endfor %}) AS p(port)
    WHERE r.direction = 'ingress'
        AND (r.cidr_ipv4 = '0.0.0.0/0' OR r.cidr_ipv6 = '::/0')
        AND (r.protocol_number = -1
            OR (r.protocol_number IN (6, 17) AND p.port BETWEEN r.from_port AND r.to_port))
),
users AS (
    SELECT group_id, count(DISTINCT interface_id) AS interfaces
    FROM network_interface_groups
    GROUP BY group_id
)
SELECT
    o.group_id,
    o.group_name,
    o.vpc_id,
    CASE o.protocol_number WHEN -1 THEN 'all' WHEN 6 THEN 'tcp' ELSE 'udp' END
        || CASE WHEN o.from_port IS NULL THEN '' WHEN o.from_port = o.to_port THEN ' ' || CAST(o.from_port AS VARCHAR)
                ELSE ' ' || CAST(o.from_port AS VARCHAR) || '-' || CAST(o.to_port AS VARCHAR) END
        || ' from ' || coalesce(o.cidr_ipv4, o.cidr_ipv6) AS rule,
    array_join(array_sort(array_agg(o.port)), ', ') AS open_ports,
    coalesce(max(u.interfaces), 0) AS interfaces,
    'aws ec2 revoke-security-group-ingress --group-id ' || o.group_id || ' --ip-permissions IpProtocol=' || o.protocol
        || CASE WHEN o.from_port IS NULL THEN ''
                ELSE ',FromPort=' || CAST(o.from_port AS VARCHAR) || ',ToPort=' || CAST(o.to_port AS VARCHAR) END
        || CASE WHEN o.cidr_ipv4 IS NOT NULL THEN ',IpRanges=[{CidrIp=0.0.0.0/0}]'
                ELSE ',Ipv6Ranges=[{CidrIpv6=::/0}]' END AS fix
FROM open_rules AS o
LEFT JOIN users AS u ON u.group_id = o.group_id
GROUP BY o.group_id, o.group_name, o.vpc_id, o.protocol, o.protocol_number, o.from_port, o.to_port, o.cidr_ipv4, o.cidr_ipv6
ORDER BY o.group_id, rule
