SELECT
  instance_id AS resource,
  COUNT(DISTINCT interface_id) AS interfaces,
  COUNT(*) AS flows,
  COUNT_IF(action = 'ACCEPT') AS accepts,
  COUNT_IF(action = 'REJECT') AS rejects,
  SUM(packets) AS packets,
  SUM(bytes) AS bytes,
  MIN(start_time) AS first_seen,
  MAX(start_time) AS last_seen
FROM flow_logs
WHERE
  NOT instance_id IS NULL
  AND NOT action IS NULL
  AND (
    start_time >= FROM_ISO8601_TIMESTAMP('2024-05-01T00:00:00Z')
    AND start_time < FROM_ISO8601_TIMESTAMP('2024-05-02T00:00:00Z')
    AND "day" BETWEEN '2024/05/01' AND '2024/05/02'
  )
GROUP BY
  instance_id
ORDER BY
  SUM(bytes) DESC,
  instance_id
LIMIT 50
