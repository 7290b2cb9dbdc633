{#- flowlake
title = "Accepted, then rejected: since when?"
description = """
Destinations (address, port, protocol) whose traffic was accepted and is now rejected, and
when it changed: the seeds' "HTTP was accepted at some point and then turned to rejected",
the trace of a security-group or network-ACL change. `last_accept_at` is the start of the last
ACCEPTed flow to the destination; `changed_at` is the start of the first REJECTed flow after it
(strictly later, with no ACCEPT since), `rejects_since` counts the REJECTs from then on and
`sources_since` their distinct sources. A destination whose last flow was accepted is not
listed. `rejects_before` counts REJECTs up to `last_accept_at`: when it is not zero, some
sources were rejected all along (a rule for some sources, e.g. an SSH bastion), rather than a
change for everyone. Only flows towards the lower of their two ports count (the service
side), so return traffic to clients' ephemeral ports is left out.
"""
columns = ["dstaddr", "dstport", "protocol", "last_accept_at", "changed_at", "rejects_since", "sources_since", "last_reject_at", "accepts", "rejects_before"]
fields = ["srcaddr", "dstaddr", "srcport", "dstport", "protocol", "action", "start"]
answers = [
    "seed: HTTP (port 80) traffic was accepted at some point and then turned to rejected (RevokeSecurityGroupIngress)",
    "seed: filter by all actions (ACCEPT & REJECT) to see if the issue started at some point or exists from the start",
    "seed: Linux forensics - convert the timestamps of REJECTs to validate the exact time of the blocking",
]
insights = '''
filter dstAddr = "10.0.1.10" and dstPort = 80
| stats count(*) as flows, min(@timestamp) as first_seen, max(@timestamp) as last_seen by action'''

[params.dstaddr]
type = "address"
help = "destination address, CIDR or prefix"

[params.port]
type = "port"
help = "destination port"

[params.protocol]
type = "protocol"
help = "tcp, udp, icmp or a number"
-#}
WITH requests AS (
    SELECT srcaddr, dstaddr, dstport, protocol, action, start_time
    FROM flow_logs
    WHERE action IS NOT NULL
        AND dstport <= srcport
        AND {{ time_window() }}
{% if dstaddr is not none %}
        AND {{ address_match('dstaddr', dstaddr) }}
{% endif %}
{% if port is not none %}
        AND dstport = {{ port }}
{% endif %}
{% if protocol is not none %}
        AND protocol = {{ protocol }}
{% endif %}
),
last_accepts AS (
    SELECT dstaddr, dstport, protocol, count(*) AS accepts, max(start_time) AS last_accept_at
    FROM requests
    WHERE action = 'ACCEPT'
    GROUP BY dstaddr, dstport, protocol
),
rejects AS (
    SELECT
        r.dstaddr,
        r.dstport,
        r.protocol,
        r.srcaddr,
        r.start_time,
        r.start_time > a.last_accept_at AS after_last_accept,
        a.accepts,
        a.last_accept_at
    FROM requests AS r
    JOIN last_accepts AS a
        ON a.dstaddr = r.dstaddr AND a.dstport = r.dstport AND a.protocol = r.protocol
    WHERE r.action = 'REJECT'
)
SELECT
    dstaddr,
    dstport,
    protocol,
    max(last_accept_at) AS last_accept_at,
    min(CASE WHEN after_last_accept THEN start_time END) AS changed_at,
    count_if(after_last_accept) AS rejects_since,
    count(DISTINCT CASE WHEN after_last_accept THEN srcaddr END) AS sources_since,
    max(start_time) AS last_reject_at,
    max(accepts) AS accepts,
    count_if(NOT after_last_accept) AS rejects_before
FROM rejects
GROUP BY dstaddr, dstport, protocol
HAVING count_if(after_last_accept) > 0
ORDER BY changed_at DESC, dstaddr, dstport, protocol
