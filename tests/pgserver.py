"""A real PostgreSQL server for tests: a throwaway cluster (`initdb` + `pg_ctl` from Debian's
`postgresql` package, /usr/lib/postgresql/<major>/bin) in a temporary directory, listening on
a free loopback port.  PostgreSQL refuses to run as root: when the tests run as uid 0 the
server runs as the `postgres` user (`runuser -u postgres --`) with the directory chowned.

Use the session fixture `pg_server` (re-export it from a conftest: `from pgserver import
pg_server`) and `pg_server.new_database()` for an isolated database per test.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["PgServer", "find_pg_bin", "start_pg", "pg_server"]


def find_pg_bin() -> Path | None:
    """The newest /usr/lib/postgresql/<major>/bin holding initdb and pg_ctl, or None."""
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]) if p.split("/")[-2].isdigit() else 0)
    for d in reversed(dirs):
        if os.access(f"{d}/initdb", os.X_OK) and os.access(f"{d}/pg_ctl", os.X_OK):
            return Path(d)
    env_bin = os.environ.get("EDGE_PG_BIN")
    if env_bin and os.access(f"{env_bin}/initdb", os.X_OK):
        return Path(env_bin)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PgServer:
    """A running cluster: `port`, superuser `user` (no password, trust auth on loopback),
    `root` temp directory; `url(db)` gives a SQLAlchemy/psycopg URL."""

    bin_dir: Path
    root: Path
    port: int
    user: str = "postgres"
    _prefix: list[str] = field(default_factory=list)

    def url(self, database: str = "postgres") -> str:
        """`postgresql://postgres@127.0.0.1:<port>/<database>`."""
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """Create an empty database with a random name; returns its URL."""
        import psycopg

        name = f"edge_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user={self.user} dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        """Stop the cluster (immediate mode) and remove its directory."""
        subprocess.run([*self._prefix, str(self.bin_dir / "pg_ctl"), "-D", str(self.root / "data"),
                        "-m", "immediate", "-w", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(self.root, ignore_errors=True)


def start_pg(bin_dir: Path, *, timeout_s: float = 60.0) -> PgServer:
    """initdb + pg_ctl start in a new temp dir on a free port (fsync off: test data only).
    Raises RuntimeError with the server log when it does not come up."""
    root = Path(tempfile.mkdtemp(prefix="edge-pg-"))
    prefix: list[str] = []
    if os.geteuid() == 0:
        try:
            pw = pwd.getpwnam("postgres")
        except KeyError as exc:
            raise RuntimeError("running as root and no 'postgres' user to run PostgreSQL as") from exc
        os.chown(root, pw.pw_uid, pw.pw_gid)
        os.chmod(root, 0o700)
        prefix = ["runuser", "-u", "postgres", "--"]
    data, log = root / "data", root / "server.log"
    r = subprocess.run([*prefix, str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                        "-E", "UTF8", "--no-sync", "--locale=C"], capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise RuntimeError(f"initdb failed: {r.stderr[-2000:]}")
    last = ""
    for _attempt in range(3):
        port = _free_port()
        opts = (f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        r = subprocess.run([*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", opts,
                            "-w", "-t", str(int(timeout_s)), "start"], capture_output=True, text=True,
                           timeout=timeout_s + 10)
        if r.returncode == 0:
            server = PgServer(bin_dir=bin_dir, root=root, port=port, _prefix=prefix)
            _watchdog(server)
            _wait_ready(server, timeout_s)
            return server
        last = (log.read_text(errors="replace")[-2000:] if log.exists() else "") + r.stderr
    shutil.rmtree(root, ignore_errors=True)
    raise RuntimeError(f"PostgreSQL did not start: {last}")


def _watchdog(server: PgServer) -> None:
    """A detached shell that stops the cluster and removes its directory once this test
    process is gone, even when it was killed (atexit does not run then)."""
    pg_ctl = " ".join([*server._prefix, str(server.bin_dir / "pg_ctl")])
    script = (f"while kill -0 {os.getpid()} 2>/dev/null; do sleep 1; done; "
              f"{pg_ctl} -D {server.root / 'data'} -m immediate -w stop >/dev/null 2>&1; rm -rf {server.root}")
    subprocess.Popen(["sh", "-c", script], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL, start_new_session=True)


def _wait_ready(server: PgServer, timeout_s: float) -> None:
    import psycopg

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with psycopg.connect(f"host=127.0.0.1 port={server.port} user=postgres dbname=postgres",
                                 connect_timeout=2):
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


_shared: dict[str, PgServer] = {}


def shared_pg() -> PgServer:
    """One cluster per test process (stopped at exit)."""
    if "server" not in _shared:
        import atexit

        bin_dir = find_pg_bin()
        if bin_dir is None:
            raise RuntimeError("PostgreSQL server binaries not found")
        _shared["server"] = start_pg(bin_dir)
        atexit.register(_shared["server"].stop)
    return _shared["server"]


def _fixture() -> Any:
    import pytest

    @pytest.fixture(scope="session")
    def pg_server() -> PgServer:
        """The PostgreSQL cluster of this test session; skipped (with the reason) only when
        the server binaries are absent (`apt-get install postgresql`; .ci/run installs it)."""
        if find_pg_bin() is None:
            pytest.skip("PostgreSQL server binaries not installed (/usr/lib/postgresql/*/bin/initdb)")
        return shared_pg()

    return pg_server


pg_server = _fixture()
