WITH tables_of AS (
  /* each subnet's route table: its own association, else the VPC's main table */
  SELECT
    s.subnet_id,
    s.vpc_id,
    s.availability_zone,
    COALESCE(
      (
        SELECT
          MIN(a.route_table_id)
        FROM route_table_associations AS a
        WHERE
          a.subnet_id = s.subnet_id
      ),
      (
        SELECT
          MIN(m.route_table_id)
        FROM route_table_associations AS m
        WHERE
          m.vpc_id = s.vpc_id AND m.is_main
      )
    ) AS route_table_id
  FROM subnets AS s
), outbound AS (
  /* public destinations each interface sent to (its own address as the source) */
  SELECT
    f.interface_id,
    f.dstaddr,
    COUNT(*) AS flows,
    MAX(f.start_time) AS last_seen
  FROM flow_logs AS f
  WHERE
    (
      start_time >= FROM_ISO8601_TIMESTAMP('2024-05-01T00:00:00Z')
      AND start_time < FROM_ISO8601_TIMESTAMP('2024-05-02T00:00:00Z')
      AND "day" BETWEEN '2024/05/01' AND '2024/05/02'
    )
    AND NOT f.dstaddr IS NULL
    AND NOT (
      f.dstaddr LIKE '10.%'
      OR f.dstaddr LIKE '192.168.%'
      OR REGEXP_LIKE(f.dstaddr, '^172\.(1[6-9]|2[0-9]|3[01])\.')
      OR REGEXP_LIKE(f.dstaddr, '^100\.(6[4-9]|[7-9][0-9]|1[01][0-9]|12[0-7])\.')
      OR f.dstaddr LIKE '169.254.%'
      OR f.dstaddr LIKE '127.%'
      OR REGEXP_LIKE(LOWER(f.dstaddr), '^f[cd][0-9a-f]{2}:')
      OR LOWER(f.dstaddr) LIKE 'fe80:%'
    )
    AND EXISTS(
      SELECT
        1
      FROM network_interface_addresses AS a
      WHERE
        a.interface_id = f.interface_id AND a.address = f.srcaddr
    )
  GROUP BY
    f.interface_id,
    f.dstaddr
), unrouted AS (
  SELECT
    t.subnet_id,
    t.vpc_id,
    t.availability_zone,
    t.route_table_id,
    o.dstaddr,
    o.flows,
    o.last_seen
  FROM outbound AS o
  JOIN network_interfaces AS i
    ON i.interface_id = o.interface_id
  JOIN tables_of AS t
    ON t.subnet_id = i.subnet_id
  WHERE
    NOT EXISTS(
      SELECT
        1
      FROM route_table_routes AS r
      WHERE
        r.route_table_id = t.route_table_id
        AND r.state = 'active'
        AND (
          (
            (
              STRPOS(r.destination_cidr, ':') > 0
            ) = (
              STRPOS(o.dstaddr, ':') > 0
            )
            AND CONTAINS(r.destination_cidr, TRY_CAST(o.dstaddr AS IPADDRESS))
          )
          OR (
            (
              STRPOS(r.destination_ipv6_cidr, ':') > 0
            ) = (
              STRPOS(o.dstaddr, ':') > 0
            )
            AND CONTAINS(r.destination_ipv6_cidr, TRY_CAST(o.dstaddr AS IPADDRESS))
          )
        )
    )
), ways_out AS (
  SELECT
    n.vpc_id,
    n.nat_gateway_id AS target,
    s.availability_zone,
    'nat' AS kind
  FROM nat_gateways AS n
  LEFT JOIN subnets AS s
    ON s.subnet_id = n.subnet_id
  WHERE
    n.state = 'available'
  UNION ALL
  SELECT
    vpc_id,
    internet_gateway_id,
    NULL,
    'igw'
  FROM internet_gateways
  WHERE
    NOT vpc_id IS NULL AND state = 'available'
), summary AS (
  SELECT
    subnet_id,
    vpc_id,
    availability_zone,
    route_table_id,
    COUNT(DISTINCT dstaddr) AS destinations,
    MIN(dstaddr) AS example_destination,
    SUM(flows) AS flows,
    MAX(last_seen) AS last_seen,
    MAX(CASE WHEN STRPOS(dstaddr, ':') > 0 THEN 1 ELSE 0 END) AS ipv6
  FROM unrouted
  GROUP BY
    subnet_id,
    vpc_id,
    availability_zone,
    route_table_id
), chosen AS (
  SELECT
    s.*,
    w.target,
    w.kind,
    ROW_NUMBER() OVER (
      PARTITION BY s.subnet_id
      ORDER BY CASE
        WHEN w.kind = 'nat' AND w.availability_zone = s.availability_zone
        THEN 0
        WHEN w.kind = 'nat'
        THEN 1
        ELSE 2
      END, w.target
    ) AS position
  FROM summary AS s
  LEFT JOIN ways_out AS w
    ON w.vpc_id = s.vpc_id AND (
      s.ipv6 = 0 OR w.kind = 'igw'
    )
)
SELECT
  subnet_id,
  vpc_id,
  route_table_id,
  destinations,
  example_destination,
  CAST(flows AS BIGINT) AS flows,
  last_seen,
  CASE
    WHEN route_table_id IS NULL
    THEN 'no route table for ' || subnet_id || ' in the config snapshot'
    WHEN target IS NULL
    THEN 'no NAT or internet gateway in ' || vpc_id || ': create one, then a default route to it'
    ELSE 'aws ec2 create-route --route-table-id ' || route_table_id || CASE
      WHEN ipv6 = 1
      THEN ' --destination-ipv6-cidr-block ::/0'
      ELSE ' --destination-cidr-block 0.0.0.0/0'
    END || CASE WHEN kind = 'nat' THEN ' --nat-gateway-id ' ELSE ' --gateway-id ' END || target
  END AS fix
FROM chosen
WHERE
  position = 1
ORDER BY
  subnet_id
