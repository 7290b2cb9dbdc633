{#- flowlake
title = "Security-group rules that repeat or sit inside another rule"
description = """
Rules of one security group, in one direction, that allow nothing another rule of the same
group does not already allow: an identical permission under another description, or a
narrower one (a port range and a peer CIDR inside another rule's, the same referenced group or
prefix list, any protocol covered by an all-traffic rule). The seeds' phantom timeouts came
from overlapping rules with different descriptions; an overlap also hides what a later
revoke really removes. One row per redundant rule, with the first rule that covers it and the
command that removes it.
"""
columns = ["group_id", "group_name", "vpc_id", "direction", "rule", "covered_by", "kind", "description", "covering_description", "fix"]
fields = []
tables = ["security_group_rules"]
answers = [
    "seed: The Case of the Phantom Timeouts: overlapping SG rules with different description fields but identical IP permissions",
    "seed: aws ec2 describe-security-groups --query 'SecurityGroups[*].IpPermissions' | jq 'group_by(.FromPort, .ToPort, .IpProtocol, .IpRanges)[] | select(length > 1)'",
]

[params.group_id]
type = "string"
help = "only this security group (sg-...)"
-#}
{% macro rule_text(r) -%}
CASE {{ r }}.protocol_number WHEN -1 THEN 'all' WHEN 6 THEN 'tcp' WHEN 17 THEN 'udp' WHEN 1 THEN 'icmp' WHEN 58 THEN 'icmpv6' ELSE CAST({{ r }}.protocol_number AS VARCHAR) END
    || CASE WHEN {{ r }}.from_port IS NULL THEN '' WHEN {{ r }}.from_port = {{ r }}.to_port THEN ' ' || CAST({{ r }}.from_port AS VARCHAR)
            ELSE ' ' || CAST({{ r }}.from_port AS VARCHAR) || '-' || CAST({{ r }}.to_port AS VARCHAR) END
    || CASE WHEN {{ r }}.direction = 'ingress' THEN ' from ' ELSE ' to ' END
    || coalesce({{ r }}.cidr_ipv4, {{ r }}.cidr_ipv6, {{ r }}.prefix_list_id, {{ r }}.referenced_group_id)
{%- endmacro %}
WITH rules AS (
    SELECT
        r.*,
        row_number() OVER (
            ORDER BY r.group_id, r.direction, r.protocol_number, r.from_port, r.to_port, r.cidr_ipv4,
                r.cidr_ipv6, r.prefix_list_id, r.referenced_group_id, r.description
        ) AS rule_id
    FROM security_group_rules AS r
{% if group_id is not none %}
    WHERE r.group_id = {{ group_id }}
{% endif %}
),
pairs AS (
    SELECT
        a.*,
        b.rule_id AS covering_id,
        {{ rule_text('b') }} AS covered_by,
        b.description AS covering_description,
        -- the same permission both ways: report the later one only
        (a.protocol_number = b.protocol_number
            AND coalesce(a.from_port, -2) = coalesce(b.from_port, -2) AND coalesce(a.to_port, -2) = coalesce(b.to_port, -2)
            AND coalesce(a.cidr_ipv4, '') = coalesce(b.cidr_ipv4, '') AND coalesce(a.cidr_ipv6, '') = coalesce(b.cidr_ipv6, '')
            AND coalesce(a.prefix_list_id, '') = coalesce(b.prefix_list_id, '')
            AND coalesce(a.referenced_group_id, '') = coalesce(b.referenced_group_id, '')) AS identical
    FROM rules AS a
    JOIN rules AS b
        ON b.group_id = a.group_id AND b.direction = a.direction AND b.account_id = a.account_id
        AND b.region = a.region AND b.rule_id <> a.rule_id
    WHERE (b.protocol_number = -1 OR b.protocol_number = a.protocol_number)
        AND (b.from_port IS NULL OR b.protocol_number = -1
            OR (a.from_port IS NOT NULL AND b.from_port IN (-1, a.from_port) AND b.to_port IN (-1, a.to_port)
                AND a.protocol_number IN (1, 58))
            OR (a.from_port IS NOT NULL AND a.from_port >= b.from_port AND a.to_port <= b.to_port
                AND a.protocol_number NOT IN (1, 58)))
        AND ((a.cidr_ipv4 IS NOT NULL AND b.cidr_ipv4 IS NOT NULL AND {{ cidr_covers('b.cidr_ipv4', 'a.cidr_ipv4') }})
            OR (a.cidr_ipv6 IS NOT NULL AND b.cidr_ipv6 IS NOT NULL AND {{ cidr_covers('b.cidr_ipv6', 'a.cidr_ipv6') }})
            OR a.prefix_list_id = b.prefix_list_id
            OR a.referenced_group_id = b.referenced_group_id)
),
redundant AS (
    SELECT
        p.*,
        row_number() OVER (PARTITION BY p.rule_id ORDER BY p.covering_id) AS position
    FROM pairs AS p
    WHERE NOT p.identical OR p.rule_id > p.covering_id
)
SELECT
    group_id,
    group_name,
    vpc_id,
    direction,
    {{ rule_text('r') }} AS rule,
    covered_by,
    CASE WHEN identical THEN 'duplicate' ELSE 'inside another rule' END AS kind,
    description,
    covering_description,
    'aws ec2 revoke-security-group-' || direction || ' --group-id ' || group_id
        || ' --ip-permissions IpProtocol=' || protocol
        || CASE WHEN from_port IS NULL THEN ''
                ELSE ',FromPort=' || CAST(from_port AS VARCHAR) || ',ToPort=' || CAST(to_port AS VARCHAR) END
        || CASE WHEN cidr_ipv4 IS NOT NULL THEN ',IpRanges=[{CidrIp=' || cidr_ipv4 || '}]'
                WHEN cidr_ipv6 IS NOT NULL THEN ',Ipv6Ranges=[{CidrIpv6=' || cidr_ipv6 || '}]'
                WHEN prefix_list_id IS NOT NULL THEN ',PrefixListIds=[{PrefixListId=' || prefix_list_id || '}]'
                ELSE ',UserIdGroupPairs=[{GroupId=' || referenced_group_id || '}]' END AS fix
FROM redundant AS r
WHERE position = 1
ORDER BY group_id, direction, rule
