{#- flowlake
title = "VPC peering between overlapping address ranges"
description = """
VPC peering connections whose two sides have overlapping IPv4 CIDRs: routes can be listed but
traffic to the overlapping addresses stays in the local VPC (its `local` route is more
specific or equal), so the peer is unreachable there: the seeds' "Overlapping CIDR Silent
Fail". AWS refuses to create such a peering for identical primary CIDRs, but secondary CIDRs
added later, or a peering imported from elsewhere, can overlap. There is no CLI fix: re-address
one side (non-overlapping ranges such as 10.0.0.0/16 and 10.1.0.0/16), or reach the service
through PrivateLink or a NAT.
"""
columns = ["peering_connection_id", "status", "requester_vpc_id", "requester_cidr", "accepter_vpc_id", "accepter_cidr", "overlap", "fix"]
fields = []
tables = ["vpc_peering_cidrs", "vpc_peering_connections"]
answers = [
    "seed: The Overlapping CIDR Silent Fail: peering 10.0.0.0/16 with another 10.0.0.0/16: routes appear, but traffic fails",
    "seed: Always design non-overlapping CIDRs (e.g. 10.0.0.0/16 + 10.1.0.0/16)",
]
-#}
SELECT DISTINCT
    p.peering_connection_id,
    p.status,
    r.vpc_id AS requester_vpc_id,
    r.cidr_block AS requester_cidr,
    a.vpc_id AS accepter_vpc_id,
    a.cidr_block AS accepter_cidr,
    CASE WHEN {{ cidr_covers('r.cidr_block', 'a.cidr_block') }} THEN a.cidr_block ELSE r.cidr_block END AS overlap,
    'no CLI fix: re-address one VPC (or use PrivateLink or a NAT) so the ranges do not overlap' AS fix
FROM vpc_peering_cidrs AS r
JOIN vpc_peering_cidrs AS a
    ON a.peering_connection_id = r.peering_connection_id AND a.side = 'accepter'
    AND a.account_id = r.account_id AND a.region = r.region
JOIN vpc_peering_connections AS p
    ON p.peering_connection_id = r.peering_connection_id AND p.account_id = r.account_id
    AND p.region = r.region
WHERE r.side = 'requester'
    AND p.status NOT IN ('deleted', 'rejected', 'failed', 'expired')
    AND ({{ cidr_covers('r.cidr_block', 'a.cidr_block') }} OR {{ cidr_covers('a.cidr_block', 'r.cidr_block') }})
ORDER BY p.peering_connection_id, requester_cidr, accepter_cidr
