{#- flowlake
title = "Top talkers"
description = """
The sources, destinations, address pairs or network interfaces that move the most bytes (or
packets, or flows), optionally only on one destination port or with one action: who uses the
bandwidth, who sends the most rejected packets. NODATA and SKIPDATA records never count.
"""
columns = ["srcaddr", "bytes", "packets", "flows"]
fields = ["srcaddr", "dstaddr", "interface_id", "dstport", "action", "packets", "bytes", "start"]
chart = { kind = "bar", x = ["srcaddr", "dstaddr", "interface_id"], y = "bytes" }
answers = [
    "seed: Basic Traffic Analysis - filter dstPort = 443 | stats sum(bytes) as totalTraffic by srcAddr | sort totalTraffic desc",
    "seed: Visualization - bar chart of top talkers (stats count(*) by srcAddr)",
    "seed: stats sum(packets) as packetsTransferred by srcAddr, dstAddr | sort packetsTransferred desc | limit 15",
    "AWS Athena integration: top talkers (bytes and packets)",
]
insights = '''
filter dstPort = 443
| stats sum(bytes) as bytes, sum(packets) as packets, count(*) as flows by srcAddr
| sort bytes desc
| limit 10'''

[params.port]
type = "port"
help = "only this destination port"

[params.action]
type = "action"
help = "only ACCEPT or only REJECT"

[params.by]
type = "enum"
choices = ["srcaddr", "dstaddr", "pair", "interface_id"]
default = "srcaddr"
help = "rank sources, destinations, source-destination pairs or network interfaces"

[params.metric]
type = "enum"
choices = ["bytes", "packets", "flows"]
default = "bytes"
help = "what to rank by"

[params.limit]
type = "int"
default = 10
help = "how many talkers"
-#}
{% set keys = ['srcaddr', 'dstaddr'] if by.value == 'pair' else [by.value] %}
SELECT
{% for key in keys %}
    {{ key }},
{% endfor %}
    sum(bytes) AS bytes,
    sum(packets) AS packets,
    count(*) AS flows
FROM flow_logs
WHERE action IS NOT NULL
    AND {{ time_window() }}
{% if port is not none %}
    AND dstport = {{ port }}
{% endif %}
{% if action is not none %}
    AND action = {{ action }}
{% endif %}
GROUP BY {{ keys | join(', ') }}
ORDER BY {{ metric.value }} DESC, {{ keys | join(', ') }}
LIMIT {{ limit }}
