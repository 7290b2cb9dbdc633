-- DuckDB functions behind the `cidr_contains` macro (sql/macros/ip.sql): a CIDR held in a column
-- (a security-group or network-ACL rule) against an address column. Same idea as the
-- `in_cidr` range test, with the range worked out in SQL since the CIDR is not a parameter.
-- An address of the other family, or NULL, gives NULL (no match).

-- the first `bits` bits of two 32-digit hex strings are equal
CREATE OR REPLACE MACRO flowlake_hex_prefix_match(a, b, bits) AS (
    left(a, bits // 4) = left(b, bits // 4)
    AND (bits % 4 = 0
         OR ((strpos('0123456789abcdef', substr(a, bits // 4 + 1, 1)) - 1) >> (4 - bits % 4))
          = ((strpos('0123456789abcdef', substr(b, bits // 4 + 1, 1)) - 1) >> (4 - bits % 4)))
);

CREATE OR REPLACE MACRO flowlake_in_cidr(cidr, ip) AS (
    CASE
        WHEN cidr IS NULL OR ip IS NULL THEN NULL
        WHEN contains(cidr, ':') THEN flowlake_hex_prefix_match(
            flowlake_ipv6_hex(ip),
            flowlake_ipv6_hex(split_part(cidr, '/', 1)),
            coalesce(TRY_CAST(nullif(split_part(cidr, '/', 2), '') AS INTEGER), 128))
        ELSE (flowlake_ipv4_int(ip) >> (32 - coalesce(TRY_CAST(nullif(split_part(cidr, '/', 2), '') AS INTEGER), 32)))
           = (flowlake_ipv4_int(split_part(cidr, '/', 1)) >> (32 - coalesce(TRY_CAST(nullif(split_part(cidr, '/', 2), '') AS INTEGER), 32)))
    END
);
