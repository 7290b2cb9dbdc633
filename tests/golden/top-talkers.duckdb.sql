SELECT
  srcaddr,
  SUM(bytes) AS bytes,
  SUM(packets) AS packets,
  COUNT(*) AS flows
FROM flow_logs
WHERE
  NOT action IS NULL
  AND (
    start_time >= CAST('2024-05-01T00:00:00Z' AS TIMESTAMPTZ)
    AND start_time < CAST('2024-05-02T00:00:00Z' AS TIMESTAMPTZ)
  )
GROUP BY
  srcaddr
ORDER BY
  bytes DESC,
  srcaddr
LIMIT 10
