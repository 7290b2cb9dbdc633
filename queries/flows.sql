{#- flowlake
title = "Flow records, filtered"
description = """
The flow records themselves, newest (or largest) first, narrowed by action, protocol, address
family, source, destination, destination port or network interface. The seeds' Logs Insights
pattern of fields, filter and sort by @timestamp; and the Athena integration's accepted traffic
(action=ACCEPT protocol=tcp), rejected TCP traffic (action=REJECT protocol=tcp) and all TCP
traffic of a source (protocol=tcp src=ADDRESS). With dedup=true each connection (addresses,
ports, protocol) shows once, its latest record.
"""
columns = ["start_time", "interface_id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol", "packets", "bytes", "action"]
fields = ["interface_id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol", "packets", "bytes", "action", "start"]
answers = [
    "seed: Real-World Example NAT gateway - fields @timestamp, srcAddr, dstAddr, action | filter srcAddr like \"10.0.1.\" and dstAddr like \"8.8.8.\" | sort @timestamp desc",
    "AWS Logs Insights sample: Find a single record for each connection (dedup srcAddr, dstAddr, srcPort, dstPort, protocol)",
    "AWS Athena integration: VpcFlowLogsAcceptedTraffic (action=ACCEPT protocol=tcp)",
    "AWS Athena integration: VpcFlowLogsRejectedTCPTraffic (action=REJECT protocol=tcp)",
    "AWS Athena integration: VpcFlowLogsTopTCPTraffic (protocol=tcp src=ADDRESS sort=bytes)",
]
insights = '''
fields @timestamp, interfaceId, srcAddr, dstAddr, srcPort, dstPort, protocol, packets, bytes, action
| filter srcAddr like "10.0.1." and dstAddr like "8.8.8."
| sort @timestamp desc
| limit 50'''

[params.action]
type = "action"
help = "only ACCEPT or only REJECT records"

[params.protocol]
type = "protocol"
help = "only this protocol: tcp, udp, icmp or a number"

[params.family]
type = "enum"
choices = ["all", "ipv4", "ipv6"]
default = "all"
help = "only IPv4 or only IPv6 traffic"

[params.src]
type = "address"
help = "only sources in this CIDR, address or prefix (10.0.1.)"

[params.dst]
type = "address"
help = "only destinations in this CIDR, address or prefix"

[params.port]
type = "port"
help = "only this destination port"

[params.interface_id]
type = "string"
help = "only records of this network interface (eni-...)"

[params.dedup]
type = "bool"
default = false
help = "one record per connection (addresses, ports, protocol): its latest"

[params.sort]
type = "enum"
choices = ["time", "bytes", "packets"]
default = "time"
help = "newest first, or most bytes or packets first"

[params.limit]
type = "int"
default = 50
help = "how many records"
-#}
{% set order = {
    'time': 'start_time DESC',
    'bytes': 'bytes DESC, start_time DESC',
    'packets': 'packets DESC, start_time DESC',
}[sort.value] ~ ', interface_id, srcaddr, dstaddr, srcport, dstport, protocol' %}
WITH matching AS (
    SELECT
        start_time,
        interface_id,
        srcaddr,
        dstaddr,
        srcport,
        dstport,
        protocol,
        packets,
        bytes,
        action{{ ',' if dedup.value }}
{% if dedup.value %}
        row_number() OVER (
            PARTITION BY srcaddr, dstaddr, srcport, dstport, protocol
            ORDER BY start_time DESC, interface_id
        ) AS nth
{% endif %}
    FROM flow_logs
    WHERE srcaddr IS NOT NULL
        AND {{ time_window() }}
{% if action is not none %}
        AND action = {{ action }}
{% endif %}
{% if protocol is not none %}
        AND protocol = {{ protocol }}
{% endif %}
{% if family.value != 'all' %}
        AND {{ ip_family('srcaddr') }} = {{ "'IPv6'" if family.value == 'ipv6' else "'IPv4'" }}
{% endif %}
{% if src is not none %}
        AND {{ address_match('srcaddr', src) }}
{% endif %}
{% if dst is not none %}
        AND {{ address_match('dstaddr', dst) }}
{% endif %}
{% if port is not none %}
        AND dstport = {{ port }}
{% endif %}
{% if interface_id is not none %}
        AND interface_id = {{ interface_id }}
{% endif %}
)
SELECT start_time, interface_id, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, action
FROM matching
{% if dedup.value %}
WHERE nth = 1
{% endif %}
ORDER BY {{ order }}
LIMIT {{ limit }}
