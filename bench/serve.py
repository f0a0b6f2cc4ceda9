"""Serving benchmark: `edge serve` with workers = cores over loopback, in one run.

(a) cold renders/s of tests/images/landscape_aitzgorri.jpg (3088x2056) -> `c_fill,w_<400+i>,h_300`
    (widths varied so every request misses), 8 concurrent clients, a new connection per request
    so the kernel spreads them over the workers; divided by the in-process `render()` rate of
    the same requests on one thread x cores (`cold_ratio`, target >= 0.9);
(b) memory-tier hits/s and p50/p99 latency at 16 concurrent keep-alive clients (target p99 < 10 ms);
(c) disk-tier hits/s at 16 clients (memory tier off, disk tier on);
(d) each worker's RSS after the runs, MB (target <= 600).
Also reported, because the bench machine may be shared: the server's CPU ms per render against
the in-process CPU ms (`cold_cpu_ratio`) and the HTTP rate against `cores` threads rendering
in-process at the same time (`cold_ratio_vs_parallel`).

``--rss`` instead measures memory alone (issue 9): two workers, a cold run of `--cold` distinct
renders over eight photos (large_5312x2988_seeding.jpg included, several transformations and
output formats) with the derived-cache tiers off, then each worker's RSS, once with libvips' operation cache at its default
(`vips_cache_ops=100`: 100 operations, 100 MB, 100 files) and glibc's malloc arenas, then
with the cache off, then with the cache off and 2 arenas (Edge's defaults).

Both the server and the in-process baseline run with VIPS_CONCURRENCY=1 (one libvips thread per
render; parallelism comes from one render per core).  The load generator is a minimal asyncio
HTTP/1.1 client in this process (it shares the cores with the server, so hit rates are a lower
bound).  Prints one JSON line.  Usage: ``python bench/serve.py [--cold 48] [--seconds 4] [--rss]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("VIPS_CONCURRENCY", "1")

REPO = Path(__file__).resolve().parent.parent
IMAGES = REPO / "tests" / "images"
_CL = re.compile(rb"(?i)\r\ncontent-length: *(\d+)")
_TIER = re.compile(rb"(?i)\r\nx-edge-cache: *([a-z]+)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cores() -> int:
    return len(os.sched_getaffinity(0))


class Server:
    """`python -m edge.cli serve` in a subprocess with the given EDGE_* settings."""

    def __init__(self, origin: Path, **settings: str) -> None:
        self.port = _free_port()
        env = {**os.environ, **{f"EDGE_{k.upper()}": str(v) for k, v in settings.items()}}
        env["EDGE_ORIGIN"] = str(origin)
        env["EDGE_LOG_LEVEL"] = "warning"
        # the access log (stdout, JSON by default) is written, as in production, but dropped
        self.proc = subprocess.Popen([sys.executable, "-m", "edge.cli", "serve", "--port", str(self.port)],
                                     env=env, start_new_session=True, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    if s.recv(64).startswith(b"HTTP/1.1 200"):
                        break
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("edge serve did not start")
            time.sleep(0.2)
        time.sleep(1.0)  # let every worker finish importing

    def worker_rss_mb(self) -> list[float]:
        """VmRSS of each worker process (children of the server; the server itself if none)."""
        pids = _children(self.proc.pid) or [self.proc.pid]
        out = []
        for pid in pids:
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        out.append(round(int(line.split()[1]) / 1024, 1))
            except OSError:
                pass
        return out

    def cpu_s(self) -> float:
        """User + system CPU seconds used so far by the server and its workers."""
        return tree_cpu_s(self.proc.pid)

    def measure(self, coro_fn, *args, **kwargs) -> dict[str, object]:
        """Run a load and add the server CPU ms per request."""
        c0 = self.cpu_s()
        out = _run(coro_fn(self.port, *args, **kwargs))
        used = self.cpu_s() - c0
        out["server_cpu_ms_per_req"] = round(used * 1000 / max(1, int(out["n"])), 3)
        return out

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)


def tree_cpu_s(pid: int) -> float:
    """User + system CPU seconds (/proc/<pid>/stat utime + stime) used so far by process `pid`
    and its children (a server and its workers); a process gone meanwhile counts 0."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for p in [pid, *_children(pid)]:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except OSError:
            pass
    return total


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids += [int(x) for x in (task / "children").read_text().split()]
        except OSError:
            pass
    # keep the uvicorn workers (multiprocessing spawn_main), not the resource tracker helper
    out = []
    for k in kids:
        try:
            cmdline = Path(f"/proc/{k}/cmdline").read_bytes().decode(errors="replace")
        except OSError:  # exited meanwhile
            continue
        if ("edge" in cmdline or "spawn_main" in cmdline) and "resource_tracker" not in cmdline:
            out.append(k)
    return out


async def _request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str,
                   close: bool) -> tuple[int, str]:
    conn = "close" if close else "keep-alive"
    writer.write(f"GET {path} HTTP/1.1\r\nHost: bench\r\nAccept: image/jpeg\r\nConnection: {conn}\r\n\r\n".encode())
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    m = _CL.search(head)
    await reader.readexactly(int(m.group(1)) if m else 0)
    t = _TIER.search(head)
    return status, t.group(1).decode() if t else ""


async def _load(port: int, paths: list[str], clients: int, *, fresh: bool,
                seconds: float | None = None) -> dict[str, object]:
    """Run `paths` (cycled when `seconds` is given) over `clients` connections."""
    lat: list[float] = []
    statuses: dict[int, int] = {}
    tiers: dict[str, int] = {}
    it = iter(paths)
    start = time.perf_counter()
    stop_at = start + seconds if seconds else None

    def next_path() -> str | None:
        nonlocal it
        if stop_at is not None:
            if time.perf_counter() >= stop_at:
                return None
            try:
                return next(it)
            except StopIteration:
                it = iter(paths)
                return next(it)
        return next(it, None)

    async def client() -> None:
        conn = None
        while (path := next_path()) is not None:
            if conn is None:
                conn = await asyncio.open_connection("127.0.0.1", port)
            t0 = time.perf_counter()
            status, tier = await _request(*conn, path, close=fresh)
            lat.append(time.perf_counter() - t0)
            statuses[status] = statuses.get(status, 0) + 1
            tiers[tier] = tiers.get(tier, 0) + 1
            if fresh:
                conn[1].close()
                conn = None
        if conn is not None:
            conn[1].close()

    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.perf_counter() - start
    lat.sort()
    return {
        "n": len(lat), "per_s": round(len(lat) / elapsed, 1),
        "p50_ms": round(statistics.median(lat) * 1000, 2) if lat else None,
        "p99_ms": round(lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000, 2) if lat else None,
        "statuses": statuses, "tiers": tiers,
    }


def _run(coro):  # type: ignore[no-untyped-def]
    """Run the load generator on uvloop (the cheaper client loop leaves the cores to the server)."""
    import uvloop

    return uvloop.run(coro)


def _inprocess_rate(src: bytes, n: int) -> tuple[float, float]:
    from edge.render import render
    from edge.url import parse

    reqs = [parse(f"/demo/image/upload/c_fill,w_{450 + i},h_300/bench/landscape.jpg") for i in range(n + 1)]
    render(src, reqs[0])  # warm up
    t0, c0 = time.perf_counter(), time.process_time()
    for r in reqs[1:]:
        render(src, r)
    return n / (time.perf_counter() - t0), (time.process_time() - c0) * 1000 / n


def _inprocess_parallel_rate(src: bytes, n: int, threads: int) -> float:
    """Renders/s of `threads` threads rendering concurrently in this process (what the
    machine delivers right now, other load included)."""
    from concurrent.futures import ThreadPoolExecutor

    from edge.render import render
    from edge.url import parse

    reqs = [parse(f"/demo/image/upload/c_fill,w_{470 + i},h_300/bench/landscape.jpg") for i in range(n)]
    with ThreadPoolExecutor(threads) as ex:
        list(ex.map(lambda r: render(src, r), reqs[:threads]))  # warm up
        t0 = time.perf_counter()
        list(ex.map(lambda r: render(src, r), reqs))
    return n / (time.perf_counter() - t0)


#: Photos of the --rss cold run (varied sizes and formats).
RSS_PHOTOS = ("landscape_aitzgorri.jpg", "large_5312x2988_seeding.jpg", "product_sneakers_white_bg.jpg",
              "face_astronaut_eileen_collins.png", "kodim03_hats.png", "exif_orient6_waterfall.jpg",
              "alpha_logo_rgba.png", "cmyk_with_icc.jpg")
#: Transformations of the --rss cold run, `{w}` varied per request so each one misses.
RSS_CHAINS = ("c_fill,w_{w},h_300", "c_scale,w_{w}/e_sharpen", "c_limit,w_{w}/f_webp", "c_thumb,w_{w},h_{w}/e_blur:200",
              "c_pad,w_{w},h_400,b_white/f_png", "w_{w},q_60/f_avif")


#: (label, settings) of the --rss runs: today's libvips/glibc defaults, then each bound added.
RSS_CONFIGS = (
    ("vips_cache_default+glibc_arenas", {"vips_cache_ops": "100", "malloc_arenas": "0"}),
    ("vips_cache_off+glibc_arenas", {"vips_cache_ops": "0", "malloc_arenas": "0"}),
    ("vips_cache_off+2_arenas (Edge default)", {"vips_cache_ops": "0", "malloc_arenas": "2"}),
)


def rss_compare(cold: int, workers: int) -> dict[str, object]:
    """Worker RSS (MB) idle and after a cold run of `cold` renders, per `RSS_CONFIGS` entry."""
    out: dict[str, object] = {"workers": workers, "cold_renders": cold, "photos": list(RSS_PHOTOS)}
    paths = []
    for i in range(cold):
        chain = RSS_CHAINS[i % len(RSS_CHAINS)].format(w=300 + 7 * i)
        paths.append(f"/demo/image/upload/{chain}/bench/{RSS_PHOTOS[i % len(RSS_PHOTOS)]}")
    with tempfile.TemporaryDirectory() as tmp:
        origin = Path(tmp) / "media"
        (origin / "bench").mkdir(parents=True)
        for name in RSS_PHOTOS:
            (origin / "bench" / name).write_bytes((IMAGES / name).read_bytes())
        for label, settings in RSS_CONFIGS:
            # no derived-cache tiers: what remains is the process and libvips' working set
            server = Server(origin, workers=str(workers), cache="none", memory_cache_mb="0", focus="none", **settings)
            try:
                idle = server.worker_rss_mb()
                run = _run(_load(server.port, paths, 4 * workers, fresh=True))
                time.sleep(0.5)
                rss = server.worker_rss_mb()
            finally:
                server.stop()
            out[label] = {"idle_rss_mb": idle, "worker_rss_mb": rss, "total_mb": round(sum(rss), 1),
                          "statuses": run["statuses"], "renders_per_s": run["per_s"]}
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cold", type=int, default=48, help="cold renders over HTTP")
    ap.add_argument("--seconds", type=float, default=4.0, help="duration of each hit run, s")
    ap.add_argument("--workers", type=int, default=0, help="uvicorn workers (default: cores)")
    ap.add_argument("--rss", action="store_true", help="only the worker RSS after a cold run, libvips cache on vs off")
    args = ap.parse_args()
    cores = _cores()
    if args.rss:
        print(json.dumps(rss_compare(args.cold, args.workers or 2)))
        return
    src = (IMAGES / "landscape_aitzgorri.jpg").read_bytes()
    workers = args.workers or cores
    result: dict[str, object] = {"cores": cores, "workers": workers, "image": "landscape_aitzgorri.jpg"}
    with tempfile.TemporaryDirectory() as tmp:
        origin = Path(tmp) / "media"
        (origin / "bench").mkdir(parents=True)
        (origin / "bench" / "landscape.jpg").write_bytes(src)
        before, single_cpu_ms = _inprocess_rate(src, 12)

        server = Server(origin, workers=str(workers), cache=str(Path(tmp) / "cache"), render_queue="32")
        try:
            cold_paths = [f"/demo/image/upload/c_fill,w_{400 + i},h_300/bench/landscape.jpg" for i in range(args.cold)]
            _run(_load(server.port, cold_paths[:4], 4, fresh=True))  # warm the workers
            cold = server.measure(_load, cold_paths[4:], 4 * cores, fresh=True)
            after, _ = _inprocess_rate(src, 12)  # the machine may be shared: bracket the HTTP run
            single = (before + after) / 2
            parallel = _inprocess_parallel_rate(src, 8 * cores, cores)
            hot = [f"/demo/image/upload/c_fill,w_{400 + i},h_300/bench/landscape.jpg" for i in range(16)]
            for _ in range(3):  # each worker: disk hit -> promoted to memory
                _run(_load(server.port, hot * 4, 8, fresh=True))
            memory = server.measure(_load, hot, 16, fresh=False, seconds=args.seconds)
            rss = server.worker_rss_mb()
        finally:
            server.stop()

        disk_server = Server(origin, workers=str(workers), cache=str(Path(tmp) / "cache"), memory_cache_mb="0")
        try:
            _run(_load(disk_server.port, hot, 4, fresh=True))
            disk = disk_server.measure(_load, hot, 16, fresh=False, seconds=args.seconds)
            rss_disk = disk_server.worker_rss_mb()
        finally:
            disk_server.stop()

    result.update({
        "inprocess_render_per_s_1thread": round(single, 2),
        "inprocess_cpu_ms_per_render": round(single_cpu_ms, 1),
        "cold_cpu_ratio": round(single_cpu_ms / float(cold["server_cpu_ms_per_req"]), 3),
        "cold_http_per_s": cold["per_s"],
        "cold_ratio": round(float(cold["per_s"]) / (single * cores), 3),
        "inprocess_parallel_per_s": round(parallel, 2),
        "cold_ratio_vs_parallel": round(float(cold["per_s"]) / parallel, 3),
        "cold": cold,
        "memory_hits_per_s": memory["per_s"], "memory_p50_ms": memory["p50_ms"], "memory_p99_ms": memory["p99_ms"],
        "memory": memory,
        "disk_hits_per_s": disk["per_s"], "disk_p99_ms": disk["p99_ms"], "disk": disk,
        "worker_rss_mb": rss, "worker_rss_mb_disk_run": rss_disk,
        "targets": {"cold_ratio": ">=0.9", "memory_p99_ms": "<10", "worker_rss_mb": "<=600"},
    })
    print(json.dumps(result))


if __name__ == "__main__":
    main()
