{#- Service ports: which destination ports mean administrative or database access, shared by
    admin-port-traffic and sensitive-port-exposure so both queries agree on one list. This is
    data, not a dialect difference: both engines get the same SQL. -#}

{% set _services = {
    'ssh': [22],
    'telnet': [23],
    'rdp': [3389],
    'vnc': [5900],
    'winrm': [5985, 5986],
    'mssql': [1433],
    'oracle': [1521],
    'mysql': [3306],
    'postgresql': [5432],
    'redis': [6379],
    'cassandra': [9042],
    'elasticsearch': [9200, 9300],
    'memcached': [11211],
    'mongodb': [27017],
} %}
{% set _admin = ['ssh', 'telnet', 'rdp', 'vnc', 'winrm'] %}
{% set _database = ['mssql', 'oracle', 'mysql', 'postgresql', 'redis', 'cassandra',
                    'elasticsearch', 'memcached', 'mongodb'] %}
{% set _groups = {
    'ssh-rdp': ['ssh', 'rdp'],
    'admin': _admin,
    'database': _database,
    'sensitive': _admin + _database,
} %}

{#- The ports of a group (ssh-rdp, admin, database, sensitive), for `column IN (...)`. -#}
{% macro service_ports(group) -%}
{%- set found = namespace(ports=[]) -%}
{%- for name in _groups[group] %}{% set found.ports = found.ports + _services[name] %}{% endfor -%}
{{ found.ports | sort | join(', ') }}
{%- endmacro %}

{#- The service a port number stands for (ssh, rdp, mysql ...), NULL for other ports. -#}
{% macro service_name(column) -%}
CASE {{ column }}
{%- for name, ports in _services.items() %}{% for port in ports %} WHEN {{ port }} THEN '{{ name }}'{% endfor %}{% endfor %} END
{%- endmacro %}
