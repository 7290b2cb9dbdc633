{#- flowlake
title = "Which rule rejected it: security group or network ACL, and the fix"
description = """
For every rejected flow (grouped by interface, peer, service port and protocol), the layer and
the rule that dropped it, from the network configuration in the lake (`flowlake config
snapshot` or `config import`), and the AWS CLI command that would let it through. The
interface's subnet network ACL is stateless: its rules for the packet's direction are read
lowest number first, the first match wins (the `*` rule 32767 denies). The interface's
security groups are stateful allow lists: a request needs a rule for its protocol, port and
peer (a CIDR, or a group the peer's interface is in); a response to an accepted request is
always let through. A rejected packet is a response when the interface accepted its request
(addresses and ports swapped) or when it leaves a well-known port for a high one. Evaluation
follows AWS's order: inbound, the ACL then the groups; outbound, the groups then the ACL.
`also` tells what the other layer and the other leg (request or response) would do, so one
fix is not followed by the next drop. `unknown` says why no rule was found (an interface not
in the snapshot, a prefix list, or rules that allow the traffic now: changed since, see
config-changes). ICMP types are not in flow logs: a request is taken as an echo request, a
response as its reply.
"""
columns = ["interface_id", "direction", "leg", "local_address", "peer_address", "protocol", "port", "flows", "first_seen", "last_seen", "blocked_by", "rule", "fix", "also"]
fields = ["interface_id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol", "action", "start"]
tables = ["network_interfaces", "network_interface_addresses", "network_interface_groups", "security_group_rules", "network_acl_entries", "network_acl_associations"]
answers = [
    "seed: Flow Logs don't directly say which layer (SG/NACL) caused the denial - infer it using packet direction and rules",
    "seed: Step 4 - check security group rules (inbound connection fails: verify ingress allows source and port); sample fix aws ec2 authorize-security-group-ingress",
    "seed: Step 5 - check network ACLs: return port range (1024-65535) blocked; create-network-acl-entry --port-range ... --rule-action allow",
    "seed: web server HTTP rejected: the security group allowed SSH but not HTTP (port 80)",
    "seed: rule #100 allowed TCP/3306, rule #200 denied the ephemeral ports: replies broken",
    "seed: a rogue NACL deny rule on port 22 (delete-network-acl-entry)",
    "AWS docs: inbound ping ACCEPT, response REJECTed by the network ACL",
]
insights = '''
fields @timestamp, interfaceId, srcAddr, dstAddr, srcPort, dstPort, action
| filter action = "REJECT"
| sort @timestamp desc'''

[params.interface_id]
type = "string"
help = "only this network interface (eni-...)"

[params.address]
type = "address"
help = "only flows with this local or peer address, CIDR or prefix"

[params.port]
type = "port"
help = "only this service port (the request's destination port)"

[params.layer]
type = "enum"
choices = ["all", "nacl", "security-group", "unknown"]
default = "all"
help = "only rejects attributed to this layer"

[params.limit]
type = "int"
default = 200
help = "how many rows, attributed ones first"
-#}
{#- protocol numbers as rules and the AWS CLI write them -#}
{% macro proto(n) -%}
CASE {{ n }} WHEN -1 THEN 'all' WHEN 6 THEN 'tcp' WHEN 17 THEN 'udp' WHEN 1 THEN 'icmp' WHEN 58 THEN 'icmpv6' ELSE CAST({{ n }} AS VARCHAR) END
{%- endmacro %}
{#- "acl-0abc rule 50 DENY tcp 22 from 203.0.113.7/32" for the first matching entry `a` -#}
{% macro acl_text(a) -%}
{{ a }}.network_acl_id || ' rule ' || CASE WHEN {{ a }}.is_default_rule THEN '* (32767)' ELSE CAST({{ a }}.rule_number AS VARCHAR) END
    || ' ' || upper({{ a }}.rule_action) || ' ' || {{ proto(a ~ '.protocol_number') }}
    || CASE WHEN {{ a }}.port_from IS NULL THEN ''
            WHEN {{ a }}.port_from = {{ a }}.port_to THEN ' ' || CAST({{ a }}.port_from AS VARCHAR)
            ELSE ' ' || CAST({{ a }}.port_from AS VARCHAR) || '-' || CAST({{ a }}.port_to AS VARCHAR) END
    || CASE WHEN {{ a }}.egress THEN ' to ' ELSE ' from ' END || coalesce({{ a }}.cidr_ipv4, {{ a }}.cidr_ipv6)
{%- endmacro %}
WITH conversations AS (
    -- one scan of the flow logs: rejected flows, and the accepted ones they may answer
    SELECT
        interface_id,
        srcaddr,
        dstaddr,
        srcport,
        dstport,
        protocol,
        action,
        count(*) AS flows,
        min(start_time) AS first_seen,
        max(start_time) AS last_seen
    FROM flow_logs
    WHERE action IN ('ACCEPT', 'REJECT')
        AND {{ time_window() }}
{% if interface_id is not none %}
        AND interface_id = {{ interface_id }}
{% endif %}
{% if address is not none %}
        AND ({{ address_match('srcaddr', address) }} OR {{ address_match('dstaddr', address) }})
{% endif %}
    GROUP BY interface_id, srcaddr, dstaddr, srcport, dstport, protocol, action
),
rejected AS (
    SELECT interface_id, srcaddr, dstaddr, srcport, dstport, protocol, flows, first_seen, last_seen
    FROM conversations
    WHERE action = 'REJECT'
),
answered AS (
    -- accepted flows on the same interfaces: a rejected packet going back is their response
    SELECT interface_id, srcaddr, dstaddr, srcport, dstport, protocol
    FROM conversations
    WHERE action = 'ACCEPT'
),
interfaces AS (
    SELECT interface_id, min(subnet_id) AS subnet_id
    FROM network_interfaces
    GROUP BY interface_id
),
packets AS (
    SELECT
        r.*,
        i.subnet_id,
        i.interface_id IS NOT NULL AS known,
        CASE
            WHEN i.interface_id IS NOT NULL THEN EXISTS (
                SELECT 1 FROM network_interface_addresses a
                WHERE a.interface_id = r.interface_id AND a.address = r.dstaddr
            )
            -- not in the snapshot: the private side is the interface's, else the server port
            WHEN {{ is_private('r.dstaddr') }} <> {{ is_private('r.srcaddr') }} THEN {{ is_private('r.dstaddr') }}
            ELSE r.dstport <= r.srcport
        END AS inbound,
        (q.interface_id IS NOT NULL
            OR (r.protocol IN (6, 17) AND r.srcport < 1024 AND r.dstport >= 1024)) AS is_response,
        EXISTS (
            SELECT 1 FROM network_interface_groups g WHERE g.interface_id = r.interface_id
        ) AS has_groups
    FROM rejected AS r
    LEFT JOIN interfaces AS i ON i.interface_id = r.interface_id
    LEFT JOIN answered AS q
        ON q.interface_id = r.interface_id AND q.srcaddr = r.dstaddr AND q.dstaddr = r.srcaddr
        AND q.srcport = r.dstport AND q.dstport = r.srcport AND q.protocol = r.protocol
),
sides AS (
    SELECT
        p.*,
        CASE WHEN p.inbound THEN p.srcaddr ELSE p.dstaddr END AS peer,
        CASE WHEN p.inbound THEN p.dstaddr ELSE p.srcaddr END AS local_address,
        p.inbound <> p.is_response AS request_inbound,
        CASE WHEN p.is_response THEN p.srcport ELSE p.dstport END AS service_port,
        -- ICMP types are not logged: an echo request and its reply
        CASE WHEN p.protocol = 58 THEN 128 ELSE 8 END AS request_icmp,
        CASE WHEN p.protocol = 58 THEN 129 ELSE 0 END AS response_icmp,
        row_number() OVER (
            ORDER BY p.interface_id, p.srcaddr, p.dstaddr, p.srcport, p.dstport, p.protocol
        ) AS packet_id
    FROM packets AS p
),
legs AS (
    -- the rejected packet, and the packet of the other leg (its request or its response)
    SELECT
        packet_id, subnet_id, protocol, peer, 'this' AS leg, NOT inbound AS egress,
        dstport AS port, CASE WHEN is_response THEN response_icmp ELSE request_icmp END AS icmp
    FROM sides
    WHERE known
    UNION ALL
    SELECT
        packet_id, subnet_id, protocol, peer, 'other' AS leg, inbound AS egress,
        srcport AS port, CASE WHEN is_response THEN request_icmp ELSE response_icmp END AS icmp
    FROM sides
    WHERE known
),
acl_matches AS (
    SELECT
        l.packet_id,
        l.leg,
        e.network_acl_id,
        e.egress,
        e.rule_number,
        e.rule_action,
        e.protocol_number,
        e.port_from,
        e.port_to,
        e.cidr_ipv4,
        e.cidr_ipv6,
        e.is_default_rule,
        row_number() OVER (PARTITION BY l.packet_id, l.leg ORDER BY e.rule_number) AS position
    FROM legs AS l
    JOIN network_acl_associations AS s ON s.subnet_id = l.subnet_id
    JOIN network_acl_entries AS e ON e.network_acl_id = s.network_acl_id AND e.egress = l.egress
    WHERE (e.protocol_number = -1 OR e.protocol_number = l.protocol)
        AND (l.protocol NOT IN (6, 17) OR e.port_from IS NULL OR l.port BETWEEN e.port_from AND e.port_to)
        AND (l.protocol NOT IN (1, 58) OR e.icmp_type IS NULL OR e.icmp_type IN (-1, l.icmp))
        AND ({{ cidr_contains('e.cidr_ipv4', 'l.peer') }} OR {{ cidr_contains('e.cidr_ipv6', 'l.peer') }})
),
acl AS (
    -- the entry that decides, and the highest rule number below it (room for a new rule)
    SELECT
        m.*,
        (
            SELECT max(b.rule_number) FROM network_acl_entries AS b
            WHERE b.network_acl_id = m.network_acl_id AND b.egress = m.egress
                AND b.rule_number < m.rule_number AND NOT b.is_default_rule
        ) AS below
    FROM acl_matches AS m
    WHERE m.position = 1
),
peer_groups AS (
    SELECT DISTINCT a.address, g.group_id
    FROM network_interface_addresses AS a
    JOIN network_interface_groups AS g ON g.interface_id = a.interface_id
),
sg_matches AS (
    SELECT
        s.packet_id,
        count(CASE WHEN r.prefix_list_id IS NULL THEN 1 END) AS allowing,
        min(r.prefix_list_id) AS prefix_list
    FROM sides AS s
    JOIN network_interface_groups AS g ON g.interface_id = s.interface_id
    JOIN security_group_rules AS r
        ON r.group_id = g.group_id
        AND r.direction = CASE WHEN s.request_inbound THEN 'ingress' ELSE 'egress' END
    LEFT JOIN peer_groups AS pg ON pg.address = s.peer AND pg.group_id = r.referenced_group_id
    WHERE (r.protocol_number = -1 OR r.protocol_number = s.protocol)
        AND (s.protocol NOT IN (6, 17) OR r.from_port IS NULL OR s.service_port BETWEEN r.from_port AND r.to_port)
        AND (s.protocol NOT IN (1, 58) OR r.from_port IS NULL OR r.from_port IN (-1, s.request_icmp))
        AND ({{ cidr_contains('r.cidr_ipv4', 's.peer') }} OR {{ cidr_contains('r.cidr_ipv6', 's.peer') }}
            OR pg.group_id IS NOT NULL OR r.prefix_list_id IS NOT NULL)
    GROUP BY s.packet_id
),
groups AS (
    SELECT
        interface_id,
        array_join(array_sort(array_distinct(array_agg(group_id))), ', ') AS group_ids,
        min(group_id) AS first_group
    FROM network_interface_groups
    GROUP BY interface_id
),
judged AS (
    SELECT
        s.*,
        t.network_acl_id AS acl_id,
        {{ acl_text('t') }} AS this_rule,
        {{ acl_text('o') }} AS other_rule,
        t.rule_action AS this_action,
        o.rule_action AS other_action,
        t.egress AS acl_egress,
        t.is_default_rule AS default_denied,
        t.port_from AS acl_port_from,
        t.port_to AS acl_port_to,
        t.rule_number AS acl_rule_number,
        coalesce(t.below, 0) AS acl_below,
        CASE WHEN o.rule_action = 'allow' AND o.cidr_ipv4 IS NOT NULL AND strpos(s.peer, ':') = 0 THEN o.cidr_ipv4
             WHEN o.rule_action = 'allow' AND o.cidr_ipv6 IS NOT NULL AND strpos(s.peer, ':') > 0 THEN o.cidr_ipv6
        END AS request_cidr,
        gr.group_ids,
        gr.first_group,
        s.has_groups AND coalesce(m.allowing, 0) = 0 AND m.prefix_list IS NULL AS sg_denies,
        coalesce(m.allowing, 0) = 0 AND m.prefix_list IS NOT NULL AS sg_maybe,
        m.prefix_list,
        CASE WHEN s.protocol IN (6, 17) THEN {{ proto('s.protocol') }} || '/' || CAST(s.service_port AS VARCHAR)
             ELSE {{ proto('s.protocol') }} END AS traffic,
        CASE WHEN strpos(s.peer, ':') > 0 THEN s.peer || '/128' ELSE s.peer || '/32' END AS peer_cidr
    FROM sides AS s
    LEFT JOIN acl AS t ON t.packet_id = s.packet_id AND t.leg = 'this'
    LEFT JOIN acl AS o ON o.packet_id = s.packet_id AND o.leg = 'other'
    LEFT JOIN sg_matches AS m ON m.packet_id = s.packet_id
    LEFT JOIN groups AS gr ON gr.interface_id = s.interface_id
),
verdicts AS (
    SELECT
        j.*,
        CASE
            WHEN NOT j.known THEN 'unknown'
            WHEN j.inbound AND j.this_action = 'deny' THEN 'nacl-inbound'
            WHEN NOT j.is_response AND j.sg_denies AND j.inbound THEN 'security-group-inbound'
            WHEN NOT j.is_response AND j.sg_denies THEN 'security-group-outbound'
            WHEN NOT j.inbound AND j.this_action = 'deny' THEN 'nacl-outbound'
            ELSE 'unknown'
        END AS blocked_by,
        -- a free rule number below the deny: halfway to the rule before it, or after the
        -- last numbered rule when the `*` rule denies
        CASE WHEN j.default_denied THEN least(j.acl_below + 10, 32766)
             ELSE CAST(floor((j.acl_below + j.acl_rule_number) / 2.0) AS INTEGER) END AS new_rule,
        CASE WHEN j.is_response THEN j.response_icmp ELSE j.request_icmp END AS packet_icmp,
        CASE WHEN j.is_response THEN coalesce(j.request_cidr, j.peer_cidr) ELSE j.peer_cidr END AS fix_cidr,
        CASE WHEN j.protocol = 6 THEN 'tcp' WHEN j.protocol = 17 THEN 'udp' WHEN j.protocol = 1 THEN 'icmp'
             ELSE CAST(j.protocol AS VARCHAR) END AS cli_protocol,
        CASE WHEN j.inbound THEN ' from ' ELSE ' to ' END AS towards
    FROM judged AS j
),
explained AS (
    SELECT
        v.interface_id,
        CASE WHEN NOT v.known THEN NULL WHEN v.inbound THEN 'inbound' ELSE 'outbound' END AS direction,
        CASE WHEN v.is_response THEN 'response' ELSE 'request' END AS leg,
        v.local_address,
        v.peer AS peer_address,
        v.protocol,
        v.service_port AS port,
        v.flows,
        v.first_seen,
        v.last_seen,
        v.blocked_by,
        CASE
            WHEN v.blocked_by LIKE 'nacl-%' THEN v.this_rule
            WHEN v.blocked_by LIKE 'security-group-%'
                THEN 'no security-group rule of ' || v.group_ids || ' allows ' || v.traffic || v.towards || v.peer
            WHEN NOT v.known THEN v.interface_id || ' is not in the config snapshot'
            WHEN v.acl_id IS NULL THEN 'no network ACL of ' || coalesce(v.subnet_id, 'its subnet') || ' in the config snapshot'
            WHEN v.sg_maybe THEN 'a rule of ' || v.group_ids || ' allows prefix list ' || v.prefix_list
                || ', which the snapshot does not expand: it may not hold ' || v.peer
            ELSE 'the snapshot allows it (' || v.this_rule || '; the security groups allow ' || v.traffic
                || v.towards || v.peer || '): the rules changed since (see config-changes), or the '
                || 'packet came after its connection closed'
        END AS rule,
        CASE
            WHEN v.blocked_by = 'security-group-inbound' AND v.protocol IN (6, 17) AND strpos(v.peer, ':') = 0
                THEN 'aws ec2 authorize-security-group-ingress --group-id ' || v.first_group || ' --protocol '
                    || v.cli_protocol || ' --port ' || CAST(v.service_port AS VARCHAR) || ' --cidr ' || v.peer_cidr
            WHEN v.blocked_by LIKE 'security-group-%'
                THEN 'aws ec2 authorize-security-group-' || CASE WHEN v.inbound THEN 'ingress' ELSE 'egress' END
                    || ' --group-id ' || v.first_group || ' --ip-permissions IpProtocol=' || v.cli_protocol
                    || CASE WHEN v.protocol IN (6, 17)
                            THEN ',FromPort=' || CAST(v.service_port AS VARCHAR) || ',ToPort=' || CAST(v.service_port AS VARCHAR)
                            WHEN v.protocol IN (1, 58) THEN ',FromPort=' || CAST(v.request_icmp AS VARCHAR) || ',ToPort=-1'
                            ELSE '' END
                    || CASE WHEN strpos(v.peer, ':') > 0 THEN ',Ipv6Ranges=[{CidrIpv6=' ELSE ',IpRanges=[{CidrIp=' END
                    || v.peer_cidr || '}]'
            WHEN v.blocked_by LIKE 'nacl-%' AND v.new_rule <= v.acl_below
                THEN 'no free rule number below ' || CAST(v.acl_rule_number AS VARCHAR) || ' in ' || v.acl_id
                    || ': renumber, then allow ' || v.traffic || v.towards || v.fix_cidr
            WHEN v.blocked_by LIKE 'nacl-%'
                THEN 'aws ec2 create-network-acl-entry --network-acl-id ' || v.acl_id || ' --rule-number '
                    || CAST(v.new_rule AS VARCHAR) || ' --protocol ' || v.cli_protocol
                    || CASE WHEN v.protocol NOT IN (6, 17) AND v.protocol NOT IN (1, 58) THEN ''
                            WHEN v.protocol IN (1, 58) THEN ' --icmp-type-code Type=' || CAST(v.packet_icmp AS VARCHAR) || ',Code=-1'
                            WHEN v.acl_port_from IS NOT NULL
                                THEN ' --port-range From=' || CAST(v.acl_port_from AS VARCHAR) || ',To=' || CAST(v.acl_port_to AS VARCHAR)
                            WHEN v.is_response THEN ' --port-range From=1024,To=65535'
                            ELSE ' --port-range From=' || CAST(v.dstport AS VARCHAR) || ',To=' || CAST(v.dstport AS VARCHAR) END
                    || CASE WHEN strpos(v.fix_cidr, ':') > 0 THEN ' --ipv6-cidr-block ' ELSE ' --cidr-block ' END
                    || v.fix_cidr || ' --rule-action allow ' || CASE WHEN v.acl_egress THEN '--egress' ELSE '--ingress' END
        END AS fix,
        nullif(concat_ws('; ',
            CASE WHEN v.blocked_by = 'nacl-inbound' AND NOT v.is_response AND v.sg_denies
                THEN 'the security groups would drop it too: no rule of ' || v.group_ids || ' allows '
                    || v.traffic || v.towards || v.peer END,
            CASE WHEN v.blocked_by = 'security-group-outbound' AND v.this_action = 'deny'
                THEN 'next, the network ACL would drop it: ' || v.this_rule END,
            {#- a request let through has its response judged by the ACL the other way #}
            CASE WHEN v.blocked_by <> 'unknown' AND NOT v.is_response AND v.other_action = 'deny'
                THEN 'the response would then be dropped: ' || v.other_rule END,
            CASE WHEN v.blocked_by LIKE 'nacl-%' AND v.is_response AND v.other_action = 'allow'
                THEN 'the request was let ' || CASE WHEN v.inbound THEN 'out' ELSE 'in' END
                    || ' by ' || v.other_rule END
        ), '') AS also
    FROM verdicts AS v
)
SELECT
    interface_id,
    direction,
    leg,
    local_address,
    peer_address,
    protocol,
    port,
    CAST(sum(flows) AS BIGINT) AS flows,
    min(first_seen) AS first_seen,
    max(last_seen) AS last_seen,
    blocked_by,
    rule,
    fix,
    also
FROM explained
{% if port is not none or layer.value != 'all' %}
WHERE TRUE
{% if port is not none %}
    AND port = {{ port }}
{% endif %}
{% if layer.value == 'unknown' %}
    AND blocked_by = 'unknown'
{% elif layer.value != 'all' %}
    AND blocked_by LIKE '{{ layer.value }}-%'
{% endif %}
{% endif %}
GROUP BY interface_id, direction, leg, local_address, peer_address, protocol, port, blocked_by, rule, fix, also
ORDER BY blocked_by = 'unknown', flows DESC, interface_id, peer_address, port, leg
LIMIT {{ limit }}
