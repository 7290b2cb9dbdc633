SELECT
  srcaddr,
  COUNT(*) AS flows,
  SUM(packets) AS packets,
  SUM(bytes) AS bytes,
  COUNT_IF(action = 'ACCEPT') AS accepts,
  COUNT_IF(action = 'REJECT') AS rejects,
  MIN(start_time) AS first_seen,
  MAX(start_time) AS last_seen
FROM flow_logs
WHERE
  NOT action IS NULL
  AND (
    start_time >= FROM_ISO8601_TIMESTAMP('2024-05-01T00:00:00Z')
    AND start_time < FROM_ISO8601_TIMESTAMP('2024-05-02T00:00:00Z')
    AND "day" BETWEEN '2024/05/01' AND '2024/05/02'
  )
  AND (
    STRPOS(dstaddr, ':') = 0
    AND CONTAINS('10.0.3.10/32', TRY_CAST(dstaddr AS IPADDRESS))
  )
GROUP BY
  srcaddr
ORDER BY
  bytes DESC,
  srcaddr
LIMIT 50
