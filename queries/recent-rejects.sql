{#- flowlake
title = "Most recent rejected flows"
description = """
The latest REJECT records, newest first, optionally narrowed to a source, destination, port or
network interface: "why is my traffic blocked?" as the seeds ask it in Logs Insights.
"""
columns = ["start_time", "interface_id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol", "action"]
fields = ["interface_id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol", "action", "start"]
answers = [
    "seed: Step 2 - fields @timestamp, interfaceId, srcAddr, dstAddr, srcPort, dstPort, action | filter action=\"REJECT\" | sort @timestamp desc",
    "seed: Why is my traffic blocked? (pre-built query)",
    "seed: Security Investigation - filter action = \"REJECT\" and dstPort = 22 | limit 50",
    "seed: Passive monitoring - filter dstAddr = \"10.0.2.5\" and action = \"REJECT\"",
]
insights = '''
fields @timestamp, interfaceId, srcAddr, dstAddr, srcPort, dstPort, protocol, action
| filter action = "REJECT"
| sort @timestamp desc
| limit 50'''

[params.srcaddr]
type = "address"
help = "source address, CIDR or prefix (10.0.1.)"

[params.dstaddr]
type = "address"
help = "destination address, CIDR or prefix"

[params.dstport]
type = "port"
help = "destination port"

[params.interface_id]
type = "string"
help = "network interface (eni-...)"

[params.limit]
type = "int"
default = 50
help = "how many records"
-#}
SELECT
    start_time,
    interface_id,
    srcaddr,
    dstaddr,
    srcport,
    dstport,
    protocol,
    action
FROM flow_logs
WHERE action = 'REJECT'
    AND {{ time_window() }}
{% if srcaddr is not none %}
    AND {{ address_match('srcaddr', srcaddr) }}
{% endif %}
{% if dstaddr is not none %}
    AND {{ address_match('dstaddr', dstaddr) }}
{% endif %}
{% if dstport is not none %}
    AND dstport = {{ dstport }}
{% endif %}
{% if interface_id is not none %}
    AND interface_id = {{ interface_id }}
{% endif %}
ORDER BY start_time DESC, interface_id, srcaddr, dstaddr, srcport, dstport
LIMIT {{ limit }}
