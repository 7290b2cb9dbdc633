"""boto3 sessions and the translation of AWS errors into one-line messages.

Credentials come from boto3's chain (environment, profile, SSO, instance role). They are handed
to DuckDB as a session-scoped secret and are never printed or logged.
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flowlake.errors import FlowlakeError, LakeError
from flowlake.lake.store import S3Options


def session(options: S3Options) -> Any:
    import boto3
    import botocore.exceptions

    try:
        return boto3.Session(profile_name=options.profile, region_name=options.region)
    except botocore.exceptions.ProfileNotFound:
        raise LakeError(f"AWS profile {options.profile!r} is not configured") from None


def client(service: str, options: S3Options) -> Any:
    from botocore.config import Config

    config = Config(
        connect_timeout=5,
        read_timeout=60,
        retries={"max_attempts": 3, "mode": "standard"},
        # path-style works with every S3-compatible endpoint
        s3={"addressing_style": "path"} if options.endpoint_url else None,
    )
    return session(options).client(service, endpoint_url=options.endpoint_url, config=config)


def s3_client(options: S3Options) -> Any:
    return client("s3", options)


_MESSAGES = {
    "NoSuchBucket": "bucket does not exist",
    "AccessDenied": "access denied",
    "403": "access denied",
    "AllAccessDisabled": "access denied",
    "InvalidAccessKeyId": "the AWS access key is not valid",
    "SignatureDoesNotMatch": "the AWS secret key does not match the access key",
    "ExpiredToken": "the AWS session token has expired",
    "InvalidToken": "the AWS session token is not valid",
    "404": "not found",
}


# Bucket names as S3 has required since March 2018. Older us-east-1 buckets may still have
# capitals and underscores, so other names of S3's characters are tried, and a failure to find
# or reach the bucket then blames the name; anything else S3 never allowed is refused at once.
_BUCKET = re.compile(r"^(?!\d+\.\d+\.\d+\.\d+$)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_S3_CHARACTERS = re.compile(r"^[A-Za-z0-9._-]{1,255}$")


@contextmanager
def aws_errors(
    what: str, error: type[FlowlakeError] = LakeError, bucket: str | None = None
) -> Iterator[None]:
    """Turn botocore failures inside the block into one line naming `what` (a location or a
    call), as `error`. With `bucket`, a failure to find or reach a bucket whose name S3 no
    longer allows says so."""
    import botocore.exceptions as bx

    bad_name = bucket is not None and not _BUCKET.match(bucket)
    try:
        yield
    except bx.NoCredentialsError:
        raise error(f"{what}: no AWS credentials found (set a profile or environment)") from None
    except (bx.EndpointConnectionError, bx.ConnectTimeoutError, bx.ReadTimeoutError) as exc:
        endpoint = getattr(exc, "kwargs", {}).get("endpoint_url", "the AWS endpoint")
        hint = f" ({_invalid_bucket(bucket)})" if bad_name else ""
        raise error(f"{what}: cannot reach {endpoint}{hint}") from None
    except bx.ClientError as exc:
        details = exc.response.get("Error", {})
        code = details.get("Code", "")
        if code in ("404", "NotFound") and exc.operation_name == "HeadBucket":
            code = "NoSuchBucket"  # a HEAD has no body to say so
        if bad_name and code in ("NoSuchBucket", "InvalidBucketName"):
            raise error(f"{what}: {_invalid_bucket(bucket)}") from None
        reason = _MESSAGES.get(code, f"{code or 'error'}: {details.get('Message', '')}")
        raise error(f"{what}: {reason}".rstrip(": ")) from None
    except bx.BotoCoreError as exc:  # e.g. "Parameter validation failed:\n...": one line
        raise error(f"{what}: {' '.join(str(exc).split())}") from None


def _invalid_bucket(bucket: str | None) -> str:
    return (
        f"{bucket!r} is not a valid bucket name: S3 bucket names are 3 to 63 lowercase "
        "letters, digits, dots and hyphens"
    )


def s3_errors(url: str) -> Any:
    """aws_errors for a lake or a destination: failures name the S3 location (or what was
    asked, for callers that pass no URL). A bucket name of characters S3 never allowed fails
    here, before any request."""
    if not url.startswith("s3://"):
        return aws_errors(url)
    bucket = url.removeprefix("s3://").partition("/")[0]
    if not _S3_CHARACTERS.match(bucket):
        raise LakeError(f"{url}: {_invalid_bucket(bucket)}")
    return aws_errors(url, bucket=bucket)


def duckdb_secret(options: S3Options) -> dict[str, str]:
    """The fields of a DuckDB S3 secret for these options (credentials resolved by boto3)."""
    s = session(options)
    credentials = s.get_credentials()
    if credentials is None:
        raise LakeError("no AWS credentials found (set a profile or environment)")
    frozen = credentials.get_frozen_credentials()
    secret = {
        "KEY_ID": frozen.access_key,
        "SECRET": frozen.secret_key,
        "REGION": options.region or s.region_name or "us-east-1",
    }
    if frozen.token:
        secret["SESSION_TOKEN"] = frozen.token
    if options.endpoint_url:
        scheme, _, host = options.endpoint_url.partition("://")
        secret["ENDPOINT"] = host.rstrip("/")
        secret["USE_SSL"] = "true" if scheme == "https" else "false"
        secret["URL_STYLE"] = "path"
    return secret
