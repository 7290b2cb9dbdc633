"""boto3 sessions and the translation of AWS errors into one-line messages.

Credentials come from boto3's chain (environment, profile, SSO, instance role). They are handed
to DuckDB as a session-scoped secret and are never printed or logged.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flowlake.errors import LakeError
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
def s3_errors(url: str) -> Iterator[None]:
    """Turn botocore failures inside the block into a LakeError naming the location."""
    import botocore.exceptions as bx

    try:
        yield
    except bx.NoCredentialsError:
        raise LakeError(f"{url}: no AWS credentials found (set a profile or environment)") from None
    except (bx.EndpointConnectionError, bx.ConnectTimeoutError, bx.ReadTimeoutError) as exc:
        endpoint = getattr(exc, "kwargs", {}).get("endpoint_url", "the S3 endpoint")
        raise LakeError(f"{url}: cannot reach {endpoint}") from None
    except bx.ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        reason = _MESSAGES.get(
            code, f"{code or 'error'}: {exc.response.get('Error', {}).get('Message', '')}"
        )
        raise LakeError(f"{url}: {reason}") from None
    except bx.BotoCoreError as exc:
        raise LakeError(f"{url}: {exc}") from None


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
