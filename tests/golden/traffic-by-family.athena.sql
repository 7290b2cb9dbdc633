WITH traffic AS (
  SELECT
    CASE
      WHEN STRPOS(srcaddr, ':') > 0
      THEN 'IPv6'
      WHEN STRPOS(srcaddr, '.') > 0
      THEN 'IPv4'
    END AS family,
    srcaddr,
    dstaddr,
    action,
    packets,
    bytes,
    start_time
  FROM flow_logs
  WHERE
    NOT srcaddr IS NULL
    AND (
      start_time >= FROM_ISO8601_TIMESTAMP('2024-05-01T00:00:00Z')
      AND start_time < FROM_ISO8601_TIMESTAMP('2024-05-02T00:00:00Z')
      AND "day" BETWEEN '2024/05/01' AND '2024/05/02'
    )
)
SELECT
  family,
  COUNT(*) AS flows,
  COUNT_IF(action = 'ACCEPT') AS accepts,
  COUNT_IF(action = 'REJECT') AS rejects,
  SUM(packets) AS packets,
  SUM(bytes) AS bytes,
  COUNT(DISTINCT srcaddr) AS sources,
  COUNT(DISTINCT dstaddr) AS destinations,
  MIN(start_time) AS first_seen,
  MAX(start_time) AS last_seen
FROM traffic
GROUP BY
  family
ORDER BY
  family
