{#- flowlake
title = "Is my NAT gateway working?"
description = """
Flows from private sources (a CIDR, or an address prefix as Insights users write it) to a
destination network, per time bin, with every bin of the span listed: bins without any flow
show zeros, so the moment the traffic stopped is visible. Zero flows means no packet left the
instances towards the destination (check the route to the NAT gateway); rejects mean a network
ACL or security group drops them. The span is the --since/--until window, or the lake's first to last
flow (with --since alone: up to now).
"""
columns = ["bin_start", "flows", "bytes", "accepts", "rejects"]
fields = ["srcaddr", "dstaddr", "action", "bytes", "start"]
chart = { kind = "line", x = "bin_start", y = "flows" }
answers = [
    "seed: NAT Gateway Health Check - filter srcAddr like \"10.0.1.\" and isIpv4InSubnet(dstAddr, \"8.8.8.0/24\") | stats count() by bin(5m)",
    "seed: Is my NAT Gateway working? - filter srcAddr like \"10.0.1.\" and dstAddr like \"8.8.8.\" | stats count(*) by bin(5m)",
    "seed: Troubleshooting a broken NAT gateway - REJECT: check NACLs; no logs: check route tables",
]
insights = '''
fields @timestamp, srcAddr, dstAddr
| filter srcAddr like "10.0.1." and isIpv4InSubnet(dstAddr, "8.8.8.0/24")
| stats count() by bin(5m)'''

[params.src]
type = "address"
help = "private sources: a prefix (10.0.1.) or a CIDR"

[params.dst]
type = "address"
required = true
example = "8.8.0.0/16"
help = "destination network beyond the NAT gateway: a CIDR (8.8.8.0/24) or a prefix"

[params.bin]
type = "duration"
default = "5m"
help = "bin width: 1m, 5m, 1h ..."
-#}
WITH bins AS (
    {{ bin_series(bin) }}
),
through_nat AS (
    SELECT
        {{ bin_epoch('start_time', bin) }} AS bin_epoch,
        count(*) AS flows,
        sum(bytes) AS bytes,
        count_if(action = 'ACCEPT') AS accepts,
        count_if(action = 'REJECT') AS rejects
    FROM flow_logs
    WHERE action IS NOT NULL
        AND {{ time_window() }}
        AND {{ address_match('dstaddr', dst) }}
{% if src is not none %}
        AND {{ address_match('srcaddr', src) }}
{% endif %}
    GROUP BY 1
)
SELECT
    from_unixtime(bins.bin_epoch) AS bin_start,
    coalesce(through_nat.flows, 0) AS flows,
    coalesce(through_nat.bytes, 0) AS bytes,
    coalesce(through_nat.accepts, 0) AS accepts,
    coalesce(through_nat.rejects, 0) AS rejects
FROM bins
LEFT JOIN through_nat ON through_nat.bin_epoch = bins.bin_epoch
ORDER BY bin_start
