{#- Time: bucketing and the query window. Both engines translate the Trino forms correctly
    (from_unixtime/to_unixtime become to_timestamp/epoch in DuckDB), so there is one variant,
    except the partition predicates only Athena's table has. -#}

{% macro time_bin(column, seconds) -%}
from_unixtime(floor(to_unixtime({{ column }}) / {{ seconds }}) * {{ seconds }})
{%- endmacro %}

{#- Flows whose start time is in the window. On Athena the same window also limits the
    partitions read (`day`, from partition projection): files are delivered after their
    flows start, at most a delivery margin later, so the day range is exact for the rows. -#}
{% macro time_window(column='start_time') -%}
{%- set terms = [] -%}
{%- if window.since %}{% set terms = terms + [column ~ ' >= ' ~ window.since] %}{% endif -%}
{%- if window.until %}{% set terms = terms + [column ~ ' < ' ~ window.until] %}{% endif -%}
{%- if target == 'athena' and window.first_day -%}
{%- set terms = terms + ['"day" BETWEEN \'' ~ window.first_day ~ '\' AND \'' ~ window.last_day ~ '\''] -%}
{%- endif -%}
{{ '(' ~ terms | join(' AND ') ~ ')' if terms else 'TRUE' }}
{%- endmacro %}
