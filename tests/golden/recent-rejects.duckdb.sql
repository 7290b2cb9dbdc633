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
    start_time >= CAST('2024-05-01T00:00:00Z' AS TIMESTAMPTZ)
    AND start_time < CAST('2024-05-02T00:00:00Z' AS TIMESTAMPTZ)
  )
ORDER BY
  start_time DESC,
  interface_id,
  srcaddr,
  dstaddr,
  srcport,
  dstport
LIMIT 50
