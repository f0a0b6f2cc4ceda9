"""Soak benchmark: does a worker's memory grow over a long mixed run?  (issue 16)

`edge serve` with `--workers` (2) over loopback, derived cache on (memory tier bounded at
`--memory-cache-mb` per worker so it is full before the warm-up ends, plus the disk tier),
`focus=vision`, `signed=none`; `--clients` (8) keep-alive clients (a new connection every 10
requests, so both workers get work) send, for `--minutes` (10) or `--seconds`, a mix drawn in
a fixed, repeating order from:

- `cold` (35 %): `c_fill,w_<W>,h_<H>,q_80` of one of five real photos (3088x2056 progressive
  JPEG, 5312x2988, PNGs), a size of its own per request (never a cache hit), JPEG or WebP;
- `hit` (35 %): one of 24 fixed URLs (memory-tier hits after their first render);
- `vision` (15 %): object and face gravity (`c_fill,g_person`, `c_thumb,g_face`, `g_auto`)
  on four COCO/portrait photos at a size of its own (detections cached per asset version,
  the crop rendered every time);
- `layers` (15 %): an image overlay (`l_bench:logo`) and a text overlay (`l_text`) on a fill
  crop of its own size.

Before the clock starts, each vision photo and overlay is requested a few times, one at a
time (`prime_paths`), so the model sessions are loaded.  Every `--sample-s` (5) seconds it
reads VmRSS of each worker (/proc, the uvicorn children that run Edge, not the supervisor or
multiprocessing's resource tracker).  The growth is the least-squares slope of the workers'
summed RSS over the samples after the warm-up (the first `--warmup` fraction of the run,
default 0.25: the memory tier fills, glibc's arenas reach their working set), in MB per
minute, with its standard error; the run passes when no answer was a 5xx and the slope minus
two standard errors is below `--max-slope` (5 MB/min), i.e. growth above the bound is not
established (a 10-minute run: ~90 samples, standard error ~2 MB/min).  After the run it waits
for the idle trim (`edge.server.memory.IdleTrimmer`) and reports the RSS again.

Prints one JSON line (figures, samples, `ok`); exits 1 when the slope or a 5xx fails it.
Usage: ``python bench/soak.py [--minutes 10 | --seconds 60] [--workers 2] [--clients 8]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serve import IMAGES, Server, _request, _run  # noqa: E402  (bench/serve.py)

#: Originals under bench/ of the soak's origin: public_id -> file in tests/images.
PHOTOS = {
    "landscape": "landscape_aitzgorri.jpg", "large": "large_5312x2988_seeding.jpg",
    "hats": "kodim03_hats.png", "sneakers": "product_sneakers_white_bg.jpg", "coffee": "coffee.png",
    "family": "people_family_table_coco_000110.jpg", "women": "people_three_women_coco_000536.jpg",
    "street": "street_storefront_people_coco_000395.jpg", "astronaut": "face_astronaut_eileen_collins.png",
    "logo": "alpha_logo_rgba.png",
}
COLD_IDS = ("landscape", "large", "hats", "sneakers", "coffee")
VISION = (("family", "c_fill,g_person,w_{w},h_{h}"), ("women", "c_thumb,g_face,w_{w},h_{h}"),
          ("street", "c_fill,g_auto,w_{w},h_{h}"), ("astronaut", "c_thumb,g_faces,w_{w},h_{h}"))
LAYERS = ("c_fill,w_{w},h_{h}/l_bench:logo,w_120/fl_layer_apply,g_south_east,x_10,y_10",
          "c_fill,w_{w},h_{h}/l_text:Arial_36_bold:Edge%20soak,co_white/fl_layer_apply,g_north_west,x_12,y_12")
#: Requests per keep-alive connection: with connections that never close, the kernel gave all
#: eight clients to one of the two workers.
RECONNECT_EVERY = 10
#: The repeating order of request kinds (7 cold, 7 hit, 3 vision, 3 layers in 20).
MIX = ("cold", "hit", "vision", "cold", "hit", "layers", "cold", "hit", "cold", "hit",
       "vision", "cold", "hit", "layers", "cold", "hit", "vision", "cold", "hit", "layers")


def _path(kind: str, i: int) -> str:
    """Delivery path of the `i`-th request of `kind`; `cold`, `vision` and `layers` get a size
    of their own for every `i` (up to 320 x 240 distinct sizes per photo)."""
    w, h = 240 + i % 320, 180 + (i // 320) % 240
    fmt = "webp" if i % 3 == 0 else "jpg"
    if kind == "cold":
        return f"/demo/image/upload/c_fill,w_{w},h_{h},q_80/bench/{COLD_IDS[i % len(COLD_IDS)]}.{fmt}"
    if kind == "hit":
        k = i % 24
        return f"/demo/image/upload/c_fill,w_{300 + 10 * k},h_200,q_80/bench/{COLD_IDS[k % len(COLD_IDS)]}.jpg"
    if kind == "vision":
        public_id, chain = VISION[i % len(VISION)]
        return f"/demo/image/upload/{chain.format(w=w, h=h)}/bench/{public_id}.jpg"
    return f"/demo/image/upload/{LAYERS[i % len(LAYERS)].format(w=w, h=h)}/bench/{COLD_IDS[i % len(COLD_IDS)]}.jpg"


def prime_paths() -> list[str]:
    """One request per vision photo and overlay, at 600x500 (outside the sizes of `_path`):
    sent one at a time before the clock starts, so every model session and the fonts are
    loaded before the clients arrive (else the first vision requests queue behind model
    loading and the warm-up of a short run is all loading)."""
    out = [f"/demo/image/upload/{chain.format(w=600, h=500)}/bench/{public_id}.jpg" for public_id, chain in VISION]
    out += [f"/demo/image/upload/{layer.format(w=600, h=500)}/bench/landscape.jpg" for layer in LAYERS]
    return out


async def _prime(port: int, workers: int) -> dict[int, int]:
    """Send `prime_paths()` `2 x workers` times each on fresh connections (so every worker
    is likely to get each); returns the status counts."""
    statuses: dict[int, int] = {}
    for _ in range(2 * workers):
        for path in prime_paths():
            conn = await asyncio.open_connection("127.0.0.1", port)
            try:
                status, _tier = await _request(*conn, path, close=True)
            finally:
                conn[1].close()
            statuses[status] = statuses.get(status, 0) + 1
    return statuses


def slope_mb_per_min(samples: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of (seconds, MB) samples, MB per minute (None for < 3 samples)."""
    fit = slope_fit(samples)
    return fit[0] if fit else None


def slope_fit(samples: list[tuple[float, float]]) -> tuple[float, float] | None:
    """Least-squares slope of (seconds, MB) samples and its standard error, both MB per minute
    (ordinary least squares; None for < 3 samples or no spread in time)."""
    if len(samples) < 3:
        return None
    ts = [t for t, _ in samples]
    ys = [y for _, y in samples]
    mt, my = statistics.fmean(ts), statistics.fmean(ys)
    var = sum((t - mt) ** 2 for t in ts)
    if var == 0:
        return None
    b = sum((t - mt) * (y - my) for t, y in zip(ts, ys)) / var
    resid = sum((y - my - b * (t - mt)) ** 2 for t, y in zip(ts, ys))
    se = (resid / (len(ts) - 2) / var) ** 0.5
    return round(60 * b, 2), round(60 * se, 2)


async def _soak(server: Server, seconds: float, clients: int, sample_s: float) -> dict[str, object]:
    """Drive the mix for `seconds` with `clients` keep-alive connections, sampling RSS."""
    counters = {kind: 0 for kind in set(MIX)}
    step = 0
    statuses: dict[str, dict[int, int]] = {kind: {} for kind in counters}
    lat: dict[str, list[float]] = {kind: [] for kind in counters}
    samples: list[tuple[float, list[float]]] = []
    start = time.perf_counter()
    stop_at = start + seconds

    def next_request() -> tuple[str, str]:
        nonlocal step
        kind = MIX[step % len(MIX)]
        step += 1
        counters[kind] += 1
        return kind, _path(kind, counters[kind])

    async def client() -> None:
        conn = await asyncio.open_connection("127.0.0.1", server.port)
        sent = 0
        try:
            while time.perf_counter() < stop_at:
                if sent and sent % RECONNECT_EVERY == 0:  # let the kernel hand it to any worker
                    conn[1].close()
                    conn = await asyncio.open_connection("127.0.0.1", server.port)
                sent += 1
                kind, path = next_request()
                t0 = time.perf_counter()
                try:
                    status, _tier = await _request(*conn, path, close=False)
                except (OSError, asyncio.IncompleteReadError):
                    conn[1].close()
                    conn = await asyncio.open_connection("127.0.0.1", server.port)
                    status = 599  # connection lost: counted as a failure
                lat[kind].append(time.perf_counter() - t0)
                statuses[kind][status] = statuses[kind].get(status, 0) + 1
        finally:
            conn[1].close()

    async def sampler() -> None:
        while time.perf_counter() < stop_at:
            samples.append((round(time.perf_counter() - start, 1), server.worker_rss_mb()))
            await asyncio.sleep(sample_s)
        samples.append((round(time.perf_counter() - start, 1), server.worker_rss_mb()))

    await asyncio.gather(sampler(), *(client() for _ in range(clients)))
    elapsed = time.perf_counter() - start
    kinds = {}
    for kind in sorted(counters):
        xs = sorted(lat[kind])
        kinds[kind] = {"n": len(xs), "per_s": round(len(xs) / elapsed, 2),
                       "p50_ms": round(statistics.median(xs) * 1000, 1) if xs else None,
                       "p99_ms": round(xs[min(len(xs) - 1, int(len(xs) * 0.99))] * 1000, 1) if xs else None,
                       "statuses": statuses[kind]}
    return {"elapsed_s": round(elapsed, 1), "kinds": kinds, "samples": samples}


def main() -> int:
    """Run the soak and print its JSON line; returns 1 when it fails (slope or 5xx)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=10.0, help="length of the run, minutes")
    ap.add_argument("--seconds", type=float, default=0.0, help="length of the run, s (overrides --minutes)")
    ap.add_argument("--workers", type=int, default=2, help="uvicorn workers")
    ap.add_argument("--clients", type=int, default=8, help="concurrent keep-alive clients")
    ap.add_argument("--sample-s", type=float, default=5.0, help="RSS sampling period, s")
    ap.add_argument("--warmup", type=float, default=0.25, help="fraction of the run left out of the slope")
    ap.add_argument("--memory-cache-mb", type=int, default=8, help="memory tier per worker, MiB")
    ap.add_argument("--max-slope", type=float, default=5.0, help="largest passing RSS slope, MB/min (workers summed)")
    args = ap.parse_args()
    seconds = args.seconds or args.minutes * 60
    sample_s = min(args.sample_s, max(1.0, seconds / 12))  # short runs still get a dozen samples
    head: dict[str, object] = {"bench": "soak", "seconds": seconds, "workers": args.workers, "clients": args.clients,
                               "memory_cache_mb": args.memory_cache_mb, "load_avg_1m_start": round(os.getloadavg()[0], 2)}
    with tempfile.TemporaryDirectory() as tmp:
        origin = Path(tmp) / "media"
        (origin / "bench").mkdir(parents=True)
        for public_id, name in PHOTOS.items():
            (origin / "bench" / f"{public_id}{Path(name).suffix}").write_bytes((IMAGES / name).read_bytes())
        server = Server(origin, workers=str(args.workers), cache=str(Path(tmp) / "cache"), focus="vision",
                        signed="none", memory_cache_mb=str(args.memory_cache_mb), render_queue="64")
        try:
            idle = server.worker_rss_mb()
            primed = _run(_prime(server.port, args.workers))
            run = _run(_soak(server, seconds, args.clients, sample_s))
            time.sleep(6.0)  # two periods of the idle trim
            after_idle = server.worker_rss_mb()
            peak = _peak_mb(server)
        finally:
            server.stop()
    samples = run.pop("samples")  # type: ignore[arg-type]
    steady = [(t, sum(rss)) for t, rss in samples if t >= args.warmup * seconds]
    per_worker = [slope_mb_per_min([(t, rss[k]) for t, rss in samples if t >= args.warmup * seconds and len(rss) > k])
                  for k in range(args.workers)]
    fit = slope_fit(steady)
    slope, slope_se = fit if fit else (None, None)
    errors = sum(n for kind in run["kinds"].values() for status, n in kind["statuses"].items() if status >= 500)  # type: ignore[union-attr]
    # growth must not be established above the bound: slope - 2 standard errors below it (a
    # 10-minute run has ~90 samples, so that is the slope itself within ~4 MB/min; a 1-minute
    # run's window is too short to tell glibc's +-50 MB swings from a trend)
    ok = slope is not None and slope - 2 * slope_se < args.max_slope and errors == 0
    result = {
        **head, **run, "load_avg_1m_end": round(os.getloadavg()[0], 2),
        "prime_statuses": primed, "rss_mb_idle": idle, "rss_mb_after_warmup": steady[0][1] if steady else None,
        "rss_mb_end": samples[-1][1], "rss_mb_after_idle_trim": after_idle, "peak_rss_mb": peak,
        "rss_slope_mb_per_min": slope, "rss_slope_se_mb_per_min": slope_se, "rss_slope_mb_per_min_per_worker": per_worker,
        "max_slope_mb_per_min": args.max_slope, "errors_5xx": errors, "ok": ok,
        "samples": samples,
    }
    print(json.dumps(result))
    return 0 if ok else 1


def _peak_mb(server: Server) -> list[float]:
    """VmHWM (peak RSS) of each worker, MB."""
    out = []
    for pid in _workers(server):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    out.append(round(int(line.split()[1]) / 1024, 1))
        except OSError:
            pass
    return out


def _workers(server: Server) -> list[int]:
    from serve import _children  # noqa: PLC0415

    return _children(server.proc.pid) or [server.proc.pid]


if __name__ == "__main__":
    sys.exit(main())
