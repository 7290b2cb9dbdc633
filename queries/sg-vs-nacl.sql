{#- flowlake
title = "Security group or network ACL?"
description = """
The seeds' decision table, applied to every conversation: each request is paired with its
answer on the same network interface (addresses and ports swapped, same protocol, times
overlapping). A rejected request is blocked by a security group or a network ACL
(`sg-or-nacl`); an accepted request whose answer is rejected is a network ACL, since security
groups are stateful and let answers out (`nacl`). Direction is relative to the interface:
`inbound` when its own address is the server (its address: the one seen most on it; on a tie,
the one serving the lower port, then a private one). Which side is the client is found on
any format, v2 included (no flow-direction needed): the well-known port (below 1024) is the
server's; else a one-way conversation is a request; else the direction seen first asked; else
the lower port is the server's; else (ICMP, ports 0, same start) the request is the one
towards the interface. By default only problems are listed; show=all adds `ok` (both accepted),
`no-response` (accepted, no answer seen) and `response-only` (an answer whose request was
not seen).
"""
columns = ["interface_id", "direction", "client", "server", "server_port", "protocol", "request_action", "response_action", "likely_cause", "flows", "first_seen", "last_seen", "advice"]
fields = ["interface_id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol", "action", "start", "end"]
answers = [
    "seed: How to troubleshoot SG vs NACL issue? Inbound REJECT: NACL or SG; inbound ACCEPT, outbound REJECT: NACL; outbound REJECT: NACL or SG; outbound ACCEPT, inbound REJECT: NACL",
    "seed: Step 3 - determine direction: source is your instance (outbound), destination is your instance (inbound)",
    "seed: NACLs are stateless - the return traffic must be allowed explicitly",
    "AWS docs: inbound ping ACCEPT, response REJECTed by the network ACL (ICMP, ports 0)",
]
insights = '''
filter interfaceId = "eni-1235b8ca123456789"
| stats count(*) as flows, min(start) as first_seen by srcAddr, dstAddr, srcPort, dstPort, protocol, action
| sort first_seen'''

[params.interface_id]
type = "string"
help = "only this network interface (eni-...)"

[params.address]
type = "address"
help = "only conversations with this client or server: address, CIDR or prefix"

[params.port]
type = "port"
help = "only this server port (0 for ICMP)"

[params.show]
type = "enum"
choices = ["problems", "all"]
default = "problems"
help = "problems (sg-or-nacl, nacl) or all conversations"

[params.limit]
type = "int"
default = 100
help = "how many rows"
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
traffic AS (
    SELECT *
    FROM seen
    WHERE TRUE
{% if address is not none %}
        AND ({{ address_match('srcaddr', address) }} OR {{ address_match('dstaddr', address) }})
{% endif %}
{% if port is not none %}
        AND (srcport = {{ port }} OR dstport = {{ port }})
{% endif %}
),
directions AS (
    SELECT interface_id, srcaddr, dstaddr, srcport, dstport, protocol, min(start_time) AS first_start
    FROM traffic
    GROUP BY interface_id, srcaddr, dstaddr, srcport, dstport, protocol
),
roles AS (
    SELECT
        d.interface_id,
        d.srcaddr,
        d.dstaddr,
        d.srcport,
        d.dstport,
        d.protocol,
        CASE
            WHEN d.dstport < 1024 AND d.srcport >= 1024 THEN TRUE
            WHEN d.srcport < 1024 AND d.dstport >= 1024 THEN FALSE
            WHEN reverse_leg.first_start IS NULL THEN TRUE
            WHEN d.first_start <> reverse_leg.first_start THEN d.first_start < reverse_leg.first_start
            WHEN d.dstport <> d.srcport THEN d.dstport < d.srcport
            WHEN d.dstaddr = own.address THEN TRUE
            WHEN d.srcaddr = own.address THEN FALSE
            ELSE d.srcaddr < d.dstaddr
        END AS is_request,
        reverse_leg.first_start IS NOT NULL AS has_reverse,
        own.address AS interface_address
    FROM directions AS d
    LEFT JOIN directions AS reverse_leg
        ON reverse_leg.interface_id = d.interface_id
        AND reverse_leg.srcaddr = d.dstaddr
        AND reverse_leg.dstaddr = d.srcaddr
        AND reverse_leg.srcport = d.dstport
        AND reverse_leg.dstport = d.srcport
        AND reverse_leg.protocol = d.protocol
    LEFT JOIN interface_addresses AS own
        ON own.interface_id = d.interface_id AND own.place = 1
),
legs AS (
    SELECT t.*, r.is_request, r.has_reverse, r.interface_address
    FROM traffic AS t
    JOIN roles AS r
        ON r.interface_id = t.interface_id
        AND r.srcaddr = t.srcaddr
        AND r.dstaddr = t.dstaddr
        AND r.srcport = t.srcport
        AND r.dstport = t.dstport
        AND r.protocol = t.protocol
),
requests AS (
    SELECT row_number() OVER () AS request_id, legs.*
    FROM legs
    WHERE is_request
),
answered AS (
    SELECT
        q.interface_id,
        q.interface_address,
        q.srcaddr AS client,
        q.dstaddr AS server,
        q.dstport AS server_port,
        q.protocol,
        q.action AS request_action,
        CASE
            WHEN count_if(a.action = 'REJECT') > 0 THEN 'REJECT'
            WHEN count(a.action) > 0 THEN 'ACCEPT'
        END AS response_action,
        q.start_time
    FROM requests AS q
    LEFT JOIN legs AS a
        ON NOT a.is_request
        AND a.interface_id = q.interface_id
        AND a.srcaddr = q.dstaddr
        AND a.dstaddr = q.srcaddr
        AND a.srcport = q.dstport
        AND a.dstport = q.srcport
        AND a.protocol = q.protocol
        AND a.start_time <= q.end_time
        AND a.end_time >= q.start_time
    GROUP BY
        q.request_id, q.interface_id, q.interface_address, q.srcaddr, q.dstaddr, q.dstport,
        q.protocol, q.action, q.start_time
),
conversations AS (
    SELECT * FROM answered
    UNION ALL
    SELECT
        interface_id,
        interface_address,
        dstaddr AS client,
        srcaddr AS server,
        srcport AS server_port,
        protocol,
        CAST(NULL AS VARCHAR) AS request_action,
        action AS response_action,
        start_time
    FROM legs
    WHERE NOT is_request AND NOT has_reverse
),
classified AS (
    SELECT
        interface_id,
        CASE
            WHEN server = interface_address THEN 'inbound'
            WHEN client = interface_address THEN 'outbound'
            ELSE 'unknown'
        END AS direction,
        client,
        server,
        server_port,
        protocol,
        request_action,
        response_action,
        CASE
            WHEN request_action = 'REJECT' THEN 'sg-or-nacl'
            WHEN request_action = 'ACCEPT' AND response_action = 'REJECT' THEN 'nacl'
            WHEN request_action = 'ACCEPT' AND response_action = 'ACCEPT' THEN 'ok'
            WHEN request_action = 'ACCEPT' THEN 'no-response'
            ELSE 'response-only'
        END AS likely_cause,
        start_time
    FROM conversations
)
SELECT
    interface_id,
    direction,
    client,
    server,
    server_port,
    protocol,
    request_action,
    response_action,
    likely_cause,
    count(*) AS flows,
    min(start_time) AS first_seen,
    max(start_time) AS last_seen,
    CASE
        WHEN likely_cause = 'sg-or-nacl' AND direction = 'outbound'
            THEN 'outbound rule of the security group, or of the network ACL of this subnet'
        WHEN likely_cause = 'sg-or-nacl'
            THEN 'inbound rule of the security group, or of the network ACL of this subnet'
        WHEN likely_cause = 'nacl' AND direction = 'outbound'
            THEN 'network ACL inbound rule for the return traffic from the server (NACLs are stateless)'
        WHEN likely_cause = 'nacl'
            THEN 'network ACL outbound rule for the return traffic to the client (NACLs are stateless)'
        WHEN likely_cause = 'no-response'
            THEN 'accepted, no answer on this interface: is the service listening?'
        WHEN likely_cause = 'response-only'
            THEN 'an answer whose request is not in the window (or a late packet after close)'
    END AS advice
FROM classified
{% if show.value == 'problems' %}
WHERE likely_cause IN ('sg-or-nacl', 'nacl')
{% else %}
WHERE TRUE
{% endif %}
{% if port is not none %}
    AND server_port = {{ port }}
{% endif %}
{% if address is not none %}
    AND ({{ address_match('client', address) }} OR {{ address_match('server', address) }})
{% endif %}
GROUP BY
    interface_id, direction, client, server, server_port, protocol, request_action,
    response_action, likely_cause
ORDER BY
    CASE likely_cause WHEN 'nacl' THEN 1 WHEN 'sg-or-nacl' THEN 2 ELSE 3 END,
    flows DESC, interface_id, client, server, server_port, protocol, request_action, response_action
LIMIT {{ limit }}
