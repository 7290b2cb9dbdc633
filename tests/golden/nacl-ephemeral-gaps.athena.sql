WITH services AS (
  SELECT
    e.*,
    CASE
      WHEN e.is_default_rule
      THEN 'rule * (32767)'
      ELSE 'rule ' || CAST(e.rule_number AS VARCHAR)
    END || ' ' || UPPER(e.rule_action) || ' ' || CASE e.protocol_number
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
      ELSE CAST(e.protocol_number AS VARCHAR)
    END || CASE
      WHEN e.port_from IS NULL
      THEN ''
      WHEN e.port_from = e.port_to
      THEN ' ' || CAST(e.port_from AS VARCHAR)
      ELSE ' ' || CAST(e.port_from AS VARCHAR) || '-' || CAST(e.port_to AS VARCHAR)
    END || CASE WHEN e.egress THEN ' to ' ELSE ' from ' END || COALESCE(e.cidr_ipv4, e.cidr_ipv6) AS service_rule,
    CASE WHEN e.protocol_number = -1 THEN 6 ELSE e.protocol_number END AS reply_protocol, /* the answers: the other direction, the same protocol (TCP for all-traffic rules) */
    SPLIT_PART(COALESCE(e.cidr_ipv4, e.cidr_ipv6), '/', 1) AS client
  FROM network_acl_entries AS e
  WHERE
    e.rule_action = 'allow'
    AND NOT e.is_default_rule
    AND (
      e.protocol_number IN (-1, 1, 58)
      OR (
        e.protocol_number IN (6, 17)
        AND NOT (
          32768 BETWEEN e.port_from AND e.port_to
          OR 60999 BETWEEN e.port_from AND e.port_to
        )
      )
    )
    AND (
      NOT e.protocol_number IN (1, 58)
      OR e.icmp_type IS NULL
      OR e.icmp_type IN (-1, 8, 128)
    )
), probes AS (
  SELECT
    s.*,
    p.port
  FROM services AS s
  CROSS JOIN (VALUES
    (1024),
    (32768),
    (49152),
    (60999),
    (65535)) AS p(port)
  WHERE
    NOT s.reply_protocol IN (1, 58) OR p.port = 1024 /* ICMP has no ports: one try */
), matches AS (
  SELECT
    p.network_acl_id,
    p.egress,
    p.rule_number,
    p.cidr_ipv4,
    p.cidr_ipv6,
    p.port,
    r.rule_number AS reply_rule,
    r.rule_action AS reply_action,
    CASE
      WHEN r.is_default_rule
      THEN 'rule * (32767)'
      ELSE 'rule ' || CAST(r.rule_number AS VARCHAR)
    END || ' ' || UPPER(r.rule_action) || ' ' || CASE r.protocol_number
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
      ELSE CAST(r.protocol_number AS VARCHAR)
    END || CASE
      WHEN r.port_from IS NULL
      THEN ''
      WHEN r.port_from = r.port_to
      THEN ' ' || CAST(r.port_from AS VARCHAR)
      ELSE ' ' || CAST(r.port_from AS VARCHAR) || '-' || CAST(r.port_to AS VARCHAR)
    END || CASE WHEN r.egress THEN ' to ' ELSE ' from ' END || COALESCE(r.cidr_ipv4, r.cidr_ipv6) AS reply_text,
    ROW_NUMBER() OVER (
      PARTITION BY p.network_acl_id, p.egress, p.rule_number, p.cidr_ipv4, p.cidr_ipv6, p.port
      ORDER BY r.rule_number
    ) AS position
  FROM probes AS p
  JOIN network_acl_entries AS r
    ON r.network_acl_id = p.network_acl_id
    AND r.egress <> p.egress
    AND r.account_id = p.account_id
    AND r.region = p.region
  WHERE
    (
      r.protocol_number = -1 OR r.protocol_number = p.reply_protocol
    )
    AND (
      NOT p.reply_protocol IN (6, 17)
      OR r.port_from IS NULL
      OR p.port BETWEEN r.port_from AND r.port_to
    )
    AND (
      NOT p.reply_protocol IN (1, 58)
      OR r.icmp_type IS NULL
      OR r.icmp_type IN (-1, 0, 129)
    )
    AND (
      (
        (
          STRPOS(r.cidr_ipv4, ':') > 0
        ) = (
          STRPOS(p.client, ':') > 0
        )
        AND CONTAINS(r.cidr_ipv4, TRY_CAST(p.client AS IPADDRESS))
      )
      OR (
        (
          STRPOS(r.cidr_ipv6, ':') > 0
        ) = (
          STRPOS(p.client, ':') > 0
        )
        AND CONTAINS(r.cidr_ipv6, TRY_CAST(p.client AS IPADDRESS))
      )
    )
), denied AS (
  SELECT
    network_acl_id,
    egress,
    rule_number,
    cidr_ipv4,
    cidr_ipv6,
    ARRAY_JOIN(ARRAY_SORT(ARRAY_AGG(port)), ', ') AS denied_ports,
    ARRAY_JOIN(ARRAY_SORT(ARRAY_DISTINCT(ARRAY_AGG(reply_text))), '; ') AS denied_by,
    MIN(reply_rule) AS first_deny
  FROM matches
  WHERE
    position = 1 AND reply_action = 'deny'
  GROUP BY
    network_acl_id,
    egress,
    rule_number,
    cidr_ipv4,
    cidr_ipv6
), room AS (
  SELECT
    d.*,
    s.subnet_ids,
    s.service_rule,
    s.reply_protocol,
    s.protocol_number,
    (
      SELECT
        MAX(c.rule_number)
      FROM network_acl_entries AS c
      WHERE
        c.network_acl_id = d.network_acl_id
        AND c.egress <> d.egress
        AND c.rule_number < d.first_deny
        AND NOT c.is_default_rule
    ) AS below
  FROM denied AS d
  JOIN services AS s
    ON s.network_acl_id = d.network_acl_id
    AND s.egress = d.egress
    AND s.rule_number = d.rule_number
    AND COALESCE(s.cidr_ipv4, '') = COALESCE(d.cidr_ipv4, '')
    AND COALESCE(s.cidr_ipv6, '') = COALESCE(d.cidr_ipv6, '')
)
SELECT
  network_acl_id,
  subnet_ids,
  CASE WHEN egress THEN 'outbound' ELSE 'inbound' END AS direction,
  service_rule,
  CASE reply_protocol
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
    ELSE CAST(reply_protocol AS VARCHAR)
  END || CASE WHEN reply_protocol IN (1, 58) THEN ' echo reply' ELSE ' 1024-65535' END || CASE WHEN egress THEN ' from ' ELSE ' to ' END || COALESCE(cidr_ipv4, cidr_ipv6) AS return_traffic,
  CASE WHEN reply_protocol IN (1, 58) THEN 'echo reply' ELSE denied_ports END AS denied_ports,
  denied_by,
  'aws ec2 create-network-acl-entry --network-acl-id ' || network_acl_id || ' --rule-number ' || CAST(CASE
    WHEN first_deny = 32767
    THEN LEAST(COALESCE(below, 0) + 10, 32766)
    ELSE CAST(FLOOR((
      COALESCE(below, 0) + first_deny
    ) / 2.0) AS INTEGER)
  END AS VARCHAR) || ' --protocol ' || CASE reply_protocol
    WHEN 6
    THEN 'tcp'
    WHEN 17
    THEN 'udp'
    WHEN 1
    THEN 'icmp'
    ELSE CAST(reply_protocol AS VARCHAR)
  END || CASE
    WHEN reply_protocol = 1
    THEN ' --icmp-type-code Type=0,Code=-1'
    WHEN reply_protocol = 58
    THEN ' --icmp-type-code Type=129,Code=-1'
    ELSE ' --port-range From=1024,To=65535'
  END || CASE
    WHEN NOT cidr_ipv4 IS NULL
    THEN ' --cidr-block ' || cidr_ipv4
    ELSE ' --ipv6-cidr-block ' || cidr_ipv6
  END || ' --rule-action allow' || CASE WHEN egress THEN ' --ingress' ELSE ' --egress' END AS fix
FROM room
ORDER BY
  network_acl_id,
  direction,
  service_rule
