"""A real nginx (Debian's package) running the shipped deploy/nginx.conf on loopback, for
tests/deploy.  The config is templated only for addresses and paths; every substitution must
apply exactly once, so a change to the shipped file that the template no longer fits fails
loudly instead of testing something else."""

from __future__ import annotations

import os
import shutil
import socket
import struct
import subprocess
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "deploy" / "nginx.conf"
#: nginx's on-disk cache header (src/http/ngx_http_cache.h): `ngx_uint_t version` then
#: `time_t valid_sec` (64-bit Linux: two little-endian 8-byte words), then the key line.
CACHE_HEADER_VERSION = 5


def nginx_binary() -> str | None:
    """Path of the nginx executable, or None when it is not installed."""
    found = shutil.which("nginx")
    if found:
        return found
    return "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None


def render_config(text: str, *, listen_port: int, edge_port: int, root: Path) -> str:
    """The shipped config with nginx listening on 127.0.0.1:`listen_port`, Edge upstream at
    127.0.0.1:`edge_port` and every file (cache, log, temp) under `root`.  Raises
    AssertionError when a substitution does not match exactly once."""
    temp = "".join(f"    {name}_temp_path {root / name};\n"
                   for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    subs = [
        ("server edge:8080;", f"server 127.0.0.1:{edge_port};"),
        ("listen 80;", f"listen 127.0.0.1:{listen_port};"),
        ("/var/cache/nginx", str(root / "cache")),
        ("/var/log/nginx/access.log", str(root / "access.log")),
        ("http {\n", "http {\n" + temp),
    ]
    for old, new in subs:
        count = text.count(old)
        assert count == 1, f"deploy/nginx.conf: expected {old!r} once, found it {count} times"
        text = text.replace(old, new)
    return text


@dataclass
class Nginx:
    """A running nginx: `url` (http://127.0.0.1:port), `root` (its files), `proc`."""

    url: str
    root: Path
    proc: subprocess.Popen[bytes]

    def cache_entries(self) -> dict[str, int]:
        """Cache key -> `valid_sec` (Unix time the entry expires) of every cache file."""
        out: dict[str, int] = {}
        for path in (self.root / "cache").rglob("*"):
            if not path.is_file() or path.name.endswith(".tmp") or "." in path.name:
                continue
            data = path.read_bytes()
            version, valid_sec = struct.unpack_from("<QQ", data, 0)
            assert version == CACHE_HEADER_VERSION, f"unknown nginx cache header version {version}"
            start = data.find(b"\nKEY: ")
            end = data.find(b"\n", start + 6)
            out[data[start + 6:end].decode("latin-1")] = valid_sec
        return out

    def wait_entry(self, key: str, timeout_s: float = 3.0) -> int:
        """`valid_sec` of cache entry `key`, waiting for nginx to finish writing it."""
        deadline = time.monotonic() + timeout_s
        while True:
            entries = self.cache_entries()
            if key in entries:
                return entries[key]
            if time.monotonic() > deadline:
                raise AssertionError(f"no cache entry {key!r}; have {sorted(entries)}")
            time.sleep(0.05)


def _wait_port(port: int, proc: subprocess.Popen[bytes], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"nginx exited with {proc.returncode}: {proc.stderr.read().decode()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("nginx did not listen in time")


def nginx_command(binary: str, root: Path) -> list[str]:
    """The command line running `root/nginx.conf` in the foreground, errors to stderr."""
    directives = f"daemon off; pid {root / 'nginx.pid'};"
    if os.geteuid() == 0:  # workers would drop to `nobody`, who cannot enter pytest's 0700 tmp
        directives += " user root;"
    return [binary, "-p", str(root), "-c", str(root / "nginx.conf"), "-e", "stderr", "-g", directives]


@contextmanager
def run_nginx(binary: str, root: Path, *, edge_port: int, listen_port: int) -> Iterator[Nginx]:
    """Write the templated config under `root`, check it with `nginx -t`, run nginx, stop it."""
    from s3server import stop_process

    root.mkdir(parents=True, exist_ok=True)
    (root / "nginx.conf").write_text(render_config(
        SHIPPED.read_text(), listen_port=listen_port, edge_port=edge_port, root=root))
    cmd = nginx_command(binary, root)
    check = subprocess.run([*cmd, "-t"], capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, f"nginx -t failed:\n{check.stderr}"
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_port(listen_port, proc)
        yield Nginx(f"http://127.0.0.1:{listen_port}", root, proc)
    finally:
        stop_process(proc)
