{#- flowlake
title = "Traffic per network interface"
description = """
One line per network interface: its own address, flow records accepted and rejected, packets and
bytes, how many distinct peers it exchanged traffic with, and the first and last flow seen. The
first look at "which interface is busy, which one is being refused". The interface's own address
is the one seen most often in its records (a private one on a tie); peers are the addresses on the
other end of those records. NODATA and SKIPDATA records are left out (see log-health).
"""
columns = ["interface_id", "address", "flows", "accepts", "rejects", "packets", "bytes", "peers", "first_seen", "last_seen"]
fields = ["interface_id", "srcaddr", "dstaddr", "action", "packets", "bytes", "start"]
chart = { kind = "bar", x = "interface_id", y = "bytes" }
answers = [
    "seed: Listening to the traffic at the Network Interface level - isolate the instance's interface",
    "AWS Contributor Insights: rejected TCP connections by interfaceID",
]
insights = '''
stats count(*) as flows, sum(packets) as packets, sum(bytes) as bytes,
      count_distinct(srcAddr) as sources, min(start) as first_seen, max(start) as last_seen
      by interfaceId, action
| sort bytes desc'''

[params.interface_id]
type = "string"
help = "only this network interface (eni-...)"

[params.action]
type = "action"
help = "only ACCEPT or only REJECT records"

[params.limit]
type = "int"
default = 50
help = "how many interfaces, most bytes first"
-#}
WITH traffic AS (
    SELECT interface_id, srcaddr, dstaddr, action, packets, bytes, start_time
    FROM flow_logs
    {# NODATA and SKIPDATA records have no action #}
    WHERE action IS NOT NULL
        AND {{ time_window() }}
{% if interface_id is not none %}
        AND interface_id = {{ interface_id }}
{% endif %}
{% if action is not none %}
        AND action = {{ action }}
{% endif %}
),
seen AS (
    SELECT interface_id, address, count(*) AS records
    FROM (
        SELECT interface_id, srcaddr AS address FROM traffic
        UNION ALL
        SELECT interface_id, dstaddr AS address FROM traffic
    ) AS ends
    GROUP BY interface_id, address
),
{# the address in most of an interface's records is its own; a tie (one peer only) goes to
   the private address, then the lower one, so both engines pick the same #}
own AS (
    SELECT interface_id, address
    FROM (
        SELECT
            interface_id,
            address,
            row_number() OVER (
                PARTITION BY interface_id
                ORDER BY records DESC, CASE WHEN {{ is_private('address') }} THEN 0 ELSE 1 END, address
            ) AS nth
        FROM seen
    ) AS ranked
    WHERE nth = 1
)
SELECT
    t.interface_id,
    o.address,
    count(*) AS flows,
    count_if(t.action = 'ACCEPT') AS accepts,
    count_if(t.action = 'REJECT') AS rejects,
    sum(t.packets) AS packets,
    sum(t.bytes) AS bytes,
    count(DISTINCT CASE WHEN t.srcaddr = o.address THEN t.dstaddr ELSE t.srcaddr END) AS peers,
    min(t.start_time) AS first_seen,
    max(t.start_time) AS last_seen
FROM traffic AS t
JOIN own AS o ON o.interface_id = t.interface_id
GROUP BY t.interface_id, o.address
ORDER BY sum(t.bytes) DESC, t.interface_id
LIMIT {{ limit }}
