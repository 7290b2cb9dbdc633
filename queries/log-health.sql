{#- flowlake
title = "Flow-log health: NODATA and SKIPDATA"
description = """
Which network interfaces report NODATA (no traffic in the aggregation interval: an idle
interface, or packets that never left it for want of a route) or SKIPDATA (records skipped
for capacity or an internal error: a log delivery failure), how many such records, when first
and last seen, and how many traffic (OK) records the interface has in the same span. With
`bin` set, one row per interface, status and time bin (bin_start first), as the Logs Insights
sample counts SKIPDATA by bin(1h).
"""
columns = ["interface_id", "log_status", "records", "first_seen", "last_seen", "traffic_records", "meaning"]
fields = ["interface_id", "log_status", "start"]
answers = [
    "seed: Step 6 - no logs generated (NODATA): packets never left the interface",
    "seed: Key Diagnostic Patterns - log delivery failure: recreate the flow log or increase the buffer size",
    "AWS Logs Insights sample: filter logStatus=\"SKIPDATA\" | stats count(*) by bin(1h) as t | sort t",
]
insights = '''
filter logStatus = "SKIPDATA"
| stats count(*) by bin(1h) as t
| sort t'''

[params.status]
type = "enum"
choices = ["any", "nodata", "skipdata"]
default = "any"
help = "NODATA, SKIPDATA or any of the two"

[params.interface_id]
type = "string"
help = "only this network interface (eni-...)"

[params.bin]
type = "duration"
help = "also split by time bin: 1h, 1d ... (adds bin_start)"
-#}
{% set statuses = ['NODATA', 'SKIPDATA'] if status.value == 'any' else [status.value | upper] %}
{% set by_bin = bin is not none %}
WITH records AS (
    SELECT
{% if by_bin %}
        {{ bin_epoch('start_time', bin) }} AS bin_epoch,
{% endif %}
        interface_id,
        log_status,
        start_time
    FROM flow_logs
    WHERE {{ time_window() }}
{% if interface_id is not none %}
        AND interface_id = {{ interface_id }}
{% endif %}
),
problems AS (
    SELECT
{% if by_bin %}
        bin_epoch,
{% endif %}
        interface_id,
        log_status,
        count(*) AS records,
        min(start_time) AS first_seen,
        max(start_time) AS last_seen
    FROM records
    WHERE log_status IN ('{{ statuses | join("', '") }}')
    GROUP BY {% if by_bin %}bin_epoch, {% endif %}interface_id, log_status
),
traffic AS (
    SELECT
{% if by_bin %}
        bin_epoch,
{% endif %}
        interface_id,
        count(*) AS traffic_records
    FROM records
    WHERE log_status = 'OK'
    GROUP BY {% if by_bin %}bin_epoch, {% endif %}interface_id
)
SELECT
{% if by_bin %}
    from_unixtime(problems.bin_epoch) AS bin_start,
{% endif %}
    problems.interface_id,
    problems.log_status,
    problems.records,
    problems.first_seen,
    problems.last_seen,
    coalesce(traffic.traffic_records, 0) AS traffic_records,
    CASE problems.log_status
        WHEN 'NODATA' THEN 'no traffic in the interval: idle, or packets never left (check routes)'
        ELSE 'records skipped (capacity or internal error): log delivery failure'
    END AS meaning
FROM problems
LEFT JOIN traffic
    ON traffic.interface_id = problems.interface_id
{% if by_bin %}
    AND traffic.bin_epoch = problems.bin_epoch
{% endif %}
ORDER BY {% if by_bin %}bin_start, {% endif %}problems.log_status DESC, problems.records DESC, problems.interface_id
