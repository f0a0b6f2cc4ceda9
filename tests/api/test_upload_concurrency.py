"""Concurrency: `edge serve --workers 2` as a real subprocess; 50 concurrent SDK uploads spread
over both worker processes lose none (every one answered 200, in the catalogue, deliverable);
concurrent overwrites of one public_id all land as successive versions; a kill -9 of the
server during uploads leaves no half asset (every catalogue row has its complete bytes)."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from api_live import API_KEY, API_SECRET, IMAGES, PHOTO, Listener, configure_sdk

from s3server import free_port

pytestmark = pytest.mark.slow


@contextmanager
def edge_serve(root: Path, workers: int = 2) -> Iterator[str]:
    """`python -m edge.cli serve --workers N` over folders in `root`; yields its base URL."""
    port = free_port()
    for d in ("origin", "cache"):
        (root / d).mkdir(exist_ok=True)
    env = {**os.environ, "EDGE_ORIGIN": str(root / "origin"), "EDGE_CACHE": str(root / "cache"),
           "EDGE_API_KEY": API_KEY, "EDGE_API_SECRET": API_SECRET, "EDGE_FOCUS": "none",
           "EDGE_PUBLIC_URL": f"http://127.0.0.1:{port}", "EDGE_LOG_LEVEL": "warning",
           "EDGE_FETCH_ALLOW_PRIVATE": "true"}  # webhooks to the loopback listener
    proc = subprocess.Popen(
        [sys.executable, "-m", "edge.cli", "serve", "--port", str(port), "--workers", str(workers)],
        cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else "edge serve died"
            assert time.monotonic() < deadline, "edge serve did not start"
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield base
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _catalogue(root: Path):  # noqa: ANN202
    """The catalogue the server of `edge_serve(root)` uses, found as the server finds it."""
    from edge.server.api_wiring import catalogue_for
    from edge.server.settings import Settings

    return catalogue_for(Settings(origin=str(root / "origin"), cache=str(root / "cache")))


def test_fifty_concurrent_uploads_over_two_workers(tmp_path: Path, webhooks: Listener) -> None:
    import cloudinary.uploader
    from cloudinary.utils import verify_notification_signature

    photos = [PHOTO, IMAGES / "cat_chelsea.png", IMAGES / "coffee.png", IMAGES / "tiny_hopper_128.jpg"]
    with edge_serve(tmp_path) as base:
        configure_sdk(base)

        def one(i: int) -> dict:
            return cloudinary.uploader.upload(str(photos[i % len(photos)]), public_id=f"many/{i:02d}", tags="bulk")

        def same(i: int) -> dict:
            return cloudinary.uploader.upload(str(photos[i % len(photos)]), public_id="many/same")

        with ThreadPoolExecutor(max_workers=16) as ex:
            pending = [ex.submit(cloudinary.uploader.upload, str(PHOTO), public_id=f"many/async{i}",
                                 notification_url=webhooks.url, **{"async": True}) for i in range(4)]
            results = list(ex.map(one, range(50)))
            overwrites = list(ex.map(same, range(10)))
        assert all(f.result()["status"] == "pending" for f in pending)
        notes = webhooks.wait(4, timeout=60)  # the durable job queue ran them in either worker
        assert sorted(json.loads(n.body)["public_id"] for n in notes) == [f"many/async{i}" for i in range(4)]
        assert all(verify_notification_signature(n.body.decode(), int(n.headers["x-cld-timestamp"]),
                                                 n.headers["x-cld-signature"]) for n in notes)
        assert sorted(r["public_id"] for r in results) == [f"many/{i:02d}" for i in range(50)]
        versions = sorted(r["version"] for r in overwrites)
        assert len(set(versions)) == 10  # ten successive versions of one public_id, none lost
        assert len({r["asset_id"] for r in overwrites}) == 1
        with httpx.Client(base_url=base, timeout=30) as client:
            for r in results[::5]:
                got = client.get(f"/demo/image/upload/w_40/{r['public_id']}.{r['format']}")
                assert got.status_code == 200
        cat = _catalogue(tmp_path)
        try:
            found = cat.get_many("upload", [f"many/{i:02d}" for i in range(50)])
            assert len(found) == 50 and all(rec.tags == ("bulk",) for rec in found.values())
            assert cat.get("upload", "many/same").version == versions[-1]
        finally:
            cat.close()
        configure_sdk("http://127.0.0.1:1")


def test_kill_9_during_uploads_leaves_no_half_asset(tmp_path: Path) -> None:
    import cloudinary.uploader

    big = IMAGES / "large_5312x2988_seeding.jpg"
    with edge_serve(tmp_path, workers=1) as base:
        configure_sdk(base)
        ex = ThreadPoolExecutor(max_workers=6)
        futures = [ex.submit(cloudinary.uploader.upload, str(big if i % 2 else PHOTO), public_id=f"kill/{i}")
                   for i in range(12)]
        time.sleep(1.0)
        pids = subprocess.run(["pgrep", "-f", f"--port {base.rsplit(':', 1)[1]}"], capture_output=True,
                              text=True).stdout.split()
        for pid in pids:
            os.kill(int(pid), signal.SIGKILL)
        done = sum(1 for f in futures if not f.exception())
        ex.shutdown(wait=True)
    cat = _catalogue(tmp_path)
    try:
        records, _ = cat.list(type="upload", prefix="kill/", max_results=100)
        assert len(records) >= done
        for rec in records:  # every row has its complete original
            from edge.storage.writable import original_key

            data = (tmp_path / "origin" / original_key(rec.version_id, rec.format)).read_bytes()
            assert hashlib.md5(data).hexdigest() == rec.etag and len(data) == rec.bytes
    finally:
        cat.close()
    configure_sdk("http://127.0.0.1:1")


def test_upload_large_chunks_spread_over_two_workers(tmp_path: Path) -> None:
    """`upload_large` with small chunks and a new connection per chunk (`Connection: close`,
    so the kernel hands the chunks to either worker process): the chunks are staged in a
    folder both workers share (`<cache>/.upload-chunks`), the request completing the range
    publishes the asset, and nothing is left staged."""
    import cloudinary.uploader

    big = IMAGES / "large_5312x2988_seeding.jpg"
    data = big.read_bytes()
    with edge_serve(tmp_path) as base:
        configure_sdk(base)
        r = cloudinary.uploader.upload_large(str(big), public_id="large/two-workers", chunk_size=128 * 1024,
                                             extra_headers={"Connection": "close"})
        assert r["public_id"] == "large/two-workers" and r["bytes"] == len(data)
        assert r["etag"] == hashlib.md5(data).hexdigest() and (r["width"], r["height"]) == (5312, 2988)
        got = httpx.get(r["url"].replace("https://", "http://"), timeout=30)
        assert got.status_code == 200 and got.headers["content-type"] == "image/jpeg"
    assert not list((tmp_path / "cache" / ".upload-chunks").glob("*"))
    configure_sdk("http://127.0.0.1:1")
