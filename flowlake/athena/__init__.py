"""Amazon Athena: the flow-log table (DDL and Glue), partition projection for AWS's S3 layouts,
set-up, scan estimates, result conversion, and CREATE VIEW statements for BI tools.

The engine itself is `flowlake.engines.athena.AthenaEngine`; the commands are in
`flowlake/cli/athena_cmd.py` and `flowlake/cli/views_cmd.py`.
"""
