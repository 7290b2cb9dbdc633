SELECT
  start_time,
  interface_id,
  srcaddr,
  dstaddr,
  srcport,
  dstport,
  protocol,
  action
FROM flow_logs
WHERE
  action = 'REJECT'
  AND (
    start_time >= FROM_ISO8601_TIMESTAMP('2024-05-01T00:00:00Z')
    AND start_time < FROM_ISO8601_TIMESTAMP('2024-05-02T00:00:00Z')
    AND "day" BETWEEN '2024/05/01' AND '2024/05/02'
  )
ORDER BY
  start_time DESC,
  interface_id,
  srcaddr,
  dstaddr,
  srcport,
  dstport
LIMIT 50
