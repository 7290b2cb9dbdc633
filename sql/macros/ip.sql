{#- Address matching, the one place the engines differ on IPs.
    Athena (Trino) has an IPADDRESS type and contains(cidr, address) for IPv4 and IPv6.
    DuckDB has neither without the inet extension (not shipped as a wheel), so the duckdb variant
    compares the address's integer (IPv4) or 32-digit hex (IPv6) form with the network's range,
    computed once in Python: see sql/duckdb/ip_functions.sql. -#}

{#- On Athena the address's family is checked first, as in `cidr_contains` below: IPADDRESS
    holds IPv4 as IPv4-mapped IPv6, so contains('::/0', ...) would match every IPv4 address,
    where DuckDB (and a reader of the CIDR) matches none. -#}
{% macro in_cidr(column, network) -%}
{%- set n = network.value -%}
{%- if target == 'athena' -%}
(strpos({{ column }}, ':') {{ '>' if n.version == 6 else '=' }} 0 AND contains({{ network }}, TRY_CAST({{ column }} AS IPADDRESS)))
{%- elif n.version == 4 -%}
(flowlake_ipv4_int({{ column }}) BETWEEN {{ n.first }} AND {{ n.last }})
{%- else -%}
(flowlake_ipv6_hex({{ column }}) BETWEEN '{{ n.first_hex }}' AND '{{ n.last_hex }}')
{%- endif -%}
{%- endmacro %}

{#- An `address` parameter: a CIDR or address, or a text prefix as Insights users write
    (`srcAddr like "10.0.1."`); the prefix was validated to digits, hex, dots and colons. -#}
{% macro address_match(column, address) -%}
{%- if address.value is string -%}
{{ column }} LIKE '{{ address.value }}%'
{%- else -%}
{{ in_cidr(column, address) }}
{%- endif -%}
{%- endmacro %}

{#- RFC 1918, CGNAT, link-local, loopback and IPv6 ULA/link-local: not the public internet. -#}
{% macro is_private(column) -%}
({{ column }} LIKE '10.%' OR {{ column }} LIKE '192.168.%'
 OR regexp_like({{ column }}, '^172\.(1[6-9]|2[0-9]|3[01])\.')
 OR regexp_like({{ column }}, '^100\.(6[4-9]|[7-9][0-9]|1[01][0-9]|12[0-7])\.')
 OR {{ column }} LIKE '169.254.%' OR {{ column }} LIKE '127.%'
 OR regexp_like(lower({{ column }}), '^f[cd][0-9a-f]{2}:') OR lower({{ column }}) LIKE 'fe80:%')
{%- endmacro %}

{#- A CIDR held in a column (a security-group or network-ACL rule) contains an address column.
    Athena's contains() would match an IPv4 address against an IPv6 CIDR such as ::/0 (IPADDRESS
    holds IPv4 as IPv4-mapped IPv6), which a rule never does: the families must agree. DuckDB
    works the prefix out in SQL (sql/duckdb/ip_cidr_functions.sql), family included. -#}
{% macro cidr_contains(cidr_column, address) -%}
{%- if target == 'athena' -%}
((strpos({{ cidr_column }}, ':') > 0) = (strpos({{ address }}, ':') > 0) AND contains({{ cidr_column }}, TRY_CAST({{ address }} AS IPADDRESS)))
{%- else -%}
coalesce(flowlake_in_cidr({{ cidr_column }}, {{ address }}), FALSE)
{%- endif -%}
{%- endmacro %}

{#- Every address of CIDR `inner` is in CIDR `outer` (both columns): a prefix at least as long,
    and its first address inside. -#}
{% macro cidr_covers(outer, inner) -%}
(CAST(split_part({{ inner }}, '/', 2) AS INTEGER) >= CAST(split_part({{ outer }}, '/', 2) AS INTEGER) AND {{ cidr_contains(outer, "split_part(" ~ inner ~ ", '/', 1)") }})
{%- endmacro %}
