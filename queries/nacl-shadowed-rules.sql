{#- flowlake
title = "Network-ACL rules that never apply: a lower number matches first"
description = """
Entries of a network ACL that a lower-numbered entry of the same ACL and direction fully
covers (protocol, port range, ICMP type and CIDR): ACLs stop at the first match, so the later
entry is never read. When the two disagree (`conflict`, e.g. an ALLOW added after a DENY to
repair it) the later one's intent is lost; when they agree (`redundant`) it only adds noise.
The fix re-creates a conflicting entry below the one that shadows it (then delete the old
number), or deletes a redundant one. The `*` rule is never listed.
"""
columns = ["network_acl_id", "subnet_ids", "direction", "rule", "shadowed_by", "kind", "fix"]
fields = []
tables = ["network_acl_entries"]
answers = [
    "seed: The Rule-Order Bomb: adding a deny rule at #50 after allowing at #100: traffic silently drops (first match wins)",
    "seed: aws ec2 describe-network-acls --query 'NetworkAcls[*].Entries[?RuleNumber==`50`]' to audit rule ordering",
    "seed: Rule evaluation order matters (lowest number first)",
]
-#}
{% macro acl_text(a) -%}
'rule ' || CAST({{ a }}.rule_number AS VARCHAR) || ' ' || upper({{ a }}.rule_action) || ' '
    || CASE {{ a }}.protocol_number WHEN -1 THEN 'all' WHEN 6 THEN 'tcp' WHEN 17 THEN 'udp' WHEN 1 THEN 'icmp' WHEN 58 THEN 'icmpv6' ELSE CAST({{ a }}.protocol_number AS VARCHAR) END
    || CASE WHEN {{ a }}.port_from IS NULL THEN '' WHEN {{ a }}.port_from = {{ a }}.port_to THEN ' ' || CAST({{ a }}.port_from AS VARCHAR)
            ELSE ' ' || CAST({{ a }}.port_from AS VARCHAR) || '-' || CAST({{ a }}.port_to AS VARCHAR) END
    || CASE WHEN {{ a }}.egress THEN ' to ' ELSE ' from ' END || coalesce({{ a }}.cidr_ipv4, {{ a }}.cidr_ipv6)
{%- endmacro %}
WITH pairs AS (
    SELECT
        b.*,
        a.rule_number AS first_number,
        a.rule_action AS first_action,
        {{ acl_text('a') }} AS shadowed_by,
        (
            SELECT max(c.rule_number) FROM network_acl_entries AS c
            WHERE c.network_acl_id = a.network_acl_id AND c.egress = a.egress
                AND c.rule_number < a.rule_number
        ) AS below,
        row_number() OVER (
            PARTITION BY b.network_acl_id, b.egress, b.rule_number, b.cidr_ipv4, b.cidr_ipv6 ORDER BY a.rule_number
        ) AS position
    FROM network_acl_entries AS b
    JOIN network_acl_entries AS a
        ON a.network_acl_id = b.network_acl_id AND a.egress = b.egress
        AND a.account_id = b.account_id AND a.region = b.region
        AND a.rule_number < b.rule_number
    WHERE NOT b.is_default_rule
        AND (a.protocol_number = -1 OR a.protocol_number = b.protocol_number)
        AND (a.port_from IS NULL OR (b.port_from IS NOT NULL AND b.port_from >= a.port_from AND b.port_to <= a.port_to))
        AND (a.icmp_type IS NULL OR a.icmp_type = -1 OR a.icmp_type = b.icmp_type)
        AND ((a.cidr_ipv4 IS NOT NULL AND b.cidr_ipv4 IS NOT NULL AND {{ cidr_covers('a.cidr_ipv4', 'b.cidr_ipv4') }})
            OR (a.cidr_ipv6 IS NOT NULL AND b.cidr_ipv6 IS NOT NULL AND {{ cidr_covers('a.cidr_ipv6', 'b.cidr_ipv6') }}))
)
SELECT
    network_acl_id,
    subnet_ids,
    CASE WHEN egress THEN 'outbound' ELSE 'inbound' END AS direction,
    {{ acl_text('p') }} AS rule,
    shadowed_by,
    CASE WHEN rule_action = first_action THEN 'redundant' ELSE 'conflict' END AS kind,
    CASE
        WHEN rule_action = first_action
            THEN 'aws ec2 delete-network-acl-entry --network-acl-id ' || network_acl_id || ' --rule-number '
                || CAST(rule_number AS VARCHAR) || CASE WHEN egress THEN ' --egress' ELSE ' --ingress' END
        WHEN CAST(floor((coalesce(below, 0) + first_number) / 2.0) AS INTEGER) <= coalesce(below, 0)
            THEN 'no free rule number below ' || CAST(first_number AS VARCHAR) || ': renumber the ACL'
        ELSE 'aws ec2 create-network-acl-entry --network-acl-id ' || network_acl_id || ' --rule-number '
            || CAST(CAST(floor((coalesce(below, 0) + first_number) / 2.0) AS INTEGER) AS VARCHAR)
            || ' --protocol ' || CASE protocol_number WHEN 6 THEN 'tcp' WHEN 17 THEN 'udp' WHEN 1 THEN 'icmp' ELSE CAST(protocol_number AS VARCHAR) END
            || CASE WHEN port_from IS NOT NULL THEN ' --port-range From=' || CAST(port_from AS VARCHAR) || ',To=' || CAST(port_to AS VARCHAR)
                    WHEN icmp_type IS NOT NULL THEN ' --icmp-type-code Type=' || CAST(icmp_type AS VARCHAR) || ',Code=' || CAST(coalesce(icmp_code, -1) AS VARCHAR)
                    ELSE '' END
            || CASE WHEN cidr_ipv4 IS NOT NULL THEN ' --cidr-block ' || cidr_ipv4 ELSE ' --ipv6-cidr-block ' || cidr_ipv6 END
            || ' --rule-action ' || rule_action || CASE WHEN egress THEN ' --egress' ELSE ' --ingress' END
    END AS fix
FROM pairs AS p
WHERE position = 1
ORDER BY network_acl_id, egress, rule_number
