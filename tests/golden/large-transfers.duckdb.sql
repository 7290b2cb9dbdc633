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
  ROUND(
    bytes / CASE
      WHEN (
        EPOCH(end_time) - EPOCH(start_time)
      ) IS NULL OR 1.0 IS NULL
      THEN NULL
      ELSE GREATEST(EPOCH(end_time) - EPOCH(start_time), 1.0)
    END,
    1
  ) AS bytes_per_second
FROM flow_logs
WHERE
  NOT bytes IS NULL
  AND (
    start_time >= CAST('2024-05-01T00:00:00Z' AS TIMESTAMPTZ)
    AND start_time < CAST('2024-05-02T00:00:00Z' AS TIMESTAMPTZ)
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
