"""Cache tiers: memory bound, atomic disk writes (also when the writer is killed), derived
asset encoding, tiered promotion, cache keys, single-flight."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from edge.storage import DerivedAsset, DerivedCache, DiskStore, MemoryStore, SingleFlight, derived_key


def _asset(images: Path, name: str = "tiny_hopper_128.jpg") -> DerivedAsset:
    data = (images / name).read_bytes()
    return DerivedAsset(data=data, content_type="image/jpeg", format="jpg", width=128, height=128,
                        etag="abc", attachment=None, vary_accept=True)


def test_memory_store_is_bounded_in_bytes(images: Path) -> None:
    blob = (images / "tiny_hopper_128.jpg").read_bytes()
    store = MemoryStore(max_bytes=len(blob) * 5)
    for i in range(20):
        store.put(f"k{i}", blob)
    assert store.current_bytes <= len(blob) * 5
    assert store.get("k19") == blob and store.get("k0") is None
    store.put("huge", blob * 3)  # > max_bytes // 4: not kept
    assert store.get("huge") is None
    assert MemoryStore(0).get("k") is None


def test_disk_store_roundtrip_and_sharding(tmp_path: Path, images: Path) -> None:
    store = DiskStore(tmp_path / "c")
    blob = (images / "cat_chelsea.png").read_bytes()
    assert store.get("key") is None
    store.put("key", blob)
    path = store.path_for("key")
    assert path.parent.parent.parent == tmp_path / "c" and len(path.parent.name) == 2
    assert store.get("key") == blob
    store.put("key", b"replaced")
    assert store.get("key") == b"replaced"
    assert not list(path.parent.glob(".tmp-*"))


@pytest.mark.parametrize("stall", ["os.fsync", "os.replace"])
def test_writer_killed_half_way_leaves_nothing_served(tmp_path: Path, images: Path, stall: str) -> None:
    """A writer SIGKILLed before its rename leaves only a temp file: get() still misses."""
    root = tmp_path / "c"
    script = textwrap.dedent(f"""
        import os, sys, time
        from edge.storage import DiskStore
        def stall(*a, **k):
            print("stalled", flush=True)
            time.sleep(60)
        {stall} = stall
        DiskStore({str(root)!r}).put("victim", open({str(images / 'landscape_aitzgorri.jpg')!r}, 'rb').read())
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == b"stalled"
    finally:
        proc.kill()
        proc.wait(timeout=10)
    store = DiskStore(root)
    temps = list(root.glob("*/*/.tmp-*"))
    assert len(temps) == 1 and temps[0].stat().st_size > 0
    assert store.get("victim") is None
    assert not store.path_for("victim").exists()
    assert store.sweep_temp() == 1 and not list(root.glob("*/*/.tmp-*"))


def test_derived_asset_roundtrip_and_truncation(images: Path) -> None:
    asset = _asset(images)
    blob = asset.encode()
    assert DerivedAsset.decode(blob) == asset
    assert DerivedAsset.decode(blob[:-1]) is None
    assert DerivedAsset.decode(blob[:10]) is None
    assert DerivedAsset.decode(b"") is None
    assert DerivedAsset.decode(b"garbage" * 10) is None
    # right magic, a header that is JSON but not an object (a corrupt or foreign entry)
    for head in (b'"ab"', b"[1]", b"null"):
        assert DerivedAsset.decode(blob[:4] + len(head).to_bytes(4, "big") + head) is None


def test_tiered_cache_promotes_backing_hits(tmp_path: Path, images: Path) -> None:
    disk = DiskStore(tmp_path / "c")
    asset = _asset(images)
    DerivedCache(MemoryStore(10**6), disk).put("k", asset)
    fresh = DerivedCache(MemoryStore(10**6), disk)
    assert fresh.get("k") == (asset, "disk")
    assert fresh.get("k") == (asset, "memory")
    assert fresh.get_memory("k") == asset
    assert fresh.get("other") is None


def test_the_memory_tier_keeps_decoded_assets_weighed_by_their_bytes(tmp_path: Path, images: Path) -> None:
    """Issue 16: a memory hit hands back the very DerivedAsset stored (no blob to parse); the
    tier's byte bound counts `nbytes` (data + the fixed entry overhead)."""
    asset = _asset(images)
    memory: MemoryStore[DerivedAsset] = MemoryStore(asset.nbytes * 4)  # one entry may take a quarter
    cache = DerivedCache(memory, DiskStore(tmp_path / "c"))
    cache.put("k", asset)
    assert cache.get_memory("k") is asset and memory.current_bytes == asset.nbytes == len(asset.data) + 512
    assert DerivedAsset.decode(cache.backing.path_for("k").read_bytes()) == asset  # the backing tier: blobs
    for i in range(4):  # four fit; the oldest leaves
        cache.put_memory(f"n{i}", asset)
    assert memory.current_bytes == asset.nbytes * 4 and cache.get_memory("k") is None
    assert cache.get("k") == (asset, "disk") and isinstance(memory.get("k"), DerivedAsset)  # promoted decoded
    assert cache.get("k") == (asset, "memory")


def test_corrupt_backing_entry_is_a_miss(tmp_path: Path, images: Path) -> None:
    disk = DiskStore(tmp_path / "c")
    disk.put("k", _asset(images).encode()[:-5])
    assert DerivedCache(MemoryStore(10**6), disk).get("k") is None


def test_derived_key_parts() -> None:
    base = dict(cloud_name="demo", delivery_type="upload", transformation="c_fill,h_300,w_400",
                public_id="samples/cat", version="1", output="jpg")
    k = derived_key(**base)
    assert len(k) == 64 and derived_key(**base) == k
    for field, value in [("transformation", "c_fill,h_300,w_401"), ("version", "2"), ("output", "webp"),
                         ("public_id", "samples/dog"), ("delivery_type", "private")]:
        assert derived_key(**{**base, field: value}) != k
    assert derived_key(**base, dpr="2") != k


def test_single_flight_runs_once_for_concurrent_callers() -> None:
    calls = 0

    async def work() -> str:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.05)
        return "done"

    async def main() -> list[str]:
        sf: SingleFlight[str] = SingleFlight()
        out = await asyncio.gather(*(sf.run("k", work) for _ in range(50)))
        assert sf.shared == 49 and len(sf) == 0
        again = await sf.run("k", work)
        return [*out, again]

    results = asyncio.run(main())
    assert results == ["done"] * 51 and calls == 2


def test_single_flight_shares_exceptions() -> None:
    async def boom() -> None:
        await asyncio.sleep(0.01)
        raise KeyError("x")

    async def main() -> list[object]:
        sf: SingleFlight[None] = SingleFlight()
        return await asyncio.gather(*(sf.run("k", boom) for _ in range(5)), return_exceptions=True)

    assert all(isinstance(r, KeyError) for r in asyncio.run(main()))


def test_single_flight_survives_a_cancelled_leader() -> None:
    async def slow() -> str:
        await asyncio.sleep(0.05)
        return "ok"

    async def main() -> str:
        sf: SingleFlight[str] = SingleFlight()
        leader = asyncio.ensure_future(sf.run("k", slow))
        await asyncio.sleep(0)
        follower = asyncio.ensure_future(sf.run("k", slow))
        await asyncio.sleep(0.01)
        leader.cancel()
        return await follower

    assert asyncio.run(main()) == "ok"


def test_derived_asset_from_a_render_result(images: Path) -> None:
    """`DerivedAsset.from_rendered` is the one copy of a render result into a cache entry."""
    import hashlib

    from edge.render import render
    from edge.url import parse

    req = parse("/demo/image/upload/c_fill,w_60,h_40,fl_attachment:hop/hopper.webp", cloud_name="demo")
    rendered = render((images / "tiny_hopper_128.jpg").read_bytes(), req)
    asset = DerivedAsset.from_rendered(rendered)
    assert (asset.width, asset.height, asset.format, asset.content_type) == (60, 40, "webp", "image/webp")
    assert asset.data == rendered.data and asset.etag == hashlib.sha1(rendered.data).hexdigest()
    assert (asset.attachment, asset.vary_accept, asset.notice) == (rendered.attachment, rendered.vary_accept,
                                                                   rendered.notice)
    assert DerivedAsset.decode(asset.encode()) == asset
