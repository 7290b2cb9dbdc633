WITH matching AS (
  SELECT
    start_time,
    interface_id,
    srcaddr,
    dstaddr,
    srcport,
    dstport,
    protocol,
    packets,
    bytes,
    action
  FROM flow_logs
  WHERE
    NOT srcaddr IS NULL
    AND (
      start_time >= FROM_ISO8601_TIMESTAMP('2024-05-01T00:00:00Z')
      AND start_time < FROM_ISO8601_TIMESTAMP('2024-05-02T00:00:00Z')
      AND "day" BETWEEN '2024/05/01' AND '2024/05/02'
    )
)
SELECT
  start_time,
  interface_id,
  srcaddr,
  dstaddr,
  srcport,
  dstport,
  protocol,
  packets,
  bytes,
  action
FROM matching
ORDER BY
  start_time DESC,
  interface_id,
  srcaddr,
  dstaddr,
  srcport,
  dstport,
  protocol
LIMIT 50
