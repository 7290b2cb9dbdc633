SELECT
  protocol,
  CASE protocol
    WHEN 1
    THEN 'ICMP'
    WHEN 2
    THEN 'IGMP'
    WHEN 4
    THEN 'IPv4-in-IP'
    WHEN 6
    THEN 'TCP'
    WHEN 17
    THEN 'UDP'
    WHEN 41
    THEN 'IPv6-in-IP'
    WHEN 47
    THEN 'GRE'
    WHEN 50
    THEN 'ESP'
    WHEN 51
    THEN 'AH'
    WHEN 58
    THEN 'ICMPv6'
    WHEN 89
    THEN 'OSPF'
    WHEN 103
    THEN 'PIM'
    WHEN 112
    THEN 'VRRP'
    WHEN 115
    THEN 'L2TP'
    WHEN 132
    THEN 'SCTP'
    ELSE CAST(protocol AS VARCHAR)
  END AS protocol_name,
  srcaddr,
  dstaddr,
  COUNT(*) AS flows,
  COUNT_IF(action = 'ACCEPT') AS accepts,
  COUNT_IF(action = 'REJECT') AS rejects,
  SUM(packets) AS packets,
  SUM(bytes) AS bytes,
  MIN(start_time) AS first_seen,
  MAX(start_time) AS last_seen
FROM flow_logs
WHERE
  NOT srcaddr IS NULL
  AND (
    start_time >= FROM_ISO8601_TIMESTAMP('2024-05-01T00:00:00Z')
    AND start_time < FROM_ISO8601_TIMESTAMP('2024-05-02T00:00:00Z')
    AND "day" BETWEEN '2024/05/01' AND '2024/05/02'
  )
  AND NOT protocol IN (1, 6, 17)
GROUP BY
  protocol,
  srcaddr,
  dstaddr
ORDER BY
  COUNT(*) DESC,
  protocol,
  srcaddr,
  dstaddr
LIMIT 50
