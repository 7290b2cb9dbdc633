WITH requests AS (
  SELECT
    srcaddr,
    dstaddr,
    dstport,
    protocol,
    action,
    start_time
  FROM flow_logs
  WHERE
    NOT action IS NULL
    AND dstport <= srcport
    AND (
      start_time >= FROM_ISO8601_TIMESTAMP('2024-05-01T00:00:00Z')
      AND start_time < FROM_ISO8601_TIMESTAMP('2024-05-02T00:00:00Z')
      AND "day" BETWEEN '2024/05/01' AND '2024/05/02'
    )
), last_accepts AS (
  SELECT
    dstaddr,
    dstport,
    protocol,
    COUNT(*) AS accepts,
    MAX(start_time) AS last_accept_at
  FROM requests
  WHERE
    action = 'ACCEPT'
  GROUP BY
    dstaddr,
    dstport,
    protocol
), rejects AS (
  SELECT
    r.dstaddr,
    r.dstport,
    r.protocol,
    r.srcaddr,
    r.start_time,
    r.start_time > a.last_accept_at AS after_last_accept,
    a.accepts,
    a.last_accept_at
  FROM requests AS r
  JOIN last_accepts AS a
    ON a.dstaddr = r.dstaddr AND a.dstport = r.dstport AND a.protocol = r.protocol
  WHERE
    r.action = 'REJECT'
)
SELECT
  dstaddr,
  dstport,
  protocol,
  MAX(last_accept_at) AS last_accept_at,
  MIN(CASE WHEN after_last_accept THEN start_time END) AS changed_at,
  COUNT_IF(after_last_accept) AS rejects_since,
  COUNT(DISTINCT CASE WHEN after_last_accept THEN srcaddr END) AS sources_since,
  MAX(start_time) AS last_reject_at,
  MAX(accepts) AS accepts,
  COUNT_IF(NOT after_last_accept) AS rejects_before
FROM rejects
GROUP BY
  dstaddr,
  dstport,
  protocol
HAVING
  COUNT_IF(after_last_accept) > 0
ORDER BY
  changed_at DESC,
  dstaddr,
  dstport,
  protocol
