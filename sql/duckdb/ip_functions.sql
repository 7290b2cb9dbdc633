-- DuckDB functions behind the `in_cidr` macro (sql/macros/ip.sql).
-- DuckDB has no IP type without the inet extension, so an IPv4 address becomes an integer and
-- an IPv6 address a 32-digit hex string: a CIDR is then a range, computed once in Python.
-- Anything that is not an address of the family gives NULL.

-- IPv4 as an integer (NULL unless four octets 0..255): the hot path, kept to plain casts
CREATE OR REPLACE MACRO flowlake_ipv4_int(ip) AS (
    CASE WHEN length(ip) - length(replace(ip, '.', '')) = 3 THEN
        TRY_CAST(split_part(ip, '.', 1) AS UTINYINT)::BIGINT * 16777216
        + TRY_CAST(split_part(ip, '.', 2) AS UTINYINT)::BIGINT * 65536
        + TRY_CAST(split_part(ip, '.', 3) AS UTINYINT)::BIGINT * 256
        + TRY_CAST(split_part(ip, '.', 4) AS UTINYINT)::BIGINT
    END
);

-- '::' expanded to the zero hextets it stands for; a lambda binds the halves once
CREATE OR REPLACE MACRO flowlake_ipv6_hextets(ip) AS (
    list_transform(
        [[CASE WHEN split_part(ip, '::', 1) = '' THEN []::VARCHAR[] ELSE string_split(split_part(ip, '::', 1), ':') END,
          CASE WHEN split_part(ip, '::', 2) = '' THEN []::VARCHAR[] ELSE string_split(split_part(ip, '::', 2), ':') END]],
        halves -> CASE WHEN contains(ip, '::')
                       THEN list_concat(halves[1], list_transform(range(8 - len(halves[1]) - len(halves[2])), x -> '0'), halves[2])
                       ELSE string_split(ip, ':') END
    )[1]
);

CREATE OR REPLACE MACRO flowlake_ipv6_hex(ip) AS (
    CASE WHEN contains(ip, ':') AND regexp_full_match(ip, '[0-9A-Fa-f]{0,4}(:[0-9A-Fa-f]{0,4}){2,7}')
              AND length(ip) - length(replace(ip, '::', '')) <= 2 THEN
        list_transform([flowlake_ipv6_hextets(ip)],
            hs -> CASE WHEN len(hs) = 8 THEN lower(array_to_string(list_transform(hs, h -> lpad(h, 4, '0')), '')) END)[1]
    END
);
