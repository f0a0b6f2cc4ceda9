"""`Deriver`'s remembered catalogue lookups (delivery resolves a catalogue asset once per
`RESOLVE_TTL_S` per worker): `forget` after a change drops every remembered version of that
asset and nothing of any other, through its per-asset index, on a real SQLite catalogue."""

from __future__ import annotations

import asyncio
import hashlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from edge.assets.catalogue import AssetDraft, new_version_id
from edge.assets.factory import catalogue_from_location
from edge.derive import Deriver, FixedHints
from edge.url import parse

PHOTO = Path(__file__).resolve().parents[1] / "images" / "birds_coco_000143.jpg"


def _draft(public_id: str) -> AssetDraft:
    data = PHOTO.read_bytes()
    return AssetDraft(type="upload", public_id=public_id, version_id=new_version_id(), format="jpg",
                      width=640, height=427, bytes=len(data), etag=hashlib.md5(data).hexdigest())


def test_forget_drops_every_version_of_one_asset_only(tmp_path: Path) -> None:
    cat = catalogue_from_location(f"sqlite:///{tmp_path / 'c.db'}")
    io = ThreadPoolExecutor(2)
    deriver = Deriver(cloud_name="demo", origin=None, fetch_origin=None, cache=None, pool=None, io=io,
                      render_fn=None, limits=None, render_timeout_s=1.0, catalogue=cat)  # type: ignore[arg-type]
    first = cat.publish(_draft("memo/a")).record
    other = cat.publish(_draft("memo/b")).record
    hints = FixedHints()

    def target(path: str):  # type: ignore[no-untyped-def]
        return asyncio.run(deriver.target(parse(path, cloud_name="demo"), hints))

    try:
        assert target("/demo/image/upload/memo/a.jpg").version_id == first.cache_version
        assert target(f"/demo/image/upload/v{first.version}/memo/a.jpg").version_id == first.cache_version
        assert target("/demo/image/upload/memo/b.jpg").version_id == other.cache_version
        second = cat.publish(_draft("memo/a")).record  # a new version, by another worker say
        # remembered (RESOLVE_TTL_S): this worker still answers the version it looked up
        assert target("/demo/image/upload/memo/a.jpg").version_id == first.cache_version
        deriver.forget("upload", "memo/a")
        assert target("/demo/image/upload/memo/a.jpg").version_id == second.cache_version
        assert ("upload", "memo/a", f"{first.version}") not in deriver._resolved  # every version went
        assert ("upload", "memo/b", "") in deriver._resolved  # the other asset's lookup stays
        deriver.forget("upload", "memo/never-seen")  # nothing remembered: a no-op
        assert ("upload", "memo/b", "") in deriver._resolved
    finally:
        io.shutdown()
        cat.close()
