WITH conversations AS (
  /* one scan of the flow logs: rejected flows, and the accepted ones they may answer */
  SELECT
    interface_id,
    srcaddr,
    dstaddr,
    srcport,
    dstport,
    protocol,
    action,
    COUNT(*) AS flows,
    MIN(start_time) AS first_seen,
    MAX(start_time) AS last_seen
  FROM flow_logs
  WHERE
    action IN ('ACCEPT', 'REJECT')
    AND (
      start_time >= CAST('2024-05-01T00:00:00Z' AS TIMESTAMPTZ)
      AND start_time < CAST('2024-05-02T00:00:00Z' AS TIMESTAMPTZ)
    )
  GROUP BY
    interface_id,
    srcaddr,
    dstaddr,
    srcport,
    dstport,
    protocol,
    action
), rejected AS (
  SELECT
    interface_id,
    srcaddr,
    dstaddr,
    srcport,
    dstport,
    protocol,
    flows,
    first_seen,
    last_seen
  FROM conversations
  WHERE
    action = 'REJECT'
), answered AS (
  /* accepted flows on the same interfaces: a rejected packet going back is their response */
  SELECT
    interface_id,
    srcaddr,
    dstaddr,
    srcport,
    dstport,
    protocol
  FROM conversations
  WHERE
    action = 'ACCEPT'
), interfaces AS (
  SELECT
    interface_id,
    MIN(subnet_id) AS subnet_id
  FROM network_interfaces
  GROUP BY
    interface_id
), packets AS (
  SELECT
    r.*,
    i.subnet_id,
    NOT i.interface_id IS NULL AS known,
    CASE
      WHEN NOT i.interface_id IS NULL
      THEN EXISTS(
        SELECT
          1
        FROM network_interface_addresses AS a
        WHERE
          a.interface_id = r.interface_id AND a.address = r.dstaddr
      )
      WHEN (
        r.dstaddr LIKE '10.%'
        OR r.dstaddr LIKE '192.168.%'
        OR REGEXP_MATCHES(r.dstaddr, '^172\.(1[6-9]|2[0-9]|3[01])\.')
        OR REGEXP_MATCHES(r.dstaddr, '^100\.(6[4-9]|[7-9][0-9]|1[01][0-9]|12[0-7])\.')
        OR r.dstaddr LIKE '169.254.%'
        OR r.dstaddr LIKE '127.%'
        OR REGEXP_MATCHES(LOWER(r.dstaddr), '^f[cd][0-9a-f]{2}:')
        OR LOWER(r.dstaddr) LIKE 'fe80:%'
      ) <> (
        r.srcaddr LIKE '10.%'
        OR r.srcaddr LIKE '192.168.%'
        OR REGEXP_MATCHES(r.srcaddr, '^172\.(1[6-9]|2[0-9]|3[01])\.')
        OR REGEXP_MATCHES(r.srcaddr, '^100\.(6[4-9]|[7-9][0-9]|1[01][0-9]|12[0-7])\.')
        OR r.srcaddr LIKE '169.254.%'
        OR r.srcaddr LIKE '127.%'
        OR REGEXP_MATCHES(LOWER(r.srcaddr), '^f[cd][0-9a-f]{2}:')
        OR LOWER(r.srcaddr) LIKE 'fe80:%'
      )
      THEN (
        r.dstaddr LIKE '10.%'
        OR r.dstaddr LIKE '192.168.%'
        OR REGEXP_MATCHES(r.dstaddr, '^172\.(1[6-9]|2[0-9]|3[01])\.')
        OR REGEXP_MATCHES(r.dstaddr, '^100\.(6[4-9]|[7-9][0-9]|1[01][0-9]|12[0-7])\.')
        OR r.dstaddr LIKE '169.254.%'
        OR r.dstaddr LIKE '127.%'
        OR REGEXP_MATCHES(LOWER(r.dstaddr), '^f[cd][0-9a-f]{2}:')
        OR LOWER(r.dstaddr) LIKE 'fe80:%'
      )
      ELSE r.dstport <= r.srcport
    END AS inbound,
    (
      NOT q.interface_id IS NULL
      OR (
        r.protocol IN (6, 17) AND r.srcport < 1024 AND r.dstport >= 1024
      )
    ) AS is_response,
    EXISTS(
      SELECT
        1
      FROM network_interface_groups AS g
      WHERE
        g.interface_id = r.interface_id
    ) AS has_groups
  FROM rejected AS r
  LEFT JOIN interfaces AS i
    ON i.interface_id = r.interface_id
  LEFT JOIN answered AS q
    ON q.interface_id = r.interface_id
    AND q.srcaddr = r.dstaddr
    AND q.dstaddr = r.srcaddr
    AND q.srcport = r.dstport
    AND q.dstport = r.srcport
    AND q.protocol = r.protocol
), sides AS (
  SELECT
    p.*,
    CASE WHEN p.inbound THEN p.srcaddr ELSE p.dstaddr END AS peer,
    CASE WHEN p.inbound THEN p.dstaddr ELSE p.srcaddr END AS local_address,
    p.inbound <> p.is_response AS request_inbound,
    CASE WHEN p.is_response THEN p.srcport ELSE p.dstport END AS service_port,
    CASE WHEN p.protocol = 58 THEN 128 ELSE 8 END AS request_icmp, /* ICMP types are not logged: an echo request and its reply */
    CASE WHEN p.protocol = 58 THEN 129 ELSE 0 END AS response_icmp,
    ROW_NUMBER() OVER (ORDER BY p.interface_id, p.srcaddr, p.dstaddr, p.srcport, p.dstport, p.protocol) AS packet_id
  FROM packets AS p
), legs AS (
  /* the rejected packet, and the packet of the other leg (its request or its response) */
  SELECT
    packet_id,
    subnet_id,
    protocol,
    peer,
    'this' AS leg,
    NOT inbound AS egress,
    dstport AS port,
    CASE WHEN is_response THEN response_icmp ELSE request_icmp END AS icmp
  FROM sides
  WHERE
    known
  UNION ALL
  SELECT
    packet_id,
    subnet_id,
    protocol,
    peer,
    'other' AS leg,
    inbound AS egress,
    srcport AS port,
    CASE WHEN is_response THEN request_icmp ELSE response_icmp END AS icmp
  FROM sides
  WHERE
    known
), acl_matches AS (
  SELECT
    l.packet_id,
    l.leg,
    e.network_acl_id,
    e.egress,
    e.rule_number,
    e.rule_action,
    e.protocol_number,
    e.port_from,
    e.port_to,
    e.cidr_ipv4,
    e.cidr_ipv6,
    e.is_default_rule,
    ROW_NUMBER() OVER (PARTITION BY l.packet_id, l.leg ORDER BY e.rule_number) AS position
  FROM legs AS l
  JOIN network_acl_associations AS s
    ON s.subnet_id = l.subnet_id
  JOIN network_acl_entries AS e
    ON e.network_acl_id = s.network_acl_id AND e.egress = l.egress
  WHERE
    (
      e.protocol_number = -1 OR e.protocol_number = l.protocol
    )
    AND (
      NOT l.protocol IN (6, 17)
      OR e.port_from IS NULL
      OR l.port BETWEEN e.port_from AND e.port_to
    )
    AND (
      NOT l.protocol IN (1, 58) OR e.icmp_type IS NULL OR e.icmp_type IN (-1, l.icmp)
    )
    AND (
      COALESCE(FLOWLAKE_IN_CIDR(e.cidr_ipv4, l.peer), FALSE)
      OR COALESCE(FLOWLAKE_IN_CIDR(e.cidr_ipv6, l.peer), FALSE)
    )
), acl AS (
  /* the entry that decides, and the highest rule number below it (room for a new rule) */
  SELECT
    m.*,
    (
      SELECT
        MAX(b.rule_number)
      FROM network_acl_entries AS b
      WHERE
        b.network_acl_id = m.network_acl_id
        AND b.egress = m.egress
        AND b.rule_number < m.rule_number
        AND NOT b.is_default_rule
    ) AS below
  FROM acl_matches AS m
  WHERE
    m.position = 1
), peer_groups AS (
  SELECT DISTINCT
    a.address,
    g.group_id
  FROM network_interface_addresses AS a
  JOIN network_interface_groups AS g
    ON g.interface_id = a.interface_id
), sg_matches AS (
  SELECT
    s.packet_id,
    COUNT(CASE WHEN r.prefix_list_id IS NULL THEN 1 END) AS allowing,
    MIN(r.prefix_list_id) AS prefix_list
  FROM sides AS s
  JOIN network_interface_groups AS g
    ON g.interface_id = s.interface_id
  JOIN security_group_rules AS r
    ON r.group_id = g.group_id
    AND r.direction = CASE WHEN s.request_inbound THEN 'ingress' ELSE 'egress' END
  LEFT JOIN peer_groups AS pg
    ON pg.address = s.peer AND pg.group_id = r.referenced_group_id
  WHERE
    (
      r.protocol_number = -1 OR r.protocol_number = s.protocol
    )
    AND (
      NOT s.protocol IN (6, 17)
      OR r.from_port IS NULL
      OR s.service_port BETWEEN r.from_port AND r.to_port
    )
    AND (
      NOT s.protocol IN (1, 58)
      OR r.from_port IS NULL
      OR r.from_port IN (-1, s.request_icmp)
    )
    AND (
      COALESCE(FLOWLAKE_IN_CIDR(r.cidr_ipv4, s.peer), FALSE)
      OR COALESCE(FLOWLAKE_IN_CIDR(r.cidr_ipv6, s.peer), FALSE)
      OR NOT pg.group_id IS NULL
      OR NOT r.prefix_list_id IS NULL
    )
  GROUP BY
    s.packet_id
), groups AS (
  SELECT
    interface_id,
    ARRAY_TO_STRING(LIST_SORT(LIST_DISTINCT(ARRAY_AGG(group_id))), ', ') AS group_ids,
    MIN(group_id) AS first_group
  FROM network_interface_groups
  GROUP BY
    interface_id
), judged AS (
  SELECT
    s.*,
    t.network_acl_id AS acl_id,
    t.network_acl_id || ' rule ' || CASE WHEN t.is_default_rule THEN '* (32767)' ELSE CAST(t.rule_number AS TEXT) END || ' ' || UPPER(t.rule_action) || ' ' || CASE t.protocol_number
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
      ELSE CAST(t.protocol_number AS TEXT)
    END || CASE
      WHEN t.port_from IS NULL
      THEN ''
      WHEN t.port_from = t.port_to
      THEN ' ' || CAST(t.port_from AS TEXT)
      ELSE ' ' || CAST(t.port_from AS TEXT) || '-' || CAST(t.port_to AS TEXT)
    END || CASE WHEN t.egress THEN ' to ' ELSE ' from ' END || COALESCE(t.cidr_ipv4, t.cidr_ipv6) AS this_rule,
    o.network_acl_id || ' rule ' || CASE WHEN o.is_default_rule THEN '* (32767)' ELSE CAST(o.rule_number AS TEXT) END || ' ' || UPPER(o.rule_action) || ' ' || CASE o.protocol_number
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
      ELSE CAST(o.protocol_number AS TEXT)
    END || CASE
      WHEN o.port_from IS NULL
      THEN ''
      WHEN o.port_from = o.port_to
      THEN ' ' || CAST(o.port_from AS TEXT)
      ELSE ' ' || CAST(o.port_from AS TEXT) || '-' || CAST(o.port_to AS TEXT)
    END || CASE WHEN o.egress THEN ' to ' ELSE ' from ' END || COALESCE(o.cidr_ipv4, o.cidr_ipv6) AS other_rule,
    t.rule_action AS this_action,
    o.rule_action AS other_action,
    t.egress AS acl_egress,
    t.is_default_rule AS default_denied,
    t.port_from AS acl_port_from,
    t.port_to AS acl_port_to,
    t.rule_number AS acl_rule_number,
    COALESCE(t.below, 0) AS acl_below,
    CASE
      WHEN o.rule_action = 'allow' AND NOT o.cidr_ipv4 IS NULL AND STRPOS(s.peer, ':') = 0
      THEN o.cidr_ipv4
      WHEN o.rule_action = 'allow' AND NOT o.cidr_ipv6 IS NULL AND STRPOS(s.peer, ':') > 0
      THEN o.cidr_ipv6
    END AS request_cidr,
    gr.group_ids,
    gr.first_group,
    s.has_groups AND COALESCE(m.allowing, 0) = 0 AND m.prefix_list IS NULL AS sg_denies,
    COALESCE(m.allowing, 0) = 0 AND NOT m.prefix_list IS NULL AS sg_maybe,
    m.prefix_list,
    CASE
      WHEN s.protocol IN (6, 17)
      THEN CASE s.protocol
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
        ELSE CAST(s.protocol AS TEXT)
      END || '/' || CAST(s.service_port AS TEXT)
      ELSE CASE s.protocol
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
        ELSE CAST(s.protocol AS TEXT)
      END
    END AS traffic,
    CASE WHEN STRPOS(s.peer, ':') > 0 THEN s.peer || '/128' ELSE s.peer || '/32' END AS peer_cidr
  FROM sides AS s
  LEFT JOIN acl AS t
    ON t.packet_id = s.packet_id AND t.leg = 'this'
  LEFT JOIN acl AS o
    ON o.packet_id = s.packet_id AND o.leg = 'other'
  LEFT JOIN sg_matches AS m
    ON m.packet_id = s.packet_id
  LEFT JOIN groups AS gr
    ON gr.interface_id = s.interface_id
), verdicts AS (
  SELECT
    j.*,
    CASE
      WHEN NOT j.known
      THEN 'unknown'
      WHEN j.inbound AND j.this_action = 'deny'
      THEN 'nacl-inbound'
      WHEN NOT j.is_response AND j.sg_denies AND j.inbound
      THEN 'security-group-inbound'
      WHEN NOT j.is_response AND j.sg_denies
      THEN 'security-group-outbound'
      WHEN NOT j.inbound AND j.this_action = 'deny'
      THEN 'nacl-outbound'
      ELSE 'unknown'
    END AS blocked_by,
    CASE
      WHEN j.default_denied
      THEN CASE
        WHEN (
          j.acl_below + 10
        ) IS NULL OR 32766 IS NULL
        THEN NULL
        ELSE LEAST(j.acl_below + 10, 32766)
      END
      ELSE CAST(FLOOR((
        j.acl_below + j.acl_rule_number
      ) / 2.0) AS INT)
    END AS new_rule, /* a free rule number below the deny: halfway to the rule before it, or after the */ /* last numbered rule when the `*` rule denies */
    CASE WHEN j.is_response THEN j.response_icmp ELSE j.request_icmp END AS packet_icmp,
    CASE
      WHEN j.is_response
      THEN COALESCE(j.request_cidr, j.peer_cidr)
      ELSE j.peer_cidr
    END AS fix_cidr,
    CASE
      WHEN j.protocol = 6
      THEN 'tcp'
      WHEN j.protocol = 17
      THEN 'udp'
      WHEN j.protocol = 1
      THEN 'icmp'
      ELSE CAST(j.protocol AS TEXT)
    END AS cli_protocol,
    CASE WHEN j.inbound THEN ' from ' ELSE ' to ' END AS towards
  FROM judged AS j
), explained AS (
  SELECT
    v.interface_id,
    CASE WHEN NOT v.known THEN NULL WHEN v.inbound THEN 'inbound' ELSE 'outbound' END AS direction,
    CASE WHEN v.is_response THEN 'response' ELSE 'request' END AS leg,
    v.local_address,
    v.peer AS peer_address,
    v.protocol,
    v.service_port AS port,
    v.flows,
    v.first_seen,
    v.last_seen,
    v.blocked_by,
    CASE
      WHEN v.blocked_by LIKE 'nacl-%'
      THEN v.this_rule
      WHEN v.blocked_by LIKE 'security-group-%'
      THEN 'no security-group rule of ' || v.group_ids || ' allows ' || v.traffic || v.towards || v.peer
      WHEN NOT v.known
      THEN v.interface_id || ' is not in the config snapshot'
      WHEN v.acl_id IS NULL
      THEN 'no network ACL of ' || COALESCE(v.subnet_id, 'its subnet') || ' in the config snapshot'
      WHEN v.sg_maybe
      THEN 'a rule of ' || v.group_ids || ' allows prefix list ' || v.prefix_list || ', which the snapshot does not expand: it may not hold ' || v.peer
      ELSE 'the snapshot allows it (' || v.this_rule || '; the security groups allow ' || v.traffic || v.towards || v.peer || '): the rules changed since (see config-changes), or the ' || 'packet came after its connection closed'
    END AS rule,
    CASE
      WHEN v.blocked_by = 'security-group-inbound'
      AND v.protocol IN (6, 17)
      AND STRPOS(v.peer, ':') = 0
      THEN 'aws ec2 authorize-security-group-ingress --group-id ' || v.first_group || ' --protocol ' || v.cli_protocol || ' --port ' || CAST(v.service_port AS TEXT) || ' --cidr ' || v.peer_cidr
      WHEN v.blocked_by LIKE 'security-group-%'
      THEN 'aws ec2 authorize-security-group-' || CASE WHEN v.inbound THEN 'ingress' ELSE 'egress' END || ' --group-id ' || v.first_group || ' --ip-permissions IpProtocol=' || v.cli_protocol || CASE
        WHEN v.protocol IN (6, 17)
        THEN ',FromPort=' || CAST(v.service_port AS TEXT) || ',ToPort=' || CAST(v.service_port AS TEXT)
        WHEN v.protocol IN (1, 58)
        THEN ',FromPort=' || CAST(v.request_icmp AS TEXT) || ',ToPort=-1'
        ELSE ''
      END || CASE
        WHEN STRPOS(v.peer, ':') > 0
        THEN ',Ipv6Ranges=[{CidrIpv6='
        ELSE ',IpRanges=[{CidrIp='
      END || v.peer_cidr || '}]'
      WHEN v.blocked_by LIKE 'nacl-%' AND v.new_rule <= v.acl_below
      THEN 'no free rule number below ' || CAST(v.acl_rule_number AS TEXT) || ' in ' || v.acl_id || ': renumber, then allow ' || v.traffic || v.towards || v.fix_cidr
      WHEN v.blocked_by LIKE 'nacl-%'
      THEN 'aws ec2 create-network-acl-entry --network-acl-id ' || v.acl_id || ' --rule-number ' || CAST(v.new_rule AS TEXT) || ' --protocol ' || v.cli_protocol || CASE
        WHEN NOT v.protocol IN (6, 17) AND NOT v.protocol IN (1, 58)
        THEN ''
        WHEN v.protocol IN (1, 58)
        THEN ' --icmp-type-code Type=' || CAST(v.packet_icmp AS TEXT) || ',Code=-1'
        WHEN NOT v.acl_port_from IS NULL
        THEN ' --port-range From=' || CAST(v.acl_port_from AS TEXT) || ',To=' || CAST(v.acl_port_to AS TEXT)
        WHEN v.is_response
        THEN ' --port-range From=1024,To=65535'
        ELSE ' --port-range From=' || CAST(v.dstport AS TEXT) || ',To=' || CAST(v.dstport AS TEXT)
      END || CASE
        WHEN STRPOS(v.fix_cidr, ':') > 0
        THEN ' --ipv6-cidr-block '
        ELSE ' --cidr-block '
      END || v.fix_cidr || ' --rule-action allow ' || CASE WHEN v.acl_egress THEN '--egress' ELSE '--ingress' END
    END AS fix,
    NULLIF(
      CONCAT_WS(
        '; ',
        CASE
          WHEN v.blocked_by = 'nacl-inbound' AND NOT v.is_response AND v.sg_denies
          THEN 'the security groups would drop it too: no rule of ' || v.group_ids || ' allows ' || v.traffic || v.towards || v.peer
        END,
        CASE
          WHEN v.blocked_by = 'security-group-outbound' AND v.this_action = 'deny'
          THEN 'next, the network ACL would drop it: ' || v.this_rule
        END,
        CASE
          WHEN v.blocked_by <> 'unknown' AND NOT v.is_response AND v.other_action = 'deny'
          THEN 'the response would then be dropped: ' || v.other_rule
        END,
        CASE
          WHEN v.blocked_by LIKE 'nacl-%' AND v.is_response AND v.other_action = 'allow'
          THEN 'the request was let ' || CASE WHEN v.inbound THEN 'out' ELSE 'in' END || ' by ' || v.other_rule
        END
      ),
      ''
    ) AS also
  FROM verdicts AS v
)
SELECT
  interface_id,
  direction,
  leg,
  local_address,
  peer_address,
  protocol,
  port,
  CAST(SUM(flows) AS BIGINT) AS flows,
  MIN(first_seen) AS first_seen,
  MAX(last_seen) AS last_seen,
  blocked_by,
  rule,
  fix,
  also
FROM explained
GROUP BY
  interface_id,
  direction,
  leg,
  local_address,
  peer_address,
  protocol,
  port,
  blocked_by,
  rule,
  fix,
  also
ORDER BY
  blocked_by = 'unknown',
  flows DESC,
  interface_id,
  peer_address,
  port,
  leg
LIMIT 200
