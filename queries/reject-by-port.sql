{#- flowlake
title = "Rejected traffic by destination port"
description = """
Which destination ports are rejected, how often, from how many sources, and since when. A REJECT
means a security group or a network ACL dropped the traffic; this is the first look when
something cannot connect. NODATA and SKIPDATA records never count as traffic.
"""
columns = ["dstport", "protocol", "rejects", "packets", "bytes", "sources", "first_seen", "last_seen"]
fields = ["dstport", "protocol", "action", "srcaddr", "packets", "bytes", "start"]
chart = { kind = "bar", x = "dstport", y = "rejects" }
answers = [
    "seed: Key Diagnostic Patterns - REJECT on port 22: SSH blocked by SG/NACL, add inbound TCP 22",
    "seed: Linux forensics - gunzip the S3 logs and grep REJECT on port 22",
    "seed: Step 2 - look for entries with action=REJECT for those IPs/ports",
]
insights = '''
filter action = "REJECT"
| stats count(*) as rejects, sum(packets) as packets, sum(bytes) as bytes,
        count_distinct(srcAddr) as sources by dstPort, protocol
| sort rejects desc'''

[params.port]
type = "port"
help = "only this destination port"

[params.protocol]
type = "protocol"
help = "only this protocol: tcp, udp, icmp or a number"

[params.limit]
type = "int"
default = 20
help = "how many ports, most rejected first"
-#}
SELECT
    dstport,
    protocol,
    count(*) AS rejects,
    sum(packets) AS packets,
    sum(bytes) AS bytes,
    count(DISTINCT srcaddr) AS sources,
    min(start_time) AS first_seen,
    max(start_time) AS last_seen
FROM flow_logs
WHERE action = 'REJECT'
    AND {{ time_window() }}
{% if port is not none %}
    AND dstport = {{ port }}
{% endif %}
{% if protocol is not none %}
    AND protocol = {{ protocol }}
{% endif %}
GROUP BY dstport, protocol
ORDER BY rejects DESC, dstport, protocol
LIMIT {{ limit }}
