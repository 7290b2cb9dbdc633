SELECT
  srcaddr,
  COUNT(*) AS flows,
  SUM(packets) AS packets,
  SUM(bytes) AS bytes,
  COUNT_IF(action = 'ACCEPT') AS accepts,
  COUNT_IF(action = 'REJECT') AS rejects,
  MIN(start_time) AS first_seen,
  MAX(start_time) AS last_seen
FROM flow_logs
WHERE
  NOT action IS NULL
  AND (
    start_time >= CAST('2024-05-01T00:00:00Z' AS TIMESTAMPTZ)
    AND start_time < CAST('2024-05-02T00:00:00Z' AS TIMESTAMPTZ)
  )
  AND (
    FLOWLAKE_IPV4_INT(dstaddr) BETWEEN 167772938 AND 167772938
  )
GROUP BY
  srcaddr
ORDER BY
  bytes DESC,
  srcaddr
LIMIT 50
