SELECT
  dstaddr,
  dstport,
  protocol,
  COUNT_IF(action = 'ACCEPT') AS accepts,
  COUNT_IF(action = 'REJECT') AS rejects,
  SUM(bytes) AS bytes,
  COUNT(*) AS flows,
  SUM(packets) AS packets,
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
    STRPOS(srcaddr, ':') = 0
    AND CONTAINS('10.0.2.15/32', TRY_CAST(srcaddr AS IPADDRESS))
  )
GROUP BY
  dstaddr,
  dstport,
  protocol
ORDER BY
  flows DESC,
  dstaddr,
  dstport,
  protocol
LIMIT 100
