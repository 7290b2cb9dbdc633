WITH rejects AS (
  SELECT
    srcaddr,
    dstaddr,
    dstport,
    packets,
    bytes,
    start_time
  FROM flow_logs
  WHERE
    action = 'REJECT'
    AND (
      start_time >= CAST('2024-05-01T00:00:00Z' AS TIMESTAMPTZ)
      AND start_time < CAST('2024-05-02T00:00:00Z' AS TIMESTAMPTZ)
    )
), ports AS (
  SELECT
    srcaddr,
    dstport,
    ROW_NUMBER() OVER (PARTITION BY srcaddr ORDER BY COUNT(*) DESC, dstport) AS nth
  FROM rejects
  GROUP BY
    srcaddr,
    dstport
)
SELECT
  r.srcaddr,
  COUNT(*) AS rejects,
  SUM(r.packets) AS packets,
  SUM(r.bytes) AS bytes,
  COUNT(DISTINCT r.dstaddr) AS destinations,
  COUNT(DISTINCT r.dstport) AS ports,
  MIN(p.dstport) AS top_dstport,
  MIN(r.start_time) AS first_seen,
  MAX(r.start_time) AS last_seen
FROM rejects AS r
JOIN ports AS p
  ON p.srcaddr = r.srcaddr AND p.nth = 1
GROUP BY
  r.srcaddr
ORDER BY
  COUNT(*) DESC,
  r.srcaddr
LIMIT 20
