"""The servers of bench/peers.py: a subprocess wrapper that measures its process tree (CPU,
RSS), the throw-away installs of sharp (npm) and thumbor (pip, own venv) with the bench's
sharp server and thumbor configuration, and the raw libvips loop (one process per core, no
HTTP: the floor)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from peers_workload import PHOTO

#: the bench's sharp server: GET /<w>/<h>/<jpg|webp>/<file> under argv[3], port argv[2]
SHARP_SERVER = r"""
const http = require("http"), fs = require("fs"), path = require("path");
const sharp = require(path.join(process.argv[4], "node_modules", "sharp"));
sharp.cache(false);
const root = process.argv[3];
http.createServer((req, res) => {
  if (req.url === "/healthz") { res.end("ok"); return; }
  const m = /^\/(\d+)\/(\d+)\/(jpg|webp)\/([\w.-]+)$/.exec(req.url);
  if (!m) { res.writeHead(400); res.end(); return; }
  fs.readFile(path.join(root, m[4]), (err, buf) => {
    if (err) { res.writeHead(404); res.end(); return; }
    let img = sharp(buf).resize(+m[1], +m[2], { fit: "cover", position: "centre" });
    img = m[3] === "jpg" ? img.jpeg({ quality: 80 }) : img.webp({ quality: 80 });
    img.toBuffer().then(
      (out) => { res.writeHead(200, { "Content-Type": "image/" + (m[3] === "jpg" ? "jpeg" : "webp") }); res.end(out); },
      (e) => { res.writeHead(500); res.end(String(e)); });
  });
}).listen(+process.argv[2], "127.0.0.1");
"""

#: the raw libvips loop of one core: argv = photo, first index, count, fmt; prints the CPU and
#: wall seconds of the renders (import and warm-up left out)
RAW_LOOP = r"""
import sys, time, pyvips
pyvips.cache_set_max(0)
src = open(sys.argv[1], "rb").read()
first, n, fmt = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
pyvips.Image.thumbnail_buffer(src, 399, height=299, crop="centre").write_to_buffer("." + fmt, Q=80)  # warm up
c0, t0 = time.process_time(), time.perf_counter()
for i in range(first, first + n):
    w, h = 400 + i % 40, 300 + (i // 40) % 40
    pyvips.Image.thumbnail_buffer(src, w, height=h, crop="centre").write_to_buffer("." + fmt, Q=80)
print(time.process_time() - c0, time.perf_counter() - t0)  # CPU and wall s of the n renders only
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _descendants(pid: int) -> list[int]:
    """All live descendant pids of `pid` (from /proc/<pid>/task/*/children)."""
    out: list[int] = []
    todo = [pid]
    while todo:
        p = todo.pop()
        for task in Path(f"/proc/{p}/task").glob("*"):
            try:
                kids = [int(x) for x in (task / "children").read_text().split()]
            except OSError:
                continue
            out += kids
            todo += kids
    return out


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


class Process:
    """A server subprocess in its own session, answering HTTP on 127.0.0.1:`port`.

    Raises RuntimeError if `health_path` does not answer 200 within `timeout_s` seconds.
    """

    def __init__(self, name: str, argv: list[str], port: int, env: dict[str, str],
                 health_path: str, timeout_s: float = 90.0, log: Path | None = None) -> None:
        self.name = name
        self.port = port
        self._log = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115
        self.proc = subprocess.Popen(argv, env=env, start_new_session=True,
                                     stdout=self._log, stderr=self._log)
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}{health_path}", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                tail = log.read_bytes()[-400:].decode(errors="replace") if log else ""
                raise RuntimeError(f"{name} did not start: {tail}")
            time.sleep(0.2)

    def cpu_s(self) -> float:
        """User + system CPU seconds used so far by the server process tree."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for pid in [self.proc.pid, *_descendants(self.proc.pid)]:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / tick
            except (OSError, IndexError, ValueError):
                pass
        return total

    def rss_mb(self, workers_only: bool = False) -> float:
        """Resident memory of the server process tree, MB; `workers_only`: of the descendants
        alone (uvicorn's worker processes, not its supervisor nor multiprocessing's resource
        tracker)."""
        total = 0
        pids = [self.proc.pid, *_descendants(self.proc.pid)]
        if workers_only:
            pids = [p for p in pids[1:] if b"resource_tracker" not in _cmdline(p)]
        for pid in pids:
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            except OSError:
                pass
        return round(total / 1024, 1)

    def stop(self) -> None:
        """SIGTERM the whole process group, then SIGKILL after 10 s."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
            except ProcessLookupError:
                pass
        if self._log is not subprocess.DEVNULL:
            self._log.close()


def _install_sharp(folder: Path) -> tuple[Path | None, str]:
    """`npm install sharp` into `folder`; returns (folder, sharp version) or (None, reason)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        return None, "node/npm not found"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        if not (folder / "node_modules" / "sharp").exists():
            (folder / "package.json").write_text('{"name": "edge-bench-sharp", "private": true}')
            subprocess.run([npm, "install", "--no-audit", "--no-fund", "--silent", "sharp"], cwd=folder,
                           check=True, capture_output=True, timeout=600)
        out = subprocess.run([node, "-e", f"console.log(require({str(folder / 'node_modules' / 'sharp')!r}).versions.sharp)"],
                             check=True, capture_output=True, text=True, timeout=60)
    except (subprocess.SubprocessError, OSError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        detail = detail.decode(errors="replace") if isinstance(detail, bytes) else detail
        return None, f"{type(exc).__name__}: {detail[-300:]}"
    return folder, f"sharp {out.stdout.strip()}"


def _install_thumbor(tmp: Path) -> tuple[Path | None, str]:
    """Create a venv under `tmp` and pip-install thumbor 7.*; returns (thumbor script, version)
    or (None, reason)."""
    venv = tmp / "venv"
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=300)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check",
                        "thumbor==7.*"], check=True, capture_output=True, timeout=900)
    except (subprocess.SubprocessError, OSError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        return None, f"{type(exc).__name__}: {detail.decode(errors='replace')[-300:]}"
    return _thumbor_in(venv)


def _thumbor_in(venv: Path) -> tuple[Path | None, str]:
    exe = venv / "bin" / "thumbor"
    if not exe.exists():
        return None, f"no thumbor script in {venv}"
    try:
        out = subprocess.run([str(exe), "--version"], capture_output=True, timeout=60, text=True)
    except (subprocess.SubprocessError, OSError) as exc:
        return None, f"{type(exc).__name__}: {exc}"
    return exe, (out.stdout or out.stderr).strip()


def _thumbor_conf(path: Path, root: Path) -> None:
    path.write_text(
        "LOADER = 'thumbor.loaders.file_loader'\n"
        f"FILE_LOADER_ROOT_PATH = {str(root)!r}\n"
        "STORAGE = 'thumbor.storages.no_storage'\n"
        "RESULT_STORAGE = None\n"
        "ALLOW_UNSAFE_URL = True\n"
        "QUALITY = 80\n"
    )


def _raw_loop(first: int, n: int, fmt: str, cores: int) -> dict[str, object]:
    """`cores` processes each render `n` distinct sizes with the bare libvips calls."""
    procs = [subprocess.Popen([sys.executable, "-c", RAW_LOOP, str(PHOTO), str(first + k * n), str(n), fmt],
                              stdout=subprocess.PIPE, text=True) for k in range(cores)]
    outs = [[float(x) for x in p.communicate(timeout=600)[0].split()] for p in procs]
    cpu = sum(o[0] for o in outs)
    elapsed = max(o[1] for o in outs)  # the processes run side by side: the slowest one's wall time
    return {"req_per_s": round(cores * n / elapsed, 2), "server_cpu_ms_per_req": round(cpu * 1000 / (cores * n), 1)}


