WITH seen AS (
  SELECT
    interface_id,
    srcaddr,
    dstaddr,
    srcport,
    dstport,
    protocol,
    action,
    start_time,
    end_time
  FROM flow_logs
  WHERE
    NOT action IS NULL
    AND (
      start_time >= CAST('2024-05-01T00:00:00Z' AS TIMESTAMPTZ)
      AND start_time < CAST('2024-05-02T00:00:00Z' AS TIMESTAMPTZ)
    )
), interface_addresses AS (
  SELECT
    interface_id,
    address,
    ROW_NUMBER() OVER (
      PARTITION BY interface_id
      ORDER BY COUNT(*) DESC, COUNT_IF(serves) DESC, (
        address LIKE '10.%'
        OR address LIKE '192.168.%'
        OR REGEXP_MATCHES(address, '^172\.(1[6-9]|2[0-9]|3[01])\.')
        OR REGEXP_MATCHES(address, '^100\.(6[4-9]|[7-9][0-9]|1[01][0-9]|12[0-7])\.')
        OR address LIKE '169.254.%'
        OR address LIKE '127.%'
        OR REGEXP_MATCHES(LOWER(address), '^f[cd][0-9a-f]{2}:')
        OR LOWER(address) LIKE 'fe80:%'
      ) DESC, address
    ) AS place
  FROM (
    SELECT
      interface_id,
      srcaddr AS address,
      srcport < dstport AS serves
    FROM seen
    UNION ALL
    SELECT
      interface_id,
      dstaddr AS address,
      dstport < srcport AS serves
    FROM seen
  ) AS ends
  GROUP BY
    interface_id,
    address
), traffic AS (
  SELECT
    *
  FROM seen
  WHERE
    TRUE
), directions AS (
  SELECT
    interface_id,
    srcaddr,
    dstaddr,
    srcport,
    dstport,
    protocol,
    MIN(start_time) AS first_start
  FROM traffic
  GROUP BY
    interface_id,
    srcaddr,
    dstaddr,
    srcport,
    dstport,
    protocol
), roles AS (
  SELECT
    d.interface_id,
    d.srcaddr,
    d.dstaddr,
    d.srcport,
    d.dstport,
    d.protocol,
    CASE
      WHEN d.dstport < 1024 AND d.srcport >= 1024
      THEN TRUE
      WHEN d.srcport < 1024 AND d.dstport >= 1024
      THEN FALSE
      WHEN reverse_leg.first_start IS NULL
      THEN TRUE
      WHEN d.first_start <> reverse_leg.first_start
      THEN d.first_start < reverse_leg.first_start
      WHEN d.dstport <> d.srcport
      THEN d.dstport < d.srcport
      WHEN d.dstaddr = own.address
      THEN TRUE
      WHEN d.srcaddr = own.address
      THEN FALSE
      ELSE d.srcaddr < d.dstaddr
    END AS is_request,
    NOT reverse_leg.first_start IS NULL AS has_reverse,
    own.address AS interface_address
  FROM directions AS d
  LEFT JOIN directions AS reverse_leg
    ON reverse_leg.interface_id = d.interface_id
    AND reverse_leg.srcaddr = d.dstaddr
    AND reverse_leg.dstaddr = d.srcaddr
    AND reverse_leg.srcport = d.dstport
    AND reverse_leg.dstport = d.srcport
    AND reverse_leg.protocol = d.protocol
  LEFT JOIN interface_addresses AS own
    ON own.interface_id = d.interface_id AND own.place = 1
), legs AS (
  SELECT
    t.*,
    r.is_request,
    r.has_reverse,
    r.interface_address
  FROM traffic AS t
  JOIN roles AS r
    ON r.interface_id = t.interface_id
    AND r.srcaddr = t.srcaddr
    AND r.dstaddr = t.dstaddr
    AND r.srcport = t.srcport
    AND r.dstport = t.dstport
    AND r.protocol = t.protocol
), requests AS (
  SELECT
    ROW_NUMBER() OVER () AS request_id,
    legs.*
  FROM legs
  WHERE
    is_request
), answered AS (
  SELECT
    q.interface_id,
    q.interface_address,
    q.srcaddr AS client,
    q.dstaddr AS server,
    q.dstport AS server_port,
    q.protocol,
    q.action AS request_action,
    CASE
      WHEN COUNT_IF(a.action = 'REJECT') > 0
      THEN 'REJECT'
      WHEN COUNT(a.action) > 0
      THEN 'ACCEPT'
    END AS response_action,
    q.start_time
  FROM requests AS q
  LEFT JOIN legs AS a
    ON NOT a.is_request
    AND a.interface_id = q.interface_id
    AND a.srcaddr = q.dstaddr
    AND a.dstaddr = q.srcaddr
    AND a.srcport = q.dstport
    AND a.dstport = q.srcport
    AND a.protocol = q.protocol
    AND a.start_time <= q.end_time
    AND a.end_time >= q.start_time
  GROUP BY
    q.request_id,
    q.interface_id,
    q.interface_address,
    q.srcaddr,
    q.dstaddr,
    q.dstport,
    q.protocol,
    q.action,
    q.start_time
), conversations AS (
  SELECT
    *
  FROM answered
  UNION ALL
  SELECT
    interface_id,
    interface_address,
    dstaddr AS client,
    srcaddr AS server,
    srcport AS server_port,
    protocol,
    CAST(NULL AS TEXT) AS request_action,
    action AS response_action,
    start_time
  FROM legs
  WHERE
    NOT is_request AND NOT has_reverse
), classified AS (
  SELECT
    interface_id,
    CASE
      WHEN server = interface_address
      THEN 'inbound'
      WHEN client = interface_address
      THEN 'outbound'
      ELSE 'unknown'
    END AS direction,
    client,
    server,
    server_port,
    protocol,
    request_action,
    response_action,
    CASE
      WHEN request_action = 'REJECT'
      THEN 'sg-or-nacl'
      WHEN request_action = 'ACCEPT' AND response_action = 'REJECT'
      THEN 'nacl'
      WHEN request_action = 'ACCEPT' AND response_action = 'ACCEPT'
      THEN 'ok'
      WHEN request_action = 'ACCEPT'
      THEN 'no-response'
      ELSE 'response-only'
    END AS likely_cause,
    start_time
  FROM conversations
)
SELECT
  interface_id,
  direction,
  client,
  server,
  server_port,
  protocol,
  request_action,
  response_action,
  likely_cause,
  COUNT(*) AS flows,
  MIN(start_time) AS first_seen,
  MAX(start_time) AS last_seen,
  CASE
    WHEN likely_cause = 'sg-or-nacl' AND direction = 'outbound'
    THEN 'outbound rule of the security group, or of the network ACL of this subnet'
    WHEN likely_cause = 'sg-or-nacl'
    THEN 'inbound rule of the security group, or of the network ACL of this subnet'
    WHEN likely_cause = 'nacl' AND direction = 'outbound'
    THEN 'network ACL inbound rule for the return traffic from the server (NACLs are stateless)'
    WHEN likely_cause = 'nacl'
    THEN 'network ACL outbound rule for the return traffic to the client (NACLs are stateless)'
    WHEN likely_cause = 'no-response'
    THEN 'accepted, no answer on this interface: is the service listening?'
    WHEN likely_cause = 'response-only'
    THEN 'an answer whose request is not in the window (or a late packet after close)'
  END AS advice
FROM classified
WHERE
  likely_cause IN ('sg-or-nacl', 'nacl')
GROUP BY
  interface_id,
  direction,
  client,
  server,
  server_port,
  protocol,
  request_action,
  response_action,
  likely_cause
ORDER BY
  CASE likely_cause WHEN 'nacl' THEN 1 WHEN 'sg-or-nacl' THEN 2 ELSE 3 END,
  flows DESC,
  interface_id,
  client,
  server,
  server_port,
  protocol,
  request_action,
  response_action
LIMIT 100
