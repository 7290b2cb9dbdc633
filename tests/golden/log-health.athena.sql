WITH records AS (
  SELECT
    interface_id,
    log_status,
    start_time
  FROM flow_logs
  WHERE
    (
      start_time >= FROM_ISO8601_TIMESTAMP('2024-05-01T00:00:00Z')
      AND start_time < FROM_ISO8601_TIMESTAMP('2024-05-02T00:00:00Z')
      AND "day" BETWEEN '2024/05/01' AND '2024/05/02'
    )
), problems AS (
  SELECT
    interface_id,
    log_status,
    COUNT(*) AS records,
    MIN(start_time) AS first_seen,
    MAX(start_time) AS last_seen
  FROM records
  WHERE
    log_status IN ('NODATA', 'SKIPDATA')
  GROUP BY
    interface_id,
    log_status
), traffic AS (
  SELECT
    interface_id,
    COUNT(*) AS traffic_records
  FROM records
  WHERE
    log_status = 'OK'
  GROUP BY
    interface_id
)
SELECT
  problems.interface_id,
  problems.log_status,
  problems.records,
  problems.first_seen,
  problems.last_seen,
  COALESCE(traffic.traffic_records, 0) AS traffic_records,
  CASE problems.log_status
    WHEN 'NODATA'
    THEN 'no traffic in the interval: idle, or packets never left (check routes)'
    ELSE 'records skipped (capacity or internal error): log delivery failure'
  END AS meaning
FROM problems
LEFT JOIN traffic
  ON traffic.interface_id = problems.interface_id
ORDER BY
  problems.log_status DESC,
  problems.records DESC,
  problems.interface_id
