"""Shared fixtures: the CLI run in-process through its real entry point, and moto's server.

moto's server is a real HTTP endpoint on 127.0.0.1: DuckDB's httpfs and boto3 talk to it
exactly as they would to AWS.
"""

import os
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"
if not SAMPLES.is_dir():  # CI clones next to shared/, as does the work tree
    SAMPLES = Path(os.environ.get("FLOWLAKE_SAMPLES", "../shared/samples")).resolve()

# Tests never reach real AWS: fixed fake credentials, no profile files.
os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_DEFAULT_REGION="us-east-1",
    AWS_CONFIG_FILE="/dev/null",
    AWS_SHARED_CREDENTIALS_FILE="/dev/null",
)
os.environ.pop("AWS_PROFILE", None)
os.environ.pop("FLOWLAKE_LAKE", None)
# Compiled SQL is cached per test session, never in the user's ~/.cache: a session starts
# cold (every template is compiled at least once) and leaves nothing behind.
_CACHE = tempfile.TemporaryDirectory(prefix="flowlake-test-cache-")
os.environ["FLOWLAKE_CACHE_DIR"] = _CACHE.name


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Run `flowlake ARGS...` through flowlake.cli.main, as the console script does."""
    from flowlake.cli import main

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        monkeypatch.setattr(sys, "argv", ["flowlake", *map(str, args)])
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


@dataclass
class MotoServer:
    endpoint: str
    requests: list[str]

    def client(self, service: str):  # type: ignore[no-untyped-def]
        import boto3

        return boto3.client(service, endpoint_url=self.endpoint, region_name="us-east-1")

    def reset(self) -> None:
        import requests

        requests.post(f"{self.endpoint}/moto-api/reset", timeout=10)
        self.requests.clear()


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    import logging

    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    seen: list[str] = []

    class Recorder(logging.Handler):
        """werkzeug logs one line per request: keep them so tests can see what was asked."""

        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record.getMessage())

    logger = logging.getLogger("werkzeug")
    logger.setLevel(logging.INFO)
    logger.addHandler(Recorder())
    logger.propagate = False
    try:
        yield MotoServer(f"http://{host}:{port}", seen)
    finally:
        server.stop()


@pytest.fixture
def s3(moto_server: MotoServer) -> Iterator[MotoServer]:
    """moto's server, emptied before the test."""
    moto_server.reset()
    yield moto_server


def upload_folder(server: MotoServer, folder: Path, bucket: str, prefix: str = "") -> None:
    client = server.client("s3")
    client.create_bucket(Bucket=bucket)
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            key = prefix + path.relative_to(folder).as_posix()
            client.upload_file(str(path), bucket, key)
