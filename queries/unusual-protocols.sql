{#- flowlake
title = "Unusual protocols"
description = """
Traffic of any protocol other than ICMP (1), TCP (6) and UDP (17), per protocol and address pair:
GRE and IPsec (ESP, AH) tunnels, IP-in-IP, SCTP, multicast routing. In most VPCs these are either
a VPN or overlay someone set up, or something to look at; REJECTs show which security groups or
network ACLs stop them. With common=true ICMP, TCP and UDP are listed too.
"""
columns = ["protocol", "protocol_name", "srcaddr", "dstaddr", "flows", "accepts", "rejects", "packets", "bytes", "first_seen", "last_seen"]
fields = ["protocol", "srcaddr", "dstaddr", "action", "packets", "bytes", "start"]
chart = { kind = "bar", x = "protocol_name", y = "flows" }
answers = [
    "Tailpipe detections: unusual protocols",
    "seed: What VPC Flow Logs Show - Protocol (6 = TCP)",
]
insights = '''
filter protocol != 1 and protocol != 6 and protocol != 17
| stats count(*) as flows, sum(packets) as packets, sum(bytes) as bytes
        by protocol, srcAddr, dstAddr, action
| sort flows desc'''

[params.protocol]
type = "protocol"
help = "only this protocol: gre, esp, ah or a number"

[params.action]
type = "action"
help = "only ACCEPT or only REJECT records"

[params.common]
type = "bool"
default = false
help = "also list ICMP, TCP and UDP: a census of every protocol per address pair"

[params.limit]
type = "int"
default = 50
help = "how many rows, most flow records first"
-#}
SELECT
    protocol,
    {{ protocol_name('protocol') }} AS protocol_name,
    srcaddr,
    dstaddr,
    count(*) AS flows,
    count_if(action = 'ACCEPT') AS accepts,
    count_if(action = 'REJECT') AS rejects,
    sum(packets) AS packets,
    sum(bytes) AS bytes,
    min(start_time) AS first_seen,
    max(start_time) AS last_seen
FROM flow_logs
WHERE srcaddr IS NOT NULL
    AND {{ time_window() }}
{% if not common.value %}
    AND protocol NOT IN (1, 6, 17)
{% endif %}
{% if protocol is not none %}
    AND protocol = {{ protocol }}
{% endif %}
{% if action is not none %}
    AND action = {{ action }}
{% endif %}
GROUP BY protocol, srcaddr, dstaddr
ORDER BY count(*) DESC, protocol, srcaddr, dstaddr
LIMIT {{ limit }}
