WITH pairs AS (
  SELECT
    b.*,
    a.rule_number AS first_number,
    a.rule_action AS first_action,
    'rule ' || CAST(a.rule_number AS TEXT) || ' ' || UPPER(a.rule_action) || ' ' || CASE a.protocol_number
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
      ELSE CAST(a.protocol_number AS TEXT)
    END || CASE
      WHEN a.port_from IS NULL
      THEN ''
      WHEN a.port_from = a.port_to
      THEN ' ' || CAST(a.port_from AS TEXT)
      ELSE ' ' || CAST(a.port_from AS TEXT) || '-' || CAST(a.port_to AS TEXT)
    END || CASE WHEN a.egress THEN ' to ' ELSE ' from ' END || COALESCE(a.cidr_ipv4, a.cidr_ipv6) AS shadowed_by,
    (
      SELECT
        MAX(c.rule_number)
      FROM network_acl_entries AS c
      WHERE
        c.network_acl_id = a.network_acl_id
        AND c.egress = a.egress
        AND c.rule_number < a.rule_number
    ) AS below,
    ROW_NUMBER() OVER (
      PARTITION BY b.network_acl_id, b.egress, b.rule_number, b.cidr_ipv4, b.cidr_ipv6
      ORDER BY a.rule_number
    ) AS position
  FROM network_acl_entries AS b
  JOIN network_acl_entries AS a
    ON a.network_acl_id = b.network_acl_id
    AND a.egress = b.egress
    AND a.account_id = b.account_id
    AND a.region = b.region
    AND a.rule_number < b.rule_number
  WHERE
    NOT b.is_default_rule
    AND (
      a.protocol_number = -1 OR a.protocol_number = b.protocol_number
    )
    AND (
      a.port_from IS NULL
      OR (
        NOT b.port_from IS NULL AND b.port_from >= a.port_from AND b.port_to <= a.port_to
      )
    )
    AND (
      a.icmp_type IS NULL OR a.icmp_type = -1 OR a.icmp_type = b.icmp_type
    )
    AND (
      (
        NOT a.cidr_ipv4 IS NULL
        AND NOT b.cidr_ipv4 IS NULL
        AND (
          CAST(SPLIT_PART(b.cidr_ipv4, '/', 2) AS INT) >= CAST(SPLIT_PART(a.cidr_ipv4, '/', 2) AS INT)
          AND COALESCE(FLOWLAKE_IN_CIDR(a.cidr_ipv4, SPLIT_PART(b.cidr_ipv4, '/', 1)), FALSE)
        )
      )
      OR (
        NOT a.cidr_ipv6 IS NULL
        AND NOT b.cidr_ipv6 IS NULL
        AND (
          CAST(SPLIT_PART(b.cidr_ipv6, '/', 2) AS INT) >= CAST(SPLIT_PART(a.cidr_ipv6, '/', 2) AS INT)
          AND COALESCE(FLOWLAKE_IN_CIDR(a.cidr_ipv6, SPLIT_PART(b.cidr_ipv6, '/', 1)), FALSE)
        )
      )
    )
)
SELECT
  network_acl_id,
  subnet_ids,
  CASE WHEN egress THEN 'outbound' ELSE 'inbound' END AS direction,
  'rule ' || CAST(p.rule_number AS TEXT) || ' ' || UPPER(p.rule_action) || ' ' || CASE p.protocol_number
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
    ELSE CAST(p.protocol_number AS TEXT)
  END || CASE
    WHEN p.port_from IS NULL
    THEN ''
    WHEN p.port_from = p.port_to
    THEN ' ' || CAST(p.port_from AS TEXT)
    ELSE ' ' || CAST(p.port_from AS TEXT) || '-' || CAST(p.port_to AS TEXT)
  END || CASE WHEN p.egress THEN ' to ' ELSE ' from ' END || COALESCE(p.cidr_ipv4, p.cidr_ipv6) AS rule,
  shadowed_by,
  CASE WHEN rule_action = first_action THEN 'redundant' ELSE 'conflict' END AS kind,
  CASE
    WHEN rule_action = first_action
    THEN 'aws ec2 delete-network-acl-entry --network-acl-id ' || network_acl_id || ' --rule-number ' || CAST(rule_number AS TEXT) || CASE WHEN egress THEN ' --egress' ELSE ' --ingress' END
    WHEN CAST(FLOOR((
      COALESCE(below, 0) + first_number
    ) / 2.0) AS INT) <= COALESCE(below, 0)
    THEN 'no free rule number below ' || CAST(first_number AS TEXT) || ': renumber the ACL'
    ELSE 'aws ec2 create-network-acl-entry --network-acl-id ' || network_acl_id || ' --rule-number ' || CAST(CAST(FLOOR((
      COALESCE(below, 0) + first_number
    ) / 2.0) AS INT) AS TEXT) || ' --protocol ' || CASE protocol_number
      WHEN 6
      THEN 'tcp'
      WHEN 17
      THEN 'udp'
      WHEN 1
      THEN 'icmp'
      ELSE CAST(protocol_number AS TEXT)
    END || CASE
      WHEN NOT port_from IS NULL
      THEN ' --port-range From=' || CAST(port_from AS TEXT) || ',To=' || CAST(port_to AS TEXT)
      WHEN NOT icmp_type IS NULL
      THEN ' --icmp-type-code Type=' || CAST(icmp_type AS TEXT) || ',Code=' || CAST(COALESCE(icmp_code, -1) AS TEXT)
      ELSE ''
    END || CASE
      WHEN NOT cidr_ipv4 IS NULL
      THEN ' --cidr-block ' || cidr_ipv4
      ELSE ' --ipv6-cidr-block ' || cidr_ipv6
    END || ' --rule-action ' || rule_action || CASE WHEN egress THEN ' --egress' ELSE ' --ingress' END
  END AS fix
FROM pairs AS p
WHERE
  position = 1
ORDER BY
  network_acl_id,
  egress,
  rule_number
