WITH seen AS (
  SELECT
    interface_id,
    COUNT(*) AS flows
  FROM flow_logs
  WHERE
    (
      start_time >= FROM_ISO8601_TIMESTAMP('2024-05-01T00:00:00Z')
      AND start_time < FROM_ISO8601_TIMESTAMP('2024-05-02T00:00:00Z')
      AND "day" BETWEEN '2024/05/01' AND '2024/05/02'
    )
    AND interface_id IN (
      SELECT
        interface_id
      FROM network_interfaces
      WHERE
        status = 'available'
    )
  GROUP BY
    interface_id
)
SELECT
  i.interface_id,
  i.name,
  i.vpc_id,
  i.subnet_id,
  i.private_ip,
  i.public_ip,
  i.security_group_ids,
  i.description,
  COALESCE(s.flows, 0) AS flows,
  'aws ec2 delete-network-interface --network-interface-id ' || i.interface_id AS fix
FROM network_interfaces AS i
LEFT JOIN seen AS s
  ON s.interface_id = i.interface_id
WHERE
  i.status = 'available'
ORDER BY
  i.interface_id
