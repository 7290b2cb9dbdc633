{#- flowlake
title = "Port scans"
description = """
Vertical scans (one source probing at least `ports` distinct ports of one destination) and
horizontal scans (one source probing at least `hosts` distinct destinations on one port), each
within `window` (1 hour by default), with how many probes were rejected and accepted: an
accepted probe is an open port. Windows are aligned on Unix time and hop by half a window, so a
scan no longer than half a window is never split between two; each scan is one row over all
its windows. Answers are left out: a flow whose reverse flow was seen on the same interface
counts only when it goes to the lower port (a server's replies to clients' ephemeral ports
are no scan).
"""
columns = ["kind", "srcaddr", "dstaddr", "dstport", "protocol", "distinct_ports", "distinct_hosts", "rejects", "accepts", "first_seen", "last_seen"]
fields = ["interface_id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol", "action", "start"]
answers = [
    "seed: Flow logs can be used for analytics on usage patterns, or malicious behaviour",
    "seed: Tools to automate analysis - correlate security events (GuardDuty: port probes and sweeps)",
    "public capture: internet scanner probes (89.248.165.46, 162.142.125.x)",
]
insights = '''
filter action = "REJECT"
| stats count_distinct(dstPort) as ports, count_distinct(dstAddr) as hosts by srcAddr, bin(1h)
| filter ports >= 20 or hosts >= 10
| sort ports desc'''

[params.ports]
type = "int"
default = 20
help = "vertical scan: at least this many distinct ports of one host"

[params.hosts]
type = "int"
default = 10
help = "horizontal scan: at least this many distinct hosts on one port"

[params.window]
type = "duration"
default = "1h"
help = "time window the probes must fall in: 10m, 1h ..."
-#}
{% set seconds = window.value %}
{% set half = [seconds // 2, 1] | max %}
WITH traffic AS (
    SELECT interface_id, srcaddr, dstaddr, srcport, dstport, protocol, action, start_time
    FROM flow_logs
    WHERE action IS NOT NULL
        AND {{ time_window() }}
),
conversations AS (
    SELECT DISTINCT interface_id, srcaddr, dstaddr, srcport, dstport, protocol
    FROM traffic
),
probes AS (
    SELECT
        t.srcaddr,
        t.dstaddr,
        t.dstport,
        t.protocol,
        t.action,
        t.start_time,
        {{ bin_epoch('t.start_time', seconds) }} AS window_a,
        {{ bin_epoch('t.start_time + INTERVAL \'' ~ half ~ '\' SECOND', seconds) }} AS window_b
    FROM traffic AS t
    LEFT JOIN conversations AS reverse_leg
        ON reverse_leg.interface_id = t.interface_id
        AND reverse_leg.srcaddr = t.dstaddr
        AND reverse_leg.dstaddr = t.srcaddr
        AND reverse_leg.srcport = t.dstport
        AND reverse_leg.dstport = t.srcport
        AND reverse_leg.protocol = t.protocol
    WHERE reverse_leg.interface_id IS NULL OR t.dstport <= t.srcport
),
{% for grid in ['a', 'b'] %}
vertical_{{ grid }} AS (
    SELECT srcaddr, dstaddr, protocol, window_{{ grid }}
    FROM probes
    GROUP BY srcaddr, dstaddr, protocol, window_{{ grid }}
    HAVING count(DISTINCT dstport) >= {{ ports }}
),
horizontal_{{ grid }} AS (
    SELECT srcaddr, dstport, protocol, window_{{ grid }}
    FROM probes
    GROUP BY srcaddr, dstport, protocol, window_{{ grid }}
    HAVING count(DISTINCT dstaddr) >= {{ hosts }}
),
{% endfor %}
vertical AS (
    SELECT
        'vertical' AS kind,
        p.srcaddr,
        p.dstaddr,
        CAST(NULL AS INTEGER) AS dstport,
        p.protocol,
        count(DISTINCT p.dstport) AS distinct_ports,
        1 AS distinct_hosts,
        count_if(p.action = 'REJECT') AS rejects,
        count_if(p.action = 'ACCEPT') AS accepts,
        min(p.start_time) AS first_seen,
        max(p.start_time) AS last_seen
    FROM probes AS p
    LEFT JOIN vertical_a AS a
        ON a.srcaddr = p.srcaddr AND a.dstaddr = p.dstaddr AND a.protocol = p.protocol
        AND a.window_a = p.window_a
    LEFT JOIN vertical_b AS b
        ON b.srcaddr = p.srcaddr AND b.dstaddr = p.dstaddr AND b.protocol = p.protocol
        AND b.window_b = p.window_b
    WHERE a.srcaddr IS NOT NULL OR b.srcaddr IS NOT NULL
    GROUP BY p.srcaddr, p.dstaddr, p.protocol
),
horizontal AS (
    SELECT
        'horizontal' AS kind,
        p.srcaddr,
        CAST(NULL AS VARCHAR) AS dstaddr,
        p.dstport,
        p.protocol,
        1 AS distinct_ports,
        count(DISTINCT p.dstaddr) AS distinct_hosts,
        count_if(p.action = 'REJECT') AS rejects,
        count_if(p.action = 'ACCEPT') AS accepts,
        min(p.start_time) AS first_seen,
        max(p.start_time) AS last_seen
    FROM probes AS p
    LEFT JOIN horizontal_a AS a
        ON a.srcaddr = p.srcaddr AND a.dstport = p.dstport AND a.protocol = p.protocol
        AND a.window_a = p.window_a
    LEFT JOIN horizontal_b AS b
        ON b.srcaddr = p.srcaddr AND b.dstport = p.dstport AND b.protocol = p.protocol
        AND b.window_b = p.window_b
    WHERE a.srcaddr IS NOT NULL OR b.srcaddr IS NOT NULL
    GROUP BY p.srcaddr, p.dstport, p.protocol
)
SELECT * FROM vertical
UNION ALL
SELECT * FROM horizontal
ORDER BY kind DESC, distinct_ports DESC, distinct_hosts DESC, srcaddr, dstaddr, dstport, protocol
