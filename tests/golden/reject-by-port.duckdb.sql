SELECT
  dstport,
  protocol,
  COUNT(*) AS rejects,
  SUM(packets) AS packets,
  SUM(bytes) AS bytes,
  COUNT(DISTINCT srcaddr) AS sources,
  MIN(start_time) AS first_seen,
  MAX(start_time) AS last_seen
FROM flow_logs
WHERE
  action = 'REJECT'
  AND (
    start_time >= CAST('2024-05-01T00:00:00Z' AS TIMESTAMPTZ)
    AND start_time < CAST('2024-05-02T00:00:00Z' AS TIMESTAMPTZ)
  )
GROUP BY
  dstport,
  protocol
ORDER BY
  rejects DESC,
  dstport,
  protocol
LIMIT 20
