{#- flowlake
title = "Network ACL blocking ephemeral ports"
description = """
Accepted requests whose answers are rejected on their way back to the client's ephemeral port:
a network ACL without a rule for return traffic (NACLs are stateless; security groups are not,
so a security group never does this). One row per server and service port, with the clients
seen (their smallest covering /32, /24, /16 or /8, and the port range they used), how many
requests were accepted and answers rejected, and the network ACL entry to add, as the seeds
show it: rule number, direction, protocol, ports 1024-65535, CIDR, ALLOW, with the AWS CLI
command. The direction is egress (on the server's subnet) when the interface is the server's,
ingress (on the client's subnet, from the server) when it is the client's (an interface's
address: the one seen most on it; on a tie, the one serving the lower port, then a private
one). In the command,
ACL_ID is the network ACL of that subnet (aws ec2 describe-network-acls --filters
Name=association.subnet-id,Values=SUBNET). Only TCP and UDP; answers go from the lower port
to a port of 1024 or more, times overlapping the accepted request on the same interface.
"""
columns = ["interface_id", "server", "server_port", "protocol", "client_cidr", "clients", "client_ports", "requests_accepted", "answers_rejected", "first_seen", "last_seen", "rule_number", "rule_direction", "rule_protocol", "rule_ports", "rule_cidr", "rule_action", "aws_cli"]
fields = ["interface_id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol", "action", "start", "end"]
answers = [
    "seed: Key Diagnostic Patterns - NACL missing outbound 1024-65535: allow the ephemeral port range",
    "seed: Timeouts - return port range (1024-65535) blocked; multi-tier app breaks: inbound ephemeral ports not open",
    "seed: Sample fix - inbound rule to allow return TCP traffic: rule 100, Custom TCP, 6, 1024-65535, 10.0.0.0/16, ALLOW",
    "seed: War story - NACL rule denied ephemeral ports (32768-60999), breaking database replies",
]
insights = '''
filter action = "REJECT" and dstPort >= 1024 and srcPort < dstPort
| stats count(*) as answers_rejected, min(dstPort) as low, max(dstPort) as high
    by interfaceId, srcAddr, srcPort, protocol'''

[params.interface_id]
type = "string"
help = "only this network interface (eni-...)"

[params.port]
type = "port"
help = "only this service port"

[params.rule_number]
type = "int"
default = 100
help = "rule number to suggest: a free one below the DENY rule that matches"
-#}
WITH seen AS (
    SELECT interface_id, srcaddr, dstaddr, srcport, dstport, protocol, action, start_time, end_time
    FROM flow_logs
    WHERE action IS NOT NULL
        AND {{ time_window() }}
{% if interface_id is not none %}
        AND interface_id = {{ interface_id }}
{% endif %}
),
interface_addresses AS (
    SELECT
        interface_id,
        address,
        row_number() OVER (
            PARTITION BY interface_id
            ORDER BY count(*) DESC, count_if(serves) DESC, {{ is_private('address') }} DESC, address
        ) AS place
    FROM (
        SELECT interface_id, srcaddr AS address, srcport < dstport AS serves FROM seen
        UNION ALL
        SELECT interface_id, dstaddr AS address, dstport < srcport AS serves FROM seen
    ) AS ends
    GROUP BY interface_id, address
),
rejected_answers AS (
    SELECT DISTINCT
        a.interface_id,
        a.srcaddr AS server,
        a.srcport AS server_port,
        a.protocol,
        a.dstaddr AS client,
        a.dstport AS client_port,
        a.start_time,
        a.end_time
    FROM seen AS a
    JOIN seen AS q
        ON q.interface_id = a.interface_id
        AND q.srcaddr = a.dstaddr
        AND q.dstaddr = a.srcaddr
        AND q.srcport = a.dstport
        AND q.dstport = a.srcport
        AND q.protocol = a.protocol
        AND q.action = 'ACCEPT'
        AND q.start_time <= a.end_time
        AND q.end_time >= a.start_time
    WHERE a.action = 'REJECT'
        AND a.protocol IN (6, 17)
        AND a.dstport >= 1024
        AND a.srcport < a.dstport
{% if port is not none %}
        AND a.srcport = {{ port }}
{% endif %}
),
accepted_requests AS (
    SELECT interface_id, dstaddr AS server, dstport AS server_port, protocol, count(*) AS requests
    FROM seen
    WHERE action = 'ACCEPT' AND dstport < srcport
    GROUP BY interface_id, dstaddr, dstport, protocol
),
blocks AS (
    SELECT
        b.interface_id,
        b.server,
        b.server_port,
        b.protocol,
        b.server = max(own.address) AS on_server_side,
        count(DISTINCT b.client) AS clients,
        min(b.client) AS first_client,
        min(split_part(b.client, '.', 1) || '.' || split_part(b.client, '.', 2) || '.' || split_part(b.client, '.', 3)) AS low24,
        max(split_part(b.client, '.', 1) || '.' || split_part(b.client, '.', 2) || '.' || split_part(b.client, '.', 3)) AS high24,
        min(split_part(b.client, '.', 1) || '.' || split_part(b.client, '.', 2)) AS low16,
        max(split_part(b.client, '.', 1) || '.' || split_part(b.client, '.', 2)) AS high16,
        min(split_part(b.client, '.', 1)) AS low8,
        max(split_part(b.client, '.', 1)) AS high8,
        min(b.client_port) AS low_port,
        max(b.client_port) AS high_port,
        count(*) AS answers_rejected,
        min(b.start_time) AS first_seen,
        max(b.start_time) AS last_seen
    FROM rejected_answers AS b
    LEFT JOIN interface_addresses AS own
        ON own.interface_id = b.interface_id AND own.place = 1
    GROUP BY b.interface_id, b.server, b.server_port, b.protocol
),
entries AS (
    SELECT
        blocks.*,
        CASE
            WHEN clients = 1 AND first_client LIKE '%:%' THEN first_client || '/128'
            WHEN clients = 1 THEN first_client || '/32'
            WHEN first_client LIKE '%:%' THEN '::/0'
            WHEN low24 = high24 THEN low24 || '.0/24'
            WHEN low16 = high16 THEN low16 || '.0.0/16'
            WHEN low8 = high8 THEN low8 || '.0.0.0/8'
            ELSE '0.0.0.0/0'
        END AS client_cidr,
        CASE WHEN on_server_side THEN 'egress' ELSE 'ingress' END AS rule_direction
    FROM blocks
),
rules AS (
    SELECT
        entries.*,
        CASE
            WHEN rule_direction = 'egress' THEN client_cidr
            WHEN server LIKE '%:%' THEN server || '/128'
            ELSE server || '/32'
        END AS rule_cidr
    FROM entries
)
SELECT
    rules.interface_id,
    rules.server,
    rules.server_port,
    rules.protocol,
    rules.client_cidr,
    rules.clients,
    CAST(rules.low_port AS VARCHAR) || '-' || CAST(rules.high_port AS VARCHAR) AS client_ports,
    coalesce(accepted_requests.requests, 0) AS requests_accepted,
    rules.answers_rejected,
    rules.first_seen,
    rules.last_seen,
    {{ rule_number }} AS rule_number,
    rules.rule_direction,
    rules.protocol AS rule_protocol,
    '1024-65535' AS rule_ports,
    rules.rule_cidr,
    'ALLOW' AS rule_action,
    'aws ec2 create-network-acl-entry --network-acl-id ACL_ID --' || rules.rule_direction
        || ' --rule-number {{ rule_number.value }} --protocol ' || CAST(rules.protocol AS VARCHAR)
        || ' --port-range From=1024,To=65535 --'
        || CASE WHEN rules.rule_cidr LIKE '%:%' THEN 'ipv6-cidr-block ' ELSE 'cidr-block ' END
        || rules.rule_cidr || ' --rule-action allow' AS aws_cli
FROM rules
LEFT JOIN accepted_requests
    ON accepted_requests.interface_id = rules.interface_id
    AND accepted_requests.server = rules.server
    AND accepted_requests.server_port = rules.server_port
    AND accepted_requests.protocol = rules.protocol
ORDER BY rules.answers_rejected DESC, rules.interface_id, rules.server, rules.server_port, rules.protocol
