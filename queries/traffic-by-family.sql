{#- flowlake
title = "IPv4 and IPv6 traffic totals"
description = """
Total flow records, accepts, rejects, packets and bytes per address family, with how many
sources and destinations: the Athena integration's "IPv4 traffic" and "IPv6 traffic" (total
bytes), and with family=all the total bytes transferred in the window. The family is read from
the addresses, so it works without the v3 `type` field. NODATA and SKIPDATA records carry no
traffic and are left out.
"""
columns = ["family", "flows", "accepts", "rejects", "packets", "bytes", "sources", "destinations", "first_seen", "last_seen"]
fields = ["srcaddr", "dstaddr", "protocol", "action", "packets", "bytes", "start"]
chart = { kind = "bar", x = "family", y = "bytes" }
answers = [
    "AWS Athena integration: VpcFlowLogsIPv4Traffic (family=ipv4)",
    "AWS Athena integration: VpcFlowLogsIPv6Traffic (family=ipv6)",
    "seed: Visualization - time series of sum(bytes), here as totals",
]
insights = '''
filter ispresent(srcAddr)
| fields strcontains(srcAddr, ":") as ipv6
| stats count(*) as flows, sum(packets) as packets, sum(bytes) as bytes by ipv6'''

[params.family]
type = "enum"
choices = ["all", "ipv4", "ipv6"]
default = "all"
help = "only IPv4 or only IPv6 traffic"

[params.action]
type = "action"
help = "only ACCEPT or only REJECT records"

[params.protocol]
type = "protocol"
help = "only this protocol: tcp, udp, icmp or a number"
-#}
WITH traffic AS (
    SELECT
        {{ ip_family('srcaddr') }} AS family,
        srcaddr,
        dstaddr,
        action,
        packets,
        bytes,
        start_time
    FROM flow_logs
    WHERE srcaddr IS NOT NULL
        AND {{ time_window() }}
{% if action is not none %}
        AND action = {{ action }}
{% endif %}
{% if protocol is not none %}
        AND protocol = {{ protocol }}
{% endif %}
)
SELECT
    family,
    count(*) AS flows,
    count_if(action = 'ACCEPT') AS accepts,
    count_if(action = 'REJECT') AS rejects,
    sum(packets) AS packets,
    sum(bytes) AS bytes,
    count(DISTINCT srcaddr) AS sources,
    count(DISTINCT dstaddr) AS destinations,
    min(start_time) AS first_seen,
    max(start_time) AS last_seen
FROM traffic
{% if family.value != 'all' %}
WHERE family = {{ "'IPv6'" if family.value == 'ipv6' else "'IPv4'" }}
{% endif %}
GROUP BY family
ORDER BY family
