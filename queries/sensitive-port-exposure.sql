{#- flowlake
title = "Sensitive ports reached from the internet"
description = """
Accepted traffic from public addresses to SSH, RDP, other remote administration ports (telnet,
VNC, WinRM) and database ports (MySQL, PostgreSQL, SQL Server, Oracle, Redis, MongoDB ...): which
host and port let which internet source in, how much, and when. Each row is a security group and
network ACL that allow a port that is rarely meant to be open to the world. Public means not
RFC 1918, CGNAT, link-local, loopback or IPv6 ULA; add your own ranges (an IPv6 VPC, an office)
with `trusted`.
"""
columns = ["dstaddr", "dstport", "service", "protocol", "srcaddr", "flows", "packets", "bytes", "first_seen", "last_seen"]
fields = ["srcaddr", "dstaddr", "dstport", "protocol", "action", "packets", "bytes", "start"]
answers = [
    "seed: Key Diagnostic Patterns - SSH reachable: add or restrict inbound TCP 22 rule",
    "seed: Real Sample - MySQL (TCP 3306) should only be open to the EC2 instance's security group",
    "Tailpipe detections: SSH, RDP and database traffic from the internet",
]
insights = '''
filter action = "ACCEPT"
    and dstPort in [22, 23, 1433, 1521, 3306, 3389, 5432, 5900, 5985, 5986, 6379, 9042, 9200, 9300, 11211, 27017]
    and not isIpv4InSubnet(srcAddr, "10.0.0.0/8")
    and not isIpv4InSubnet(srcAddr, "172.16.0.0/12")
    and not isIpv4InSubnet(srcAddr, "192.168.0.0/16")
| stats count(*) as flows, sum(bytes) as bytes by dstAddr, dstPort, srcAddr
| sort flows desc'''

[params.trusted]
type = "address"
help = "a source CIDR, address or prefix that is not the internet (your IPv6 VPC, an office)"

[params.port]
type = "port"
help = "only this destination port"

[params.limit]
type = "int"
default = 50
help = "how many rows, most flow records first"
-#}
SELECT
    dstaddr,
    dstport,
    {{ service_name('dstport') }} AS service,
    protocol,
    srcaddr,
    count(*) AS flows,
    sum(packets) AS packets,
    sum(bytes) AS bytes,
    min(start_time) AS first_seen,
    max(start_time) AS last_seen
FROM flow_logs
WHERE action = 'ACCEPT'
    AND protocol IN (6, 17)
    AND dstport IN ({{ service_ports('sensitive') }})
    AND NOT {{ is_private('srcaddr') }}
    AND {{ time_window() }}
{% if trusted is not none %}
    AND NOT coalesce({{ address_match('srcaddr', trusted) }}, FALSE)
{% endif %}
{% if port is not none %}
    AND dstport = {{ port }}
{% endif %}
GROUP BY dstaddr, dstport, protocol, srcaddr
ORDER BY count(*) DESC, dstaddr, dstport, protocol, srcaddr
LIMIT {{ limit }}
