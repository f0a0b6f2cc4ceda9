"""The runner and report of bench/peers.py: the asyncio load generator (distinct in-flight
URLs, a new connection per request), the output check, the rounds over every server and
format (rotating who goes first) with the raw loop beside them, the summary per server and
the ratios, and the Markdown table.

Noise (issue 16): the host's speed drifts by 10-30 % within minutes on a shared machine, so
besides the pooled ratios (all rounds summed) each ratio is also computed per round, from the
runs of that round only (the servers ran back to back in it, so they saw the same host), and
the median over the rounds is reported (`*_median_of_rounds`, with `rounds_*` listing them):
with `--rounds` >= 3 one slow round moves it little.  CPU per render is each server process
tree's user + system time over the round's requests (what the clients' own share of the
cores cannot move)."""

from __future__ import annotations

import asyncio
import statistics
import time

import httpx

from peers_servers import Process, _raw_loop
from peers_workload import UrlFn, _size

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
                out["cpu_s"] = proc.cpu_s() - c0
                cpu[(name, fmt)] = cpu.get((name, fmt), 0.0) + float(out["cpu_s"])  # type: ignore[arg-type]
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
    for fmt in formats:
        result["ratios"][fmt].update(_round_ratios(runs, raw_runs[fmt], fmt, names))  # type: ignore[index]
    return result


def _round_rate(run: dict[str, object]) -> tuple[float | None, float | None]:
    """(req/s of the 200 answers, server CPU ms per request) of one run."""
    n, ok = int(run["n"]), int(run["statuses"].get("200", 0))  # type: ignore[attr-defined]
    elapsed = float(run["elapsed_s"])  # type: ignore[arg-type]
    rps = ok / elapsed if elapsed and ok else None
    cpu = float(run["cpu_s"]) * 1000 / n if n and "cpu_s" in run else None  # type: ignore[arg-type]
    return rps, cpu


def _round_ratios(runs: dict[tuple[str, str], list[dict[str, object]]], raws: list[dict[str, object]], fmt: str,
                  names: list[str]) -> dict[str, object]:
    """Per peer: Edge/peer req/s and peer/Edge CPU per render of every round (the runs of one
    round only), and their medians over the rounds."""
    out: dict[str, object] = {}
    edge = [_round_rate(r) for r in runs[("edge", fmt)]]
    peers: dict[str, list[tuple[float | None, float | None]]] = {
        name: [_round_rate(r) for r in runs[(name, fmt)]] for name in names if name != "edge"}
    peers["raw_loop"] = [(r.get("req_per_s"), r.get("server_cpu_ms_per_req")) for r in raws]  # type: ignore[misc]
    for peer, rates in peers.items():
        speed = [round(e[0] / p[0], 3) for e, p in zip(edge, rates) if e[0] and p[0]]
        cpu = [round(p[1] / e[1], 3) for e, p in zip(edge, rates) if e[1] and p[1]]
        out[f"rounds_edge_over_{peer}_req_per_s"] = speed
        out[f"rounds_{peer}_over_edge_cpu_per_render"] = cpu
        out[f"edge_over_{peer}_req_per_s_median_of_rounds"] = round(statistics.median(speed), 3) if speed else None
        out[f"{peer}_over_edge_cpu_per_render_median_of_rounds"] = round(statistics.median(cpu), 3) if cpu else None
    return out


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
             "| Edge / this (req/s) | this / Edge (CPU per render) | median of rounds (req/s, CPU) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for fmt in formats:
        block = result[fmt]  # type: ignore[index]
        edge = block["edge"]  # type: ignore[index]
        for name in ("raw_loop", "sharp", "edge", "thumbor"):
            r = block.get(name)  # type: ignore[union-attr]
            if not r:
                continue
            ratio = round(edge["req_per_s"] / r["req_per_s"], 2) if r.get("req_per_s") else "-"
            cpu = round(r["server_cpu_ms_per_req"] / edge["server_cpu_ms_per_req"], 2) if edge["server_cpu_ms_per_req"] else "-"
            ratios = result.get("ratios", {}).get(fmt, {})  # type: ignore[union-attr]
            rounds = "-" if name == "edge" else (f"{ratios.get(f'edge_over_{name}_req_per_s_median_of_rounds', '-')}, "
                                                 f"{ratios.get(f'{name}_over_edge_cpu_per_render_median_of_rounds', '-')}")
            lines.append(f"| {fmt} | {name} | {r['req_per_s']} | {r['server_cpu_ms_per_req']} | {r.get('p99_ms', '-')} | "
                         f"{r.get('out_bytes_median', '-')} | {_rss_cell(r)} | {ratio} | {cpu} | {rounds} |")
    return "\n".join(lines)


def _rss_cell(row: dict[str, object]) -> str:
    """RSS after the run: the tree, and the workers alone when measured (Edge)."""
    tree = row.get("rss_mb_after", "-")
    workers = row.get("rss_mb_workers_after")
    return f"{tree} (workers {workers})" if workers is not None else str(tree)


