{#- flowlake
title = "Packets by source and destination"
description = """
The source and destination pairs that exchanged the most packets, with their bytes, flow records
and the average, smallest and largest record in bytes: AWS's Logs Insights sample "top 15 packet
transfers across hosts". Narrow it to one network interface, an action, or sources and
destinations (CIDR, address or prefix). A flow recorded by two monitored interfaces (both ends in
your VPC) counts twice, as it does in Logs Insights.
"""
columns = ["srcaddr", "dstaddr", "packets", "bytes", "flows", "avg_bytes", "min_bytes", "max_bytes", "first_seen", "last_seen"]
fields = ["srcaddr", "dstaddr", "packets", "bytes", "interface_id", "action", "start"]
answers = [
    "AWS Logs Insights sample: Find the top 15 packet transfers across hosts",
    "seed: Examples of Log Query - stats sum(packets) as packetsTransferred by srcAddr, dstAddr | sort packetsTransferred desc | limit 15",
]
insights = '''
stats sum(packets) as packetsTransferred by srcAddr, dstAddr
| sort packetsTransferred desc
| limit 15'''

[params.interface_id]
type = "string"
help = "only records of this network interface (eni-...)"

[params.action]
type = "action"
help = "only ACCEPT or only REJECT records"

[params.src]
type = "address"
help = "only sources in this CIDR, address or prefix (10.0.1.)"

[params.dst]
type = "address"
help = "only destinations in this CIDR, address or prefix"

[params.limit]
type = "int"
default = 15
help = "how many pairs, most packets first"
-#}
SELECT
    srcaddr,
    dstaddr,
    sum(packets) AS packets,
    sum(bytes) AS bytes,
    count(*) AS flows,
    round(avg(bytes), 1) AS avg_bytes,
    min(bytes) AS min_bytes,
    max(bytes) AS max_bytes,
    min(start_time) AS first_seen,
    max(start_time) AS last_seen
FROM flow_logs
WHERE srcaddr IS NOT NULL
    AND {{ time_window() }}
{% if interface_id is not none %}
    AND interface_id = {{ interface_id }}
{% endif %}
{% if action is not none %}
    AND action = {{ action }}
{% endif %}
{% if src is not none %}
    AND {{ address_match('srcaddr', src) }}
{% endif %}
{% if dst is not none %}
    AND {{ address_match('dstaddr', dst) }}
{% endif %}
GROUP BY srcaddr, dstaddr
ORDER BY sum(packets) DESC, sum(bytes) DESC, srcaddr, dstaddr
LIMIT {{ limit }}
