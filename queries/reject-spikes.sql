{#- flowlake
title = "Reject spikes"
description = """
Time bins (5 minutes by default) with more than `threshold` REJECTs: the seeds' alert "more
than 100 REJECTs in 5 minutes", run over history. Each bin names the source and the
destination port with the most REJECTs in it (ties: the lowest address or port) and how many of
the bin's REJECTs they account for. Bins are aligned on Unix time, as Logs Insights' bin() does.
"""
columns = ["bin_start", "rejects", "top_srcaddr", "top_dstport", "top_src_rejects", "top_port_rejects", "sources", "ports"]
fields = ["srcaddr", "dstport", "action", "start"]
chart = { kind = "bar", x = "bin_start", y = "rejects" }
answers = [
    "seed: Alerts - create CloudWatch alerts for anomalies: alert if >100 REJECTs in 5 mins",
    "seed: Time series - traffic spikes",
]
insights = '''
filter action = "REJECT"
| stats count(*) as rejects by bin(5m)
| filter rejects > 100'''

[params.threshold]
type = "int"
default = 100
help = "report bins with more REJECTs than this"

[params.window]
type = "duration"
default = "5m"
help = "bin width: 1m, 5m, 1h ..."
-#}
{% set seconds = window.value %}
WITH rejects AS (
    SELECT
        {{ bin_epoch('start_time', seconds) }} AS bin_epoch,
        srcaddr,
        dstport
    FROM flow_logs
    WHERE action = 'REJECT'
        AND {{ time_window() }}
),
spikes AS (
    SELECT
        bin_epoch,
        count(*) AS rejects,
        count(DISTINCT srcaddr) AS sources,
        count(DISTINCT dstport) AS ports
    FROM rejects
    GROUP BY bin_epoch
    HAVING count(*) > {{ threshold }}
),
by_source AS (
    SELECT
        bin_epoch,
        srcaddr,
        count(*) AS rejects,
        row_number() OVER (PARTITION BY bin_epoch ORDER BY count(*) DESC, srcaddr) AS place
    FROM rejects
    GROUP BY bin_epoch, srcaddr
),
by_port AS (
    SELECT
        bin_epoch,
        dstport,
        count(*) AS rejects,
        row_number() OVER (PARTITION BY bin_epoch ORDER BY count(*) DESC, dstport) AS place
    FROM rejects
    GROUP BY bin_epoch, dstport
)
SELECT
    from_unixtime(spikes.bin_epoch) AS bin_start,
    spikes.rejects,
    by_source.srcaddr AS top_srcaddr,
    by_port.dstport AS top_dstport,
    by_source.rejects AS top_src_rejects,
    by_port.rejects AS top_port_rejects,
    spikes.sources,
    spikes.ports
FROM spikes
JOIN by_source ON by_source.bin_epoch = spikes.bin_epoch AND by_source.place = 1
JOIN by_port ON by_port.bin_epoch = spikes.bin_epoch AND by_port.place = 1
ORDER BY bin_start
