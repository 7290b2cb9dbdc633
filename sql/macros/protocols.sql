{#- What kind of traffic a record is: its protocol's name and its address family. The same SQL
    on both engines (plain CASE and strpos); kept here so queries name protocols alike. -#}

{#- IANA names of the protocols seen in VPCs; any other number is shown as its digits. -#}
{% set _protocols = {
    1: 'ICMP', 2: 'IGMP', 4: 'IPv4-in-IP', 6: 'TCP', 17: 'UDP', 41: 'IPv6-in-IP', 47: 'GRE',
    50: 'ESP', 51: 'AH', 58: 'ICMPv6', 89: 'OSPF', 103: 'PIM', 112: 'VRRP', 115: 'L2TP',
    132: 'SCTP',
} %}

{% macro protocol_name(column) -%}
CASE {{ column }}
{%- for number, name in _protocols.items() %} WHEN {{ number }} THEN '{{ name }}'{% endfor %}
 ELSE CAST({{ column }} AS VARCHAR) END
{%- endmacro %}

{#- 'IPv6' or 'IPv4' from an address's text (NULL for NODATA/SKIPDATA records), so the family is
    known without the v3 `type` field. -#}
{% macro ip_family(column) -%}
CASE WHEN strpos({{ column }}, ':') > 0 THEN 'IPv6' WHEN strpos({{ column }}, '.') > 0 THEN 'IPv4' END
{%- endmacro %}
