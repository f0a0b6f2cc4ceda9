"""Bounded fuzz of a live `edge serve` (issue 9, "tests that must exist"): 10,000 seeded random
and mutated delivery URLs (deep chains, huge numbers, long components, signature segments,
mutations of real URLs) against a real uvicorn with 2 worker processes.  Every answer is a
status below 500, or 503 with Retry-After; no connection is reset; errors carry X-Cld-Error;
the same worker processes are alive at the end (none crashed and was replaced)."""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import subprocess
import sys
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from edge_live import IMAGES, SECRET, free_port, stop_process

N_URLS = 10_000
SEED = 20261203
CONCURRENCY = 12

#: originals of the fuzzed server (small photos: the fuzz is about URLs, not pixels)
FILES = {"hopper.jpg": "tiny_hopper_128.jpg", "logo.png": "alpha_logo_rgba.png",
         "cradle.gif": "animated_tiny.gif", "broken.jpg": "broken_truncated.jpg",
         "s/coffee.png": "coffee.png"}

SEEDS = [
    "/demo/image/upload/c_fill,w_40,h_30/hopper.jpg",
    "/demo/image/upload/c_fill,g_auto,w_40,h_40/v12/hopper.png",
    "/demo/image/upload/e_sepia/r_10/bo_2px_solid_red/hopper.webp",
    "/demo/image/upload/w_0.5,c_scale/q_auto/f_auto/hopper",
    "/image/upload/c_pad,w_50,h_50,b_blue/logo.png",
    "/demo/image/upload/l_text:Arial_12:Hi%20there,b_black,co_white,g_south/fl_layer_apply/hopper.jpg",
    "/demo/image/upload/l_logo/c_scale,w_20/fl_layer_apply,g_north_east/hopper.jpg",
    "/demo/image/upload/if_w_gt_100,w_50,c_scale/if_end/hopper.jpg",
    "/demo/image/upload/$v_30,w_$v,c_scale/hopper.jpg",
    "/demo/image/private/s--AAAAAAAA--/hopper.jpg",
    "/demo/image/upload/a_45,e_blur:300,o_50/cradle.gif",
    "/demo/image/upload/d_hopper.jpg/missing.jpg",
    "/demo/images/c_scale,w_30/hopper/seo-name.jpg",
    "/demo/image/upload/fl_attachment:x,w_20,c_scale/hopper.jpg",
    "/demo/image/upload/c_crop,x_10,y_10,w_20,h_20/e_pixelate:5/s/coffee.png",
    "/demo/image/upload/c_scale,w_auto:50,dpr_auto/hopper.jpg",
    "/demo/image/upload/e_sharpen/e_vibrance/e_oil_paint/hopper.jpg",
    "/demo/image/upload/c_thumb,w_30,h_30,r_max/fl_getinfo/hopper.json",
    "/demo/image/upload/w_30/broken.jpg",
    "/demo/image/upload/w_30/hopper.svg",
]
ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_,/:.-$!%()~;=@+*'&"
TOKENS = ["w_", "h_", "c_", "g_", "e_", "fl_", "l_", "/", ",", "_", ":", "..", "%2F", "%25", "%00", "%zz",
          "s--", "s----", "v1", "auto", "-1", "99999", "0", "0.0", "1e9", "nan", "inf", "(", ")", "!", "$x",
          "if_", "if_end", "if_else", "fl_layer_apply", "l_text:", "u_", "t_", "bl_", "x", "%C3%A9", "%E9",
          ".jpg", ".png", ".gif", ".bmp", "e_blur:2000", "dpr_auto", "w_auto", "ar_0:0"]
#: building blocks of deep chains: costly and cheap components, layers, conditionals
PIECES = ["e_blur:50", "e_blur:2000", "e_sharpen", "e_vibrance:80", "e_grayscale", "c_scale,w_1.0",
          "c_scale,w_0.9", "a_90", "a_33", "r_3", "bo_1px_solid_red", "o_90", "l_text:Arial_10:x/fl_layer_apply",
          "l_logo/fl_layer_apply", "if_w_gt_10", "if_else", "if_end", "$a_5", "e_blur:$a", "c_pad,w_1.1,b_red",
          "q_auto", "f_auto", "e_pixelate:3", "e_outline", "e_shadow", "t_none"]
HUGE = ["1e308", "99999999999999999999999", "1e400", "-1e308", "4294967297", "0.0000000001", "nan", "inf",
        "8193", "65535", "1" * 300, "-0", "2147483648"]
KEYS_WITH_NUMBERS = ["w_{}", "h_{}", "c_scale,w_{}", "c_fill,w_{},h_{}", "e_blur:{}", "e_sharpen:{}", "dpr_{}",
                     "q_{}", "a_{}", "r_{}", "o_{}", "x_{},y_{},c_crop,w_10,h_10", "bo_{}px_solid_red",
                     "ar_{}:1,c_fill,w_20", "$x_{}/w_$x,c_scale", "z_{},c_thumb,w_20,h_20", "pg_{}",
                     "e_pixelate:{}", "c_pad,w_{},h_10", "l_text:Arial_{}:a/fl_layer_apply", "w_iw_mul_{},c_scale"]


def _mutate(rng: random.Random, path: str) -> str:
    chars = list(path)
    for _ in range(rng.randint(1, 5)):
        op = rng.randrange(6)
        i = rng.randrange(len(chars) + 1)
        if op == 0 and chars:
            del chars[min(i, len(chars) - 1)]
        elif op == 1:
            chars.insert(i, rng.choice(ALPHABET))
        elif op == 2:
            chars[i:i] = list(rng.choice(TOKENS))
        elif op == 3 and chars:
            j = rng.randrange(len(chars))
            chars[i:i] = chars[j:j + rng.randint(1, 16)]
        elif op == 4:
            segs = "".join(chars).split("/")
            middle = segs[3:-1]
            rng.shuffle(middle)
            chars = list("/".join(segs[:3] + middle + segs[-1:]))
        else:
            chars[i:i] = list(rng.choice(HUGE))
    out = "".join(chars)
    return out if out.startswith("/") else "/" + out


def _deep(rng: random.Random) -> str:
    n = rng.choice([rng.randint(1, 45), rng.randint(30, 60), rng.randint(100, 900)])
    chain = "/".join(rng.choice(PIECES) for _ in range(n))
    return f"/demo/image/upload/{chain}/{rng.choice(['hopper.jpg', 's/coffee.png', 'cradle.gif', 'logo.png'])}"


def _huge(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(1, 3)):
        template = rng.choice(KEYS_WITH_NUMBERS)
        parts.append(template.replace("{}", rng.choice(HUGE)))
    return f"/demo/image/upload/{'/'.join(parts)}/hopper.jpg"


def _long(rng: random.Random) -> str:
    kind = rng.randrange(5)
    if kind == 0:  # a long text layer
        text = "".join(rng.choice("abc%20XYZ") for _ in range(rng.randint(500, 4000)))
        return f"/demo/image/upload/l_text:Arial_{rng.choice([8, 40, 200])}:{text}/fl_layer_apply/hopper.jpg"
    if kind == 1:  # one component with very many params
        comp = ",".join(rng.choice(["w_10", "h_10", "c_fill", "e_blur", "q_50", "g_north", "fl_lossy"]) for _ in range(rng.randint(50, 800)))
        return f"/demo/image/upload/{comp}/hopper.jpg"
    if kind == 2:  # a long public ID
        return "/demo/image/upload/w_10/" + "/".join("d" * rng.randint(1, 200) for _ in range(rng.randint(5, 60))) + ".jpg"
    if kind == 3:  # a path over the parser's 8 KB limit
        return "/demo/image/upload/" + "w_1/" * rng.randint(2100, 3000) + "hopper.jpg"
    return "/demo/image/upload/t_" + ".".join(rng.choice(["a", "bb", "none"]) for _ in range(rng.randint(50, 1500))) + "/hopper.jpg"


def _signature(rng: random.Random) -> str:
    body = "".join(rng.choice(ALPHABET[:64] + "-_") for _ in range(rng.choice([0, 1, 7, 8, 9, 31, 32, 33])))
    where = rng.randrange(3)
    if where == 0:
        return f"/demo/image/upload/s--{body}--/w_20/hopper.jpg"
    if where == 1:
        return f"/demo/image/upload/w_20/s--{body}--/hopper.jpg"
    return f"/demo/image/authenticated/s--{body}--/hopper.jpg"


def _random_path(rng: random.Random) -> str:
    segs = ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 16))) for _ in range(rng.randint(1, 10))]
    return "/" + "/".join(segs)


def fuzz_paths(n: int = N_URLS, seed: int = SEED) -> list[str]:
    """`n` request targets from a seeded generator (the same list on every run)."""
    rng = random.Random(seed)
    makers = [(_mutate, 0.45), (_deep, 0.2), (_huge, 0.15), (_long, 0.05), (_signature, 0.05), (_random_path, 0.1)]
    paths = []
    for _ in range(n):
        r = rng.random()
        for maker, weight in makers:
            r -= weight
            if r < 0:
                break
        path = maker(rng, rng.choice(SEEDS)) if maker is _mutate else maker(rng)
        paths.append(path.replace(" ", "%20").replace("?", "%3F").replace("#", "%23"))
    return paths


def _children(pid: int) -> set[int]:
    """Child process ids of `pid` (Linux /proc)."""
    out: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        out.update(int(t) for t in text)
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


@contextmanager
def _edge_serve(tmp: Path, workers: int = 2) -> Iterator[tuple[str, subprocess.Popen]]:
    origin = tmp / "media"
    for public, name in FILES.items():
        (origin / public).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(IMAGES / name, origin / public)
    port = free_port()
    (tmp / "tmp").mkdir(exist_ok=True)
    proc = subprocess.Popen(
        [sys.executable, "-m", "edge.cli", "serve", "--port", str(port), "--workers", str(workers),
         "--origin", str(origin), "--cache", "none", "--focus", "none", "--log-level", "error",
         "--api-secret", SECRET, "--render-timeout-s", "20"],
        env={**os.environ, "TMPDIR": str(tmp / "tmp")}, cwd=tmp, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=open(tmp / "stderr.log", "wb"),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "edge serve did not start"
            time.sleep(0.2)
        yield base, proc
    finally:
        stop_process(proc, grace_s=10)


def test_generator_covers_the_families() -> None:
    paths = fuzz_paths()
    assert len(paths) == N_URLS and len(set(paths)) > 0.9 * N_URLS
    assert paths == fuzz_paths()  # seeded: the same list every run
    assert sum(p.count("/") > 100 for p in paths) > 300  # deep chains
    assert sum(len(p) > 8192 for p in paths) > 20  # past the parser's path limit
    assert any("1e308" in p for p in paths) and any("s--" in p for p in paths)


@pytest.mark.slow
def test_ten_thousand_fuzzed_urls_against_edge_serve(tmp_path: Path) -> None:
    paths = fuzz_paths()
    with _edge_serve(tmp_path) as (base, proc):
        deadline = time.monotonic() + 30
        workers = _children(proc.pid)
        while len([p for p in workers if _alive(p)]) < 3 and time.monotonic() < deadline:
            time.sleep(0.2)  # 2 workers (+ multiprocessing's resource tracker)
            workers = _children(proc.pid)
        assert len(workers) >= 2, workers

        async def main() -> list[tuple[str, int, dict[str, str] | None, str | None]]:
            sem = asyncio.Semaphore(CONCURRENCY)
            limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
            async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
                async def one(p: str):
                    async with sem:
                        try:
                            r = await client.request("GET", "/", extensions={"target": p.encode("latin-1")})
                        except httpx.TransportError as exc:  # a reset or a dropped connection
                            return p, -1, None, f"{type(exc).__name__}: {exc}"
                        return p, r.status_code, dict(r.headers), None
                return await asyncio.gather(*(one(p) for p in paths))

        t0 = time.monotonic()
        results = asyncio.run(main())
        elapsed = time.monotonic() - t0
        assert httpx.get(f"{base}/healthz").status_code == 200
        after = _children(proc.pid)
        alive = all(_alive(p) for p in workers)
        stderr = (tmp_path / "stderr.log").read_text(errors="replace")

    transport = [(p[:120], e) for p, s, _, e in results if e]
    assert not transport, transport[:5]
    bad = [(p[:120], s, h.get("x-cld-error")) for p, s, h, _ in results
           if s >= 500 and not (s == 503 and "retry-after" in h)]
    assert not bad, bad[:10]
    no_reason = [(p[:120], s) for p, s, h, _ in results if s >= 400 and "x-cld-error" not in h]
    assert not no_reason, no_reason[:10]
    assert after == workers and alive, (workers, after, stderr[-2000:])
    assert "Traceback" not in stderr, stderr[-3000:]
    statuses = Counter(s for _, s, _, _ in results)
    assert statuses[200] > 250 and statuses[400] > 3000 and statuses[401] > 50 and statuses[404] > 50, statuses
    print(f"\n{N_URLS} fuzzed URLs in {elapsed:.1f} s, statuses {dict(sorted(statuses.items()))}")
