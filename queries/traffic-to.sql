{#- flowlake
title = "Who is talking to this address?"
description = """
The sources of traffic to an address or network (an IP, a CIDR or a prefix such as 10.0.2.),
optionally on one destination port, with their flows, packets, bytes, how many were accepted
and rejected, and when they were first and last seen; most bytes first. The seeds' "who is
talking to this suspicious IP?".
"""
columns = ["srcaddr", "flows", "packets", "bytes", "accepts", "rejects", "first_seen", "last_seen"]
fields = ["srcaddr", "dstaddr", "dstport", "action", "packets", "bytes", "start"]
chart = { kind = "bar", x = "srcaddr", y = "bytes" }
answers = [
    "seed: Who's talking to this suspicious IP? - filter dstAddr = \"54.239.25.200\" | stats sum(bytes) as totalBytes by srcAddr | sort totalBytes desc",
    "seed: list of IP addresses trying to connect to specific IP or CIDR",
    "AWS Athena integration: traffic to a destination address",
]
insights = '''
fields @timestamp, srcAddr, dstAddr, bytes
| filter dstAddr = "54.239.25.200"
| stats sum(bytes) as totalBytes by srcAddr
| sort totalBytes desc'''

[params.target]
type = "address"
required = true
example = "10.0.3.10"
help = "destination address, CIDR or prefix (10.0.2.)"

[params.port]
type = "port"
help = "only this destination port"

[params.limit]
type = "int"
default = 50
help = "how many sources, most bytes first"
-#}
SELECT
    srcaddr,
    count(*) AS flows,
    sum(packets) AS packets,
    sum(bytes) AS bytes,
    count_if(action = 'ACCEPT') AS accepts,
    count_if(action = 'REJECT') AS rejects,
    min(start_time) AS first_seen,
    max(start_time) AS last_seen
FROM flow_logs
WHERE action IS NOT NULL
    AND {{ time_window() }}
    AND {{ address_match('dstaddr', target) }}
{% if port is not none %}
    AND dstport = {{ port }}
{% endif %}
GROUP BY srcaddr
ORDER BY bytes DESC, srcaddr
LIMIT {{ limit }}
