{#- flowlake
title = "Bytes by source and destination"
description = """
The source and destination pairs that moved the most bytes, with their packets, flow records and
the average, smallest and largest record in bytes: AWS's Logs Insights samples "top 10 byte
transfers", "average, min and max byte transfers by source and destination" and "top 15 byte
transfers for hosts on a given subnet" (with `src`), and the Athena integration's "total bytes
transferred" (with limit=50). A flow recorded by two monitored interfaces counts twice, as it
does in Logs Insights.
"""
columns = ["srcaddr", "dstaddr", "bytes", "packets", "flows", "avg_bytes", "min_bytes", "max_bytes", "first_seen", "last_seen"]
fields = ["srcaddr", "dstaddr", "packets", "bytes", "interface_id", "action", "start"]
answers = [
    "AWS Logs Insights sample: Top 10 byte transfers by source and destination IP addresses",
    "AWS Logs Insights sample: Average, min, and max byte transfers by source and destination IP addresses",
    "AWS Logs Insights sample: Find the top 15 byte transfers for hosts on a given subnet (src=192.0.2.0/24)",
    "AWS Athena integration: VpcFlowLogsTotalBytesTransferred (limit=50)",
]
insights = '''
stats sum(bytes) as bytesTransferred, avg(bytes), min(bytes), max(bytes) by srcAddr, dstAddr
| sort bytesTransferred desc
| limit 10'''

[params.interface_id]
type = "string"
help = "only records of this network interface (eni-...)"

[params.action]
type = "action"
help = "only ACCEPT or only REJECT records"

[params.src]
type = "address"
help = "only sources in this CIDR, address or prefix (hosts on a given subnet)"

[params.dst]
type = "address"
help = "only destinations in this CIDR, address or prefix"

[params.limit]
type = "int"
default = 10
help = "how many pairs, most bytes first"
-#}
SELECT
    srcaddr,
    dstaddr,
    sum(bytes) AS bytes,
    sum(packets) AS packets,
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
ORDER BY sum(bytes) DESC, sum(packets) DESC, srcaddr, dstaddr
LIMIT {{ limit }}
