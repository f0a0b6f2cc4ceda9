"""URL limits of the render engine (issue 9, item 1): components and costly operations counted
after expanding named transformations, conditionals and layers; the megapixel-operations
estimate from the AST; the exact meter while rendering; linear time for chained effects; and
render threads whose stack holds the deepest chain the limits allow."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from edge.render import Limits, render
from edge.render.cost import ChainLimitError, check_chain, estimate, stack_bytes
from edge.url import parse
from render_support import IMAGES, photo, request

HOPPER = "tiny_hopper_128.jpg"  # 128x128
LANDSCAPE = "landscape_aitzgorri.jpg"  # 3088x2056, 6.35 MP


def _chain(text: str):
    return parse(f"/demo/image/upload/{text}/x.jpg").components


def test_the_crash_url_is_refused_before_decoding() -> None:
    req = request("/".join(["e_blur:50"] * 300), "png")
    t0 = time.perf_counter()
    with pytest.raises(ChainLimitError, match=r"Too many transformation components: 300 \(max 40\)"):
        render(photo("coffee.png"), req)
    assert time.perf_counter() - t0 < 0.5
    assert ChainLimitError("x").status == 400


def test_costly_operations_are_counted_and_cheap_components_are_not() -> None:
    limits = Limits()
    check_chain(_chain("/".join(["e_sharpen"] * 16)), None, limits)
    with pytest.raises(ChainLimitError, match=r"costly operations.*17 \(max 16\)"):
        check_chain(_chain("/".join(["e_sharpen"] * 17)), None, limits)
    # right-angle rotations, flips, crops are not costly; a 45 degree rotation is
    check_chain(_chain("/".join(["a_90", "a_hflip", "c_scale,w_0.9"] * 13)), None, limits)
    with pytest.raises(ChainLimitError, match="costly"):
        check_chain(_chain("/".join(["a_45"] * 17)), None, limits)


def test_named_transformations_count_after_expansion() -> None:
    named = {"soft": "/".join(["e_blur:100"] * 6), "big": "/".join(["c_scale,w_0.99"] * 30)}
    check_chain(_chain("t_soft/t_soft"), named, Limits())  # 12 costly
    with pytest.raises(ChainLimitError, match="costly"):
        check_chain(_chain("t_soft/t_soft/t_soft"), named, Limits())  # 18 costly, 3 components written
    with pytest.raises(ChainLimitError, match="components"):
        check_chain(_chain("t_big/t_big"), named, Limits())  # 60 components
    # a dotted chain of names is refused from the counts, without expanding it
    many = ".".join(["big"] * 2000)
    t0 = time.perf_counter()
    with pytest.raises(ChainLimitError, match="after expanding"):
        check_chain(_chain(f"t_{many}"), named, Limits())
    assert time.perf_counter() - t0 < 0.5


def test_every_if_branch_and_every_layer_body_counts() -> None:
    blurs = "/".join(["e_blur"] * 9)
    sharps = "/".join(["e_sharpen"] * 9)
    with pytest.raises(ChainLimitError, match=r"costly.*18"):
        check_chain(_chain(f"if_w_gt_100/{blurs}/if_else/{sharps}/if_end"), None, Limits())
    layer = f"l_text:Arial_20:Hi/{blurs}/fl_layer_apply"
    with pytest.raises(ChainLimitError, match=r"costly.*20"):  # 2 layers + 18 blurs
        check_chain(_chain(f"{layer}/{layer}"), None, Limits())


def test_estimate_follows_the_sizes_of_the_chain() -> None:
    # 3 effects on the 6.35 MP source, then with a weight (blur_region 2)
    assert estimate(_chain("e_blur/e_sharpen/e_vibrance"), 3088, 2056) == pytest.approx(3 * 6.349, rel=1e-3)
    assert estimate(_chain("e_blur/e_sharpen/e_blur_region"), 3088, 2056) == pytest.approx(4 * 6.349, rel=1e-3)
    # resized first: the effects work on 400x300
    assert estimate(_chain("c_fill,w_400,h_300/e_blur/e_sepia"), 3088, 2056) == pytest.approx(0.24)
    # relative sizes, dpr and frames
    assert estimate(_chain("w_0.5,c_scale/e_blur"), 1000, 800) == pytest.approx(0.2)
    assert estimate(_chain("w_100,h_100,c_fill,dpr_2.0/e_blur"), 1000, 800) == pytest.approx(0.04)
    assert estimate(_chain("e_blur"), 200, 150, frames=36) == pytest.approx(1.08)
    # a layer composite is charged on its base, its body on the layer (base size at most)
    assert estimate(_chain("c_scale,w_1000,h_1000/l_logo/e_blur/fl_layer_apply"), 10, 10) == pytest.approx(2.0)


def test_heavy_effects_weigh_more() -> None:
    from edge.render.cost import check_estimate

    two = estimate(_chain("e_cartoonify/e_oil_paint"), 3088, 2056)
    assert two == pytest.approx(8 * 6.349, rel=1e-3)  # 5 and 3 operations
    check_estimate(two, Limits())
    with pytest.raises(ChainLimitError, match="too costly"):
        check_estimate(estimate(_chain("e_cartoonify/e_oil_paint/e_cartoonify"), 3088, 2056), Limits())
    check_estimate(estimate(_chain("e_sharpen"), 8000, 6000), Limits())  # one effect on 48 MP passes
    # outline: 40 operations, so at most six on the 0.24 MP coffee photo
    check_estimate(estimate(_chain("/".join(["e_outline"] * 6)), 600, 400), Limits())
    with pytest.raises(ChainLimitError, match="too costly"):
        check_estimate(estimate(_chain("/".join(["e_outline"] * 7)), 600, 400), Limits())


def test_an_estimate_over_the_budget_is_refused_before_decoding() -> None:
    chain = "/".join(["e_blur:50"] * 11)  # 11 x 6.35 MP = 70 MP-operations
    t0 = time.perf_counter()
    with pytest.raises(ChainLimitError, match=r"too costly: about 70 megapixel-operations \(max 64\)"):
        render(photo(LANDSCAPE), request(chain, "jpg"))
    assert time.perf_counter() - t0 < 0.5
    # the same chain after a resize is cheap and renders
    out = render(photo(LANDSCAPE), request("c_scale,w_400/" + chain, "jpg"))
    assert (out.width, out.height) == (400, 266)


def test_the_meter_counts_sizes_the_url_cannot_show() -> None:
    # the estimate sees 128 px (a variable width), the meter sees 6000x6000 = 36 MP per blur
    chain = "$s_6000/c_scale,w_$s,h_$s/e_blur/e_blur"
    with pytest.raises(ChainLimitError, match="more than 64 megapixel-operations"):
        render(photo(HOPPER), request(chain, "jpg"))
    out = render(photo(HOPPER), request("$s_600/c_scale,w_$s,h_$s/e_blur/e_blur", "jpg"))
    assert out.width == 600


def test_chained_effects_take_linear_time() -> None:
    """8 x e_blur:500 on the 6.35 MP photo took 24.5 s with the effects all lazy (each tile
    recomputed the blurs upstream of it); with each effect reading a computed input it is
    linear: 4x the effects take about 4x the time (measured 4.5 s vs 1.2 s; lazily it was 20x)."""
    limits = Limits(max_cost_mp=1000)
    data = photo(LANDSCAPE)
    # CPU seconds of this process (every libvips thread), not wall time: other work on the
    # machine stretches wall time by any factor, but not the CPU one render costs
    t0 = time.process_time()
    render(data, request("/".join(["e_blur:500"] * 2), "jpg"), limits=limits)
    two = time.process_time() - t0
    t0 = time.process_time()
    out = render(data, request("/".join(["e_blur:500"] * 8), "jpg"), limits=limits)
    eight = time.process_time() - t0
    assert out.width == 3088
    assert eight < 6.0 * two, (two, eight)


def test_stack_size_covers_the_limits() -> None:
    assert stack_bytes(Limits()) == 16 * 1024 * 1024
    assert stack_bytes(Limits(max_components=300)) == 300 * 256 * 1024


_DEEP = textwrap.dedent(
    """
    import sys
    from edge.render import Limits, render
    from edge.render.cost import stack_bytes
    from edge.server.metrics import Metrics
    from edge.server.pool import StackedExecutor
    from edge.url import parse

    limits = Limits(max_components=300, max_costly_ops=300)
    data = open(sys.argv[1], "rb").read()
    req = parse("/demo/image/upload/" + "r_3/" * 300 + "x.png")
    size = int(sys.argv[2]) if len(sys.argv) > 2 else stack_bytes(limits)
    with StackedExecutor(1, stack_bytes=size) as ex:
        out = ex.submit(render, data, req, limits=limits).result()
    print("rendered", out.width, out.height)
    """
)


def test_a_render_thread_holds_the_deepest_chain_the_limits_allow(tmp_path: Path) -> None:
    """300 x r_3 (a lazy pipeline 300 components deep) overflows an 8 MiB thread stack
    (SIGSEGV, checked here too) and renders on a render thread sized by `stack_bytes`."""
    script = tmp_path / "deep.py"
    script.write_text(_DEEP)
    env = {"VIPS_CONCURRENCY": "1", "PATH": "/usr/bin:/bin"}
    src = str(IMAGES / HOPPER)
    ok = subprocess.run([sys.executable, str(script), src], capture_output=True, text=True, timeout=120, env=env)
    assert ok.returncode == 0, ok.stderr[-2000:]
    assert "rendered 128 128" in ok.stdout
    small = subprocess.run([sys.executable, str(script), src, str(8 * 1024 * 1024)], capture_output=True,
                           text=True, timeout=120, env=env)
    assert small.returncode == -11  # SIGSEGV: what the explicit stack size prevents


_REPEAT = textwrap.dedent(
    """
    import sys, time
    from edge.render import render
    from edge.url import parse

    data = open(sys.argv[1], "rb").read()
    for effect in ("e_dropshadow", "e_blur"):
        req = parse("/demo/image/upload/c_scale,w_600/" + (effect + "/") * 9 + "x.jpg")
        for _ in range(3):
            render(bytes(data), req, deadline=time.monotonic() + 30)
    print("survived")
    """
)


def test_guarded_renders_never_call_back_into_freed_python(tmp_path: Path) -> None:
    """`e_dropshadow` returns an opaque photo unchanged, so the materialised input of the next
    effect was already in memory; the deadline's libvips progress handler then outlived its
    Python wrapper and the process aborted ("ffi.from_handle() ... points to garbage").  The
    deadline no longer uses libvips callbacks."""
    script = tmp_path / "repeat.py"
    script.write_text(_REPEAT)
    done = subprocess.run([sys.executable, str(script), str(IMAGES / LANDSCAPE)], capture_output=True, text=True,
                          timeout=300, env={"VIPS_CONCURRENCY": "1", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0 and "survived" in done.stdout, done.stderr[-1500:]
