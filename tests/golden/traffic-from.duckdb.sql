SELECT
  dstaddr,
  dstport,
  protocol,
  COUNT_IF(action = 'ACCEPT') AS accepts,
  COUNT_IF(action = 'REJECT') AS rejects,
  SUM(bytes) AS bytes,
  COUNT(*) AS flows,
  SUM(packets) AS packets,
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
    FLOWLAKE_IPV4_INT(srcaddr) BETWEEN 167772687 AND 167772687
  )
GROUP BY
  dstaddr,
  dstport,
  protocol
ORDER BY
  flows DESC,
  dstaddr,
  dstport,
  protocol
LIMIT 100
