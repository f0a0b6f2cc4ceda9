"""Render throughput: Edge's in-process renders/s divided by a bare libvips loop, same photo.

Workload: tests/images/landscape_aitzgorri.jpg (3088x2056) -> `c_fill,w_400,h_300,q_80` as
JPEG and as WebP.  Baseline: `pyvips.Image.thumbnail_buffer(src, 400, height=300,
crop="centre").write_to_buffer(".jpg"|".webp", ...)`, once with the encoder options Edge uses
(`<fmt>_ratio`: Edge's pipeline overhead; JPEG adds `optimize_coding`, ~3 % smaller files) and
once with libvips defaults (`<fmt>_ratio_default_opts`).  Both run interleaved in one process
with the libvips operation cache off (`pyvips.cache_set_max(0)`), in paired alternating
rounds; the reported ratio is the median of the per-round ratios.  Also reports the quality
`q_auto:<level>` picks for a few photos (the thresholds of edge/render/quality.py), and the
rate of a typical effects chain (`EFFECTS_CHAIN`: fill + e_sharpen + e_vibrance + l_text)
relative to the plain fill (`effects_chain_over_plain_fill`, 1.0 = free).

Prints one JSON line, e.g. ``{"jpeg_ratio": 0.99, "webp_ratio": 1.0, ...}``; target:
`jpeg_ratio` and `webp_ratio` >= 0.95.  Usage: ``python bench/render.py [--seconds 3]``.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import statistics
import time

import pyvips

from edge.render import render
from edge.url import parse

IMAGES = pathlib.Path(__file__).resolve().parent.parent / "tests" / "images"
#: The "typical effects chain" row: fill, then sharpen, vibrance and a text overlay.
EFFECTS_CHAIN = "c_fill,w_400,h_300/e_sharpen/e_vibrance/l_text:Arial_40_bold:Edge,co_white/fl_layer_apply,g_south_east,x_10,y_10/q_80"


def _rate(fn, seconds: float) -> float:
    fn()  # warm up
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        fn()
        n += 1
    return n / (time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=6.0, help="measuring time per case and side (s)")
    ap.add_argument("--rounds", type=int, default=8, help="paired rounds (median ratio reported)")
    args = ap.parse_args()
    pyvips.cache_set_max(0)
    src = (IMAGES / "landscape_aitzgorri.jpg").read_bytes()
    result: dict[str, object] = {"image": "landscape_aitzgorri.jpg", "transformation": "c_fill,w_400,h_300,q_80"}
    same_options = {  # the encoder options Edge uses for these outputs (edge/render/encode.py)
        "jpg": {"Q": 80, "optimize_coding": True, "keep": pyvips.enums.ForeignKeep.ICC},
        "webp": {"Q": 80, "keep": pyvips.enums.ForeignKeep.ICC},
    }
    for fmt in ("jpg", "webp"):
        request = parse(f"/demo/image/upload/c_fill,w_400,h_300,q_80/sample.{fmt}")
        suffix = f".{fmt}"
        name = "jpeg" if fmt == "jpg" else fmt

        def edge() -> None:
            render(src, request)

        for label, options in (("", same_options[fmt]), ("_default_opts", {"Q": 80})):

            def bare(options=options) -> None:
                pyvips.Image.thumbnail_buffer(src, 400, height=300, crop="centre").write_to_buffer(suffix, **options)

            ratios, edge_rates, bare_rates = [], [], []
            for i in range(args.rounds):  # paired, alternating rounds: robust to load drift
                slot = args.seconds / args.rounds
                if i % 2:
                    b, e = _rate(bare, slot), _rate(edge, slot)
                else:
                    e, b = _rate(edge, slot), _rate(bare, slot)
                edge_rates.append(e)
                bare_rates.append(b)
                ratios.append(e / b)
            result[f"{name}_edge_per_s{label}"] = round(statistics.median(edge_rates), 2)
            result[f"{name}_bare_per_s{label}"] = round(statistics.median(bare_rates), 2)
            result[f"{name}_ratio{label}"] = round(statistics.median(ratios), 3)
    # issue 6: a typical effects chain relative to the plain fill, same photo, JPEG q80
    plain = parse("/demo/image/upload/c_fill,w_400,h_300,q_80/sample.jpg")
    chain = parse(f"/demo/image/upload/{EFFECTS_CHAIN}/sample.jpg")
    ratios = []
    for i in range(args.rounds):
        slot = args.seconds / args.rounds
        p_rate = _rate(lambda: render(src, plain), slot)
        c_rate = _rate(lambda: render(src, chain), slot)
        ratios.append(c_rate / p_rate)
    result["effects_chain"] = EFFECTS_CHAIN
    result["effects_chain_over_plain_fill"] = round(statistics.median(ratios), 3)
    q_auto: dict[str, dict[str, int | None]] = {}
    for name in ("landscape_aitzgorri.jpg", "coffee.png", "text_scanned_page_gray.png", "kodim03_hats.png"):
        data = (IMAGES / name).read_bytes()
        q_auto[name] = {}
        for level in ("best", "good", "eco", "low"):
            out = render(data, parse(f"/demo/image/upload/w_800,c_limit,q_auto:{level}/x.jpg"))
            q_auto[name][level] = out.quality
    result["q_auto_quality_jpg_w800"] = q_auto
    print(json.dumps(result))


if __name__ == "__main__":
    main()
