WITH bins AS (
  SELECT
    CAST(bounds.first_bin + (
      high.n * 10000 + low.n
    ) * 300 AS BIGINT) AS bin_epoch
  FROM (
    SELECT
      CAST(FLOOR((
        TO_UNIXTIME(FROM_ISO8601_TIMESTAMP('2024-05-01T00:00:00Z'))
      ) / 300) * 300 AS BIGINT) AS first_bin,
      CAST(FLOOR((
        TO_UNIXTIME(FROM_ISO8601_TIMESTAMP('2024-05-02T00:00:00Z')) - 1
      ) / 300) * 300 AS BIGINT) AS last_bin
  ) AS bounds
  CROSS JOIN UNNEST(SEQUENCE(0, CAST(FLOOR((
    bounds.last_bin - bounds.first_bin
  ) / 300 / 10000) AS BIGINT))) AS high(n)
  CROSS JOIN UNNEST(SEQUENCE(0, 9999)) AS low(n)
  WHERE
    high.n * 10000 + low.n <= FLOOR((
      bounds.last_bin - bounds.first_bin
    ) / 300)
), through_nat AS (
  SELECT
    CAST(FLOOR(TO_UNIXTIME(start_time) / 300) * 300 AS BIGINT) AS bin_epoch,
    COUNT(*) AS flows,
    SUM(bytes) AS bytes,
    COUNT_IF(action = 'ACCEPT') AS accepts,
    COUNT_IF(action = 'REJECT') AS rejects
  FROM flow_logs
  WHERE
    NOT action IS NULL
    AND (
      start_time >= FROM_ISO8601_TIMESTAMP('2024-05-01T00:00:00Z')
      AND start_time < FROM_ISO8601_TIMESTAMP('2024-05-02T00:00:00Z')
      AND "day" BETWEEN '2024/05/01' AND '2024/05/02'
    )
    AND (
      STRPOS(dstaddr, ':') = 0
      AND CONTAINS('8.8.0.0/16', TRY_CAST(dstaddr AS IPADDRESS))
    )
  GROUP BY
    1
)
SELECT
  FROM_UNIXTIME(bins.bin_epoch) AS bin_start,
  COALESCE(through_nat.flows, 0) AS flows,
  COALESCE(through_nat.bytes, 0) AS bytes,
  COALESCE(through_nat.accepts, 0) AS accepts,
  COALESCE(through_nat.rejects, 0) AS rejects
FROM bins
LEFT JOIN through_nat
  ON through_nat.bin_epoch = bins.bin_epoch
ORDER BY
  bin_start
