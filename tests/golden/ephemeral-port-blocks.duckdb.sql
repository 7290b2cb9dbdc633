WITH seen AS (
  SELECT
    interface_id,
    srcaddr,
    dstaddr,
    srcport,
    dstport,
    protocol,
    action,
    start_time,
    end_time
  FROM flow_logs
  WHERE
    NOT action IS NULL
    AND (
      start_time >= CAST('2024-05-01T00:00:00Z' AS TIMESTAMPTZ)
      AND start_time < CAST('2024-05-02T00:00:00Z' AS TIMESTAMPTZ)
    )
), interface_addresses AS (
  SELECT
    interface_id,
    address,
    ROW_NUMBER() OVER (
      PARTITION BY interface_id
      ORDER BY COUNT(*) DESC, COUNT_IF(serves) DESC, (
        address LIKE '10.%'
        OR address LIKE '192.168.%'
        OR REGEXP_MATCHES(address, '^172\.(1[6-9]|2[0-9]|3[01])\.')
        OR REGEXP_MATCHES(address, '^100\.(6[4-9]|[7-9][0-9]|1[01][0-9]|12[0-7])\.')
        OR address LIKE '169.254.%'
        OR address LIKE '127.%'
        OR REGEXP_MATCHES(LOWER(address), '^f[cd][0-9a-f]{2}:')
        OR LOWER(address) LIKE 'fe80:%'
      ) DESC, address
    ) AS place
  FROM (
    SELECT
      interface_id,
      srcaddr AS address,
      srcport < dstport AS serves
    FROM seen
    UNION ALL
    SELECT
      interface_id,
      dstaddr AS address,
      dstport < srcport AS serves
    FROM seen
  ) AS ends
  GROUP BY
    interface_id,
    address
), rejected_answers AS (
  SELECT DISTINCT
    a.interface_id,
    a.srcaddr AS server,
    a.srcport AS server_port,
    a.protocol,
    a.dstaddr AS client,
    a.dstport AS client_port,
    a.start_time,
    a.end_time
  FROM seen AS a
  JOIN seen AS q
    ON q.interface_id = a.interface_id
    AND q.srcaddr = a.dstaddr
    AND q.dstaddr = a.srcaddr
    AND q.srcport = a.dstport
    AND q.dstport = a.srcport
    AND q.protocol = a.protocol
    AND q.action = 'ACCEPT'
    AND q.start_time <= a.end_time
    AND q.end_time >= a.start_time
  WHERE
    a.action = 'REJECT'
    AND a.protocol IN (6, 17)
    AND a.dstport >= 1024
    AND a.srcport < a.dstport
), accepted_requests AS (
  SELECT
    interface_id,
    dstaddr AS server,
    dstport AS server_port,
    protocol,
    COUNT(*) AS requests
  FROM seen
  WHERE
    action = 'ACCEPT' AND dstport < srcport
  GROUP BY
    interface_id,
    dstaddr,
    dstport,
    protocol
), blocks AS (
  SELECT
    b.interface_id,
    b.server,
    b.server_port,
    b.protocol,
    b.server = MAX(own.address) AS on_server_side,
    COUNT(DISTINCT b.client) AS clients,
    MIN(b.client) AS first_client,
    MIN(
      SPLIT_PART(b.client, '.', 1) || '.' || SPLIT_PART(b.client, '.', 2) || '.' || SPLIT_PART(b.client, '.', 3)
    ) AS low24,
    MAX(
      SPLIT_PART(b.client, '.', 1) || '.' || SPLIT_PART(b.client, '.', 2) || '.' || SPLIT_PART(b.client, '.', 3)
    ) AS high24,
    MIN(SPLIT_PART(b.client, '.', 1) || '.' || SPLIT_PART(b.client, '.', 2)) AS low16,
    MAX(SPLIT_PART(b.client, '.', 1) || '.' || SPLIT_PART(b.client, '.', 2)) AS high16,
    MIN(SPLIT_PART(b.client, '.', 1)) AS low8,
    MAX(SPLIT_PART(b.client, '.', 1)) AS high8,
    MIN(b.client_port) AS low_port,
    MAX(b.client_port) AS high_port,
    COUNT(*) AS answers_rejected,
    MIN(b.start_time) AS first_seen,
    MAX(b.start_time) AS last_seen
  FROM rejected_answers AS b
  LEFT JOIN interface_addresses AS own
    ON own.interface_id = b.interface_id AND own.place = 1
  GROUP BY
    b.interface_id,
    b.server,
    b.server_port,
    b.protocol
), entries AS (
  SELECT
    blocks.*,
    CASE
      WHEN clients = 1 AND first_client LIKE '%:%'
      THEN first_client || '/128'
      WHEN clients = 1
      THEN first_client || '/32'
      WHEN first_client LIKE '%:%'
      THEN '::/0'
      WHEN low24 = high24
      THEN low24 || '.0/24'
      WHEN low16 = high16
      THEN low16 || '.0.0/16'
      WHEN low8 = high8
      THEN low8 || '.0.0.0/8'
      ELSE '0.0.0.0/0'
    END AS client_cidr,
    CASE WHEN on_server_side THEN 'egress' ELSE 'ingress' END AS rule_direction
  FROM blocks
), rules AS (
  SELECT
    entries.*,
    CASE
      WHEN rule_direction = 'egress'
      THEN client_cidr
      WHEN server LIKE '%:%'
      THEN server || '/128'
      ELSE server || '/32'
    END AS rule_cidr
  FROM entries
)
SELECT
  rules.interface_id,
  rules.server,
  rules.server_port,
  rules.protocol,
  rules.client_cidr,
  rules.clients,
  CAST(rules.low_port AS TEXT) || '-' || CAST(rules.high_port AS TEXT) AS client_ports,
  COALESCE(accepted_requests.requests, 0) AS requests_accepted,
  rules.answers_rejected,
  rules.first_seen,
  rules.last_seen,
  100 AS rule_number,
  rules.rule_direction,
  rules.protocol AS rule_protocol,
  '1024-65535' AS rule_ports,
  rules.rule_cidr,
  'ALLOW' AS rule_action,
  'aws ec2 create-network-acl-entry --network-acl-id ACL_ID --' || rules.rule_direction || ' --rule-number 100 --protocol ' || CAST(rules.protocol AS TEXT) || ' --port-range From=1024,To=65535 --' || CASE WHEN rules.rule_cidr LIKE '%:%' THEN 'ipv6-cidr-block ' ELSE 'cidr-block ' END || rules.rule_cidr || ' --rule-action allow' AS aws_cli
FROM rules
LEFT JOIN accepted_requests
  ON accepted_requests.interface_id = rules.interface_id
  AND accepted_requests.server = rules.server
  AND accepted_requests.server_port = rules.server_port
  AND accepted_requests.protocol = rules.protocol
ORDER BY
  rules.answers_rejected DESC,
  rules.interface_id,
  rules.server,
  rules.server_port,
  rules.protocol
