SELECT
  srcaddr,
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
    ELSE CAST(protocol AS TEXT)
  END AS protocol_name,
  COUNT(*) AS flows,
  SUM(packets) AS packets,
  SUM(bytes) AS bytes,
  COUNT(DISTINCT dstaddr) AS destinations,
  MIN(start_time) AS first_seen,
  MAX(start_time) AS last_seen
FROM flow_logs
WHERE
  protocol = 17
  AND NOT srcaddr IS NULL
  AND (
    start_time >= CAST('2024-05-01T00:00:00Z' AS TIMESTAMPTZ)
    AND start_time < CAST('2024-05-02T00:00:00Z' AS TIMESTAMPTZ)
  )
GROUP BY
  srcaddr,
  protocol
ORDER BY
  COUNT(*) DESC,
  SUM(bytes) DESC,
  srcaddr
LIMIT 50
