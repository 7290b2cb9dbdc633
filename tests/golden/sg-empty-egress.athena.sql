WITH members AS (
  SELECT DISTINCT
    g.interface_id,
    g.group_id,
    COALESCE(s.egress_rules, 0) AS egress_rules
  FROM network_interface_groups AS g
  LEFT JOIN security_groups AS s
    ON s.group_id = g.group_id
), trapped AS (
  SELECT
    interface_id
  FROM members
  GROUP BY
    interface_id
  HAVING
    MAX(egress_rules) = 0
)
SELECT
  s.group_id,
  s.group_name,
  s.vpc_id,
  COUNT(DISTINCT m.interface_id) AS interfaces,
  COUNT(DISTINCT t.interface_id) AS trapped_interfaces,
  ARRAY_JOIN(ARRAY_SORT(ARRAY_AGG(DISTINCT t.interface_id)), ', ') AS trapped,
  'aws ec2 authorize-security-group-egress --group-id ' || s.group_id || ' --ip-permissions IpProtocol=-1,IpRanges=[{CidrIp=0.0.0.0/0}]' AS fix
FROM security_groups AS s
LEFT JOIN members AS m
  ON m.group_id = s.group_id
LEFT JOIN trapped AS t
  ON t.interface_id = m.interface_id
WHERE
  s.egress_rules = 0
GROUP BY
  s.group_id,
  s.group_name,
  s.vpc_id
ORDER BY
  trapped_interfaces DESC,
  s.group_id
