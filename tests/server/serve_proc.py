"""`edge serve` as a real subprocess for the HTTP-limit and operations tests: started over
the repository's `media/` (or a given origin), waited for on /healthz, its stdout (access log)
and stderr collected in files, stopped with SIGTERM."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import httpx

from edge_live import free_port, stop_process

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Served:
    """A running `edge serve`: `url`, `port`, the process, and its output files."""

    url: str
    port: int
    proc: subprocess.Popen[bytes]
    stdout: Path
    stderr: Path

    def out_lines(self) -> list[str]:
        """Lines written to stdout so far."""
        return self.stdout.read_text(errors="replace").splitlines()

    def connect(self, timeout: float = 10) -> socket.socket:
        """A plain TCP connection to the server."""
        return socket.create_connection(("127.0.0.1", self.port), timeout=timeout)


@contextmanager
def edge_serve(tmp: Path, *args: str, origin: Path | None = None, **env: str) -> Iterator[Served]:
    """Run `python -m edge.cli serve --port P --origin <media> <args>` with `EDGE_*` `env`
    (cache none, focus none unless given), cwd and TMPDIR under `tmp`; yields once /healthz
    answers 200 (that request is the first one the server sees)."""
    port = free_port()
    (tmp / "tmp").mkdir(parents=True, exist_ok=True)
    out, err = tmp / "stdout.log", tmp / "stderr.log"
    base_env = {"EDGE_CACHE": "none", "EDGE_FOCUS": "none", "EDGE_LOG_LEVEL": "warning"}
    with out.open("wb") as fo, err.open("wb") as fe:
        proc = subprocess.Popen(
            [sys.executable, "-m", "edge.cli", "serve", "--port", str(port),
             "--origin", str(origin or REPO / "media"), *args],
            env={**os.environ, **base_env, "TMPDIR": str(tmp / "tmp"), **env},
            cwd=tmp, stdout=fo, stderr=fe, start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"edge serve did not start: {err.read_text()[-2000:]}")
            time.sleep(0.1)
        yield Served(base, port, proc, out, err)
    finally:
        stop_process(proc, grace_s=10)


def read_response(sock: socket.socket, limit: float = 10) -> tuple[int, dict[str, str], bytes]:
    """Read one HTTP/1.1 response (status, lower-cased headers, body by Content-Length)."""
    sock.settimeout(limit)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before a response head: {data[:200]!r}")
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(lines[0].split()[1]), headers, body[:length]
