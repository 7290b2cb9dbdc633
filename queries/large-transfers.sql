{#- flowlake
title = "Large transfers"
description = """
The flow records that moved the most bytes within one aggregation interval, largest first, with
their rate; with `min_bytes` only those at or above a threshold (100000000 for 100 MB): bulk
copies, backups, or data leaving that should not. A record covers at most 10 minutes (1 minute
on Nitro instances), so a long transfer appears as several records; bytes-by-pair sums them.
"""
columns = ["start_time", "end_time", "interface_id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol", "action", "packets", "bytes", "bytes_per_second"]
fields = ["interface_id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol", "action", "packets", "bytes", "start", "end"]
answers = [
    "Tailpipe detections: large data transfers",
    "seed: The $15,000 NAT Surprise - find what moves the bytes",
]
insights = '''
fields @timestamp, interfaceId, srcAddr, dstAddr, srcPort, dstPort, protocol, action, packets, bytes,
       bytes / (end - start + 1) as bytesPerSecond
| filter bytes >= 100000000
| sort bytes desc
| limit 50'''

[params.min_bytes]
type = "int"
help = "only records of at least this many bytes (unset: the largest, whatever their size)"

[params.src]
type = "address"
help = "only sources in this CIDR, address or prefix"

[params.dst]
type = "address"
help = "only destinations in this CIDR, address or prefix"

[params.action]
type = "action"
help = "only ACCEPT or only REJECT records"

[params.limit]
type = "int"
default = 50
help = "how many records, largest first"
-#}
SELECT
    start_time,
    end_time,
    interface_id,
    srcaddr,
    dstaddr,
    srcport,
    dstport,
    protocol,
    action,
    packets,
    bytes,
    {# a record whose first and last packet share a second still took that second #}
    round(bytes / greatest(to_unixtime(end_time) - to_unixtime(start_time), 1.0), 1) AS bytes_per_second
FROM flow_logs
WHERE bytes IS NOT NULL
    AND {{ time_window() }}
{% if min_bytes is not none %}
    AND bytes >= {{ min_bytes }}
{% endif %}
{% if src is not none %}
    AND {{ address_match('srcaddr', src) }}
{% endif %}
{% if dst is not none %}
    AND {{ address_match('dstaddr', dst) }}
{% endif %}
{% if action is not none %}
    AND action = {{ action }}
{% endif %}
ORDER BY bytes DESC, start_time, interface_id, srcaddr, dstaddr, srcport, dstport
LIMIT {{ limit }}
