{#- flowlake
title = "Connections to an address"
description = """
The addresses trying to connect to an IP address or CIDR, per destination port and protocol, with
how many of their flow records were accepted and how many rejected, and when. A source with only
rejects is being stopped by a security group or network ACL. Answers to connections the target
opened itself (from a lower port to a port of 1024 or more, e.g. 443 to 50122) are left out
unless `replies` is true; without `dst` every destination is listed.
"""
columns = ["srcaddr", "dstaddr", "dstport", "protocol", "flows", "accepts", "rejects", "packets", "bytes", "first_seen", "last_seen"]
fields = ["srcaddr", "dstaddr", "srcport", "dstport", "protocol", "action", "packets", "bytes", "start"]
answers = [
    "seed: list of IP addresses trying to connect to specific IP or CIDR (fields @timestamp, srcAddr, dstAddr | sort @timestamp desc | limit 5)",
    "seed: Inbound connection fails - verify ingress SG allows source IP/CIDR and port",
]
insights = '''
filter isIpv4InSubnet(dstAddr, "10.0.1.0/25")
| stats count(*) as flows, sum(packets) as packets, sum(bytes) as bytes
        by srcAddr, dstAddr, dstPort, protocol, action
| sort flows desc'''

[params.dst]
type = "address"
help = "the IP address, CIDR or prefix connected to (unset: every destination)"

[params.port]
type = "port"
help = "only this destination port"

[params.src]
type = "address"
help = "only sources in this CIDR, address or prefix"

[params.action]
type = "action"
help = "only ACCEPT or only REJECT records"

[params.replies]
type = "bool"
default = false
help = "also count answers to connections the target opened (lower port to port >= 1024)"

[params.limit]
type = "int"
default = 50
help = "how many rows, most flow records first"
-#}
SELECT
    srcaddr,
    dstaddr,
    dstport,
    protocol,
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
{% if dst is not none %}
    AND {{ address_match('dstaddr', dst) }}
{% endif %}
{% if port is not none %}
    AND dstport = {{ port }}
{% endif %}
{% if src is not none %}
    AND {{ address_match('srcaddr', src) }}
{% endif %}
{% if action is not none %}
    AND action = {{ action }}
{% endif %}
{% if not replies.value %}
{# without TCP flags a reply is told by its ports: it leaves a service port for a client's
   higher (ephemeral) one; a request to a port below 1024 is never taken for one #}
    AND NOT (srcport < dstport AND dstport >= 1024)
{% endif %}
GROUP BY srcaddr, dstaddr, dstport, protocol
ORDER BY count(*) DESC, srcaddr, dstaddr, dstport, protocol
LIMIT {{ limit }}
