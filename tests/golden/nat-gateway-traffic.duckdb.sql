SELECT
  srcaddr,
  dstaddr,
  SUM(bytes) AS bytes,
  SUM(packets) AS packets,
  COUNT(*) AS flows,
  MIN(start_time) AS first_seen,
  MAX(start_time) AS last_seen
FROM flow_logs
WHERE
  NOT srcaddr IS NULL
  AND (
    start_time >= CAST('2024-05-01T00:00:00Z' AS TIMESTAMPTZ)
    AND start_time < CAST('2024-05-02T00:00:00Z' AS TIMESTAMPTZ)
  )
  AND (
    dstaddr LIKE '10.%'
    OR dstaddr LIKE '192.168.%'
    OR REGEXP_MATCHES(dstaddr, '^172\.(1[6-9]|2[0-9]|3[01])\.')
    OR REGEXP_MATCHES(dstaddr, '^100\.(6[4-9]|[7-9][0-9]|1[01][0-9]|12[0-7])\.')
    OR dstaddr LIKE '169.254.%'
    OR dstaddr LIKE '127.%'
    OR REGEXP_MATCHES(LOWER(dstaddr), '^f[cd][0-9a-f]{2}:')
    OR LOWER(dstaddr) LIKE 'fe80:%'
  )
  AND (
    srcaddr LIKE '10.%'
    OR srcaddr LIKE '192.168.%'
    OR REGEXP_MATCHES(srcaddr, '^172\.(1[6-9]|2[0-9]|3[01])\.')
    OR REGEXP_MATCHES(srcaddr, '^100\.(6[4-9]|[7-9][0-9]|1[01][0-9]|12[0-7])\.')
    OR srcaddr LIKE '169.254.%'
    OR srcaddr LIKE '127.%'
    OR REGEXP_MATCHES(LOWER(srcaddr), '^f[cd][0-9a-f]{2}:')
    OR LOWER(srcaddr) LIKE 'fe80:%'
  )
GROUP BY
  srcaddr,
  dstaddr
ORDER BY
  SUM(bytes) DESC,
  srcaddr,
  dstaddr
LIMIT 10
