WITH traffic AS (
  SELECT
    interface_id,
    COUNT(*) AS flows,
    SUM(bytes) AS bytes,
    MAX(start_time) AS last_seen
  FROM flow_logs
  WHERE
    (
      start_time >= CAST('2024-05-01T00:00:00Z' AS TIMESTAMPTZ)
      AND start_time < CAST('2024-05-02T00:00:00Z' AS TIMESTAMPTZ)
    )
    AND interface_id IN (
      SELECT
        interface_id
      FROM nat_gateways
    )
  GROUP BY
    interface_id
), routes AS (
  SELECT
    target_id,
    COUNT(*) AS routes
  FROM route_table_routes
  WHERE
    target_type = 'nat-gateway'
  GROUP BY
    target_id
)
SELECT
  n.nat_gateway_id,
  n.name,
  n.vpc_id,
  n.subnet_id,
  n.interface_id,
  n.public_ips,
  COALESCE(t.flows, 0) AS flows,
  CAST(COALESCE(t.bytes, 0) AS BIGINT) AS bytes,
  t.last_seen,
  COALESCE(r.routes, 0) AS routes,
  'aws ec2 delete-nat-gateway --nat-gateway-id ' || n.nat_gateway_id AS fix
FROM nat_gateways AS n
LEFT JOIN traffic AS t
  ON t.interface_id = n.interface_id
LEFT JOIN routes AS r
  ON r.target_id = n.nat_gateway_id
WHERE
  n.state = 'available' AND COALESCE(t.bytes, 0) <= 0
ORDER BY
  n.nat_gateway_id
