WITH rejects AS (
  SELECT
    CAST(FLOOR(EPOCH(start_time) / 300) * 300 AS BIGINT) AS bin_epoch,
    srcaddr,
    dstport
  FROM flow_logs
  WHERE
    action = 'REJECT'
    AND (
      start_time >= CAST('2024-05-01T00:00:00Z' AS TIMESTAMPTZ)
      AND start_time < CAST('2024-05-02T00:00:00Z' AS TIMESTAMPTZ)
    )
), spikes AS (
  SELECT
    bin_epoch,
    COUNT(*) AS rejects,
    COUNT(DISTINCT srcaddr) AS sources,
    COUNT(DISTINCT dstport) AS ports
  FROM rejects
  GROUP BY
    bin_epoch
  HAVING
    COUNT(*) > 100
), by_source AS (
  SELECT
    bin_epoch,
    srcaddr,
    COUNT(*) AS rejects,
    ROW_NUMBER() OVER (PARTITION BY bin_epoch ORDER BY COUNT(*) DESC, srcaddr) AS place
  FROM rejects
  GROUP BY
    bin_epoch,
    srcaddr
), by_port AS (
  SELECT
    bin_epoch,
    dstport,
    COUNT(*) AS rejects,
    ROW_NUMBER() OVER (PARTITION BY bin_epoch ORDER BY COUNT(*) DESC, dstport) AS place
  FROM rejects
  GROUP BY
    bin_epoch,
    dstport
)
SELECT
  TO_TIMESTAMP(spikes.bin_epoch) AS bin_start,
  spikes.rejects,
  by_source.srcaddr AS top_srcaddr,
  by_port.dstport AS top_dstport,
  by_source.rejects AS top_src_rejects,
  by_port.rejects AS top_port_rejects,
  spikes.sources,
  spikes.ports
FROM spikes
JOIN by_source
  ON by_source.bin_epoch = spikes.bin_epoch AND by_source.place = 1
JOIN by_port
  ON by_port.bin_epoch = spikes.bin_epoch AND by_port.place = 1
ORDER BY
  bin_start
