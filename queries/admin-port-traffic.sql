{#- flowlake
title = "Traffic on administrative and database ports"
description = """
Traffic to SSH, RDP and the other remote administration ports (ports=admin), to SSH and RDP only
(ports=ssh-rdp), to database ports (ports=database) or to all of them (ports=sensitive), per
server address and port: how many clients, how many records accepted and rejected, packets and
bytes. The Athena integration's "admin port traffic" and "SSH/RDP traffic". Counted on the
requests (traffic to the port); sensitive-port-exposure narrows it to accepted internet
sources.
"""
columns = ["dstaddr", "dstport", "service", "protocol", "clients", "flows", "accepts", "rejects", "packets", "bytes", "first_seen", "last_seen"]
fields = ["srcaddr", "dstaddr", "dstport", "protocol", "action", "packets", "bytes", "start"]
answers = [
    "AWS Athena integration: VpcFlowLogsAdminPortTraffic",
    "AWS Athena integration: VpcFlowLogsSshRdpTraffic (ports=ssh-rdp)",
    "seed: Key Diagnostic Patterns - SSH blocked by SG/NACL, add inbound TCP 22 rule",
    "seed: Real Sample - EC2 can't connect to RDS: MySQL (TCP 3306) denied (ports=database)",
]
insights = '''
filter dstPort in [22, 23, 3389, 5900, 5985, 5986]
| stats count(*) as flows, count_distinct(srcAddr) as clients, sum(packets) as packets,
        sum(bytes) as bytes by dstAddr, dstPort, protocol, action
| sort bytes desc'''

[params.ports]
type = "enum"
choices = ["admin", "ssh-rdp", "database", "sensitive"]
default = "admin"
help = "which ports: remote administration, SSH and RDP, databases, or all of them"

[params.action]
type = "action"
help = "only ACCEPT or only REJECT records"

[params.src]
type = "address"
help = "only clients in this CIDR, address or prefix"

[params.dst]
type = "address"
help = "only servers in this CIDR, address or prefix"

[params.limit]
type = "int"
default = 20
help = "how many server ports, most bytes first"
-#}
SELECT
    dstaddr,
    dstport,
    {{ service_name('dstport') }} AS service,
    protocol,
    count(DISTINCT srcaddr) AS clients,
    count(*) AS flows,
    count_if(action = 'ACCEPT') AS accepts,
    count_if(action = 'REJECT') AS rejects,
    sum(packets) AS packets,
    sum(bytes) AS bytes,
    min(start_time) AS first_seen,
    max(start_time) AS last_seen
FROM flow_logs
WHERE dstport IN ({{ service_ports(ports.value) }})
    AND protocol IN (6, 17)
    AND {{ time_window() }}
{% if action is not none %}
    AND action = {{ action }}
{% endif %}
{% if src is not none %}
    AND {{ address_match('srcaddr', src) }}
{% endif %}
{% if dst is not none %}
    AND {{ address_match('dstaddr', dst) }}
{% endif %}
GROUP BY dstaddr, dstport, protocol
ORDER BY sum(bytes) DESC, count(*) DESC, dstaddr, dstport, protocol
LIMIT {{ limit }}
