"""Deep chains against a real server (issue 9, item 1): the URLs that killed or held a worker
are refused with 400 + X-Cld-Error before the origin is read, fast, and the server keeps
serving; the limits are settings (flags and EDGE_* variables)."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from edge.server import Settings
from edge_live import Live, server_with

COFFEE = "folder%20with%20space/coffee.png"


def test_the_deep_chain_urls_are_refused_fast_and_the_server_lives(live: Live) -> None:
    cases = {
        "e_blur:50/" * 300: "Too many transformation components: 300 (max 40)",  # SIGSEGV before
        "e_blur:50/" * 200: "Too many transformation components: 200 (max 40)",  # a core for 20 s
        "e_sharpen/" * 800: "Too many transformation components: 800 (max 40)",  # the 30 s timeout
        "e_sharpen/" * 17: "Too many costly operations (effects, layers, rotations): 17 (max 16)",
    }
    for chain, reason in cases.items():
        t0 = time.perf_counter()
        r = live.client.get(f"/demo/image/upload/{chain}{COFFEE}")
        elapsed = time.perf_counter() - t0
        assert r.status_code == 400, (chain[:20], r.status_code)
        assert r.headers["x-cld-error"] == reason
        assert elapsed < 1.0, elapsed
    assert live.client.get("/healthz").status_code == 200
    ok = live.client.get(f"/demo/image/upload/{'e_blur:50/' * 4}c_scale,w_100/{COFFEE}")
    assert ok.status_code == 200


def test_limits_apply_before_the_origin_is_read(live: Live) -> None:
    """A missing asset with a too-deep chain answers 400 (the chain), not 404 (the origin)."""
    r = live.client.get("/demo/image/upload/" + "e_blur/" * 50 + "no/such/asset.jpg")
    assert r.status_code == 400
    assert "components" in r.headers["x-cld-error"]


def test_the_cost_budget_answers_400_with_its_reason(live: Live) -> None:
    r = live.client.get("/demo/image/upload/" + "e_blur:50/" * 11 + "samples/landscape.jpg")
    assert r.status_code == 400
    assert r.headers["x-cld-error"] == "Transformation too costly: about 70 megapixel-operations (max 64)"
    assert live.client.get("/demo/image/upload/c_scale,w_300/" + "e_blur:50/" * 11 + "samples/landscape.jpg").status_code == 200


def test_named_transformations_count_after_expansion(tmp_path: Path, origin_dir: Path) -> None:
    named = tmp_path / "named.toml"
    named.write_text('soft = "' + "/".join(["e_blur:100"] * 6) + '"\n')
    with server_with(origin_dir, named_transformations=str(named)) as server:
        assert server.client.get("/demo/image/upload/t_soft/t_soft/hopper.jpg").status_code == 200
        r = server.client.get("/demo/image/upload/t_soft/t_soft/t_soft/hopper.jpg")
        assert r.status_code == 400
        assert r.headers["x-cld-error"] == "Too many costly operations (effects, layers, rotations): 18 (max 16)"


def test_limits_are_settings(origin_dir: Path) -> None:
    s = Settings.from_env({"EDGE_MAX_COMPONENTS": "3", "EDGE_MAX_COSTLY_OPS": "2", "EDGE_MAX_COST_MP": "0.5"})
    assert (s.max_components, s.max_costly_ops, s.max_cost_mp) == (3, 2, 0.5)
    with server_with(origin_dir, max_components=3, max_costly_ops=2, max_cost_mp=0.02) as server:
        assert server.client.get("/demo/image/upload/a_90/a_90/a_90/hopper.jpg").status_code == 200
        r = server.client.get("/demo/image/upload/a_90/a_90/a_90/a_90/hopper.jpg")
        assert r.headers["x-cld-error"] == "Too many transformation components: 4 (max 3)"
        r = server.client.get("/demo/image/upload/e_blur/e_blur/e_blur/hopper.jpg")
        assert r.headers["x-cld-error"] == "Too many costly operations (effects, layers, rotations): 3 (max 2)"
        r = server.client.get("/demo/image/upload/e_blur/e_blur/hopper.jpg")  # 2 x 16,384 px
        assert r.status_code == 400 and "too costly" in r.headers["x-cld-error"]
        # render threads are sized for the configured chain depth
        assert server.delivery.pool.stack_bytes == 16 * 1024 * 1024


def test_parallel_deep_chains_never_reset_a_connection(live: Live) -> None:
    """The failure mode of the crash: every request in flight on the worker was reset."""
    import asyncio

    async def main() -> list[int]:
        async with httpx.AsyncClient(base_url=live.url, timeout=30) as client:
            deep = [client.get(f"/demo/image/upload/{'e_blur:50/' * 300}{COFFEE}") for _ in range(10)]
            plain = [client.get(f"/demo/image/upload/c_scale,w_{40 + i}/{COFFEE}") for i in range(10)]
            return [r.status_code for r in await asyncio.gather(*deep, *plain)]

    statuses = asyncio.run(main())
    assert statuses == [400] * 10 + [200] * 10
