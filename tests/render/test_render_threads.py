"""render() is synchronous and thread-safe: concurrent renders give identical bytes."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from render_support import run

CASES = [
    ("landscape_aitzgorri.jpg", "c_fill,g_auto,w_200,h_200", "jpg"),
    ("coffee.png", "c_pad,w_300,h_300,b_auto,r_20,e_grayscale", "png"),
    ("animated_tiny.gif", "w_10", "gif"),
    ("rocket.jpg", "w_300,q_auto", "webp"),
]


def test_concurrent_renders_are_deterministic():
    expected = [run(n, t, ext=e).data for n, t, e in CASES]
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(run, n, t, ext=e) for _ in range(3) for n, t, e in CASES]
        results = [f.result().data for f in futures]
    assert results == expected * 3
