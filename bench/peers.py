"""Same-run peer benchmark: Edge against thumbor 7 on one cold-render workload, over loopback HTTP.

What it measures (in ONE run, so the ratio is what counts on a shared, noisy machine):
- workload: tests/images/landscape_aitzgorri.jpg (3088x2056 progressive JPEG) -> ~400x300 centre fill crop,
  JPEG q80.  Edge: ``/demo/image/upload/c_fill,w_<W>,h_<H>,q_80/landscape_aitzgorri.jpg``;
  thumbor: ``/unsafe/<W>x<H>/filters:quality(80)/landscape_aitzgorri.jpg`` (fill crop, centre).
  Every request has its own size (W = 400 + i mod 40, H = 300 + (i div 40) mod 40, distinct
  for the first 1,600 requests) so no cache can answer; both servers get the same sequence.
- thumbor 7.* is pip-installed into a throw-away venv under a temp dir (PyPI via the ordinary
  pip client; if that fails, one JSON line ``{"bench": "peers", "skipped": ...}`` is printed and
  the exit status is 0).  Config: file loader rooted at the temp dir, ``STORAGE`` = no_storage,
  ``RESULT_STORAGE`` = None, ``ENGINE_THREADPOOL_SIZE`` = 2, ``QUALITY`` = 80, one process.
- Edge: ``python -m edge.cli serve`` with 2 workers, ``EDGE_CACHE=none``,
  ``EDGE_MEMORY_CACHE_MB=0`` (no result cache at all), ``EDGE_FOCUS=none``
  (the workload uses no focal option), ``EDGE_RENDER_QUEUE=32`` (no 503 at concurrency 16).
- load: httpx.AsyncClient in this process (it shares the cores with the servers, equally for
  both), a new connection per request (so the kernel spreads them over Edge's workers),
  ``--requests`` per run (default 60) and at most ``--seconds`` per run (default 60), at
  concurrency 4 and 16; each (concurrency, server) run is done ``--rounds`` times (default 2),
  alternating which server goes first, and the rounds are summed.
- report, one JSON line: per server and concurrency req/s, p50/p99 latency (ms), output bytes
  (median), HTTP status counts, server CPU ms per request (user+system of the server process
  tree from /proc/<pid>/stat); and ``edge_over_thumbor`` = Edge req/s / thumbor req/s per
  concurrency (and the thumbor/Edge CPU-per-request ratio ``cpu_thumbor_over_edge``).

Usage: ``python bench/peers.py [--requests 60] [--seconds 60] [--rounds 2]
[--thumbor-venv DIR]`` (``--thumbor-venv`` reuses an existing venv holding thumbor instead of
installing one).  Reference numbers for thumbor on this class of machine: docs/peers.md, Part B2.
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
CONCURRENCIES = (4, 16)

#: Path of request `i` (one distinct output size per request) for each server.
UrlFn = Callable[[int], str]


def _size(i: int) -> tuple[int, int]:
    """Output size (px) of request `i`: 400..439 x 300..339, distinct for i < 1,600."""
    return 400 + i % 40, 300 + (i // 40) % 40


def edge_path(i: int) -> str:
    """Edge delivery URL path of request `i` (c_fill centre crop, JPEG q80)."""
    w, h = _size(i)
    return f"/demo/image/upload/c_fill,w_{w},h_{h},q_80/{PUBLIC_ID}.jpg"


def thumbor_path(i: int) -> str:
    """thumbor URL path of request `i` (default fill crop, centre, JPEG q80)."""
    w, h = _size(i)
    return f"/unsafe/{w}x{h}/filters:quality(80)/{PHOTO.name}"


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


async def _load(port: int, url: UrlFn, first: int, n: int, clients: int, seconds: float) -> dict[str, object]:
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
                i, nxt = nxt, nxt + 1
                t0 = time.perf_counter()
                try:
                    r = await client.get(url(i), headers={"Accept": "image/jpeg"})
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


def _check_output(port: int, url: UrlFn, i: int) -> dict[str, object]:
    """Fetch request `i` once and decode it: format and size must be JPEG (w x h)."""
    import pyvips

    r = httpx.get(f"http://127.0.0.1:{port}{url(i)}", timeout=60)
    if r.status_code != 200:
        raise RuntimeError(f"{url(i)} answered {r.status_code}: {r.headers.get('x-cld-error', r.text[:200])}")
    img = pyvips.Image.new_from_buffer(r.content, "")
    got = (img.width, img.height)
    loader = str(img.get("vips-loader"))
    if got != _size(i) or not loader.startswith("jpeg"):
        raise RuntimeError(f"{url(i)} gave {loader} {got}, expected JPEG {_size(i)}")
    return {"width": got[0], "height": got[1], "bytes": len(r.content)}


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
        "ENGINE_THREADPOOL_SIZE = 2\n"
        "QUALITY = 80\n"
    )


def _bench(edge: Process, thumbor: Process, requests: int, seconds: float, rounds: int) -> dict[str, object]:
    servers = {"edge": (edge, edge_path), "thumbor": (thumbor, thumbor_path)}
    nxt = {name: 0 for name in servers}
    result: dict[str, object] = {}
    for name, (proc, url) in servers.items():  # warm up: imports, first decode, thread pools
        result[f"{name}_sample"] = _check_output(proc.port, url, 0)
        asyncio.run(_load(proc.port, url, 1, 8, 4, seconds))
        nxt[name] = 9
    runs: dict[tuple[str, int], list[dict[str, object]]] = {}
    cpu: dict[tuple[str, int], float] = {}
    for rnd in range(rounds):
        for c in CONCURRENCIES:
            order = list(servers) if rnd % 2 == 0 else list(reversed(servers))
            for name in order:
                proc, url = servers[name]
                c0 = proc.cpu_s()
                out = asyncio.run(_load(proc.port, url, nxt[name], requests, c, seconds))
                cpu[(name, c)] = cpu.get((name, c), 0.0) + proc.cpu_s() - c0
                nxt[name] = int(out["next"])  # type: ignore[arg-type]
                runs.setdefault((name, c), []).append(out)
    for name in servers:
        result[name] = {f"c{c}": _summary(runs[(name, c)], cpu[(name, c)]) for c in CONCURRENCIES}
    ratios: dict[str, float | None] = {}
    cpu_ratios: dict[str, float | None] = {}
    for c in CONCURRENCIES:
        e, t = result["edge"][f"c{c}"], result["thumbor"][f"c{c}"]  # type: ignore[index]
        ratios[f"c{c}"] = round(e["req_per_s"] / t["req_per_s"], 2) if e["req_per_s"] and t["req_per_s"] else None
        cpu_ratios[f"c{c}"] = (round(t["server_cpu_ms_per_req"] / e["server_cpu_ms_per_req"], 2)
                               if e["server_cpu_ms_per_req"] else None)
    result["edge_over_thumbor"] = ratios
    result["cpu_thumbor_over_edge"] = cpu_ratios
    return result


def main() -> int:
    """Run the benchmark and print one JSON line; returns the exit status."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--requests", type=int, default=60, help="requests per (server, concurrency, round)")
    ap.add_argument("--seconds", type=float, default=60.0, help="time bound of each run, s")
    ap.add_argument("--rounds", type=int, default=2, help="rounds (alternating which server goes first)")
    ap.add_argument("--thumbor-venv", type=Path, default=None, help="reuse this venv instead of installing")
    args = ap.parse_args()
    head: dict[str, object] = {"bench": "peers", "cores": len(os.sched_getaffinity(0)),
                               "image": PHOTO.name, "workload": "c_fill ~400x300 centre, JPEG q80, cold",
                               "requests_per_run": args.requests, "rounds": args.rounds}
    tmp = Path(tempfile.mkdtemp(prefix="edge-peers-"))
    started: list[Process] = []
    try:
        media = tmp / "media"
        media.mkdir()
        shutil.copyfile(PHOTO, media / PHOTO.name)
        exe, version = _thumbor_in(args.thumbor_venv) if args.thumbor_venv else _install_thumbor(tmp)
        if exe is None:
            print(json.dumps({**head, "skipped": "thumbor could not be installed", "detail": version}))
            return 0
        head["thumbor_version"] = version
        conf = tmp / "thumbor.conf"
        _thumbor_conf(conf, media)
        t_port = _free_port()
        thumbor = Process("thumbor", [str(exe), "-p", str(t_port), "-i", "127.0.0.1", "-c", str(conf),
                                      "-l", "warning"], t_port, {**os.environ}, "/healthcheck",
                          log=tmp / "thumbor.log")
        started.append(thumbor)
        e_port = _free_port()
        env = {**os.environ, "EDGE_ORIGIN": str(media), "EDGE_CACHE": "none", "EDGE_WORKERS": "2",
               "EDGE_MEMORY_CACHE_MB": "0",
               "EDGE_FOCUS": "none", "EDGE_RENDER_QUEUE": "32", "EDGE_LOG_LEVEL": "warning"}
        edge = Process("edge", [sys.executable, "-m", "edge.cli", "serve", "--port", str(e_port)],
                       e_port, env, "/healthz", log=tmp / "edge.log")
        started.append(edge)
        time.sleep(1.0)  # let both Edge workers finish importing
        print(json.dumps({**head, **_bench(edge, thumbor, args.requests, args.seconds, args.rounds)}))
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
