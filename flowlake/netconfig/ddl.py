"""Athena DDL for the config tables, generated from sql/schema/config_tables.csv.

For each table, `<table>_snapshots` is an external Parquet table over `config/<table>/` holding
every snapshot (partitioned by `snapshot`, the folder's `snapshot=<id>`), and `<table>` a view
over the newest complete snapshot of each scope (an account's region-less import only while it
has no regional one: see storage.py), named like the DuckDB views so the catalogue queries run
unchanged. "Complete" comes from `config_snapshots`, the manifests (JSON lines) that `config
snapshot` and `config import` write last: a snapshot cut short has no manifest and is never
read. After a snapshot, `MSCK REPAIR TABLE <table>_snapshots` (see
`config_partitions_ddl`) registers its partition. The tables are Hive DDL; the views are Trino.
"""

from flowlake.netconfig.cloudtrail import NETWORK_EVENTS
from flowlake.netconfig.schema import CLOUDTRAIL_TABLE, snapshot_tables, tables
from flowlake.netconfig.storage import CONFIG_DIR, MANIFEST_DIR

MANIFEST_TABLE = "config_snapshots"
CLOUDTRAIL_SOURCE = "cloudtrail_logs"


def _root(location: str) -> str:
    if not location.startswith("s3://"):
        raise ValueError(f"Athena reads tables from S3, not {location!r}")
    return location.rstrip("/") + "/"


def _comment(text: str) -> str:
    return text.replace("'", "")


def _table_ddl(table: str, location: str, database: str) -> str:
    columns = ",\n".join(
        f"  `{c.name}` {c.athena_type} COMMENT '{_comment(c.description)}'" for c in tables()[table]
    )
    return (
        f"CREATE EXTERNAL TABLE IF NOT EXISTS `{database}`.`{table}_snapshots` (\n{columns}\n)\n"
        "PARTITIONED BY (`snapshot` string)\n"
        "STORED AS PARQUET\n"
        f"LOCATION '{location}{CONFIG_DIR}{table}/'"
    )


def _manifest_ddl(location: str, database: str) -> str:
    return (
        f"CREATE EXTERNAL TABLE IF NOT EXISTS `{database}`.`{MANIFEST_TABLE}` (\n"
        "  `snapshot` string, `taken_at` string, `source` string, `table` string,\n"
        "  `account_id` string, `region` string, `rows` bigint, `digest` string\n)\n"
        "ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'\n"
        f"LOCATION '{location}{MANIFEST_DIR}'"
    )


def _view_ddl(table: str, database: str) -> str:
    columns = ", ".join(f't."{c.name}"' for c in tables()[table])
    return (
        f'CREATE OR REPLACE VIEW "{database}"."{table}" AS\n'
        f'SELECT t."snapshot", {columns}\n'
        f'FROM "{database}"."{table}_snapshots" AS t\n'
        "JOIN (\n"
        '  SELECT account_id, region, max("snapshot") AS "snapshot"\n'
        f'  FROM "{database}"."{MANIFEST_TABLE}" AS m WHERE "table" = \'{table}\'\n'
        # an account's region-less import is left out once it has the table for a region
        "  AND (region <> '' OR NOT EXISTS (\n"
        f'    SELECT 1 FROM "{database}"."{MANIFEST_TABLE}" AS r\n'
        f"    WHERE r.\"table\" = '{table}' AND r.account_id = m.account_id AND r.region <> ''))\n"
        "  GROUP BY account_id, region\n"
        ") AS newest\n"
        '  ON t."snapshot" = newest."snapshot" AND t.account_id = newest.account_id '
        "AND t.region = newest.region"
    )


def _cloudtrail_ddl(location: str, database: str, regions: list[str] | None) -> list[str]:
    """AWS's CloudTrail table (its SerDe, the columns the view reads) and the view."""
    partitioned = ""
    if regions:
        partitioned = (
            "PARTITIONED BY (`region` string, `day` string)\n"
            "ROW FORMAT SERDE 'com.amazon.emr.hive.serde.CloudTrailSerde'\n"
            "STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'\n"
            "OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'\n"
            f"LOCATION '{location}'\n"
            "TBLPROPERTIES (\n"
            "  'projection.enabled'='true',\n"
            "  'projection.region.type'='enum',\n"
            f"  'projection.region.values'='{','.join(regions)}',\n"
            "  'projection.day.type'='date', 'projection.day.format'='yyyy/MM/dd',\n"
            "  'projection.day.range'='NOW-2YEARS,NOW', 'projection.day.interval'='1',\n"
            "  'projection.day.interval.unit'='DAYS',\n"
            f"  'storage.location.template'='{location}${{region}}/${{day}}'\n)"
        )
    else:
        partitioned = (
            "ROW FORMAT SERDE 'com.amazon.emr.hive.serde.CloudTrailSerde'\n"
            "STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'\n"
            "OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'\n"
            f"LOCATION '{location}'"
        )
    source = (
        f"CREATE EXTERNAL TABLE IF NOT EXISTS `{database}`.`{CLOUDTRAIL_SOURCE}` (\n"
        "  `eventversion` string,\n"
        "  `useridentity` struct<type:string,principalid:string,arn:string,accountid:string>,\n"
        "  `eventtime` string, `eventsource` string, `eventname` string, `awsregion` string,\n"
        "  `sourceipaddress` string, `useragent` string, `errorcode` string,\n"
        "  `errormessage` string, `requestparameters` string, `responseelements` string,\n"
        "  `requestid` string, `eventid` string, `eventtype` string,\n"
        "  `recipientaccountid` string\n)\n" + partitioned
    )
    names = ", ".join(f"'{n}'" for n in sorted(NETWORK_EVENTS))
    keys = ("groupId", "networkAclId", "routeTableId", "natGatewayId", "internetGatewayId",
            "vpcPeeringConnectionId", "vpcEndpointId", "networkInterfaceId")  # fmt: skip
    resource = ", ".join(f"json_extract_scalar(requestparameters, '$.{k}')" for k in keys)
    view = (
        f'CREATE OR REPLACE VIEW "{database}"."{CLOUDTRAIL_TABLE}" AS\n'
        "SELECT\n"
        "  recipientaccountid AS account_id,\n"
        "  awsregion AS region,\n"
        "  from_iso8601_timestamp(eventtime) AS event_time,\n"
        "  eventname AS event_name,\n"
        f"  coalesce({resource}) AS resource_id,\n"
        "  eventname || ' ' || coalesce(requestparameters, '') AS change,\n"
        "  useridentity.arn AS user_arn,\n"
        "  sourceipaddress AS source_ip,\n"
        "  errorcode AS error_code,\n"
        "  eventid AS event_id,\n"
        "  requestparameters AS request_parameters\n"
        f'FROM "{database}"."{CLOUDTRAIL_SOURCE}"\n'
        f"WHERE eventsource = 'ec2.amazonaws.com' AND eventname IN ({names})"
    )
    return [source, view]


def config_tables_ddl(
    location: str,
    database: str,
    cloudtrail: str | None = None,
    cloudtrail_regions: list[str] | None = None,
) -> list[str]:
    """The statements that make the config tables queryable in Athena, in order.

    `location` is the lake's S3 root (the folder holding `config/`); `cloudtrail`, when given,
    the trail's `s3://.../AWSLogs/<account>/CloudTrail/` prefix (with `cloudtrail_regions`,
    read through partition projection on region and day).
    """
    root = _root(location)
    statements = [_manifest_ddl(root, database)]
    for table in snapshot_tables():
        statements.append(_table_ddl(table, root, database))
    for table in snapshot_tables():
        statements.append(_view_ddl(table, database))
    if cloudtrail:
        statements += _cloudtrail_ddl(_root(cloudtrail), database, cloudtrail_regions)
    return statements


def config_partitions_ddl(database: str) -> list[str]:
    """Run after each snapshot: registers the new `snapshot=` partitions."""
    return [f"MSCK REPAIR TABLE `{database}`.`{table}_snapshots`" for table in snapshot_tables()]
