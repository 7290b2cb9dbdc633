SELECT DISTINCT
  p.peering_connection_id,
  p.status,
  r.vpc_id AS requester_vpc_id,
  r.cidr_block AS requester_cidr,
  a.vpc_id AS accepter_vpc_id,
  a.cidr_block AS accepter_cidr,
  CASE
    WHEN (
      CAST(SPLIT_PART(a.cidr_block, '/', 2) AS INTEGER) >= CAST(SPLIT_PART(r.cidr_block, '/', 2) AS INTEGER)
      AND (
        (
          STRPOS(r.cidr_block, ':') > 0
        ) = (
          STRPOS(SPLIT_PART(a.cidr_block, '/', 1), ':') > 0
        )
        AND CONTAINS(r.cidr_block, TRY_CAST(SPLIT_PART(a.cidr_block, '/', 1) AS IPADDRESS))
      )
    )
    THEN a.cidr_block
    ELSE r.cidr_block
  END AS overlap,
  'no CLI fix: re-address one VPC (or use PrivateLink or a NAT) so the ranges do not overlap' AS fix
FROM vpc_peering_cidrs AS r
JOIN vpc_peering_cidrs AS a
  ON a.peering_connection_id = r.peering_connection_id
  AND a.side = 'accepter'
  AND a.account_id = r.account_id
  AND a.region = r.region
JOIN vpc_peering_connections AS p
  ON p.peering_connection_id = r.peering_connection_id
  AND p.account_id = r.account_id
  AND p.region = r.region
WHERE
  r.side = 'requester'
  AND NOT p.status IN ('deleted', 'rejected', 'failed', 'expired')
  AND (
    (
      CAST(SPLIT_PART(a.cidr_block, '/', 2) AS INTEGER) >= CAST(SPLIT_PART(r.cidr_block, '/', 2) AS INTEGER)
      AND (
        (
          STRPOS(r.cidr_block, ':') > 0
        ) = (
          STRPOS(SPLIT_PART(a.cidr_block, '/', 1), ':') > 0
        )
        AND CONTAINS(r.cidr_block, TRY_CAST(SPLIT_PART(a.cidr_block, '/', 1) AS IPADDRESS))
      )
    )
    OR (
      CAST(SPLIT_PART(r.cidr_block, '/', 2) AS INTEGER) >= CAST(SPLIT_PART(a.cidr_block, '/', 2) AS INTEGER)
      AND (
        (
          STRPOS(a.cidr_block, ':') > 0
        ) = (
          STRPOS(SPLIT_PART(r.cidr_block, '/', 1), ':') > 0
        )
        AND CONTAINS(a.cidr_block, TRY_CAST(SPLIT_PART(r.cidr_block, '/', 1) AS IPADDRESS))
      )
    )
  )
ORDER BY
  p.peering_connection_id,
  requester_cidr,
  accepter_cidr
