WITH events AS (
  SELECT
    account_id,
    region,
    event_time,
    event_name,
    resource_id,
    change,
    user_arn,
    source_ip,
    error_code,
    event_id,
    TRUE
    AND event_time >= FROM_ISO8601_TIMESTAMP('2024-05-01T00:00:00Z')
    AND event_time < FROM_ISO8601_TIMESTAMP('2024-05-02T00:00:00Z') AS in_window
  FROM cloudtrail_events
), requests AS (
  /* towards the lower of the two ports (the service side), as in action-changes */
  SELECT
    interface_id,
    srcaddr,
    dstaddr,
    dstport,
    protocol,
    action,
    start_time
  FROM flow_logs
  WHERE
    NOT action IS NULL
    AND dstport <= srcport
    AND (
      start_time >= FROM_ISO8601_TIMESTAMP('2024-05-01T00:00:00Z')
      AND start_time < FROM_ISO8601_TIMESTAMP('2024-05-02T00:00:00Z')
      AND "day" BETWEEN '2024/05/01' AND '2024/05/02'
    )
), accepts AS (
  SELECT
    interface_id,
    dstaddr,
    dstport,
    protocol,
    MAX(start_time) AS last_accept_at
  FROM requests
  WHERE
    action = 'ACCEPT'
  GROUP BY
    interface_id,
    dstaddr,
    dstport,
    protocol
), outages AS (
  SELECT
    a.interface_id,
    a.dstaddr,
    a.dstport,
    a.protocol,
    a.last_accept_at,
    MIN(r.start_time) AS changed_at
  FROM accepts AS a
  JOIN requests AS r
    ON r.interface_id = a.interface_id
    AND r.dstaddr = a.dstaddr
    AND r.dstport = a.dstport
    AND r.protocol = a.protocol
    AND r.action = 'REJECT'
    AND r.start_time > a.last_accept_at
  /* someone accepted before is rejected now: not a source that was never let in */
  WHERE
    EXISTS(
      SELECT
        1
      FROM requests AS x
      WHERE
        x.action = 'ACCEPT'
        AND x.srcaddr = r.srcaddr
        AND x.interface_id = r.interface_id
        AND x.dstaddr = r.dstaddr
        AND x.dstport = r.dstport
        AND x.protocol = r.protocol
    )
  GROUP BY
    a.interface_id,
    a.dstaddr,
    a.dstport,
    a.protocol,
    a.last_accept_at
), related AS (
  /* what each interface depends on: its groups, its subnet's ACL and route table */
  SELECT
    interface_id,
    group_id AS resource_id
  FROM network_interface_groups
  UNION
  SELECT
    i.interface_id,
    s.network_acl_id
  FROM network_interfaces AS i
  JOIN network_acl_associations AS s
    ON s.subnet_id = i.subnet_id
  UNION
  SELECT
    i.interface_id,
    t.route_table_id
  FROM network_interfaces AS i
  JOIN route_table_associations AS t
    ON t.subnet_id = i.subnet_id
  UNION
  SELECT
    interface_id,
    interface_id
  FROM network_interfaces
), candidates AS (
  SELECT
    o.*,
    e.event_id,
    ROW_NUMBER() OVER (
      PARTITION BY o.interface_id, o.dstaddr, o.dstport, o.protocol
      ORDER BY CASE WHEN NOT r.resource_id IS NULL THEN 0 ELSE 1 END, CASE WHEN e.event_time <= o.changed_at THEN 0 ELSE 1 END, ABS(TO_UNIXTIME(o.changed_at) - TO_UNIXTIME(e.event_time)), e.event_id
    ) AS position
  FROM outages AS o
  JOIN events AS e
    ON e.error_code IS NULL AND e.event_time <= o.changed_at + INTERVAL '10' MINUTE
  LEFT JOIN related AS r
    ON r.interface_id = o.interface_id AND r.resource_id = e.resource_id
), blamed AS (
  SELECT
    event_id,
    ARRAY_JOIN(
      ARRAY_SORT(
        ARRAY_AGG(
          dstaddr || ' ' || CASE protocol
            WHEN 6
            THEN 'tcp'
            WHEN 17
            THEN 'udp'
            WHEN 1
            THEN 'icmp'
            ELSE CAST(protocol AS VARCHAR)
          END || '/' || CAST(dstport AS VARCHAR) || ' on ' || interface_id
        )
      ),
      '; '
    ) AS explains,
    MIN(last_accept_at) AS last_accept_at,
    MIN(changed_at) AS changed_at
  FROM candidates
  WHERE
    position = 1
  GROUP BY
    event_id
), listed AS (
  SELECT
    e.event_time,
    e.event_name,
    e.resource_id,
    e.change,
    e.user_arn,
    e.source_ip,
    e.account_id,
    e.region,
    e.error_code,
    b.explains,
    b.last_accept_at,
    b.changed_at
  FROM events AS e
  LEFT JOIN blamed AS b
    ON b.event_id = e.event_id
  WHERE
    e.in_window OR NOT b.event_id IS NULL
  UNION ALL
  SELECT
    o.changed_at,
    NULL,
    NULL,
    'no network change in CloudTrail before traffic to ' || o.dstaddr || ' port ' || CAST(o.dstport AS VARCHAR) || ' was rejected',
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    o.dstaddr || ' ' || CAST(o.protocol AS VARCHAR) || '/' || CAST(o.dstport AS VARCHAR) || ' on ' || o.interface_id,
    o.last_accept_at,
    o.changed_at
  FROM outages AS o
  WHERE
    NOT EXISTS(
      SELECT
        1
      FROM candidates AS c
      WHERE
        c.interface_id = o.interface_id
        AND c.dstaddr = o.dstaddr
        AND c.dstport = o.dstport
        AND c.protocol = o.protocol
    )
)
SELECT
  *
FROM listed
ORDER BY
  event_time,
  event_name,
  resource_id,
  change
LIMIT 200
