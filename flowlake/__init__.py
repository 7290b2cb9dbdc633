"""flowlake: VPC Flow Logs troubleshooting as SQL, on DuckDB locally and Amazon Athena remotely."""

__version__ = "0.1.0"
