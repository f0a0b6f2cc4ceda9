"""Same-run peer benchmark: Edge against sharp, thumbor and a raw libvips loop, one cold workload.

What it measures (in ONE run, so the ratios are what counts on a shared, noisy machine):
- workload: tests/images/landscape_aitzgorri.jpg (3088x2056 progressive JPEG) -> ~400x300 centre
  fill crop, q80, as JPEG and as WebP.  Edge: ``/demo/image/upload/c_fill,w_<W>,h_<H>,q_80/<id>.<fmt>``;
  thumbor: ``/unsafe/<W>x<H>/filters:quality(80):format(<fmt>)/<file>`` (fill crop, centre);
  sharp: ``/<W>/<H>/<fmt>/<file>`` -> ``sharp(file).resize(W, H, {fit: "cover"}).<fmt>({quality: 80})``.
  Every request of the whole run has its own size (W = 400 + i mod 40, H = 300 + (i div 40) mod
  40, distinct for i < 1,600; one counter per server shared by all its clients, so every
  in-flight URL is distinct) and no result cache is on, so nothing can answer from a cache.
- servers, each on every core: Edge ``python -m edge.cli serve`` with workers = cores,
  ``EDGE_CACHE=none``, ``EDGE_MEMORY_CACHE_MB=0``, ``EDGE_FOCUS=none``, ``EDGE_RENDER_QUEUE=32``;
  thumbor 7.* pip-installed into a throw-away venv (``--processes`` = cores, file loader,
  ``RESULT_STORAGE`` None, ``STORAGE`` no_storage); sharp (npm, prebuilt libvips) installed with
  ``npm install sharp`` into a throw-away folder and served by a 30-line Node ``http`` server
  (``sharp.cache(false)``, the file read on every request, libuv pool = max(4, cores)); the raw
  loop: `cores` processes running ``pyvips.Image.thumbnail_buffer(src, W, height=H,
  crop="centre").<fmt>save_buffer(Q=80)`` on distinct sizes (no HTTP: the floor).  A peer that
  cannot be installed (no network, no node) is reported as skipped; the others still run.
- load: httpx.AsyncClient in this process (it shares the cores with the servers, equally for
  all), a new connection per request, ``--requests`` per run at ``--clients`` concurrency;
  each (format, server) run is done ``--rounds`` times, rotating which server goes first, and the
  rounds are summed.
- report: one JSON line (per format and server: req/s, p50/p99 ms, median output bytes, status
  counts, server CPU ms per render (user+system of the process tree, /proc/<pid>/stat), RSS of
  the process tree after the run, MB; for Edge also of its worker processes alone) and, on stderr, one Markdown table with the ratios
  Edge/sharp, Edge/raw loop and Edge/thumbor (req/s) and sharp/Edge (CPU per render).

``--hits`` measures cached answers instead (issue 16): ``HIT_URLS`` (16) of those URLs, warmed,
then ``--hit-clients`` (16) keep-alive clients cycling them for ``--hit-seconds`` per round
(``wrk`` with a Lua script when it is on PATH, else bench/serve.py's asyncio client), against Edge's memory tier (256 MiB per
worker, disk tier behind it), Edge's disk tier alone (``EDGE_MEMORY_CACHE_MB=0``) and thumbor
with its file result storage (``RESULT_STORAGE_STORES_UNSAFE``, no expiry); it reports hits/s,
p50/p99, CPU per hit and the ratios memory/thumbor and disk/memory.

Usage: ``python bench/peers.py [--requests 60] [--clients 8] [--rounds 2] [--formats jpg,webp]
[--thumbor-venv DIR] [--sharp-dir DIR] [--skip thumbor,sharp] [--hits]`` (``--thumbor-venv`` /
``--sharp-dir`` reuse an existing install).  Takes 2-5 minutes (installs included).
Reference numbers for thumbor on this class of machine: docs/peers.md, Part B2.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

import httpx

REPO = Path(__file__).resolve().parent.parent
PHOTO = REPO / "tests" / "images" / "landscape_aitzgorri.jpg"
PUBLIC_ID = PHOTO.stem

#: Path of request `i` (one distinct output size per request) for each server.
UrlFn = Callable[[int, str], str]


def _size(i: int) -> tuple[int, int]:
    """Output size (px) of request `i`: 400..439 x 300..339, distinct for i < 1,600."""
    if i >= 1600:
        raise ValueError("more than 1,600 requests to one server: sizes would repeat (cache hits)")
    return 400 + i % 40, 300 + (i // 40) % 40


def edge_path(i: int, fmt: str = "jpg") -> str:
    """Edge delivery URL path of request `i` (c_fill centre crop, q80)."""
    w, h = _size(i)
    return f"/demo/image/upload/c_fill,w_{w},h_{h},q_80/{PUBLIC_ID}.{fmt}"


def thumbor_path(i: int, fmt: str = "jpg") -> str:
    """thumbor URL path of request `i` (default fill crop, centre, q80)."""
    w, h = _size(i)
    f = "jpeg" if fmt == "jpg" else fmt
    return f"/unsafe/{w}x{h}/filters:quality(80):format({f})/{PHOTO.name}"


def sharp_path(i: int, fmt: str = "jpg") -> str:
    """Path of request `i` on the bench's sharp server (fit cover = centre fill crop, q80)."""
    w, h = _size(i)
    return f"/{w}/{h}/{fmt}/{PHOTO.name}"


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


async def _load(port: int, url: UrlFn, first: int, n: int, clients: int, seconds: float,
                fmt: str = "jpg") -> dict[str, object]:
    """Send requests `first` .. `first + n - 1` with `clients` concurrent clients, a new
    connection each, stopping early after `seconds`.  Returns n, elapsed_s, latencies (s),
    statuses and output sizes (bytes) of the 200 answers."""
    lat: list[float] = []
    sizes: list[int] = []
    statuses: dict[str, int] = {}
    nxt = first
    end = first + n
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=0)
    t_start = time.perf_counter()
    stop_at = t_start + seconds
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits,
                                 timeout=httpx.Timeout(60.0)) as client:
        async def worker() -> None:
            nonlocal nxt
            while nxt < end and time.perf_counter() < stop_at:
                i, nxt = nxt, nxt + 1  # one shared counter: every in-flight URL is distinct
                t0 = time.perf_counter()
                try:
                    r = await client.get(url(i, fmt), headers={"Accept": "image/jpeg" if fmt == "jpg" else "image/webp"})
                    key = str(r.status_code)
                    if r.status_code == 200:
                        sizes.append(len(r.content))
                except httpx.HTTPError as exc:
                    key = type(exc).__name__
                lat.append(time.perf_counter() - t0)
                statuses[key] = statuses.get(key, 0) + 1

        await asyncio.gather(*(worker() for _ in range(clients)))
    return {"n": len(lat), "elapsed_s": time.perf_counter() - t_start, "lat": lat,
            "statuses": statuses, "sizes": sizes, "next": nxt}


def _summary(runs: list[dict[str, object]], cpu_s: float) -> dict[str, object]:
    """Merge the rounds of one (server, concurrency) into the reported numbers."""
    lat = sorted(x for r in runs for x in r["lat"])  # type: ignore[attr-defined]
    sizes = [x for r in runs for x in r["sizes"]]  # type: ignore[attr-defined]
    n = len(lat)
    elapsed = sum(float(r["elapsed_s"]) for r in runs)  # type: ignore[arg-type]
    statuses: dict[str, int] = {}
    for r in runs:
        for k, v in r["statuses"].items():  # type: ignore[attr-defined]
            statuses[k] = statuses.get(k, 0) + v
    ok = statuses.get("200", 0)
    return {
        "n": n, "ok": ok, "req_per_s": round(ok / elapsed, 2) if elapsed else None,
        "p50_ms": round(statistics.median(lat) * 1000, 1) if lat else None,
        "p99_ms": round(lat[min(n - 1, int(n * 0.99))] * 1000, 1) if lat else None,
        "out_bytes_median": int(statistics.median(sizes)) if sizes else None,
        "server_cpu_ms_per_req": round(cpu_s * 1000 / max(1, n), 1),
        "statuses": statuses,
    }


def _check_output(port: int, url: UrlFn, i: int, fmt: str) -> dict[str, object]:
    """Fetch request `i` once and decode it: format and size must be `fmt` (w x h)."""
    import pyvips

    r = httpx.get(f"http://127.0.0.1:{port}{url(i, fmt)}", timeout=60,
                  headers={"Accept": "image/jpeg" if fmt == "jpg" else "image/webp"})
    if r.status_code != 200:
        raise RuntimeError(f"{url(i, fmt)} answered {r.status_code}: {r.headers.get('x-cld-error', r.text[:200])}")
    img = pyvips.Image.new_from_buffer(r.content, "")
    got = (img.width, img.height)
    loader = str(img.get("vips-loader"))
    want = "jpeg" if fmt == "jpg" else "webp"
    if got != _size(i) or not loader.startswith(want):
        raise RuntimeError(f"{url(i, fmt)} gave {loader} {got}, expected {want} {_size(i)}")
    return {"width": got[0], "height": got[1], "bytes": len(r.content)}


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


def _bench(servers: dict[str, tuple[Process, UrlFn]], formats: list[str], requests: int, clients: int,
           seconds: float, rounds: int, cores: int) -> dict[str, object]:
    nxt = {name: 0 for name in servers}
    result: dict[str, object] = {}
    for name, (proc, url) in servers.items():  # warm up: imports, first decode, thread pools
        result[f"{name}_sample"] = {fmt: _check_output(proc.port, url, nxt[name] + k, fmt) for k, fmt in enumerate(formats)}
        nxt[name] += len(formats)
        asyncio.run(_load(proc.port, url, nxt[name], 2 * clients, clients, seconds))
        nxt[name] += 2 * clients
    runs: dict[tuple[str, str], list[dict[str, object]]] = {}
    cpu: dict[tuple[str, str], float] = {}
    raw_runs: dict[str, list[dict[str, object]]] = {}
    raw_next = 0
    names = list(servers)
    for rnd in range(rounds):
        for fmt in formats:
            order = names[rnd % len(names):] + names[:rnd % len(names)]  # rotate who goes first
            for name in order:
                proc, url = servers[name]
                c0 = proc.cpu_s()
                out = asyncio.run(_load(proc.port, url, nxt[name], requests, clients, seconds, fmt))
                cpu[(name, fmt)] = cpu.get((name, fmt), 0.0) + proc.cpu_s() - c0
                nxt[name] = int(out["next"])  # type: ignore[arg-type]
                runs.setdefault((name, fmt), []).append(out)
            per_core = max(1, requests // cores)
            raw_runs.setdefault(fmt, []).append(_raw_loop(raw_next, per_core, fmt, cores))
            raw_next += per_core * cores
    for fmt in formats:
        block: dict[str, object] = {}
        for name, (proc, _url) in servers.items():
            block[name] = {**_summary(runs[(name, fmt)], cpu[(name, fmt)]), "rss_mb_after": proc.rss_mb()}
            if name == "edge":  # issue 16 target: the workers' RSS after the cold run
                block[name]["rss_mb_workers_after"] = proc.rss_mb(workers_only=True)
        raws = raw_runs[fmt]
        block["raw_loop"] = {
            "req_per_s": round(statistics.median(r["req_per_s"] for r in raws), 2),  # type: ignore[misc]
            "server_cpu_ms_per_req": round(statistics.median(r["server_cpu_ms_per_req"] for r in raws), 1),  # type: ignore[misc]
        }
        result[fmt] = block
    result["ratios"] = _ratios(result, formats)
    return result


def _ratios(result: dict[str, object], formats: list[str]) -> dict[str, dict[str, float | None]]:
    """Edge/peer req/s and peer/Edge CPU per render, per format."""
    out: dict[str, dict[str, float | None]] = {}
    for fmt in formats:
        block = result[fmt]  # type: ignore[index]
        edge = block["edge"]  # type: ignore[index]
        row: dict[str, float | None] = {}
        for peer in ("sharp", "raw_loop", "thumbor"):
            p = block.get(peer)  # type: ignore[union-attr]
            if not p:
                continue
            row[f"edge_over_{peer}_req_per_s"] = (round(edge["req_per_s"] / p["req_per_s"], 2)
                                                   if edge["req_per_s"] and p["req_per_s"] else None)
            row[f"{peer}_over_edge_cpu_per_render"] = (round(p["server_cpu_ms_per_req"] / edge["server_cpu_ms_per_req"], 2)
                                                        if edge["server_cpu_ms_per_req"] else None)
        out[fmt] = row
    return out


def markdown(result: dict[str, object], formats: list[str]) -> str:
    """One Markdown table: per format and server req/s, CPU per render, p99, bytes, RSS, ratio."""
    lines = ["| format | server | req/s | server CPU per render (ms) | p99 (ms) | bytes (median) | RSS after the run (MB) "
             "| Edge / this (req/s) | this / Edge (CPU per render) |", "|---|---|---|---|---|---|---|---|---|"]
    for fmt in formats:
        block = result[fmt]  # type: ignore[index]
        edge = block["edge"]  # type: ignore[index]
        for name in ("raw_loop", "sharp", "edge", "thumbor"):
            r = block.get(name)  # type: ignore[union-attr]
            if not r:
                continue
            ratio = round(edge["req_per_s"] / r["req_per_s"], 2) if r.get("req_per_s") else "-"
            cpu = round(r["server_cpu_ms_per_req"] / edge["server_cpu_ms_per_req"], 2) if edge["server_cpu_ms_per_req"] else "-"
            lines.append(f"| {fmt} | {name} | {r['req_per_s']} | {r['server_cpu_ms_per_req']} | {r.get('p99_ms', '-')} | "
                         f"{r.get('out_bytes_median', '-')} | {_rss_cell(r)} | {ratio} | {cpu} |")
    return "\n".join(lines)


def _rss_cell(row: dict[str, object]) -> str:
    """RSS after the run: the tree, and the workers alone when measured (Edge)."""
    tree = row.get("rss_mb_after", "-")
    workers = row.get("rss_mb_workers_after")
    return f"{tree} (workers {workers})" if workers is not None else str(tree)


def main() -> int:
    """Run the benchmark and print one JSON line (and the Markdown table on stderr); returns
    the exit status (1 when Edge or a peer that did install fails to start or answers wrongly)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--requests", type=int, default=60, help="requests per (format, server, round)")
    ap.add_argument("--clients", type=int, default=8, help="concurrent clients")
    ap.add_argument("--seconds", type=float, default=60.0, help="time bound of each run, s")
    ap.add_argument("--rounds", type=int, default=2, help="rounds (rotating which server goes first)")
    ap.add_argument("--formats", default="jpg,webp", help="output formats, comma-separated (jpg, webp)")
    ap.add_argument("--thumbor-venv", type=Path, default=None, help="reuse this venv instead of installing")
    ap.add_argument("--sharp-dir", type=Path, default=None, help="reuse this npm folder (holding node_modules/sharp)")
    ap.add_argument("--skip", default="", help="peers to leave out, comma-separated (thumbor, sharp)")
    ap.add_argument("--hits", action="store_true", help="cached answers instead: Edge memory and disk tier, thumbor result storage")
    ap.add_argument("--hit-clients", type=int, default=16, help="keep-alive clients of --hits")
    ap.add_argument("--hit-seconds", type=float, default=5.0, help="seconds per --hits round")
    args = ap.parse_args()
    formats = [f for f in args.formats.split(",") if f]
    skip = set(args.skip.split(","))
    cores = len(os.sched_getaffinity(0))
    head: dict[str, object] = {"bench": "peers", "cores": cores, "load_avg_1m": os.getloadavg()[0],
                               "image": PHOTO.name, "workload": "c_fill ~400x300 centre, q80, cold, distinct sizes",
                               "requests_per_run": args.requests, "clients": args.clients, "rounds": args.rounds}
    tmp = Path(tempfile.mkdtemp(prefix="edge-peers-"))
    started: list[Process] = []
    servers: dict[str, tuple[Process, UrlFn]] = {}
    try:
        media = tmp / "media"
        media.mkdir()
        shutil.copyfile(PHOTO, media / PHOTO.name)
        if args.hits:
            exe = None
            if "thumbor" not in skip:
                exe, version = _thumbor_in(args.thumbor_venv) if args.thumbor_venv else _install_thumbor(tmp)
                head["thumbor_version" if exe else "thumbor_skipped"] = version
            from peers_hits import hits, hits_markdown  # noqa: PLC0415  (bench/peers_hits.py)

            result = {**head, "bench": "peers-hits",
                      **hits(tmp, media, exe, args.hit_clients, args.hit_seconds, args.rounds, cores)}
            print(json.dumps(result))
            print(hits_markdown(result), file=sys.stderr)
            return 0
        e_port = _free_port()
        env = {**os.environ, "EDGE_ORIGIN": str(media), "EDGE_CACHE": "none", "EDGE_WORKERS": str(cores),
               "EDGE_MEMORY_CACHE_MB": "0",
               "EDGE_FOCUS": "none", "EDGE_RENDER_QUEUE": "32", "EDGE_LOG_LEVEL": "warning"}
        edge = Process("edge", [sys.executable, "-m", "edge.cli", "serve", "--port", str(e_port)],
                       e_port, env, "/healthz", log=tmp / "edge.log")
        started.append(edge)
        servers["edge"] = (edge, edge_path)
        if "sharp" not in skip:
            folder, version = _install_sharp(args.sharp_dir or tmp / "sharp")
            if folder is None:
                head["sharp_skipped"] = version
            else:
                head["sharp_version"] = version
                script = tmp / "sharp_server.js"
                script.write_text(SHARP_SERVER)
                s_port = _free_port()
                sharp = Process("sharp", ["node", str(script), str(s_port), str(media), str(folder)], s_port,
                                {**os.environ, "UV_THREADPOOL_SIZE": str(max(4, cores))}, "/healthz",
                                log=tmp / "sharp.log")
                started.append(sharp)
                servers["sharp"] = (sharp, sharp_path)
        if "thumbor" not in skip:
            exe, version = _thumbor_in(args.thumbor_venv) if args.thumbor_venv else _install_thumbor(tmp)
            if exe is None:
                head["thumbor_skipped"] = version
            else:
                head["thumbor_version"] = version
                conf = tmp / "thumbor.conf"
                _thumbor_conf(conf, media)
                t_port = _free_port()
                thumbor = Process("thumbor", [str(exe), "-p", str(t_port), "-i", "127.0.0.1", "-c", str(conf),
                                              "-l", "warning", "--processes", str(cores)], t_port, {**os.environ},
                                  "/healthcheck", log=tmp / "thumbor.log")
                started.append(thumbor)
                servers["thumbor"] = (thumbor, thumbor_path)
        time.sleep(1.0)  # let every worker finish importing
        result = {**head, **_bench(servers, formats, args.requests, args.clients, args.seconds, args.rounds, cores)}
        print(json.dumps(result))
        print(markdown(result, formats), file=sys.stderr)
        return 0
    except RuntimeError as exc:  # a server did not start or answered wrongly
        print(json.dumps({**head, "error": str(exc)}))
        return 1
    finally:
        for p in reversed(started):
            p.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
