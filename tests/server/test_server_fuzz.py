"""1,000 random and mutated delivery paths against a real server: never a 5xx, always a
status with `X-Cld-Error` when not 2xx/304."""

from __future__ import annotations

import asyncio
import random
import string
from pathlib import Path

import httpx

from edge_live import server_with

SEEDS = [
    "/demo/image/upload/c_fill,w_40,h_30/hopper.jpg",
    "/demo/image/upload/c_fill,g_auto,w_40,h_40/v12/hopper.png",
    "/demo/image/upload/e_sepia/r_10/bo_2px_solid_red/hopper.webp",
    "/demo/image/upload/w_0.5,c_scale/q_auto/f_auto/hopper",
    "/image/upload/c_pad,w_50,h_50,b_blue/hopper.jpg",
    "/demo/image/upload/l_text:Arial_12:Hi%20there,g_south/fl_layer_apply/hopper.jpg",
    "/demo/image/upload/if_w_gt_100,w_50,c_scale/if_end/hopper.jpg",
    "/demo/image/upload/$v_30,w_$v,c_scale/hopper.jpg",
    "/demo/image/private/s--AAAAAAAA--/hopper.jpg",
    "/demo/image/fetch/c_scale,w_20/https://example.com/x.jpg",
    "/demo/image/upload/a_90,e_blur:300,o_50/hopper.gif",
    "/demo/image/upload/d_hopper.jpg/missing.jpg",
    "/demo/images/c_scale,w_30/hopper/seo-name.jpg",
    "/demo/image/upload/fl_attachment:x,w_20,c_scale/hopper.jpg",
    "/demo/image/upload/c_crop,x_10,y_10,w_20,h_20/e_pixelate:5/hopper.jpg",
]
ALPHABET = string.ascii_letters + string.digits + "_,/:.-$!%()~;=@+*'&"
TOKENS = ["w_", "h_", "c_", "g_", "e_", "fl_", "l_", "/", ",", "_", ":", "..", "%2F", "%25", "%00", "%zz",
          "s--", "v1", "auto", "-1", "99999", "0", "0.0", "1e9", "nan", "(", ")", "!", "$x", "if_", "if_end",
          "fl_layer_apply", "l_text:", "u_", "t_", "bl_", "x", "%C3%A9", "%E9", ".jpg", ".png", ".gif"]


def _mutate(rng: random.Random, path: str) -> str:
    chars = list(path)
    for _ in range(rng.randint(1, 4)):
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
            chars[i:i] = chars[j:j + rng.randint(1, 12)]
        elif op == 4:
            segs = "".join(chars).split("/")
            rng.shuffle(segs[3:-1])
            chars = list("/".join(segs))
        else:
            chars[i:i] = list(str(rng.choice([0, -3, 1.5, 7, 4000, 10**12])))
    out = "".join(chars)
    return out if out.startswith("/") else "/" + out


def _random_path(rng: random.Random) -> str:
    n = rng.randint(1, 8)
    segs = ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 12))) for _ in range(n)]
    return "/" + "/".join(segs)


def test_thousand_random_and_mutated_paths_never_5xx(origin_dir: Path) -> None:
    rng = random.Random(20261122)
    paths = [_mutate(rng, rng.choice(SEEDS)) for _ in range(800)] + [_random_path(rng) for _ in range(200)]
    paths = [p.replace(" ", "%20") for p in paths]
    assert len(paths) == 1000

    with server_with(origin_dir, render_queue=16, render_timeout_s=60) as live:
        async def main() -> list[tuple[str, int, str | None]]:
            sem = asyncio.Semaphore(6)
            async with httpx.AsyncClient(base_url=live.url, timeout=120) as client:
                async def one(p: str) -> tuple[str, int, str | None]:
                    async with sem:
                        r = await client.request("GET", "/", extensions={"target": p.encode()})
                        return p, r.status_code, r.headers.get("x-cld-error")
                return await asyncio.gather(*(one(p) for p in paths))

        results = asyncio.run(main())
    bad = [(p, s, e) for p, s, e in results if s >= 500]
    assert not bad, bad[:10]
    missing_reason = [(p, s) for p, s, e in results if s >= 400 and not e]
    assert not missing_reason, missing_reason[:10]
    statuses = {s for _, s, _ in results}
    assert 200 in statuses and 400 in statuses and 404 in statuses  # the mix exercised real paths
