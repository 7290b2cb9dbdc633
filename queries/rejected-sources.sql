{#- flowlake
title = "Top sources of rejected traffic"
description = """
The source addresses with the most REJECT records: how many, to how many destinations and ports,
the port they were rejected on most, and since when. AWS's Logs Insights sample "top 20 source IP
addresses with highest number of rejected requests". With `src` set to your VPC's CIDR it lists
the rejects from inside: a private address at the top is often the return leg of a connection a
network ACL drops.
"""
columns = ["srcaddr", "rejects", "packets", "bytes", "destinations", "ports", "top_dstport", "first_seen", "last_seen"]
fields = ["srcaddr", "dstaddr", "dstport", "action", "packets", "bytes", "start"]
chart = { kind = "bar", x = "srcaddr", y = "rejects" }
answers = [
    "AWS Logs Insights sample: Top 20 source IP addresses with highest number of rejected requests",
    "AWS Athena integration: VpcFlowLogsRejectedTraffic (by source)",
    "seed: Step 2 - look for entries with action=REJECT for those IPs",
]
insights = '''
filter action = "REJECT"
| stats count(*) as numRejections by srcAddr
| sort numRejections desc
| limit 20'''

[params.src]
type = "address"
help = "only sources in this CIDR, address or prefix (your VPC: rejects from inside)"

[params.dst]
type = "address"
help = "only rejects to destinations in this CIDR, address or prefix"

[params.port]
type = "port"
help = "only rejects on this destination port"

[params.limit]
type = "int"
default = 20
help = "how many sources, most rejected first"
-#}
WITH rejects AS (
    SELECT srcaddr, dstaddr, dstport, packets, bytes, start_time
    FROM flow_logs
    WHERE action = 'REJECT'
        AND {{ time_window() }}
{% if src is not none %}
        AND {{ address_match('srcaddr', src) }}
{% endif %}
{% if dst is not none %}
        AND {{ address_match('dstaddr', dst) }}
{% endif %}
{% if port is not none %}
        AND dstport = {{ port }}
{% endif %}
),
{# each source's most rejected port; ties go to the lower port so both engines agree #}
ports AS (
    SELECT srcaddr, dstport, row_number() OVER (
        PARTITION BY srcaddr ORDER BY count(*) DESC, dstport
    ) AS nth
    FROM rejects
    GROUP BY srcaddr, dstport
)
SELECT
    r.srcaddr,
    count(*) AS rejects,
    sum(r.packets) AS packets,
    sum(r.bytes) AS bytes,
    count(DISTINCT r.dstaddr) AS destinations,
    count(DISTINCT r.dstport) AS ports,
    min(p.dstport) AS top_dstport,
    min(r.start_time) AS first_seen,
    max(r.start_time) AS last_seen
FROM rejects AS r
JOIN ports AS p ON p.srcaddr = r.srcaddr AND p.nth = 1
GROUP BY r.srcaddr
ORDER BY count(*) DESC, r.srcaddr
LIMIT {{ limit }}
