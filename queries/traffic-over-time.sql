{#- flowlake
title = "Traffic over time"
description = """
Flows, packets, bytes, accepts and rejects per time bin (5 minutes by default), optionally
narrowed to a source, a destination, an action or a destination port. Every bin of the span is
listed, those without traffic with zeros, so an outage shows as a gap of zeros rather than as
missing rows. The span is the --since/--until window, or the lake's first to last flow (with
--since alone: up to now). Bins are aligned on Unix time, as Logs Insights' bin() does.
"""
columns = ["bin_start", "flows", "packets", "bytes", "accepts", "rejects"]
fields = ["srcaddr", "dstaddr", "dstport", "action", "packets", "bytes", "start"]
chart = { kind = "line", x = "bin_start", y = "flows" }
answers = [
    "seed: Visualization - time series: traffic spikes (stats sum(bytes) by bin(1h))",
    "seed: Step-by-step - did the traffic stop, or was it rejected from some point on?",
    "seed: Use time series graphs to spot traffic patterns",
]
insights = '''
filter srcAddr like "10.0.1." and dstPort = 443
| stats count(*) as flows, sum(packets) as packets, sum(bytes) as bytes by bin(5m)'''

[params.bin]
type = "duration"
default = "5m"
help = "bin width: 1m, 5m, 1h ..."

[params.src]
type = "address"
help = "source address, CIDR or prefix (10.0.1.)"

[params.dst]
type = "address"
help = "destination address, CIDR or prefix"

[params.action]
type = "action"
help = "only ACCEPT or only REJECT"

[params.port]
type = "port"
help = "destination port"
-#}
WITH bins AS (
    {{ bin_series(bin) }}
),
traffic AS (
    SELECT
        {{ bin_epoch('start_time', bin) }} AS bin_epoch,
        count(*) AS flows,
        sum(packets) AS packets,
        sum(bytes) AS bytes,
        count_if(action = 'ACCEPT') AS accepts,
        count_if(action = 'REJECT') AS rejects
    FROM flow_logs
    WHERE action IS NOT NULL
        AND {{ time_window() }}
{% if src is not none %}
        AND {{ address_match('srcaddr', src) }}
{% endif %}
{% if dst is not none %}
        AND {{ address_match('dstaddr', dst) }}
{% endif %}
{% if action is not none %}
        AND action = {{ action }}
{% endif %}
{% if port is not none %}
        AND dstport = {{ port }}
{% endif %}
    GROUP BY 1
)
SELECT
    from_unixtime(bins.bin_epoch) AS bin_start,
    coalesce(traffic.flows, 0) AS flows,
    coalesce(traffic.packets, 0) AS packets,
    coalesce(traffic.bytes, 0) AS bytes,
    coalesce(traffic.accepts, 0) AS accepts,
    coalesce(traffic.rejects, 0) AS rejects
FROM bins
LEFT JOIN traffic ON traffic.bin_epoch = bins.bin_epoch
ORDER BY bin_start
