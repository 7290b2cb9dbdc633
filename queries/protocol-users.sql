{#- flowlake
title = "Sources using a protocol"
description = """
The source addresses that send traffic of one protocol (UDP unless told otherwise), with their
flow records, packets, bytes and how many destinations they reach: AWS's Logs Insights sample
"IP addresses using UDP transfer protocol". With protocol=tcp it is the Athena integration's "top
TCP traffic" by source.
"""
columns = ["srcaddr", "protocol", "protocol_name", "flows", "packets", "bytes", "destinations", "first_seen", "last_seen"]
fields = ["srcaddr", "dstaddr", "protocol", "action", "packets", "bytes", "start"]
chart = { kind = "bar", x = "srcaddr", y = "flows" }
answers = [
    "AWS Logs Insights sample: IP addresses using UDP transfer protocol",
    "AWS Athena integration: VpcFlowLogsTopTCPTraffic (protocol=tcp)",
]
insights = '''
filter protocol = 17
| stats count(*) by srcAddr'''

[params.protocol]
type = "protocol"
default = 17
help = "the protocol: udp, tcp, icmp or a number"

[params.action]
type = "action"
help = "only ACCEPT or only REJECT records"

[params.src]
type = "address"
help = "only sources in this CIDR, address or prefix"

[params.limit]
type = "int"
default = 50
help = "how many sources, most flow records first"
-#}
SELECT
    srcaddr,
    protocol,
    {{ protocol_name('protocol') }} AS protocol_name,
    count(*) AS flows,
    sum(packets) AS packets,
    sum(bytes) AS bytes,
    count(DISTINCT dstaddr) AS destinations,
    min(start_time) AS first_seen,
    max(start_time) AS last_seen
FROM flow_logs
WHERE protocol = {{ protocol }}
    AND srcaddr IS NOT NULL
    AND {{ time_window() }}
{% if action is not none %}
    AND action = {{ action }}
{% endif %}
{% if src is not none %}
    AND {{ address_match('srcaddr', src) }}
{% endif %}
GROUP BY srcaddr, protocol
ORDER BY count(*) DESC, sum(bytes) DESC, srcaddr
LIMIT {{ limit }}
