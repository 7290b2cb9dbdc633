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
    start_time >= FROM_ISO8601_TIMESTAMP('2024-05-01T00:00:00Z')
    AND start_time < FROM_ISO8601_TIMESTAMP('2024-05-02T00:00:00Z')
    AND "day" BETWEEN '2024/05/01' AND '2024/05/02'
  )
GROUP BY
  dstport,
  protocol
ORDER BY
  rejects DESC,
  dstport,
  protocol
LIMIT 20
