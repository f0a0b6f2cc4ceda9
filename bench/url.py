"""Benchmark of the delivery-URL layer: parse + canonical + verify_signature throughput.

Prints one JSON line: URLs/s cold (distinct URLs, every parse cache emptied before each URL,
so no LRU hits at any level) and warm (the same URLs again, caches filled), single core.
Run: `python bench/url.py [--n 3000]`.  Target (issue 2): cold >= 5,000 URLs/s per core.
"""

from __future__ import annotations

import argparse
import json
import random
import time

import edge.url as url
from edge.url.grammar import value_parser
from edge.url.parser import clear_cache

SECRET = "bench-secret"


def make_urls(n: int, seed: int = 1) -> list[str]:
    """`n` distinct signed paths with realistic components (sizes, crops, gravities, effects,
    qualities, overlays, conditionals, expressions)."""
    r = random.Random(seed)
    crops = ["fill", "fit", "limit", "pad", "thumb", "crop", "scale", "auto", "lfill"]
    gravs = ["auto", "auto:subject", "face", "north_east", "auto:dog_avoid", "cat:auto:dog", "coco_v2_car", "center"]
    extra = ["e_sharpen:80", "e_sepia", "e_extract:prompt_earring;multiple_true", "e_blur:300", "f_auto",
             "q_auto:good", "q_80:420", "dpr_2.0", "b_rgb:ff0000", "bo_4px_solid_red", "a_hflip.45", "r_max",
             "fl_lossy.progressive", "o_70", "e_zoompan:from_(g_hat;zoom_4.5);to_(g_auto;zoom_1)"]
    out = []
    for i in range(n):
        comps = [f"c_{r.choice(crops)},g_{r.choice(gravs)},h_{r.randint(10, 2000)},w_{r.randint(10, 2000)}"]
        for _ in range(r.randint(1, 3)):
            comps.append(r.choice(extra))
        if r.random() < 0.2:
            comps += [f"l_text:Arial_{r.randint(8, 80)}:Hello%252C%20world", "fl_layer_apply,g_south,y_20"]
        if r.random() < 0.15:
            comps += [f"if_w_gt_{r.randint(100, 2000)}", "w_iw_div_2", "if_end"]
        path = f"/demo/image/upload/{'/'.join(comps)}/v{r.randint(1, 10**9)}/folder/photo_{i}.jpg"
        out.append(url.sign_path(path, SECRET))
    return out


def run(paths: list[str], *, cold: bool) -> float:
    """URLs/s of parse + canonical + verify over `paths`."""
    start = time.perf_counter()
    for p in paths:
        if cold:
            clear_cache()
        request = url.parse(p)
        url.canonical(request)
        if not url.verify_signature(p, SECRET):
            raise AssertionError(p)
    return len(paths) / (time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=3000)
    args = ap.parse_args()
    paths = make_urls(args.n)
    value_parser()  # build the Lark parser once, outside the measurement (as a server does at start)
    cold = run(paths, cold=True)
    run(paths, cold=False)
    warm = run(paths, cold=False)
    print(json.dumps({"bench": "url", "n": len(paths), "cold_urls_per_s": round(cold), "warm_urls_per_s": round(warm),
                      "warm_over_cold": round(warm / cold, 2), "target_cold_urls_per_s": 5000}))


if __name__ == "__main__":
    main()
