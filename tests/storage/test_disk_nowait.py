"""Disk-tier reads without blocking (issue 16): `DiskStore.get_nowait` answers from the page
cache only (RWF_NOWAIT), small files only, and says `NOT_READY` for anything a blocking read
must fetch; `DerivedCache.get_nowait` promotes such a hit to memory as `get` does; a decoded
blob (bytes or bytearray) equals the asset encoded, however often its header was seen."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

SERVER_TESTS = Path(__file__).resolve().parents[1] / "server"
if str(SERVER_TESTS) not in sys.path:
    sys.path.insert(0, str(SERVER_TESTS))

from edge_live import evict_from_page_cache, on_tmpfs  # noqa: E402

from edge.storage import DerivedAsset, DerivedCache, DiskStore, MemoryStore
from edge.storage.disk_store import NOT_READY


def _asset(images: Path, name: str = "tiny_hopper_128.jpg") -> DerivedAsset:
    data = (images / name).read_bytes()
    return DerivedAsset(data=data, content_type="image/jpeg", format="jpg", width=128, height=128,
                        etag="abc", attachment="hopper", vary_accept=True, notice="fallback")


def test_a_small_cached_file_is_read_without_blocking(tmp_path: Path, images: Path) -> None:
    store = DiskStore(tmp_path / "c")
    blob = (images / "tiny_hopper_128.jpg").read_bytes()
    assert store.get_nowait("absent") is None  # no file: a miss, no thread needed
    store.put("k", blob)
    assert store.get("k") == blob  # (now in the page cache)
    assert store.get_nowait("k") == blob
    assert store.get_nowait("k", max_bytes=len(blob) - 1) is NOT_READY  # too large for the caller's thread
    store.put("empty", b"")
    assert store.get_nowait("empty") == b""


def test_a_file_out_of_the_page_cache_needs_the_blocking_read(tmp_path: Path, images: Path) -> None:
    store = DiskStore(tmp_path / "c")  # fsync=True: written pages are clean, so they can be dropped
    blob = (images / "landscape_aitzgorri.jpg").read_bytes()[:300_000]
    store.put("k", blob)
    if on_tmpfs(tmp_path):
        pytest.skip("tmpfs: files are never out of the page cache")
    for _ in range(20):  # eviction is best effort: until one took
        evict_from_page_cache(store.path_for("k"))
        if store.get_nowait("k") is NOT_READY:  # EAGAIN: the event loop must not wait for the disk
            break
    else:
        pytest.fail("a file out of the page cache was read without NOT_READY (or never left the cache)")
    assert store.get("k") == blob  # the blocking read (a worker thread) fetches it ...
    assert store.get_nowait("k") == blob  # ... and then it is cached


def test_the_derived_cache_answers_without_blocking_and_promotes(tmp_path: Path, images: Path) -> None:
    disk = DiskStore(tmp_path / "c")
    asset = _asset(images)
    DerivedCache(MemoryStore(10**6), disk).put("k", asset)
    fresh = DerivedCache(MemoryStore(10**6), disk)
    assert fresh.get_nowait("other") is None
    hit = fresh.get_nowait("k")
    assert hit == (asset, "disk") and type(hit[0].data) is bytes
    assert fresh.get_nowait("k") == (asset, "memory")  # promoted, as `get` does
    no_memory = DerivedCache(MemoryStore(0), disk)
    assert no_memory.get_nowait("k") == (asset, "disk") == no_memory.get_nowait("k")
    disk.put("bad", asset.encode()[:-3])
    assert no_memory.get_nowait("bad") is None  # truncated entry: a miss, as `get` says
    assert DerivedCache(MemoryStore(10**6), None).get_nowait("k") is None

    class Remote:  # a backing tier without get_nowait (S3, a plug-in): only a thread can ask it
        name = "s3"

        def get(self, key: str) -> bytes | None:
            return disk.get(key)

    assert DerivedCache(MemoryStore(10**6), Remote()).get_nowait("k") is NOT_READY  # type: ignore[arg-type]


def test_decoding_a_remembered_header_gives_the_same_asset(images: Path) -> None:
    asset = _asset(images)
    blob = asset.encode()
    first, again, from_array = DerivedAsset.decode(blob), DerivedAsset.decode(blob), DerivedAsset.decode(bytearray(blob))
    assert first == again == from_array == asset and type(from_array.data) is bytes
    other = DerivedAsset(**{**{f: getattr(asset, f) for f in asset.__slots__}, "data": asset.data[:-10]})
    assert DerivedAsset.decode(other.encode()) == other  # same header fields but another length
    assert DerivedAsset.decode(blob[:-1]) is None  # the remembered header does not excuse a short body
    assert DerivedAsset.decode(blob + b"x") is None
