SELECT
  srcaddr,
  dstaddr,
  SUM(packets) AS packets,
  SUM(bytes) AS bytes,
  COUNT(*) AS flows,
  ROUND(AVG(bytes), 1) AS avg_bytes,
  MIN(bytes) AS min_bytes,
  MAX(bytes) AS max_bytes,
  MIN(start_time) AS first_seen,
  MAX(start_time) AS last_seen
FROM flow_logs
WHERE
  NOT srcaddr IS NULL
  AND (
    start_time >= FROM_ISO8601_TIMESTAMP('2024-05-01T00:00:00Z')
    AND start_time < FROM_ISO8601_TIMESTAMP('2024-05-02T00:00:00Z')
    AND "day" BETWEEN '2024/05/01' AND '2024/05/02'
  )
GROUP BY
  srcaddr,
  dstaddr
ORDER BY
  SUM(packets) DESC,
  SUM(bytes) DESC,
  srcaddr,
  dstaddr
LIMIT 15
