WITH traffic AS (
  SELECT
    interface_id,
    srcaddr,
    dstaddr,
    srcport,
    dstport,
    protocol,
    action,
    start_time
  FROM flow_logs
  WHERE
    NOT action IS NULL
    AND (
      start_time >= FROM_ISO8601_TIMESTAMP('2024-05-01T00:00:00Z')
      AND start_time < FROM_ISO8601_TIMESTAMP('2024-05-02T00:00:00Z')
      AND "day" BETWEEN '2024/05/01' AND '2024/05/02'
    )
), conversations AS (
  SELECT DISTINCT
    interface_id,
    srcaddr,
    dstaddr,
    srcport,
    dstport,
    protocol
  FROM traffic
), probes AS (
  SELECT
    t.srcaddr,
    t.dstaddr,
    t.dstport,
    t.protocol,
    t.action,
    t.start_time,
    CAST(FLOOR(TO_UNIXTIME(t.start_time) / 3600) * 3600 AS BIGINT) AS window_a,
    CAST(FLOOR(TO_UNIXTIME(t.start_time + INTERVAL '1800' SECOND) / 3600) * 3600 AS BIGINT) AS window_b
  FROM traffic AS t
  LEFT JOIN conversations AS reverse_leg
    ON reverse_leg.interface_id = t.interface_id
    AND reverse_leg.srcaddr = t.dstaddr
    AND reverse_leg.dstaddr = t.srcaddr
    AND reverse_leg.srcport = t.dstport
    AND reverse_leg.dstport = t.srcport
    AND reverse_leg.protocol = t.protocol
  WHERE
    reverse_leg.interface_id IS NULL OR t.dstport <= t.srcport
), vertical_a AS (
  SELECT
    srcaddr,
    dstaddr,
    protocol,
    window_a
  FROM probes
  GROUP BY
    srcaddr,
    dstaddr,
    protocol,
    window_a
  HAVING
    COUNT(DISTINCT dstport) >= 20
), horizontal_a AS (
  SELECT
    srcaddr,
    dstport,
    protocol,
    window_a
  FROM probes
  GROUP BY
    srcaddr,
    dstport,
    protocol,
    window_a
  HAVING
    COUNT(DISTINCT dstaddr) >= 10
), vertical_b AS (
  SELECT
    srcaddr,
    dstaddr,
    protocol,
    window_b
  FROM probes
  GROUP BY
    srcaddr,
    dstaddr,
    protocol,
    window_b
  HAVING
    COUNT(DISTINCT dstport) >= 20
), horizontal_b AS (
  SELECT
    srcaddr,
    dstport,
    protocol,
    window_b
  FROM probes
  GROUP BY
    srcaddr,
    dstport,
    protocol,
    window_b
  HAVING
    COUNT(DISTINCT dstaddr) >= 10
), vertical AS (
  SELECT
    'vertical' AS kind,
    p.srcaddr,
    p.dstaddr,
    CAST(NULL AS INTEGER) AS dstport,
    p.protocol,
    COUNT(DISTINCT p.dstport) AS distinct_ports,
    1 AS distinct_hosts,
    COUNT_IF(p.action = 'REJECT') AS rejects,
    COUNT_IF(p.action = 'ACCEPT') AS accepts,
    MIN(p.start_time) AS first_seen,
    MAX(p.start_time) AS last_seen
  FROM probes AS p
  LEFT JOIN vertical_a AS a
    ON a.srcaddr = p.srcaddr
    AND a.dstaddr = p.dstaddr
    AND a.protocol = p.protocol
    AND a.window_a = p.window_a
  LEFT JOIN vertical_b AS b
    ON b.srcaddr = p.srcaddr
    AND b.dstaddr = p.dstaddr
    AND b.protocol = p.protocol
    AND b.window_b = p.window_b
  WHERE
    NOT a.srcaddr IS NULL OR NOT b.srcaddr IS NULL
  GROUP BY
    p.srcaddr,
    p.dstaddr,
    p.protocol
), horizontal AS (
  SELECT
    'horizontal' AS kind,
    p.srcaddr,
    CAST(NULL AS VARCHAR) AS dstaddr,
    p.dstport,
    p.protocol,
    1 AS distinct_ports,
    COUNT(DISTINCT p.dstaddr) AS distinct_hosts,
    COUNT_IF(p.action = 'REJECT') AS rejects,
    COUNT_IF(p.action = 'ACCEPT') AS accepts,
    MIN(p.start_time) AS first_seen,
    MAX(p.start_time) AS last_seen
  FROM probes AS p
  LEFT JOIN horizontal_a AS a
    ON a.srcaddr = p.srcaddr
    AND a.dstport = p.dstport
    AND a.protocol = p.protocol
    AND a.window_a = p.window_a
  LEFT JOIN horizontal_b AS b
    ON b.srcaddr = p.srcaddr
    AND b.dstport = p.dstport
    AND b.protocol = p.protocol
    AND b.window_b = p.window_b
  WHERE
    NOT a.srcaddr IS NULL OR NOT b.srcaddr IS NULL
  GROUP BY
    p.srcaddr,
    p.dstport,
    p.protocol
)
SELECT
  *
FROM vertical
UNION ALL
SELECT
  *
FROM horizontal
ORDER BY
  kind DESC,
  distinct_ports DESC,
  distinct_hosts DESC,
  srcaddr,
  dstaddr,
  dstport,
  protocol
