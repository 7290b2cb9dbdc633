{#- flowlake
title = "Network changes from CloudTrail, and the one behind each outage"
description = """
The calls that changed what traffic may pass (security-group rules, network-ACL entries and
associations, routes, gateways, peering, endpoints, an interface's groups), read from CloudTrail
(`cloudtrail_events`), in time order. Each destination whose requests were accepted and then
rejected (as action-changes finds them: the last ACCEPT, then the first REJECT after it) is
tied to the change just before it (only when a source accepted before is rejected after, so
a source that was never let in, such as an attacker beside an admin, is no outage): a successful call on one of the interface's security
groups, its subnet's network ACL or route table first, else any network change, the latest one
at or before the first REJECT (up to 10 minutes after it, since a flow record starts when its
aggregation interval does). `explains` lists those destinations; a destination with no change
in CloudTrail gets a row of its own (event_time is then when its traffic changed). Failed calls
(`error_code`) are listed but never blamed: they changed nothing. Without `flowlake config
snapshot` the interface's resources are unknown and the nearest change is taken.
"""
columns = ["event_time", "event_name", "resource_id", "change", "user_arn", "source_ip", "account_id", "region", "error_code", "explains", "last_accept_at", "changed_at"]
fields = ["interface_id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol", "action", "start"]
tables = ["cloudtrail_events"]
answers = [
    "seed: an event of RevokeSecurityGroupIngress was initiated on the security group: an ingress rule allowing HTTP (port 80) was removed",
    "seed: Check CloudTrail for who made changes: aws cloudtrail lookup-events --lookup-attributes AttributeKey=ResourceName,AttributeValue=sg-123",
    "seed: CloudTrail forensics: aws cloudtrail lookup-events --lookup-attributes AttributeKey=EventName,AttributeValue=DeleteSecurityGroup",
    "seed: High-risk actions that break traffic: SG rule modifications, NACL updates, route table changes, NAT gateway replacement",
]
insights = '''
fields @timestamp, eventName, requestParameters.groupId, userIdentity.arn
| filter eventSource = "ec2.amazonaws.com" and eventName like /SecurityGroup|NetworkAcl|Route/
| sort @timestamp desc'''

[params.resource_id]
type = "string"
help = "only changes to this group, ACL or route table (sg-..., acl-..., rtb-...)"

[params.dstaddr]
type = "address"
help = "only outages of this destination address, CIDR or prefix"

[params.limit]
type = "int"
default = 200
help = "how many rows, in time order"
-#}
WITH events AS (
    SELECT
        account_id, region, event_time, event_name, resource_id, change, user_arn, source_ip,
        error_code, event_id,
        TRUE{% if window.since %} AND event_time >= {{ window.since }}{% endif %}{% if window.until %} AND event_time < {{ window.until }}{% endif %} AS in_window
    FROM cloudtrail_events
{% if resource_id is not none %}
    WHERE resource_id = {{ resource_id }}
{% endif %}
),
requests AS (
    -- towards the lower of the two ports (the service side), as in action-changes
    SELECT interface_id, srcaddr, dstaddr, dstport, protocol, action, start_time
    FROM flow_logs
    WHERE action IS NOT NULL
        AND dstport <= srcport
        AND {{ time_window() }}
{% if dstaddr is not none %}
        AND {{ address_match('dstaddr', dstaddr) }}
{% endif %}
),
accepts AS (
    SELECT interface_id, dstaddr, dstport, protocol, max(start_time) AS last_accept_at
    FROM requests
    WHERE action = 'ACCEPT'
    GROUP BY interface_id, dstaddr, dstport, protocol
),
outages AS (
    SELECT a.interface_id, a.dstaddr, a.dstport, a.protocol, a.last_accept_at, min(r.start_time) AS changed_at
    FROM accepts AS a
    JOIN requests AS r
        ON r.interface_id = a.interface_id AND r.dstaddr = a.dstaddr AND r.dstport = a.dstport
        AND r.protocol = a.protocol AND r.action = 'REJECT' AND r.start_time > a.last_accept_at
    -- someone accepted before is rejected now: not a source that was never let in
    WHERE EXISTS (
        SELECT 1 FROM requests AS x
        WHERE x.action = 'ACCEPT' AND x.srcaddr = r.srcaddr AND x.interface_id = r.interface_id
            AND x.dstaddr = r.dstaddr AND x.dstport = r.dstport AND x.protocol = r.protocol
    )
    GROUP BY a.interface_id, a.dstaddr, a.dstport, a.protocol, a.last_accept_at
),
related AS (
    -- what each interface depends on: its groups, its subnet's ACL and route table
    SELECT interface_id, group_id AS resource_id FROM network_interface_groups
    UNION
    SELECT i.interface_id, s.network_acl_id
    FROM network_interfaces AS i JOIN network_acl_associations AS s ON s.subnet_id = i.subnet_id
    UNION
    SELECT i.interface_id, t.route_table_id
    FROM network_interfaces AS i JOIN route_table_associations AS t ON t.subnet_id = i.subnet_id
    UNION
    SELECT interface_id, interface_id FROM network_interfaces
),
candidates AS (
    SELECT
        o.*,
        e.event_id,
        row_number() OVER (
            PARTITION BY o.interface_id, o.dstaddr, o.dstport, o.protocol
            ORDER BY
                CASE WHEN r.resource_id IS NOT NULL THEN 0 ELSE 1 END,
                CASE WHEN e.event_time <= o.changed_at THEN 0 ELSE 1 END,
                abs(to_unixtime(o.changed_at) - to_unixtime(e.event_time)),
                e.event_id
        ) AS position
    FROM outages AS o
    JOIN events AS e
        ON e.error_code IS NULL AND e.event_time <= o.changed_at + INTERVAL '10' MINUTE
    LEFT JOIN related AS r ON r.interface_id = o.interface_id AND r.resource_id = e.resource_id
),
blamed AS (
    SELECT
        event_id,
        array_join(array_sort(array_agg(
            dstaddr || ' ' || CASE protocol WHEN 6 THEN 'tcp' WHEN 17 THEN 'udp' WHEN 1 THEN 'icmp'
                ELSE CAST(protocol AS VARCHAR) END || '/' || CAST(dstport AS VARCHAR) || ' on ' || interface_id
        )), '; ') AS explains,
        min(last_accept_at) AS last_accept_at,
        min(changed_at) AS changed_at
    FROM candidates
    WHERE position = 1
    GROUP BY event_id
),
listed AS (
    SELECT
        e.event_time, e.event_name, e.resource_id, e.change, e.user_arn, e.source_ip,
        e.account_id, e.region, e.error_code, b.explains, b.last_accept_at, b.changed_at
    FROM events AS e
    LEFT JOIN blamed AS b ON b.event_id = e.event_id
    WHERE e.in_window OR b.event_id IS NOT NULL
    UNION ALL
    SELECT
        o.changed_at, NULL, NULL,
        'no network change in CloudTrail before traffic to ' || o.dstaddr || ' port '
            || CAST(o.dstport AS VARCHAR) || ' was rejected',
        NULL, NULL, NULL, NULL, NULL,
        o.dstaddr || ' ' || CAST(o.protocol AS VARCHAR) || '/' || CAST(o.dstport AS VARCHAR) || ' on ' || o.interface_id,
        o.last_accept_at, o.changed_at
    FROM outages AS o
    WHERE NOT EXISTS (
        SELECT 1 FROM candidates AS c
        WHERE c.interface_id = o.interface_id AND c.dstaddr = o.dstaddr
            AND c.dstport = o.dstport AND c.protocol = o.protocol
    )
)
SELECT *
FROM listed
ORDER BY event_time, event_name, resource_id, change
LIMIT {{ limit }}
