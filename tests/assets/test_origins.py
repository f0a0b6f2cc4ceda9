"""Writable origins (disk and a real S3), originals stored through the catalogue, and
derived-cache purges."""

from __future__ import annotations

import hashlib
import io
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from edge.assets.catalogue import AssetDraft, new_version_id
from edge.assets.invalidate import purge_asset, purge_removed
from edge.assets.originals import key_of, load_original, remove_originals, store_original
from edge.storage import (
    AssetNotFound, DerivedAsset, DerivedCache, DiskStore, MemoryStore, OriginUnavailable, S3Location,
    S3Store, WritableDiskOrigin, WritableS3Origin, derived_key, origin_from_location, original_key,
)

IMAGES = Path(__file__).resolve().parents[1] / "images"
PHOTO_A = IMAGES / "birds_coco_000143.jpg"
PHOTO_B = sorted(p for p in IMAGES.glob("*.jpg") if not p.name.startswith(("broken", "birds")))[0]


def draft_for(path: Path, public_id: str, **kw) -> AssetDraft:
    data = path.read_bytes()
    base = dict(type="upload", public_id=public_id, version_id=new_version_id(), format="jpg", width=1,
                height=1, bytes=len(data), etag=hashlib.md5(data).hexdigest())
    return AssetDraft(**{**base, **kw})


@pytest.fixture(params=["disk", "s3"])
def origin(request, tmp_path: Path):
    if request.param == "disk":
        return WritableDiskOrigin(tmp_path / "origin")
    server = request.getfixturevalue("s3_server")
    return WritableS3Origin(server.client(), S3Location(server.bucket, f"o-{uuid.uuid4().hex[:8]}"))


def test_put_load_delete_rename(origin) -> None:
    vid = new_version_id()
    key = original_key(vid, "jpg")
    assert key == f".edge-originals/{vid[:2]}/{vid}.jpg"
    data = PHOTO_A.read_bytes()
    with PHOTO_A.open("rb") as fh:
        assert origin.put_file(key, fh) == len(data)
    src = origin.load_key(key)
    assert src.data == data and src.version == vid and origin.exists(key)
    key2 = original_key(new_version_id(), "jpg")
    origin.rename(key, key2)
    assert not origin.exists(key) and origin.load_key(key2).data == data
    assert origin.delete(key2) and not origin.delete(key2)
    with pytest.raises(AssetNotFound):
        origin.load_key(key2)
    for bad in ("../etc/passwd", "cat", ".edge-originals/../x.jpg", f".edge-originals/{vid[:2]}/{vid}.JPG/x"):
        with pytest.raises(AssetNotFound):
            origin.load_key(bad)
    with pytest.raises(ValueError):
        original_key("not-hex", "jpg")


def test_stored_originals_are_not_reachable_by_public_id(origin) -> None:
    vid = new_version_id()
    key = original_key(vid, "jpg")
    origin.put_bytes(key, PHOTO_A.read_bytes())
    with pytest.raises(AssetNotFound):
        origin.load(f".edge-originals/{vid[:2]}/{vid}")
    with pytest.raises(AssetNotFound):
        origin.load(key)


def test_hand_copied_files_are_still_served(tmp_path: Path) -> None:
    root = tmp_path / "origin"
    (root / "samples").mkdir(parents=True)
    (root / "samples" / "birds.jpg").write_bytes(PHOTO_A.read_bytes())
    origin = origin_from_location(str(root))
    assert isinstance(origin, WritableDiskOrigin)
    assert origin.load("samples/birds").data == PHOTO_A.read_bytes()


class Boom(Exception):
    pass


def test_store_original_versions_and_cleanup(origin, catalogue) -> None:
    with PHOTO_A.open("rb") as fh:
        first = store_original(origin, catalogue, draft_for(PHOTO_A, "s/birds"), fh)
    assert first.created and load_original(origin, first.record).data == PHOTO_A.read_bytes()
    with PHOTO_B.open("rb") as fh:
        second = store_original(origin, catalogue, draft_for(PHOTO_B, "s/birds"), fh)
    # the new version is current at once; the old one's bytes are gone (no backup)
    assert load_original(origin, catalogue.get("upload", "s/birds")).data == PHOTO_B.read_bytes()
    assert not origin.exists(key_of(first.record))
    with pytest.raises(AssetNotFound):
        load_original(origin, second.previous)
    # overwrite=False: existing, and the bytes written for the draft are removed again
    d = draft_for(PHOTO_A, "s/birds")
    with PHOTO_A.open("rb") as fh:
        third = store_original(origin, catalogue, d, fh, overwrite=False)
    assert third.existing and not origin.exists(original_key(d.version_id, "jpg"))
    # backup keeps the replaced version loadable by its version
    with PHOTO_A.open("rb") as fh:
        fourth = store_original(origin, catalogue, draft_for(PHOTO_A, "s/birds"), fh, backup=True)
    kept = catalogue.get_version(fourth.record.asset_id, second.record.version)
    assert kept.kept and load_original(origin, kept).data == PHOTO_B.read_bytes()
    # a failing publish leaves no bytes behind
    d = draft_for(PHOTO_A, "s/other", type="fetch")
    with pytest.raises(ValueError), PHOTO_A.open("rb") as fh:
        store_original(origin, catalogue, d, fh)
    assert not origin.exists(original_key(d.version_id, "jpg"))
    removed = catalogue.delete("upload", public_ids=["s/birds"])
    assert remove_originals(origin, removed) == 2
    assert not origin.exists(key_of(fourth.record)) and not origin.exists(key_of(kept))


_SLOW_WRITER = textwrap.dedent("""
    import sys, time
    from edge.storage import WritableDiskOrigin

    class Slow:
        def __init__(self, data): self.data, self.pos = data, 0
        def read(self, n=-1):
            time.sleep(0.05)
            chunk = self.data[self.pos:self.pos + 65536]
            self.pos += len(chunk)
            return chunk

    root, key, src = sys.argv[1:4]
    data = open(src, "rb").read() * 8
    WritableDiskOrigin(root).put_file(key, Slow(data))
    print("finished")
""")


@pytest.mark.parametrize("existing", [False, True])
def test_kill_9_mid_write_leaves_old_or_nothing(tmp_path: Path, existing: bool) -> None:
    root = tmp_path / "origin"
    origin = WritableDiskOrigin(root)
    key = original_key(new_version_id(), "jpg")
    old = PHOTO_B.read_bytes()
    if existing:
        origin.put_bytes(key, old)
    proc = subprocess.Popen([sys.executable, "-c", _SLOW_WRITER, str(root), key, str(PHOTO_A)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    folder = (root / key).parent
    deadline = time.monotonic() + 30
    while True:  # wait until the writer is half-way: a temp file with some bytes in it
        tmps = list(folder.glob(".tmp-*")) if folder.is_dir() else []
        if tmps and tmps[0].stat().st_size > 3 * 65536:
            break
        assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    assert proc.returncode == -signal.SIGKILL
    if existing:
        assert (root / key).read_bytes() == old  # the old original, whole
    else:
        assert not (root / key).exists()  # nothing, never half a file
        with pytest.raises(AssetNotFound):
            origin.load_key(key)
    assert origin.sweep_temp(older_than_s=0) == 1 and not list(folder.glob(".tmp-*"))


def test_staged_upload_is_published_by_rename_or_discarded(tmp_path: Path) -> None:
    """An upload streamed into `stage()` is written once: `put_file` renames that very file
    (same inode) into the key; a staged file never published leaves nothing behind."""
    origin = WritableDiskOrigin(tmp_path / "origin")
    vid = new_version_id()
    data = PHOTO_A.read_bytes()
    staged = origin.stage(vid)
    for i in range(0, len(data), 100_000):
        staged.write(data[i:i + 100_000], writeback=True)
    inode = os.stat(staged.path).st_ino
    key = original_key(vid, "jpg")
    assert origin.put_file(key, staged) == len(data)
    assert os.stat(tmp_path / "origin" / key).st_ino == inode  # renamed, not copied
    assert origin.load_key(key).data == data
    staged.close()  # after the publish: a no-op
    assert origin.load_key(key).data == data
    abandoned = origin.stage(vid)
    abandoned.write(data[:5000])
    abandoned.close()
    folder = (tmp_path / "origin" / key).parent
    assert not list(folder.glob(".tmp-*")) and [p.name for p in folder.iterdir()] == [f"{vid}.jpg"]


def test_staged_upload_is_renamed_before_its_sync_and_removed_when_the_sync_fails(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`put_file` of a staged upload renames it to its key first, then syncs the data and the
    folder (the key is read only through the catalogue row written after this returns); a
    data sync that fails leaves neither the key nor the temp file, and is OriginUnavailable."""
    origin = WritableDiskOrigin(tmp_path / "origin")
    data = PHOTO_A.read_bytes()
    key = original_key(new_version_id(), "jpg")
    path = tmp_path / "origin" / key
    seen: list[tuple[str, bool]] = []
    real_fsync = os.fsync

    def watching_fsync(fd: int) -> None:
        seen.append(("fsync", path.exists()))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", watching_fsync)
    staged = origin.stage(key.split("/")[-1].split(".")[0])
    staged.write_parts([data])
    assert origin.put_file(key, staged) == len(data)
    assert seen[0] == ("fsync", True)  # the data sync ran with the key already in place
    assert len(seen) == 2  # then the folder's
    assert origin.load_key(key).data == data

    def failing_fsync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    key2 = original_key(new_version_id(), "jpg")
    staged = origin.stage(key2.split("/")[-1].split(".")[0])
    staged.write_parts([data[:10_000]])
    with pytest.raises(OriginUnavailable):
        origin.put_file(key2, staged)
    folder = (tmp_path / "origin" / key2).parent
    assert not (tmp_path / "origin" / key2).exists() and not list(folder.glob(".tmp-*"))


def test_disk_write_failure_is_origin_unavailable(tmp_path: Path) -> None:
    root = tmp_path / "origin"
    root.mkdir()
    (root / ".edge-originals").write_text("a file where the folder should be")
    with pytest.raises(OriginUnavailable):
        WritableDiskOrigin(root).put_bytes(original_key(new_version_id(), "jpg"), b"x")


def _render(data: bytes) -> DerivedAsset:
    return DerivedAsset(data=data, content_type="image/jpeg", format="jpg", width=10, height=10,
                        etag=hashlib.sha1(data).hexdigest())


@pytest.fixture(params=["disk", "s3"])
def derived_cache(request, tmp_path: Path) -> DerivedCache:
    if request.param == "disk":
        return DerivedCache(MemoryStore(10 * 1024 * 1024), DiskStore(tmp_path / "cache"))
    server = request.getfixturevalue("s3_server")
    return DerivedCache(MemoryStore(10 * 1024 * 1024),
                        S3Store(server.client(), S3Location(server.bucket, f"c-{uuid.uuid4().hex[:8]}")))


def test_purge_and_cache_version(catalogue, derived_cache: DerivedCache) -> None:
    rec = catalogue.publish(draft_for(PHOTO_A, "p/birds")).record
    keys = []
    for t in ("c_fill,h_10,w_10", "e_sepia"):
        k = derived_key(cloud_name="demo", delivery_type="upload", transformation=t, public_id=rec.public_id,
                        version=rec.cache_version, output="jpg")
        derived_cache.put(k, _render(PHOTO_A.read_bytes()[:1000]))
        catalogue.add_derived(rec.asset_id, rec.version_id, transformation=t, format="jpg", bytes=1000,
                              width=10, height=10, cache_key=k)
        keys.append(k)
    assert all(derived_cache.get(k) for k in keys)
    # a tag change (feeds if_ conditions) gives the asset a new cache_version: old keys unreachable
    tagged = catalogue.add_tags("upload", ["p/birds"], ["new"]) and catalogue.get("upload", "p/birds")
    assert tagged.version_id == rec.version_id and tagged.cache_version != rec.cache_version
    res = purge_asset(catalogue, derived_cache, rec.asset_id, transformations=["e_sepia"])
    assert (res.records, res.memory, res.backing, res.errors) == (1, 1, 1, 0)
    assert derived_cache.get(keys[1]) is None and derived_cache.get(keys[0]) is not None
    assert derived_cache.backing.get(keys[1]) is None
    removed = catalogue.delete("upload", public_ids=["p/birds"])
    res = purge_removed(derived_cache, removed)
    assert res.records == 1 and res.memory == 1
    assert derived_cache.get(keys[0]) is None and derived_cache.backing.get(keys[0]) is None


def test_cache_version_changes_on_every_kind_of_change(catalogue) -> None:
    seen = {catalogue.publish(draft_for(PHOTO_A, "cv")).record.cache_version}
    steps = [
        lambda: catalogue.add_context("upload", ["cv"], {"k": "v"}),
        lambda: catalogue.update("upload", "cv", coordinates_custom=[[1, 2, 3, 4]]),
        lambda: catalogue.set_analysis(catalogue.get("upload", "cv").asset_id,
                                       catalogue.get("upload", "cv").version, {"colors": []}, auto_tags=["kite"]),
        lambda: catalogue.remove_all_tags("upload", ["cv"]),
        lambda: catalogue.publish(draft_for(PHOTO_B, "cv")),
    ]
    for step in steps:
        step()
        cv = catalogue.get("upload", "cv").cache_version
        assert cv not in seen
        seen.add(cv)
    # an analysis that adds no automatic tag changes no pixel: derived-cache keys stay
    record = catalogue.get("upload", "cv")
    catalogue.set_analysis(record.asset_id, record.version, {"phash": "8f0e"}, auto_tags=[])
    assert catalogue.get("upload", "cv").cache_version == record.cache_version
    assert catalogue.get("upload", "cv").analysis["phash"] == "8f0e"


def test_sweep_orphans_keeps_referenced_and_recent(origin, catalogue) -> None:
    from edge.assets.originals import sweep_orphans

    with PHOTO_A.open("rb") as fh:
        live = store_original(origin, catalogue, draft_for(PHOTO_A, "o/live"), fh).record
    orphan = original_key(new_version_id(), "jpg")  # written, then "crashed" before publish
    origin.put_bytes(orphan, PHOTO_B.read_bytes())
    keys = {k for k, _ in origin.list_originals()}
    assert keys == {key_of(live), orphan}
    assert sweep_orphans(origin, catalogue) == []  # too recent: it may be an upload in flight
    assert sweep_orphans(origin, catalogue, older_than_s=-60, dry_run=True) == [orphan]
    assert origin.exists(orphan)
    assert sweep_orphans(origin, catalogue, older_than_s=-60) == [orphan]
    assert not origin.exists(orphan) and origin.exists(key_of(live))


_SLOW_S3_WRITER = textwrap.dedent("""
    import sys, time
    from edge.storage import S3Location, WritableS3Origin, make_s3_client

    class Slow:
        def __init__(self, data): self.data, self.pos = data, 0
        def read(self, n=-1):
            n = len(self.data) if n is None or n < 0 else n
            chunk = self.data[self.pos:self.pos + n]
            self.pos += len(chunk)
            if self.pos > 9 * 1024 * 1024:  # the first 8 MiB part is on its way: stall
                print("half", flush=True)
                time.sleep(120)
            return chunk

    endpoint, bucket, prefix, key, src = sys.argv[1:6]
    data = open(src, "rb").read() * 12  # ~18 MB: a multipart upload
    origin = WritableS3Origin(make_s3_client(endpoint), S3Location(bucket, prefix))
    origin.put_file(key, Slow(data))
    print("finished", flush=True)
""")


def test_s3_kill_9_mid_multipart_upload_leaves_no_object(s3_server) -> None:
    prefix = f"k-{uuid.uuid4().hex[:8]}"
    origin = WritableS3Origin(s3_server.client(), S3Location(s3_server.bucket, prefix))
    key = original_key(new_version_id(), "jpg")
    big = IMAGES / "large_5312x2988_seeding.jpg"
    proc = subprocess.Popen([sys.executable, "-c", _SLOW_S3_WRITER, s3_server.endpoint, s3_server.bucket, prefix,
                             key, str(big)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.strip() == "half", proc.stderr.read()
        time.sleep(0.5)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    assert not origin.exists(key)
    with pytest.raises(AssetNotFound):
        origin.load_key(key)
    # and a complete multipart upload is readable whole
    data = big.read_bytes() * 12
    assert origin.put_file(key, io.BytesIO(data)) == len(data)
    assert hashlib.md5(origin.load_key(key).data).hexdigest() == hashlib.md5(data).hexdigest()


def test_ambiguous_catalogue_failure_keeps_the_bytes(tmp_path: Path, catalogue) -> None:
    """A connection lost around the commit may have published the row: the bytes stay (the
    orphan sweep deletes them only if no row references them)."""
    from edge.assets.catalogue import CatalogueUnavailable

    origin = WritableDiskOrigin(tmp_path / "origin")

    class Flaky:
        def __init__(self, inner):
            self.inner = inner

        def publish(self, draft, **kw):
            self.inner.publish(draft, **kw)  # the commit lands...
            raise CatalogueUnavailable("Catalogue unavailable")  # ...the answer does not

        def __getattr__(self, name):
            return getattr(self.inner, name)

    d = draft_for(PHOTO_A, "amb")
    with pytest.raises(CatalogueUnavailable), PHOTO_A.open("rb") as fh:
        store_original(origin, Flaky(catalogue), d, fh)
    rec = catalogue.get("upload", "amb")
    assert rec.version_id == d.version_id and load_original(origin, rec).data == PHOTO_A.read_bytes()
