{#- Time: bucketing and the query window. Both engines translate the Trino forms correctly
    (from_unixtime/to_unixtime become to_timestamp/epoch in DuckDB), so there is one variant,
    except the partition predicates only Athena's table has. -#}

{% macro time_bin(column, seconds) -%}
from_unixtime(floor(to_unixtime({{ column }}) / {{ seconds }}) * {{ seconds }})
{%- endmacro %}

{#- Flows whose start time is in the window. On Athena the same window also limits the
    partitions read (`day`, from partition projection): files are delivered after their
    flows start, at most a delivery margin later, so the day range is exact for the rows.
    An --until alone still bounds the days from above, or Athena would read every one. -#}
{% macro time_window(column='start_time') -%}
{%- set terms = [] -%}
{%- if window.since %}{% set terms = terms + [column ~ ' >= ' ~ window.since] %}{% endif -%}
{%- if window.until %}{% set terms = terms + [column ~ ' < ' ~ window.until] %}{% endif -%}
{%- if target == 'athena' and window.first_day -%}
{%- set terms = terms + ['"day" BETWEEN \'' ~ window.first_day ~ '\' AND \'' ~ window.last_day ~ '\''] -%}
{%- elif target == 'athena' and window.last_day -%}
{%- set terms = terms + ['"day" <= \'' ~ window.last_day ~ '\''] -%}
{%- endif -%}
{{ '(' ~ terms | join(' AND ') ~ ')' if terms else 'TRUE' }}
{%- endmacro %}

{#- A flow's bin as whole Unix seconds, for joining a series of bins: an integer compares
    exactly on both engines, a timestamp built from a double may not. -#}
{% macro bin_epoch(column, seconds) -%}
CAST(floor(to_unixtime({{ column }}) / {{ seconds }}) * {{ seconds }} AS BIGINT)
{%- endmacro %}

{#- Every bin from the first to the last, as `bin_epoch` (Unix seconds), so that a time series
    can show a bin without traffic as zeros: an outage must be visible. The span is the query
    window when it has both ends; an open end is the data's first or last start (or now, after
    `--since` alone). Trino's sequence() stops at 10,000 elements (35 days of 5-minute bins),
    so the bin numbers are a high and a low part, each from a sequence of at most 10,000. -#}
{% macro bin_series(seconds, column='start_time') -%}
{%- if window.since -%}
{%- set first = 'to_unixtime(' ~ window.since ~ ')' -%}
{%- else -%}
{%- set first = 'min(to_unixtime(' ~ column ~ '))' -%}
{%- endif -%}
{%- if window.until -%}
{%- set last = 'to_unixtime(' ~ window.until ~ ') - 1' -%}
{%- elif window.since -%}
{%- set last = 'to_unixtime(current_timestamp)' -%}
{%- else -%}
{%- set last = 'max(to_unixtime(' ~ column ~ '))' -%}
{%- endif -%}
SELECT CAST(bounds.first_bin + (high.n * 10000 + low.n) * {{ seconds }} AS BIGINT) AS bin_epoch
FROM (
    SELECT
        CAST(floor(({{ first }}) / {{ seconds }}) * {{ seconds }} AS BIGINT) AS first_bin,
        CAST(floor(({{ last }}) / {{ seconds }}) * {{ seconds }} AS BIGINT) AS last_bin
{% if not window.since %}
    FROM flow_logs
    WHERE {{ time_window(column) }}
{% endif %}
) AS bounds
CROSS JOIN UNNEST(
    sequence(0, CAST(floor((bounds.last_bin - bounds.first_bin) / {{ seconds }} / 10000) AS BIGINT))
) AS high (n)
CROSS JOIN UNNEST(sequence(0, 9999)) AS low (n)
WHERE high.n * 10000 + low.n <= floor((bounds.last_bin - bounds.first_bin) / {{ seconds }})
{%- endmacro %}
