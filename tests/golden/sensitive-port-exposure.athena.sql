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
  srcaddr,
  COUNT(*) AS flows,
  SUM(packets) AS packets,
  SUM(bytes) AS bytes,
  MIN(start_time) AS first_seen,
  MAX(start_time) AS last_seen
FROM flow_logs
WHERE
  action = 'ACCEPT'
  AND protocol IN (6, 17)
  AND dstport IN (
    22,
    23,
    1433,
    1521,
    3306,
    3389,
    5432,
    5900,
    5985,
    5986,
    6379,
    9042,
    9200,
    9300,
    11211,
    27017
  )
  AND NOT (
    srcaddr LIKE '10.%'
    OR srcaddr LIKE '192.168.%'
    OR REGEXP_LIKE(srcaddr, '^172\.(1[6-9]|2[0-9]|3[01])\.')
    OR REGEXP_LIKE(srcaddr, '^100\.(6[4-9]|[7-9][0-9]|1[01][0-9]|12[0-7])\.')
    OR srcaddr LIKE '169.254.%'
    OR srcaddr LIKE '127.%'
    OR REGEXP_LIKE(LOWER(srcaddr), '^f[cd][0-9a-f]{2}:')
    OR LOWER(srcaddr) LIKE 'fe80:%'
  )
  AND (
    start_time >= FROM_ISO8601_TIMESTAMP('2024-05-01T00:00:00Z')
    AND start_time < FROM_ISO8601_TIMESTAMP('2024-05-02T00:00:00Z')
    AND "day" BETWEEN '2024/05/01' AND '2024/05/02'
  )
GROUP BY
  dstaddr,
  dstport,
  protocol,
  srcaddr
ORDER BY
  COUNT(*) DESC,
  dstaddr,
  dstport,
  protocol,
  srcaddr
LIMIT 50
