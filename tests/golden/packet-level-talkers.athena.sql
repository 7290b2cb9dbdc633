SELECT
  pkt_srcaddr,
  pkt_dstaddr,
  SUM(bytes) AS bytes,
  SUM(packets) AS packets,
  COUNT(*) AS flows
FROM flow_logs
WHERE
  NOT pkt_srcaddr IS NULL
  AND NOT pkt_dstaddr IS NULL
  AND (
    start_time >= FROM_ISO8601_TIMESTAMP('2024-05-01T00:00:00Z')
    AND start_time < FROM_ISO8601_TIMESTAMP('2024-05-02T00:00:00Z')
    AND "day" BETWEEN '2024/05/01' AND '2024/05/02'
  )
GROUP BY
  pkt_srcaddr,
  pkt_dstaddr
ORDER BY
  SUM(bytes) DESC,
  pkt_srcaddr,
  pkt_dstaddr
LIMIT 50
