{#- flowlake
title = "What does this address talk to?"
description = """
The destinations, ports and protocols an address or network (an IP, a CIDR or a prefix)
sends to, with how many flows were accepted and rejected, and their bytes; most flows first.
Responses count too: a server's answers show as traffic to its clients' ephemeral ports.
"""
columns = ["dstaddr", "dstport", "protocol", "accepts", "rejects", "bytes", "flows", "packets", "first_seen", "last_seen"]
fields = ["srcaddr", "dstaddr", "dstport", "protocol", "action", "packets", "bytes", "start"]
answers = [
    "seed: Passive monitoring - filter srcAddr like \"xxx.xxx.xxx.xxx\" (what this host talks to)",
    "seed: Step 1 - identify the traffic pattern: source IP, destination IP, and port",
    "AWS Athena integration: traffic from a source address",
]
insights = '''
filter srcAddr = "10.0.2.15"
| stats count(*) as flows, sum(bytes) as bytes by dstAddr, dstPort, protocol, action
| sort flows desc'''

[params.source]
type = "address"
required = true
example = "10.0.2.15"
help = "source address, CIDR or prefix (10.0.2.)"

[params.port]
type = "port"
help = "only this destination port"

[params.action]
type = "action"
help = "only ACCEPT or only REJECT"

[params.limit]
type = "int"
default = 100
help = "how many destinations"
-#}
SELECT
    dstaddr,
    dstport,
    protocol,
    count_if(action = 'ACCEPT') AS accepts,
    count_if(action = 'REJECT') AS rejects,
    sum(bytes) AS bytes,
    count(*) AS flows,
    sum(packets) AS packets,
    min(start_time) AS first_seen,
    max(start_time) AS last_seen
FROM flow_logs
WHERE action IS NOT NULL
    AND {{ time_window() }}
    AND {{ address_match('srcaddr', source) }}
{% if port is not none %}
    AND dstport = {{ port }}
{% endif %}
{% if action is not none %}
    AND action = {{ action }}
{% endif %}
GROUP BY dstaddr, dstport, protocol
ORDER BY flows DESC, dstaddr, dstport, protocol
LIMIT {{ limit }}
