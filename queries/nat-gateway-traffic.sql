{#- flowlake
title = "Traffic through a NAT gateway"
description = """
AWS's NAT gateway samples, for "why is my NAT gateway bill so high": the instances sending the
most through the gateway (view=senders), the traffic to and from those instances
(view=instances), and the internet destinations of uploads (view=uploads) and sources of
downloads (view=downloads), by bytes. `nat_ip` is the gateway's private address; `private` is
your VPC (a CIDR or a prefix such as 10.0.), by default any private range. Without `nat_ip`
every private address stands for the gateway, so uploads and downloads cover all of the VPC's
internet traffic.
"""
columns = ["srcaddr", "dstaddr", "bytes", "packets", "flows", "first_seen", "last_seen"]
fields = ["srcaddr", "dstaddr", "packets", "bytes", "start"]
answers = [
    "AWS Logs Insights sample (NAT gateway): Find the instances that are sending the most traffic through your NAT gateway",
    "AWS Logs Insights sample (NAT gateway): Determine the traffic that's going to and from the instances in your NAT gateways",
    "AWS Logs Insights sample (NAT gateway): internet destinations for uploads and downloads",
    "seed: The $15,000 NAT Surprise - unexpected NAT gateway bill",
]
insights = '''
filter (dstAddr like 'x.x.x.x' and srcAddr like 'y.y.')
| stats sum(bytes) as bytesTransferred by srcAddr, dstAddr
| sort bytesTransferred desc
| limit 10'''

[params.nat_ip]
type = "ip"
help = "the NAT gateway's private IP address (unset: any address in `private`)"

[params.private]
type = "address"
help = "your VPC's CIDR or address prefix, e.g. 10.0. (unset: any private range)"

[params.view]
type = "enum"
choices = ["senders", "instances", "uploads", "downloads"]
default = "senders"
help = "senders to the gateway, traffic to and from instances, uploads or downloads"

[params.limit]
type = "int"
default = 10
help = "how many pairs, most bytes first"
-#}
{% macro inside(column) -%}
{%- if private is not none -%}
coalesce({{ address_match(column, private) }}, FALSE)
{%- else -%}
{{ is_private(column) }}
{%- endif -%}
{%- endmacro %}
{% macro gateway(column) -%}
{%- if nat_ip is not none -%}
{{ column }} = {{ nat_ip }}
{%- else -%}
{{ inside(column) }}
{%- endif -%}
{%- endmacro %}
SELECT
    srcaddr,
    dstaddr,
    sum(bytes) AS bytes,
    sum(packets) AS packets,
    count(*) AS flows,
    min(start_time) AS first_seen,
    max(start_time) AS last_seen
FROM flow_logs
WHERE srcaddr IS NOT NULL
    AND {{ time_window() }}
{% if view.value == 'senders' %}
    AND {{ gateway('dstaddr') }} AND {{ inside('srcaddr') }}
{% elif view.value == 'instances' %}
    AND (({{ gateway('dstaddr') }} AND {{ inside('srcaddr') }})
        OR ({{ gateway('srcaddr') }} AND {{ inside('dstaddr') }}))
{% elif view.value == 'uploads' %}
    AND {{ gateway('srcaddr') }} AND NOT {{ inside('dstaddr') }}
{% else %}
    AND {{ gateway('dstaddr') }} AND NOT {{ inside('srcaddr') }}
{% endif %}
GROUP BY srcaddr, dstaddr
ORDER BY sum(bytes) DESC, srcaddr, dstaddr
LIMIT {{ limit }}
