SELECT
  dstaddr,
  dstport,
  CASE dstport
    WHEN 22
    THEN 'ssh'
    WHEN 23
    THEN 'telnet'
    WHEN 3389
    THEN 'rdp'
    WHEN 5900
    THEN 'vnc'
    WHEN 5985
    THEN 'winrm'
    WHEN 5986
    THEN 'winrm'
    WHEN 1433
    THEN 'mssql'
    WHEN 1521
    THEN 'oracle'
    WHEN 3306
    THEN 'mysql'
    WHEN 5432
    THEN 'postgresql'
    WHEN 6379
    THEN 'redis'
    WHEN 9042
    THEN 'cassandra'
    WHEN 9200
    THEN 'elasticsearch'
    WHEN 9300
    THEN 'elasticsearch'
    WHEN 11211
    THEN 'memcached'
    WHEN 27017
    THEN 'mongodb'
  END AS service,
  protocol,
  COUNT(DISTINCT srcaddr) AS clients,
  COUNT(*) AS flows,
  COUNT_IF(action = 'ACCEPT') AS accepts,
  COUNT_IF(action = 'REJECT') AS rejects,
  SUM(packets) AS packets,
  SUM(bytes) AS bytes,
  MIN(start_time) AS first_seen,
  MAX(start_time) AS last_seen
FROM flow_logs
WHERE
  dstport IN (22, 23, 3389, 5900, 5985, 5986)
  AND protocol IN (6, 17)
  AND (
    start_time >= CAST('2024-05-01T00:00:00Z' AS TIMESTAMPTZ)
    AND start_time < CAST('2024-05-02T00:00:00Z' AS TIMESTAMPTZ)
  )
GROUP BY
  dstaddr,
  dstport,
  protocol
ORDER BY
  SUM(bytes) DESC,
  COUNT(*) DESC,
  dstaddr,
  dstport,
  protocol
LIMIT 20
