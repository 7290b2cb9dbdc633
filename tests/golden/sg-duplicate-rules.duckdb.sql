WITH rules AS (
  SELECT
    r.*,
    ROW_NUMBER() OVER (
      ORDER BY r.group_id, r.direction, r.protocol_number, r.from_port, r.to_port, r.cidr_ipv4, r.cidr_ipv6, r.prefix_list_id, r.referenced_group_id, r.description
    ) AS rule_id
  FROM security_group_rules AS r
), pairs AS (
  SELECT
    a.*,
    b.rule_id AS covering_id,
    CASE b.protocol_number
      WHEN -1
      THEN 'all'
      WHEN 6
      THEN 'tcp'
      WHEN 17
      THEN 'udp'
      WHEN 1
      THEN 'icmp'
      WHEN 58
      THEN 'icmpv6'
      ELSE CAST(b.protocol_number AS TEXT)
    END || CASE
      WHEN b.from_port IS NULL
      THEN ''
      WHEN b.from_port = b.to_port
      THEN ' ' || CAST(b.from_port AS TEXT)
      ELSE ' ' || CAST(b.from_port AS TEXT) || '-' || CAST(b.to_port AS TEXT)
    END || CASE WHEN b.direction = 'ingress' THEN ' from ' ELSE ' to ' END || COALESCE(b.cidr_ipv4, b.cidr_ipv6, b.prefix_list_id, b.referenced_group_id) AS covered_by,
    b.description AS covering_description,
    (
      a.protocol_number = b.protocol_number
      AND COALESCE(a.from_port, -2) = COALESCE(b.from_port, -2)
      AND COALESCE(a.to_port, -2) = COALESCE(b.to_port, -2)
      AND COALESCE(a.cidr_ipv4, '') = COALESCE(b.cidr_ipv4, '')
      AND COALESCE(a.cidr_ipv6, '') = COALESCE(b.cidr_ipv6, '')
      AND COALESCE(a.prefix_list_id, '') = COALESCE(b.prefix_list_id, '')
      AND COALESCE(a.referenced_group_id, '') = COALESCE(b.referenced_group_id, '')
    ) AS identical /* the same permission both ways: report the later one only */
  FROM rules AS a
  JOIN rules AS b
    ON b.group_id = a.group_id
    AND b.direction = a.direction
    AND b.account_id = a.account_id
    AND b.region = a.region
    AND b.rule_id <> a.rule_id
  WHERE
    (
      b.protocol_number = -1 OR b.protocol_number = a.protocol_number
    )
    AND (
      b.from_port IS NULL
      OR b.protocol_number = -1
      OR (
        NOT a.from_port IS NULL
        AND b.from_port IN (-1, a.from_port)
        AND b.to_port IN (-1, a.to_port)
        AND a.protocol_number IN (1, 58)
      )
      OR (
        NOT a.from_port IS NULL
        AND a.from_port >= b.from_port
        AND a.to_port <= b.to_port
        AND NOT a.protocol_number IN (1, 58)
      )
    )
    AND (
      (
        NOT a.cidr_ipv4 IS NULL
        AND NOT b.cidr_ipv4 IS NULL
        AND (
          CAST(SPLIT_PART(a.cidr_ipv4, '/', 2) AS INT) >= CAST(SPLIT_PART(b.cidr_ipv4, '/', 2) AS INT)
          AND COALESCE(FLOWLAKE_IN_CIDR(b.cidr_ipv4, SPLIT_PART(a.cidr_ipv4, '/', 1)), FALSE)
        )
      )
      OR (
        NOT a.cidr_ipv6 IS NULL
        AND NOT b.cidr_ipv6 IS NULL
        AND (
          CAST(SPLIT_PART(a.cidr_ipv6, '/', 2) AS INT) >= CAST(SPLIT_PART(b.cidr_ipv6, '/', 2) AS INT)
          AND COALESCE(FLOWLAKE_IN_CIDR(b.cidr_ipv6, SPLIT_PART(a.cidr_ipv6, '/', 1)), FALSE)
        )
      )
      OR a.prefix_list_id = b.prefix_list_id
      OR a.referenced_group_id = b.referenced_group_id
    )
), redundant AS (
  SELECT
    p.*,
    ROW_NUMBER() OVER (PARTITION BY p.rule_id ORDER BY p.covering_id) AS position
  FROM pairs AS p
  WHERE
    NOT p.identical OR p.rule_id > p.covering_id
)
SELECT
  group_id,
  group_name,
  vpc_id,
  direction,
  CASE r.protocol_number
    WHEN -1
    THEN 'all'
    WHEN 6
    THEN 'tcp'
    WHEN 17
    THEN 'udp'
    WHEN 1
    THEN 'icmp'
    WHEN 58
    THEN 'icmpv6'
    ELSE CAST(r.protocol_number AS TEXT)
  END || CASE
    WHEN r.from_port IS NULL
    THEN ''
    WHEN r.from_port = r.to_port
    THEN ' ' || CAST(r.from_port AS TEXT)
    ELSE ' ' || CAST(r.from_port AS TEXT) || '-' || CAST(r.to_port AS TEXT)
  END || CASE WHEN r.direction = 'ingress' THEN ' from ' ELSE ' to ' END || COALESCE(r.cidr_ipv4, r.cidr_ipv6, r.prefix_list_id, r.referenced_group_id) AS rule,
  covered_by,
  CASE WHEN identical THEN 'duplicate' ELSE 'inside another rule' END AS kind,
  description,
  covering_description,
  'aws ec2 revoke-security-group-' || direction || ' --group-id ' || group_id || ' --ip-permissions IpProtocol=' || protocol || CASE
    WHEN from_port IS NULL
    THEN ''
    ELSE ',FromPort=' || CAST(from_port AS TEXT) || ',ToPort=' || CAST(to_port AS TEXT)
  END || CASE
    WHEN NOT cidr_ipv4 IS NULL
    THEN ',IpRanges=[{CidrIp=' || cidr_ipv4 || '}]'
    WHEN NOT cidr_ipv6 IS NULL
    THEN ',Ipv6Ranges=[{CidrIpv6=' || cidr_ipv6 || '}]'
    WHEN NOT prefix_list_id IS NULL
    THEN ',PrefixListIds=[{PrefixListId=' || prefix_list_id || '}]'
    ELSE ',UserIdGroupPairs=[{GroupId=' || referenced_group_id || '}]'
  END AS fix
FROM redundant AS r
WHERE
  position = 1
ORDER BY
  group_id,
  direction,
  rule
