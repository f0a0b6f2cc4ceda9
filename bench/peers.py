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
  each (format, server) run is done ``--rounds`` times (5 for the cold runs, 2 for ``--hits``),
  rotating which server goes first, and the rounds are summed; each ratio is also computed
  within every round (the servers of a round ran back to back, on the same host speed) and
  the median over the rounds reported (``*_median_of_rounds``; the per-round values in
  ``rounds_*``): that is the figure to judge Edge against sharp by, since the host's speed
  drifts by more than their difference between rounds.
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

Usage: ``python bench/peers.py [--requests 60] [--clients 8] [--rounds 5] [--formats jpg,webp]
[--thumbor-venv DIR] [--sharp-dir DIR] [--skip thumbor,sharp] [--hits]`` (``--thumbor-venv`` /
``--sharp-dir`` reuse an existing install).  Takes 2-5 minutes (installs included).
Reference numbers for thumbor on this class of machine: docs/peers.md, Part B2.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

# the pieces live in bench/peers_*.py; these names stay importable from here
# (bench/peers_hits.py: Process, _free_port, _thumbor_conf, edge_path, thumbor_path)
from peers_runner import _bench, _check_output, _load, _ratios, _rss_cell, _summary, markdown  # noqa: F401
from peers_servers import (  # noqa: F401
    RAW_LOOP, SHARP_SERVER, Process, _cmdline, _descendants, _free_port, _install_sharp, _install_thumbor,
    _raw_loop, _thumbor_conf, _thumbor_in,
)
from peers_workload import PHOTO, PUBLIC_ID, REPO, UrlFn, _size, edge_path, sharp_path, thumbor_path  # noqa: F401


def main() -> int:
    """Run the benchmark and print one JSON line (and the Markdown table on stderr); returns
    the exit status (1 when Edge or a peer that did install fails to start or answers wrongly)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--requests", type=int, default=60, help="requests per (format, server, round)")
    ap.add_argument("--clients", type=int, default=8, help="concurrent clients")
    ap.add_argument("--seconds", type=float, default=60.0, help="time bound of each run, s")
    ap.add_argument("--rounds", type=int, default=None,
                    help="rounds, rotating which server goes first (default 5 cold, 2 with --hits)")
    ap.add_argument("--formats", default="jpg,webp", help="output formats, comma-separated (jpg, webp)")
    ap.add_argument("--thumbor-venv", type=Path, default=None, help="reuse this venv instead of installing")
    ap.add_argument("--sharp-dir", type=Path, default=None, help="reuse this npm folder (holding node_modules/sharp)")
    ap.add_argument("--skip", default="", help="peers to leave out, comma-separated (thumbor, sharp)")
    ap.add_argument("--hits", action="store_true", help="cached answers instead: Edge memory and disk tier, thumbor result storage")
    ap.add_argument("--hit-clients", type=int, default=16, help="keep-alive clients of --hits")
    ap.add_argument("--hit-seconds", type=float, default=5.0, help="seconds per --hits round")
    args = ap.parse_args()
    if args.rounds is None:
        args.rounds = 2 if args.hits else 5
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
