"""The network configuration beside the flow logs: security groups, network ACLs, routes,
interfaces and gateways as tables, and CloudTrail's network changes.

    documents.py   saved `aws ec2 describe-*` output: read, recognised, checked
    ec2.py         the same documents through boto3 (paginated), for `config snapshot`
    flatten.py     documents -> rows of the tables in sql/schema/config_tables.csv
    storage.py     snapshots in the lake: atomic, idempotent, newest complete one per scope
    collect.py     `config import` and `config snapshot`: documents in, a snapshot out
    views.py       the DuckDB views (registered when an engine connects) and `tables` checks
    cloudtrail.py  CloudTrail files -> `cloudtrail_events`
    ddl.py         Athena DDL for the same tables and views
    diagnose.py    `flowlake diagnose`: the seeds' troubleshooting steps for one conversation
    sample.py      the configuration and CloudTrail changes behind the sample lake's stories
"""
