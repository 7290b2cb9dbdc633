SELECT
  srcaddr,
  dstaddr,
  SUM(bytes) AS bytes,
  SUM(packets) AS packets,
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
    start_time >= CAST('2024-05-01T00:00:00Z' AS TIMESTAMPTZ)
    AND start_time < CAST('2024-05-02T00:00:00Z' AS TIMESTAMPTZ)
  )
GROUP BY
  srcaddr,
  dstaddr
ORDER BY
  SUM(bytes) DESC,
  SUM(packets) DESC,
  srcaddr,
  dstaddr
LIMIT 10
