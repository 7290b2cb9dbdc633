SELECT
  start_time,
  end_time,
  interface_id,
  srcaddr,
  dstaddr,
  srcport,
  dstport,
  protocol,
  action,
  packets,
  bytes,
  ROUND(bytes / GREATEST(TO_UNIXTIME(end_time) - TO_UNIXTIME(start_time), 1.0), 1) AS bytes_per_second
FROM flow_logs
WHERE
  NOT bytes IS NULL
  AND (
    start_time >= FROM_ISO8601_TIMESTAMP('2024-05-01T00:00:00Z')
    AND start_time < FROM_ISO8601_TIMESTAMP('2024-05-02T00:00:00Z')
    AND "day" BETWEEN '2024/05/01' AND '2024/05/02'
  )
ORDER BY
  bytes DESC,
  start_time,
  interface_id,
  srcaddr,
  dstaddr,
  srcport,
  dstport
LIMIT 50
