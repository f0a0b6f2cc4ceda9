"""`bench/peers.py --hits`: cached answers of Edge and thumbor, side by side in one run (issue 16).

The 16 first URLs of peers.py's cold workload (`c_fill` ~400x300 q80 of
tests/images/landscape_aitzgorri.jpg), warmed (each fetched 4 x cores times on fresh
connections, so every worker holds it), then `clients` keep-alive clients cycle them, in
`rounds` rotating rounds.  The load generator is `wrk` (one thread, a Lua script handing out
the 16 paths in turn; Debian/Ubuntu package `wrk`) when it is on PATH: it needs a fraction of
a core, where bench/serve.py's asyncio client (the fallback) saturated before Edge did on two
shared cores, so both Edge tiers gave the same rate.  Servers:

- `edge_memory`: Edge's memory tier (256 MiB per worker; the disk tier behind it);
- `edge_disk`: the same disk cache with the memory tier off (`EDGE_MEMORY_CACHE_MB=0`);
- `thumbor_result_storage`: thumbor 7 with `thumbor.result_storages.file_storage`
  (`RESULT_STORAGE_STORES_UNSAFE = True`, no expiry), one process per core.

Targets: memory-tier hits >= 4 x thumbor's result storage with p99 < 5 ms; disk-tier hits
>= 0.5 x memory-tier hits.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from peers import Process, _descendants, _free_port, _thumbor_conf, edge_path, thumbor_path

__all__ = ["hits", "hits_markdown", "HIT_URLS"]

#: Distinct hit URLs of `--hits` (request i of the cold sizes, i < HIT_URLS).
HIT_URLS = 16


def _thumbor_result_conf(path: Path, root: Path, results: Path) -> None:
    """thumbor with its file result storage (stores unsafe URLs too, never expires)."""
    _thumbor_conf(path, root)
    with path.open("a") as fh:
        fh.write("RESULT_STORAGE = 'thumbor.result_storages.file_storage'\n"
                 f"RESULT_STORAGE_FILE_STORAGE_ROOT_PATH = {str(results)!r}\n"
                 "RESULT_STORAGE_STORES_UNSAFE = True\nRESULT_STORAGE_EXPIRATION_SECONDS = 0\n")


#: wrk's Lua script: each request takes the next of the warmed paths (shared by the thread's
#: connections); `done` prints one JSON line with the totals and the latency percentiles (us).
_WRK_LUA = """
local paths = {%s}
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRKJSON {"n": %%d, "us": %%d, "p50_us": %%d, "p99_us": %%d, "max_us": %%d, ' ..
    '"non_2xx": %%d, "errors": %%d}\\n', summary.requests, summary.duration, latency:percentile(50),
    latency:percentile(99), latency.max, e.status, e.connect + e.read + e.write + e.timeout))
end
"""


def _schedstat(pids: list[int]) -> dict[int, tuple[int, int, int]]:
    """Per process of `pids`: (ns on a CPU, ns waiting in the run queue while runnable, time
    slices) summed over its threads (`/proc/<pid>/task/<tid>/schedstat`, Linux); {} elsewhere."""
    out: dict[int, tuple[int, int, int]] = {}
    for pid in pids:
        run = wait = slices = 0
        for task in Path(f"/proc/{pid}/task").glob("*"):
            try:
                a, b, c = (int(x) for x in (task / "schedstat").read_text().split()[:3])
            except (OSError, ValueError):
                continue
            run, wait, slices = run + a, wait + b, slices + c
        out[pid] = (run, wait, slices)
    return out


def _scheduling(before: dict[int, tuple[int, int, int]], after: dict[int, tuple[int, int, int]],
                seconds: float, n: int) -> dict[str, object]:
    """Run-queue figures of the server's busy processes over a timed run of `seconds` and `n`
    answers (issue 16's p99): per process, ms per second it was runnable but waited for a core
    (`run_queue_wait_ms_per_s`) and the mean wait per time slice (`wait_per_slice_ms`); and
    the mean wait per answer over all of them.  Processes that used under 5 % of a core (the
    uvicorn supervisor) are left out."""
    rows = []
    total_wait = 0
    for pid, (run1, wait1, sl1) in after.items():
        run0, wait0, sl0 = before.get(pid, (0, 0, 0))
        if (run1 - run0) < 0.05 * seconds * 1e9:
            continue
        total_wait += wait1 - wait0
        rows.append({"cpu_share": round((run1 - run0) / (seconds * 1e9), 3),
                     "run_queue_wait_ms_per_s": round((wait1 - wait0) / 1e6 / seconds, 1),
                     "wait_per_slice_ms": round((wait1 - wait0) / 1e6 / max(1, sl1 - sl0), 3)})
    return {"processes": sorted(rows, key=lambda r: -float(r["cpu_share"])),
            "run_queue_wait_ms_per_answer": round(total_wait / 1e6 / max(1, n), 3)}


def _in_server_ms(log: Path | None, start: int) -> dict[str, float]:
    """p50/p99/max of the `duration_ms` Edge's access log wrote (JSON lines) after byte
    `start` of `log`: each answer's time inside the app, from the ASGI call to its last send,
    so without the time it waited for its worker (issue 16's p99)."""
    if log is None or not log.exists():
        return {}
    with log.open("rb") as fh:
        fh.seek(start)
        lines = fh.read().splitlines()
    ms = []
    for line in lines:
        at = line.find(b'"duration_ms":')
        if at >= 0:
            ms.append(float(line[at + 14:line.index(b",", at)]))
    if len(ms) < 100:
        return {}
    ms.sort()
    return {"p50_ms": round(ms[len(ms) // 2], 3), "p99_ms": round(ms[int(len(ms) * 0.99)], 3),
            "max_ms": round(ms[-1], 3), "answers": len(ms)}


def _gc_pauses(port: int) -> dict[str, float]:
    """Edge's `edge_gc_pause_seconds` now, summed over generations and workers: `count`,
    `seconds`, and `over_1ms` (pauses longer than 1 ms); {} when the server has no such metric."""
    import httpx  # noqa: PLC0415

    try:
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    except httpx.HTTPError:
        return {}
    out = {"count": 0.0, "seconds": 0.0, "under_1ms": 0.0}
    for line in text.splitlines():
        if line.startswith("edge_gc_pause_seconds_count"):
            out["count"] += float(line.rsplit(" ", 1)[1])
        elif line.startswith("edge_gc_pause_seconds_sum"):
            out["seconds"] += float(line.rsplit(" ", 1)[1])
        elif line.startswith("edge_gc_pause_seconds_bucket") and 'le="0.001"' in line:
            out["under_1ms"] += float(line.rsplit(" ", 1)[1])
    return out if out["count"] else {}


def _connections(pids: list[int], port: int) -> list[int]:
    """Established connections to `port` held by each of `pids` now (`ss -tnp`), largest
    first; [] when `ss` is missing.  With several workers sharing one listening socket the
    kernel hands each new connection to whichever worker accepts first, so the spread of a
    fixed set of keep-alive clients is uneven (e.g. 11 and 5 of 16): the busier worker's
    answers wait longer (issue 16's p99 note)."""
    if not shutil.which("ss") or not pids:
        return []
    out = subprocess.run(["ss", "-tnpH", "state", "established", f"( sport = :{port} )"],
                         capture_output=True, text=True, timeout=10).stdout
    counts = [out.count(f"pid={pid},") for pid in pids]
    return sorted((n for n in counts if n), reverse=True)


def _wrk_load(port: int, paths: list[str], clients: int, seconds: float, tmp: Path,
              pids: list[int] | None = None) -> dict[str, object]:
    """`clients` keep-alive connections of `wrk` (one thread: it needs a fraction of a core)
    cycling `paths` for `seconds`; returns n, per_s, p50_ms, p99_ms, statuses (200 and
    "other": wrk counts the answers outside 2xx/3xx and the socket errors), `wrk_cpu_s`
    (wrk's own user + system CPU seconds, the share of the cores it takes from the server)
    and `connections` (`_connections` of `pids` half-way through)."""
    script = tmp / "hits.lua"
    script.write_text(_WRK_LUA % ", ".join(json.dumps(p) for p in paths))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wrk = subprocess.Popen(["wrk", "-t1", f"-c{clients}", f"-d{max(1, round(seconds))}s", "--latency",
                            "-s", str(script), f"http://127.0.0.1:{port}"], stdout=subprocess.PIPE, text=True)
    time.sleep(max(1, round(seconds)) / 2)
    spread = _connections(pids or [], port)
    out, _ = wrk.communicate(timeout=seconds + 60)
    if wrk.returncode:
        raise subprocess.CalledProcessError(wrk.returncode, "wrk", out)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next(ln for ln in out.splitlines() if ln.startswith("WRKJSON "))
    r = json.loads(line[len("WRKJSON "):])
    bad = int(r["non_2xx"]) + int(r["errors"])
    wrk_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"n": r["n"], "per_s": round(r["n"] / (r["us"] / 1e6), 1), "p50_ms": round(r["p50_us"] / 1000, 2),
            "p99_ms": round(r["p99_us"] / 1000, 2), "statuses": {"200": int(r["n"]) - bad, "other": bad},
            "wrk_cpu_s": round(wrk_cpu, 3), "connections": spread}


def _hit_run(proc: Process, paths: list[str], clients: int, seconds: float, cores: int,
             tmp: Path, log: Path | None = None) -> dict[str, object]:
    """Warm `paths` (each fetched 4 x cores times on fresh connections, so every worker has
    it in its memory tier), then `clients` keep-alive clients cycle them for `seconds` (with
    `wrk` when it is on PATH, else bench/serve.py's asyncio client); adds `cpu_s`, the
    server's CPU seconds of the timed part alone, `loader` and `tiers` (X-Edge-Cache of one
    more pass over `paths`); with wrk also `scheduling` (`_scheduling`), and for Edge (`log`:
its access log) `in_server` (`_in_server_ms`) and `gc` (pauses during the run)."""
    from serve import _load as raw_load, _run  # noqa: PLC0415  (bench/serve.py: minimal asyncio client)

    _run(raw_load(proc.port, paths * 4 * cores, clients, fresh=True))
    c0 = proc.cpu_s()
    if shutil.which("wrk"):
        pids = [proc.proc.pid, *_descendants(proc.proc.pid)]
        gc0 = _gc_pauses(proc.port) if log is not None else {}
        time.sleep(0.2)  # (the access-log lines of the warm-up are written)
        start = log.stat().st_size if log is not None and log.exists() else 0
        sched0 = _schedstat(pids)
        c0 = proc.cpu_s()
        out = _wrk_load(proc.port, paths, clients, seconds, tmp, pids)
        out["cpu_s"] = proc.cpu_s() - c0
        out["scheduling"] = _scheduling(sched0, _schedstat(pids), max(1, round(seconds)), int(out["n"]))
        time.sleep(0.2)
        out["in_server"] = _in_server_ms(log, start)
        gc1 = _gc_pauses(proc.port) if gc0 else {}
        if gc1:
            out["gc"] = {"pauses": gc1["count"] - gc0["count"], "ms": round((gc1["seconds"] - gc0["seconds"]) * 1000, 2),
                         "over_1ms": (gc1["count"] - gc1["under_1ms"]) - (gc0["count"] - gc0["under_1ms"])}
        out["tiers"] = _run(raw_load(proc.port, paths, clients, fresh=False))["tiers"]
        out["loader"] = "wrk"
        return out
    out = _run(raw_load(proc.port, paths, clients, fresh=False, seconds=seconds))
    out["cpu_s"] = proc.cpu_s() - c0
    out["statuses"] = {str(k): v for k, v in out["statuses"].items()}
    out["loader"] = "asyncio"
    return out


def hits(tmp: Path, media: Path, thumbor_exe: Path | None, clients: int, seconds: float, rounds: int,
         cores: int) -> dict[str, object]:
    """`--hits`: cached answers at `clients` keep-alive clients, in one run: Edge's memory tier
    (disk tier behind it), Edge's disk tier alone (memory tier 0), thumbor's file result
    storage (when installed); `rounds` alternating rounds of `seconds` each, summed."""
    paths = {"edge_memory": [edge_path(i) for i in range(HIT_URLS)],
             "edge_disk": [edge_path(i) for i in range(HIT_URLS)],
             "thumbor_result_storage": [thumbor_path(i) for i in range(HIT_URLS)]}
    base = {**os.environ, "EDGE_ORIGIN": str(media), "EDGE_WORKERS": str(cores), "EDGE_FOCUS": "none",
            "EDGE_LOG_LEVEL": "warning", "EDGE_CACHE": str(tmp / "edge-cache")}
    servers: dict[str, Process] = {}
    try:
        for name, mb in (("edge_memory", "256"), ("edge_disk", "0")):
            port = _free_port()
            servers[name] = Process(name, [sys.executable, "-m", "edge.cli", "serve", "--port", str(port)], port,
                                    {**base, "EDGE_MEMORY_CACHE_MB": mb}, "/healthz", log=tmp / f"{name}.log")
        if thumbor_exe is not None:
            conf = tmp / "thumbor-results.conf"
            _thumbor_result_conf(conf, media, tmp / "thumbor-results")
            port = _free_port()
            servers["thumbor_result_storage"] = Process(
                "thumbor", [str(thumbor_exe), "-p", str(port), "-i", "127.0.0.1", "-c", str(conf), "-l", "warning",
                            "--processes", str(cores)], port, {**os.environ}, "/healthcheck", log=tmp / "thumbor-hits.log")
        time.sleep(1.0)
        runs: dict[str, list[dict[str, object]]] = {}
        cpu: dict[str, float] = {}
        names = list(servers)
        for rnd in range(rounds):
            for name in names[rnd % len(names):] + names[:rnd % len(names)]:
                log = tmp / f"{name}.log" if name.startswith("edge") else None
                run = _hit_run(servers[name], paths[name], clients, seconds, cores, tmp, log)
                runs.setdefault(name, []).append(run)
                cpu[name] = cpu.get(name, 0.0) + float(run["cpu_s"])
        out: dict[str, object] = {"clients": clients, "urls": HIT_URLS, "seconds_per_round": seconds, "rounds": rounds}
        for name, rs in runs.items():
            n = sum(int(r["n"]) for r in rs)
            out[name] = {
                "per_s": round(statistics.fmean(float(r["per_s"]) for r in rs), 1),
                "p50_ms": round(statistics.median(float(r["p50_ms"]) for r in rs), 2),
                "p99_ms": round(max(float(r["p99_ms"]) for r in rs), 2),
                "server_cpu_ms_per_req": round(cpu[name] * 1000 / max(1, n), 3),
                "statuses": {k: sum(int(r["statuses"].get(k, 0)) for r in rs) for k in rs[0]["statuses"]},
                "loader": rs[0]["loader"],
                # issue 16's p99 note: wrk's share of a core, the spread of the clients over the
                # server's processes (each round), Little's law mean latency (clients / rate)
                "wrk_core_share": round(sum(float(r.get("wrk_cpu_s", 0.0)) for r in rs) / (seconds * len(rs)), 3),
                "connections_per_process": [r.get("connections", []) for r in rs],
                "littles_law_mean_ms": round(clients * 1000 / max(1e-9, statistics.fmean(float(r["per_s"]) for r in rs)), 2),
                # where the p99 comes from: time inside the app per answer, run-queue waits of the
                # server's processes, garbage collector pauses (each round)
                "in_server": [r.get("in_server", {}) for r in rs],
                "scheduling": [r.get("scheduling", {}) for r in rs],
                "gc": [r.get("gc", {}) for r in rs],
                "tiers": rs[-1]["tiers"], "rss_mb_after": servers[name].rss_mb(),
            }
        mem = out["edge_memory"]
        if "thumbor_result_storage" in out:
            out["edge_memory_over_thumbor_result_storage"] = round(mem["per_s"] / out["thumbor_result_storage"]["per_s"], 2)
        out["edge_disk_over_edge_memory"] = round(out["edge_disk"]["per_s"] / mem["per_s"], 2)
        return out
    finally:
        for proc in servers.values():
            proc.stop()


def hits_markdown(result: dict[str, object]) -> str:
    """The `--hits` rows as a Markdown table."""
    lines = ["| server | hits/s | p50 (ms) | p99 (ms) | server CPU per hit (ms) | RSS after (MB) |", "|---|---|---|---|---|---|"]
    for name in ("edge_memory", "edge_disk", "thumbor_result_storage"):
        r = result.get(name)
        if r:
            lines.append(f"| {name} | {r['per_s']} | {r['p50_ms']} | {r['p99_ms']} | {r['server_cpu_ms_per_req']} | {r['rss_mb_after']} |")
    return "\n".join(lines)

