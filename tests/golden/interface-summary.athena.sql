WITH traffic AS (
  SELECT
    interface_id,
    srcaddr,
    dstaddr,
    action,
    packets,
    bytes,
    start_time
  FROM flow_logs
  WHERE
    NOT action IS NULL
    AND (
      start_time >= FROM_ISO8601_TIMESTAMP('2024-05-01T00:00:00Z')
      AND start_time < FROM_ISO8601_TIMESTAMP('2024-05-02T00:00:00Z')
      AND "day" BETWEEN '2024/05/01' AND '2024/05/02'
    )
), seen AS (
  SELECT
    interface_id,
    address,
    COUNT(*) AS records
  FROM (
    SELECT
      interface_id,
      srcaddr AS address
    FROM traffic
    UNION ALL
    SELECT
      interface_id,
      dstaddr AS address
    FROM traffic
  ) AS ends
  GROUP BY
    interface_id,
    address
), own AS (
  SELECT
    interface_id,
    address
  FROM (
    SELECT
      interface_id,
      address,
      ROW_NUMBER() OVER (
        PARTITION BY interface_id
        ORDER BY records DESC, CASE
          WHEN (
            address LIKE '10.%'
            OR address LIKE '192.168.%'
            OR REGEXP_LIKE(address, '^172\.(1[6-9]|2[0-9]|3[01])\.')
            OR REGEXP_LIKE(address, '^100\.(6[4-9]|[7-9][0-9]|1[01][0-9]|12[0-7])\.')
            OR address LIKE '169.254.%'
            OR address LIKE '127.%'
            OR REGEXP_LIKE(LOWER(address), '^f[cd][0-9a-f]{2}:')
            OR LOWER(address) LIKE 'fe80:%'
          )
          THEN 0
          ELSE 1
        END, address
      ) AS nth
    FROM seen
  ) AS ranked
  WHERE
    nth = 1
)
SELECT
  t.interface_id,
  o.address,
  COUNT(*) AS flows,
  COUNT_IF(t.action = 'ACCEPT') AS accepts,
  COUNT_IF(t.action = 'REJECT') AS rejects,
  SUM(t.packets) AS packets,
  SUM(t.bytes) AS bytes,
  COUNT(DISTINCT CASE WHEN t.srcaddr = o.address THEN t.dstaddr ELSE t.srcaddr END) AS peers,
  MIN(t.start_time) AS first_seen,
  MAX(t.start_time) AS last_seen
FROM traffic AS t
JOIN own AS o
  ON o.interface_id = t.interface_id
GROUP BY
  t.interface_id,
  o.address
ORDER BY
  SUM(t.bytes) DESC,
  t.interface_id
LIMIT 50
