WITH open_rules AS (
  SELECT
    r.*,
    p.port
  FROM security_group_rules AS r
  CROSS JOIN (VALUES
    (22),
    (23),
    (1433),
    (1521),
    (3306),
    (3389),
    (5432),
    (5900),
    (5985),
    (5986),
    (6379),
    (9042),
    (9200),
    (9300),
    (11211),
    (27017)) AS p(port)
  WHERE
    r.direction = 'ingress'
    AND (
      r.cidr_ipv4 = '0.0.0.0/0' OR r.cidr_ipv6 = '::/0'
    )
    AND (
      r.protocol_number = -1
      OR (
        r.protocol_number IN (6, 17) AND p.port BETWEEN r.from_port AND r.to_port
      )
    )
), users AS (
  SELECT
    group_id,
    COUNT(DISTINCT interface_id) AS interfaces
  FROM network_interface_groups
  GROUP BY
    group_id
)
SELECT
  o.group_id,
  o.group_name,
  o.vpc_id,
  CASE o.protocol_number WHEN -1 THEN 'all' WHEN 6 THEN 'tcp' ELSE 'udp' END || CASE
    WHEN o.from_port IS NULL
    THEN ''
    WHEN o.from_port = o.to_port
    THEN ' ' || CAST(o.from_port AS VARCHAR)
    ELSE ' ' || CAST(o.from_port AS VARCHAR) || '-' || CAST(o.to_port AS VARCHAR)
  END || ' from ' || COALESCE(o.cidr_ipv4, o.cidr_ipv6) AS rule,
  ARRAY_JOIN(ARRAY_SORT(ARRAY_AGG(o.port)), ', ') AS open_ports,
  COALESCE(MAX(u.interfaces), 0) AS interfaces,
  'aws ec2 revoke-security-group-ingress --group-id ' || o.group_id || ' --ip-permissions IpProtocol=' || o.protocol || CASE
    WHEN o.from_port IS NULL
    THEN ''
    ELSE ',FromPort=' || CAST(o.from_port AS VARCHAR) || ',ToPort=' || CAST(o.to_port AS VARCHAR)
  END || CASE
    WHEN NOT o.cidr_ipv4 IS NULL
    THEN ',IpRanges=[{CidrIp=0.0.0.0/0}]'
    ELSE ',Ipv6Ranges=[{CidrIpv6=::/0}]'
  END AS fix
FROM open_rules AS o
LEFT JOIN users AS u
  ON u.group_id = o.group_id
GROUP BY
  o.group_id,
  o.group_name,
  o.vpc_id,
  o.protocol,
  o.protocol_number,
  o.from_port,
  o.to_port,
  o.cidr_ipv4,
  o.cidr_ipv6
ORDER BY
  o.group_id,
  rule
