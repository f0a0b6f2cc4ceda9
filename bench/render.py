"""Render throughput: Edge's in-process renders/s divided by a bare libvips loop, same photo.

Workload: tests/images/landscape_aitzgorri.jpg (3088x2056) -> `c_fill,w_400,h_300,q_80` as
JPEG and as WebP.  Baseline: `pyvips.Image.thumbnail_buffer(src, 400, height=300,
crop="centre").write_to_buffer(".jpg"|".webp", ...)`, once with the encoder options Edge uses
(`<fmt>_ratio`: Edge's pipeline overhead; JPEG adds `optimize_coding`, ~3 % smaller files) and
once with libvips defaults (`<fmt>_ratio_default_opts`).  Both run interleaved in one process
with the libvips operation cache off (`pyvips.cache_set_max(0)`), in paired alternating
rounds; the reported ratio is the median of the per-round ratios.  Also reports, at
`w_800,c_limit`, the quality `q_auto:<level>` picks for a few photos and graphics (JPEG; the
first two also as WebP and AVIF), its output bytes relative to the same format at `q_80`
(`q_auto_bytes_vs_q80_*`), and the cost of the search (`q_auto_good_time_over_q80_jpg_w800`:
render time with `q_auto:good` over render time with `q_80`, 1.0 = free), and the
rate of a typical effects chain (`EFFECTS_CHAIN`: fill + e_sharpen + e_vibrance + l_text)
relative to the plain fill (`effects_chain_over_plain_fill`, 1.0 = free).

`q_auto_cpu` (issue 16: "q_auto adds at most 10 ms per render on the bench photo"): the CPU
time (`time.process_time`, libvips on one thread, `pyvips.concurrency_set(1)`) of
`c_fill,w_400,h_300` with `q_auto`, `q_auto:good` and, as WebP, `f_webp,q_auto`, against the
same render with `q_80`, through the real `render()`; `--cpu-rounds` interleaved rounds of
`--cpu-renders` renders per side (which side goes first alternates), and per case the median
of the per-round differences (`extra_ms`), the median plain render (`plain_ms`) and their
ratio `extra_over_plain`.  Target: `extra_over_plain` <= 0.19, because absolute ms do not
carry between machines and the issue's 10 ms were measured where Edge's plain render cost
53.2 ms of server CPU (issue 16's table): 10 / 53.2 = 0.19 (this 2-core box is ~3x slower:
~130 ms per plain JPEG render).  CPU time, not wall time, so other work on the machine moves
it little (it still shares caches and cores: repeat a run to judge the noise).

Instruction counts (deterministic, the way issue 16's profiles were made): ``--renders N
--url PATH`` renders PATH N times and exits; run it under ``VIPS_CONCURRENCY=1 valgrind
--tool=callgrind`` with N = 1 and N = 3, and (I3 - I1) / 2 is the count per render with the
start-up cancelled.

Prints one JSON line, e.g. ``{"jpeg_ratio": 0.99, "webp_ratio": 1.0, ...}``; target:
`jpeg_ratio` and `webp_ratio` >= 0.95.  Usage: ``python bench/render.py [--seconds 3]
[--only q_auto_cpu]``.
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
#: Photos and graphics of the q_auto rows (the first two also as WebP and AVIF).
Q_AUTO_IMAGES = (
    "landscape_aitzgorri.jpg", "kodim03_hats.png", "coffee.png", "cat_chelsea.png",
    "text_scanned_page_gray.png", "alpha_logo_rgba.png", "product_sneakers_white_bg.jpg",
)
#: The "typical effects chain" row: fill, then sharpen, vibrance and a text overlay.
EFFECTS_CHAIN = "c_fill,w_400,h_300/e_sharpen/e_vibrance/l_text:Arial_40_bold:Edge,co_white/fl_layer_apply,g_south_east,x_10,y_10/q_80"


def _rate(fn, seconds: float) -> float:
    fn()  # warm up
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        fn()
        n += 1
    return n / (time.perf_counter() - start)


#: issue 16's q_auto target as a share of a plain render's CPU: 10 ms over 53.2 ms
Q_AUTO_TARGET = round(10 / 53.2, 2)
#: case -> (plain transformation URL path, q_auto one), `c_fill,w_400,h_300` of the bench photo
Q_AUTO_CASES = {
    "jpg_q_auto": ("c_fill,w_400,h_300,q_80/x.jpg", "c_fill,w_400,h_300,q_auto/x.jpg"),
    "jpg_q_auto:good": ("c_fill,w_400,h_300,q_80/x.jpg", "c_fill,w_400,h_300,q_auto:good/x.jpg"),
    "webp_q_auto": ("c_fill,w_400,h_300,f_webp,q_80/x.jpg", "c_fill,w_400,h_300,f_webp,q_auto/x.jpg"),
}


def _cpu_ms(fn, renders: int) -> float:
    """CPU time of this process (ms) per call of `fn`, over `renders` calls."""
    start = time.process_time()
    for _ in range(renders):
        fn()
    return (time.process_time() - start) * 1000 / renders


def q_auto_cpu(src: bytes, rounds: int, renders: int) -> dict[str, dict[str, float]]:
    """Per case of `Q_AUTO_CASES`: `plain_ms` (median CPU ms of the q_80 render), `auto_ms`,
    `extra_ms` (median over `rounds` interleaved rounds of auto minus plain, `renders` renders
    per side and round), `extra_over_plain` and the `target` (see the module docstring)."""
    pyvips.concurrency_set(1)
    out: dict[str, dict[str, float]] = {}
    for case, (plain_path, auto_path) in Q_AUTO_CASES.items():
        plain, auto = parse(f"/demo/image/upload/{plain_path}"), parse(f"/demo/image/upload/{auto_path}")
        render(src, plain), render(src, auto)  # warm up
        plains, autos, extras = [], [], []
        for i in range(rounds):
            if i % 2:
                a = _cpu_ms(lambda: render(src, auto), renders)
                p = _cpu_ms(lambda: render(src, plain), renders)
            else:
                p = _cpu_ms(lambda: render(src, plain), renders)
                a = _cpu_ms(lambda: render(src, auto), renders)
            plains.append(p), autos.append(a), extras.append(a - p)
        p_ms, extra = statistics.median(plains), statistics.median(extras)
        out[case] = {
            "plain_ms": round(p_ms, 1), "auto_ms": round(statistics.median(autos), 1), "extra_ms": round(extra, 1),
            "extra_over_plain": round(extra / p_ms, 3), "target": Q_AUTO_TARGET,
            "quality": render(src, auto).quality,
        }
    return out


def main() -> None:
    """Measure every row (see the module docstring) and print them as one JSON line."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=6.0, help="measuring time per case and side (s)")
    ap.add_argument("--rounds", type=int, default=8, help="paired rounds (median ratio reported)")
    ap.add_argument("--cpu-rounds", type=int, default=9, help="interleaved rounds of the q_auto CPU rows")
    ap.add_argument("--cpu-renders", type=int, default=3, help="renders per side and round of the q_auto CPU rows")
    ap.add_argument("--only", choices=["q_auto_cpu"], default=None, help="measure only these rows")
    ap.add_argument("--renders", type=int, default=None, help="render --url N times and exit (for callgrind)")
    ap.add_argument("--url", default="/demo/image/upload/c_fill,w_400,h_300,q_80/x.jpg", help="URL path of --renders")
    args = ap.parse_args()
    pyvips.cache_set_max(0)
    src = (IMAGES / "landscape_aitzgorri.jpg").read_bytes()
    if args.renders is not None:
        request = parse(args.url)
        for _ in range(args.renders):
            render(src, request)
        return
    if args.only == "q_auto_cpu":
        print(json.dumps({"q_auto_cpu": q_auto_cpu(src, args.cpu_rounds, args.cpu_renders)}))
        return
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
    # q_auto (edge/render/quality.py): quality per level, bytes relative to the same format at
    # q_80, and the cost of the search (render time with q_auto:good over render time with q_80)
    q_auto: dict[str, dict[str, dict[str, int | None]]] = {}
    q_bytes: dict[str, dict[str, dict[str, float]]] = {}
    for fmt in ("jpg", "webp", "avif"):
        q_auto[fmt], q_bytes[fmt] = {}, {}
        names = Q_AUTO_IMAGES if fmt == "jpg" else Q_AUTO_IMAGES[:2]
        for name in names:
            data = (IMAGES / name).read_bytes()
            base = len(render(data, parse(f"/demo/image/upload/w_800,c_limit,q_80/x.{fmt}")).data)
            q_auto[fmt][name], q_bytes[fmt][name] = {}, {}
            for level in ("best", "good", "eco", "low"):
                out = render(data, parse(f"/demo/image/upload/w_800,c_limit,q_auto:{level}/x.{fmt}"))
                q_auto[fmt][name][level] = out.quality
                q_bytes[fmt][name][level] = round(len(out.data) / base, 2)
    result["q_auto_quality_jpg_w800"] = q_auto["jpg"]
    result["q_auto_bytes_vs_q80_jpg_w800"] = q_bytes["jpg"]
    for fmt in ("webp", "avif"):
        result[f"q_auto_quality_{fmt}_w800"] = q_auto[fmt]
        result[f"q_auto_bytes_vs_q80_{fmt}_w800"] = q_bytes[fmt]
    costs: dict[str, float] = {}
    for name in Q_AUTO_IMAGES[:3]:
        data = (IMAGES / name).read_bytes()
        fixed = parse("/demo/image/upload/w_800,c_limit,q_80/x.jpg")
        auto = parse("/demo/image/upload/w_800,c_limit,q_auto:good/x.jpg")
        ratios = []
        for _ in range(args.rounds):
            slot = args.seconds / args.rounds / 2
            ratios.append(_rate(lambda: render(data, fixed), slot) / _rate(lambda: render(data, auto), slot))
        costs[name] = round(statistics.median(ratios), 3)
    result["q_auto_good_time_over_q80_jpg_w800"] = costs
    # last: it sets libvips to one thread (the rows above keep libvips' default)
    result["q_auto_cpu"] = q_auto_cpu(src, args.cpu_rounds, args.cpu_renders)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
