"""boto3 sessions and the translation of AWS errors into one-line messages.

Credentials come from boto3's chain (environment, profile, SSO, instance role). They are handed
to DuckDB as a session-scoped secret and are never printed or logged.
"""

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


@contextmanager
def aws_errors(what: str, error: type[FlowlakeError] = LakeError) -> Iterator[None]:
    """Turn botocore failures inside the block into one line naming `what` (a location or a
    call), as `error`."""
    import botocore.exceptions as bx

    try:
        yield
    except bx.NoCredentialsError:
        raise error(f"{what}: no AWS credentials found (set a profile or environment)") from None
    except (bx.EndpointConnectionError, bx.ConnectTimeoutError, bx.ReadTimeoutError) as exc:
        endpoint = getattr(exc, "kwargs", {}).get("endpoint_url", "the AWS endpoint")
        raise error(f"{what}: cannot reach {endpoint}") from None
    except bx.ClientError as exc:
        details = exc.response.get("Error", {})
        code = details.get("Code", "")
        reason = _MESSAGES.get(code, f"{code or 'error'}: {details.get('Message', '')}")
        raise error(f"{what}: {reason}".rstrip(": ")) from None
    except bx.BotoCoreError as exc:
        raise error(f"{what}: {exc}") from None


def s3_errors(url: str) -> Any:
    """aws_errors for reading a lake: failures name the S3 location."""
    return aws_errors(url)


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
