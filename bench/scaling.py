"""Scaling table: time and memory per render against source size, output size and concurrency.

So users can size machines.  Sources: tests/images/landscape_aitzgorri.jpg (3088x2056, a real
photo) resized with pyvips (`Image.resize`, lanczos3) to 0.3, 3, 12, 24 and 50 MP (the
default `max_source_pixels` is 50,000,000, so "50 MP" is just under it) and saved as baseline
JPEG q90 (what cameras and phones write), into a throw-away temp dir.  Work:
`c_fill,w_<W>,h_<3W/4>,q_80` JPEG through `edge.render.render` (the server's render call),
libvips operation cache off, as in the server (`edge.server.memory`).

Rows:
- `size`: every source x output width 100, 400, 1000, 2000 px (outputs larger than the source
  are left out, as `c_fill` would upscale).  Each case runs in a fresh subprocess (so its peak
  RSS is its own): `ms` = median wall time of `--repeat` renders (one thread), `cpu_ms` =
  process CPU per render (libvips threads included), `peak_mb` = peak RSS (VmHWM) minus
  the RSS after imports and reading the source bytes, i.e. what one render adds.
- `concurrency`: 1, 4, 16 and 64 client threads rendering 400x300 from the 12 MP and the 50 MP
  source (each request a distinct size, as a cold server sees), `--seconds` each, in a fresh
  subprocess: renders/s, p50 and p99 latency (ms), peak RSS added (MB).

Prints one JSON line with every row, then a Markdown table (for the README) on stderr.
Usage: ``python bench/scaling.py [--repeat 3] [--seconds 4] [--json-only] [--clients 1,4,16,64]
[--no-size]`` (``--no-size``: only the concurrency rows).  Takes about 1-3 minutes on a 2-core
machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PHOTO = REPO / "tests" / "images" / "landscape_aitzgorri.jpg"
SOURCE_MP = (0.3, 3, 12, 24, 50)
OUTPUT_WIDTHS = (100, 400, 1000, 2000)
CONCURRENCY = (1, 4, 16, 64)
CONCURRENCY_SOURCES = (12, 50)
MAX_PIXELS = 50_000_000

_CHILD = r'''
import json, statistics, sys, threading, time
import pyvips
from edge.render import render
from edge.url import parse
pyvips.cache_set_max(0)
mode, path, arg, repeat, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
src = open(path, "rb").read()
def status_mb(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) / 1024
base = status_mb("VmRSS:")
def url(w, h):
    return parse(f"/demo/image/upload/c_fill,w_{w},h_{h},q_80/x.jpg")
if mode == "size":
    w, h = arg, arg * 3 // 4
    times, cpus, out = [], [], 0
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        out = len(render(src, url(w, h)).data)
        times.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    peak = status_mb("VmHWM:")  # not ru_maxrss: Linux carries that over from the parent across exec
    print(json.dumps({"ms": round(statistics.median(times) * 1000, 1),
                      "cpu_ms": round(statistics.median(cpus) * 1000, 1),
                      "peak_mb": round(peak - base, 1), "out_bytes": out}))
else:
    clients = arg
    lat, lock, nxt = [], threading.Lock(), [0]
    render(src, url(400, 300))  # warm up
    stop = time.perf_counter() + seconds
    def worker():
        while time.perf_counter() < stop:
            with lock:
                i = nxt[0]; nxt[0] += 1
            t = time.perf_counter()
            render(src, url(400 + i % 40, 300 + (i // 40) % 40))
            with lock:
                lat.append(time.perf_counter() - t)
    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads: t.start()
    for t in threads: t.join()
    elapsed = time.perf_counter() - t0
    lat.sort()
    peak = status_mb("VmHWM:")  # not ru_maxrss: Linux carries that over from the parent across exec
    print(json.dumps({"renders_per_s": round(len(lat) / elapsed, 2), "n": len(lat),
                      "p50_ms": round(lat[len(lat) // 2] * 1000, 1),
                      "p99_ms": round(lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000, 1),
                      "peak_mb": round(peak - base, 1)}))
'''


def make_sources(tmp: Path) -> dict[float, tuple[Path, int, int]]:
    """Resize the photo to each of `SOURCE_MP` megapixels (baseline JPEG q90); MP -> (path, w, h)."""
    import pyvips

    photo = pyvips.Image.new_from_file(str(PHOTO))
    out: dict[float, tuple[Path, int, int]] = {}
    for mp in SOURCE_MP:
        pixels = min(mp * 1e6, MAX_PIXELS - 1)
        k = (pixels / (photo.width * photo.height)) ** 0.5
        image = photo.resize(k, kernel="lanczos3")
        while image.width * image.height > MAX_PIXELS:  # rounding: stay under the limit
            image = image.crop(0, 0, image.width - 1, image.height)
        path = tmp / f"source_{mp}mp.jpg"
        image.jpegsave(str(path), Q=90)
        out[mp] = (path, image.width, image.height)
    return out


def _child(mode: str, path: Path, arg: int, repeat: int, seconds: float) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    run = subprocess.run([sys.executable, "-c", _CHILD, mode, str(path), str(arg), str(repeat), str(seconds)],
                         capture_output=True, text=True, timeout=600, env=env)
    if run.returncode != 0:
        return {"error": run.stderr.strip().splitlines()[-1][:200] if run.stderr.strip() else f"rc {run.returncode}"}
    return json.loads(run.stdout.strip().splitlines()[-1])


def markdown(result: dict[str, object]) -> str:
    """The README tables of `result`."""
    lines = ["| source | output | ms per render | CPU ms | peak RSS added (MB) |", "|---|---|---|---|---|"]
    for row in result["size"]:  # type: ignore[union-attr]
        lines.append(f"| {row['source']} | {row['output']} | {row.get('ms')} | {row.get('cpu_ms')} | {row.get('peak_mb')} |")
    lines += ["", "| source | clients | renders/s | p50 ms | p99 ms | peak RSS added (MB) |", "|---|---|---|---|---|---|"]
    for row in result["concurrency"]:  # type: ignore[union-attr]
        lines.append(f"| {row['source']} | {row['clients']} | {row.get('renders_per_s')} | {row.get('p50_ms')} | "
                     f"{row.get('p99_ms')} | {row.get('peak_mb')} |")
    return "\n".join(lines)


def main() -> None:
    """Build the sources, run every row (see the module docstring), print JSON and Markdown."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3, help="renders per (source, output) case")
    ap.add_argument("--seconds", type=float, default=4.0, help="measuring time per concurrency case, s")
    ap.add_argument("--json-only", action="store_true", help="no Markdown table on stderr")
    ap.add_argument("--clients", default=",".join(map(str, CONCURRENCY)), help="client threads of the concurrency rows, comma-separated")
    ap.add_argument("--no-size", action="store_true", help="only the concurrency rows")
    args = ap.parse_args()
    clients_list = [int(c) for c in args.clients.split(",") if c]
    result: dict[str, object] = {"bench": "scaling", "cores": len(os.sched_getaffinity(0)),
                                 "load_avg": os.getloadavg()[0], "size": [], "concurrency": []}
    with tempfile.TemporaryDirectory(prefix="edge-scaling-") as tmp:
        sources = make_sources(Path(tmp))
        for mp, (path, w, h) in sources.items():
            label = f"{mp} MP ({w}x{h}, {path.stat().st_size // 1024} KB)"
            for width in () if args.no_size else OUTPUT_WIDTHS:
                if width > w or width * 3 // 4 > h:
                    continue
                row = _child("size", path, width, args.repeat, 0)
                result["size"].append({"source": label, "output": f"{width}x{width * 3 // 4}", **row})  # type: ignore[union-attr]
        for mp in CONCURRENCY_SOURCES:
            path, w, h = sources[mp]
            for clients in clients_list:
                row = _child("concurrency", path, clients, 0, args.seconds)
                result["concurrency"].append({"source": f"{mp} MP", "clients": clients, **row})  # type: ignore[union-attr]
    print(json.dumps(result))
    if not args.json_only:
        print(markdown(result), file=sys.stderr)


if __name__ == "__main__":
    main()
