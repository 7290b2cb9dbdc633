{#- flowlake
title = "Network ACLs that let a service in but not its answers out"
description = """
For each ALLOW entry of a network ACL that opens a service (a port or range that is not itself
an ephemeral range, an ICMP type, or all traffic), whether the answers may pass the other way:
network ACLs are stateless, so the replies to the clients' ephemeral ports need a rule of
their own. The replies are tried on ports 1024, 32768, 49152, 60999 and 65535 (the ranges AWS,
Linux and Windows use) towards the service rule's CIDR, reading the other direction's entries
lowest number first; ICMP is tried with the echo reply. `denied_ports` lists the ports whose
first matching entry denies, `denied_by` the entries that do. The fix allows 1024-65535 below
the first denying entry, as the seeds' war story did with rule 150.
"""
columns = ["network_acl_id", "subnet_ids", "direction", "service_rule", "return_traffic", "denied_ports", "denied_by", "fix"]
fields = []
tables = ["network_acl_entries"]
answers = [
    "seed: The 5-Minute Outage: NACL rule #100 allowed TCP/3306, but rule #200 denied ephemeral ports (32768-60999), breaking replies",
    "seed: Key diagnostic pattern: NACL missing outbound 1024-65535: allow the ephemeral port range",
    "seed: NACLs are stateless: explicitly allow both inbound and outbound directions for return traffic",
    "seed: Ephemeral ports (32768-60999) must be allowed bidirectionally",
]
-#}
{% macro proto(n) -%}
CASE {{ n }} WHEN -1 THEN 'all' WHEN 6 THEN 'tcp' WHEN 17 THEN 'udp' WHEN 1 THEN 'icmp' WHEN 58 THEN 'icmpv6' ELSE CAST({{ n }} AS VARCHAR) END
{%- endmacro %}
{% macro acl_text(a) -%}
CASE WHEN {{ a }}.is_default_rule THEN 'rule * (32767)' ELSE 'rule ' || CAST({{ a }}.rule_number AS VARCHAR) END
    || ' ' || upper({{ a }}.rule_action) || ' ' || {{ proto(a ~ '.protocol_number') }}
    || CASE WHEN {{ a }}.port_from IS NULL THEN '' WHEN {{ a }}.port_from = {{ a }}.port_to THEN ' ' || CAST({{ a }}.port_from AS VARCHAR)
            ELSE ' ' || CAST({{ a }}.port_from AS VARCHAR) || '-' || CAST({{ a }}.port_to AS VARCHAR) END
    || CASE WHEN {{ a }}.egress THEN ' to ' ELSE ' from ' END || coalesce({{ a }}.cidr_ipv4, {{ a }}.cidr_ipv6)
{%- endmacro %}
WITH services AS (
    SELECT
        e.*,
        {{ acl_text('e') }} AS service_rule,
        -- the answers: the other direction, the same protocol (TCP for all-traffic rules)
        CASE WHEN e.protocol_number = -1 THEN 6 ELSE e.protocol_number END AS reply_protocol,
        split_part(coalesce(e.cidr_ipv4, e.cidr_ipv6), '/', 1) AS client
    FROM network_acl_entries AS e
    WHERE e.rule_action = 'allow'
        AND NOT e.is_default_rule
        AND (e.protocol_number IN (-1, 1, 58)
            OR (e.protocol_number IN (6, 17)
                AND NOT (32768 BETWEEN e.port_from AND e.port_to OR 60999 BETWEEN e.port_from AND e.port_to)))
        AND (e.protocol_number NOT IN (1, 58) OR e.icmp_type IS NULL OR e.icmp_type IN (-1, 8, 128))
),
probes AS (
    SELECT s.*, p.port
    FROM services AS s
    CROSS JOIN (VALUES (1024), (32768), (49152), (60999), (65535)) AS p(port)
    WHERE s.reply_protocol NOT IN (1, 58) OR p.port = 1024  -- ICMP has no ports: one try
),
matches AS (
    SELECT
        p.network_acl_id,
        p.egress,
        p.rule_number,
        p.cidr_ipv4,
        p.cidr_ipv6,
        p.port,
        r.rule_number AS reply_rule,
        r.rule_action AS reply_action,
        {{ acl_text('r') }} AS reply_text,
        row_number() OVER (
            PARTITION BY p.network_acl_id, p.egress, p.rule_number, p.cidr_ipv4, p.cidr_ipv6, p.port
            ORDER BY r.rule_number
        ) AS position
    FROM probes AS p
    JOIN network_acl_entries AS r
        ON r.network_acl_id = p.network_acl_id AND r.egress <> p.egress
        AND r.account_id = p.account_id AND r.region = p.region
    WHERE (r.protocol_number = -1 OR r.protocol_number = p.reply_protocol)
        AND (p.reply_protocol NOT IN (6, 17) OR r.port_from IS NULL OR p.port BETWEEN r.port_from AND r.port_to)
        AND (p.reply_protocol NOT IN (1, 58) OR r.icmp_type IS NULL OR r.icmp_type IN (-1, 0, 129))
        AND ({{ cidr_contains('r.cidr_ipv4', 'p.client') }} OR {{ cidr_contains('r.cidr_ipv6', 'p.client') }})
),
denied AS (
    SELECT
        network_acl_id,
        egress,
        rule_number,
        cidr_ipv4,
        cidr_ipv6,
        array_join(array_sort(array_agg(port)), ', ') AS denied_ports,
        array_join(array_sort(array_distinct(array_agg(reply_text))), '; ') AS denied_by,
        min(reply_rule) AS first_deny
    FROM matches
    WHERE position = 1 AND reply_action = 'deny'
    GROUP BY network_acl_id, egress, rule_number, cidr_ipv4, cidr_ipv6
),
room AS (
    SELECT
        d.*,
        s.subnet_ids,
        s.service_rule,
        s.reply_protocol,
        s.protocol_number,
        (
            SELECT max(c.rule_number) FROM network_acl_entries AS c
            WHERE c.network_acl_id = d.network_acl_id AND c.egress <> d.egress
                AND c.rule_number < d.first_deny AND NOT c.is_default_rule
        ) AS below
    FROM denied AS d
    JOIN services AS s
        ON s.network_acl_id = d.network_acl_id AND s.egress = d.egress AND s.rule_number = d.rule_number
        AND coalesce(s.cidr_ipv4, '') = coalesce(d.cidr_ipv4, '') AND coalesce(s.cidr_ipv6, '') = coalesce(d.cidr_ipv6, '')
)
SELECT
    network_acl_id,
    subnet_ids,
    CASE WHEN egress THEN 'outbound' ELSE 'inbound' END AS direction,
    service_rule,
    {{ proto('reply_protocol') }}
        || CASE WHEN reply_protocol IN (1, 58) THEN ' echo reply' ELSE ' 1024-65535' END
        || CASE WHEN egress THEN ' from ' ELSE ' to ' END || coalesce(cidr_ipv4, cidr_ipv6) AS return_traffic,
    CASE WHEN reply_protocol IN (1, 58) THEN 'echo reply' ELSE denied_ports END AS denied_ports,
    denied_by,
    'aws ec2 create-network-acl-entry --network-acl-id ' || network_acl_id || ' --rule-number '
        || CAST(CASE WHEN first_deny = 32767 THEN least(coalesce(below, 0) + 10, 32766)
                     ELSE CAST(floor((coalesce(below, 0) + first_deny) / 2.0) AS INTEGER) END AS VARCHAR)
        || ' --protocol ' || CASE reply_protocol WHEN 6 THEN 'tcp' WHEN 17 THEN 'udp' WHEN 1 THEN 'icmp' ELSE CAST(reply_protocol AS VARCHAR) END
        || CASE WHEN reply_protocol = 1 THEN ' --icmp-type-code Type=0,Code=-1'
                WHEN reply_protocol = 58 THEN ' --icmp-type-code Type=129,Code=-1'
                ELSE ' --port-range From=1024,To=65535' END
        || CASE WHEN cidr_ipv4 IS NOT NULL THEN ' --cidr-block ' || cidr_ipv4 ELSE ' --ipv6-cidr-block ' || cidr_ipv6 END
        || ' --rule-action allow' || CASE WHEN egress THEN ' --ingress' ELSE ' --egress' END AS fix
FROM room
ORDER BY network_acl_id, direction, service_rule
