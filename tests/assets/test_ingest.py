"""`edge upload` and `edge import` as subprocesses (the real console entry point), then the
result checked through a live server with the official SDK and delivery: counts right, public
ids from the library's paths, resumed runs skip what is stored with the same etag, a changed
file is uploaded again, a broken file fails alone, S3 libraries through SeaweedFS."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))  # the live-server helpers

from api_live import IMAGES, configure_sdk, start_server  # noqa: E402
from s3server import s3_server  # noqa: E402,F401  (fixture)

PHOTOS = {  # library path -> photo in tests/images
    "trip/dog.jpg": "dog_bicycle_truck.jpg",
    "trip/day2/cat.jpg": "cat_coco_000443.jpg",
    "hopper.jpg": "tiny_hopper_128.jpg",
    "logos/logo.png": "alpha_logo_rgba.png",
}
EDGE = [sys.executable, "-m", "edge.cli"]


#: For the S3 calls that must fail at a closed local port: credentials of their own and no
#: instance-metadata lookup, so botocore neither searches the credential chain (whose last
#: step, the EC2 metadata address, is off this machine and slow to time out under load) nor
#: fails for a missing key instead of the unreachable endpoint the test is about.
OFFLINE_S3 = {"AWS_ACCESS_KEY_ID": "edge-test", "AWS_SECRET_ACCESS_KEY": "edge-test",
              "AWS_EC2_METADATA_DISABLED": "true", "AWS_DEFAULT_REGION": "us-east-1"}


def run(*args: str, root: Path, env_extra: dict[str, str] | None = None) -> tuple[int, dict[str, Any], str]:
    """Run `edge <args> --origin root/origin --cache root/cache`; (exit status, JSON report, stderr)."""
    cmd = [*EDGE, *args, "--origin", str(root / "origin"), "--cache", str(root / "cache"), "--focus", "none"]
    env = {**os.environ, "EDGE_API_KEY": "", "EDGE_API_SECRET": "", **(env_extra or {})}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    report = json.loads(proc.stdout.strip().splitlines()[-1]) if proc.stdout.strip() else {}
    return proc.returncode, report, proc.stderr


def make_library(base: Path) -> Path:
    lib = base / "library"
    for rel, photo in PHOTOS.items():
        (lib / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(IMAGES / photo, lib / rel)
    (lib / "notes.txt").write_text("not an image, not even looked at\n")
    (lib / ".hidden").mkdir()
    shutil.copy(IMAGES / "tiny_hopper_128.jpg", lib / ".hidden" / "skip.jpg")
    return lib


def listed(root: Path, prefix: str) -> dict[str, dict[str, Any]]:
    """Every asset under `prefix`, read back through a live server with the SDK."""
    import cloudinary.api as A

    with start_server(root) as live:
        configure_sdk(live.url)
        out = {}
        for r in A.resources(prefix=prefix, max_results=500, tags=True)["resources"]:
            out[r["public_id"]] = dict(r, delivered=live.get(r["url"]).status_code,
                                       etag=A.resource(r["public_id"])["etag"])
        return out


def test_import_folder_counts_resume_and_change(tmp_path: Path) -> None:
    lib = make_library(tmp_path)
    (lib / "trip" / "broken.jpg").write_bytes((IMAGES / "broken_text_file.jpg").read_bytes())
    shutil.copy(IMAGES / "coffee.png", lib / "trip" / "dog.png")  # same public_id as trip/dog.jpg
    code, report, err = run("import", str(lib), "--folder", "lib", "--tags", "imported,2024", "--concurrency", "2",
                            root=tmp_path)
    assert code == 1, err  # two files failed
    assert (report["total"], report["uploaded"], report["skipped"], report["failed"]) == (6, 4, 0, 2)
    failures = {Path(f["source"]).name: f["message"] for f in report["failures"]}
    assert "Invalid image file" in failures["broken.jpg"]
    assert "lib/trip/dog is already the id of" in failures["dog.png"] and "dog.jpg" in failures["dog.png"]
    (lib / "trip" / "dog.png").unlink()
    assert "import [" in err and "uploaded=4" in err  # progress on stderr
    assets = listed(tmp_path, "lib/")
    assert set(assets) == {"lib/trip/dog", "lib/trip/day2/cat", "lib/hopper", "lib/logos/logo"}
    for rel, photo in PHOTOS.items():
        a = assets["lib/" + rel.rsplit(".", 1)[0]]
        assert a["etag"] == hashlib.md5((IMAGES / photo).read_bytes()).hexdigest()
        assert a["tags"] == ["2024", "imported"] and a["delivered"] == 200
    assert assets["lib/logos/logo"]["format"] == "png"

    # resumed: nothing is uploaded again
    (lib / "trip" / "broken.jpg").unlink()
    code, report, _ = run("import", str(lib), "--folder", "lib", "--tags", "imported,2024", root=tmp_path)
    assert code == 0 and (report["uploaded"], report["skipped"], report["failed"]) == (0, 4, 0)

    # a changed file is uploaded again (new version, same asset), the rest skipped
    shutil.copy(IMAGES / "kitchen_fridge_coco_000138.jpg", lib / "hopper.jpg")
    code, report, _ = run("import", str(lib), "--folder", "lib", root=tmp_path)
    assert code == 0 and (report["uploaded"], report["skipped"]) == (1, 3)
    after = listed(tmp_path, "lib/")
    assert after["lib/hopper"]["etag"] == hashlib.md5((IMAGES / "kitchen_fridge_coco_000138.jpg").read_bytes()).hexdigest()
    assert after["lib/hopper"]["asset_id"] == assets["lib/hopper"]["asset_id"]
    assert after["lib/hopper"]["version"] > assets["lib/hopper"]["version"]


def test_upload_files_with_folder_and_tags(tmp_path: Path) -> None:
    code, report, err = run("upload", str(IMAGES / "rocket.jpg"), str(IMAGES / "coffee.png"), "--folder", "shop/2024",
                            "--tags", "a, b", root=tmp_path)
    assert code == 0, err
    assert (report["uploaded"], report["skipped"], report["failed"]) == (2, 0, 0)
    assets = listed(tmp_path, "shop/")
    assert set(assets) == {"shop/2024/rocket", "shop/2024/coffee"}
    assert all(a["tags"] == ["a", "b"] and a["delivered"] == 200 for a in assets.values())
    code, report, _ = run("upload", str(IMAGES / "rocket.jpg"), "--folder", "shop/2024", root=tmp_path)
    assert code == 0 and (report["uploaded"], report["skipped"]) == (0, 1)


def test_bad_arguments_exit_2(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a local port nobody listens on (bound, never listening)
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
        _bad_arguments(tmp_path, closed)


def _bad_arguments(tmp_path: Path, closed: int) -> None:
    code, _, err = run("upload", str(tmp_path / "missing.jpg"), root=tmp_path)
    assert code == 2 and "missing.jpg" in err
    code, _, err = run("import", str(tmp_path / "nowhere"), root=tmp_path)
    assert code == 2 and "not a folder" in err
    code, _, err = run("import", str(tmp_path), "--concurrency", "0", root=tmp_path)
    assert code == 2
    proc = subprocess.run([*EDGE, "import", str(tmp_path), "--origin", "s3://nobucket/x", "--cache", "none",
                           "--s3-endpoint", f"http://127.0.0.1:{closed}"], capture_output=True, text=True,
                          timeout=300, env={**os.environ, **OFFLINE_S3})
    assert proc.returncode == 2 and "--catalogue" in proc.stderr  # never ingest into a throwaway catalogue
    code, _, err = run("import", "s3://nobucket/lib", "--s3-endpoint", f"http://127.0.0.1:{closed}", root=tmp_path,
                       env_extra=OFFLINE_S3)
    assert code == 2 and "cannot list s3://nobucket/lib" in err and "connect" in err.lower(), err


@pytest.mark.s3
def test_import_s3_library_resumes_from_etags(tmp_path: Path, s3_server: Any) -> None:
    client = s3_server.client()
    for rel, photo in PHOTOS.items():
        client.put_object(Bucket=s3_server.bucket, Key=f"ingest-lib/{rel}", Body=(IMAGES / photo).read_bytes())
    client.put_object(Bucket=s3_server.bucket, Key="ingest-lib/readme.txt", Body=b"text")
    client.put_object(Bucket=s3_server.bucket, Key="ingest-other/x.jpg", Body=(IMAGES / "rocket.jpg").read_bytes())
    url = f"s3://{s3_server.bucket}/ingest-lib"
    code, report, err = run("import", url, "--s3-endpoint", s3_server.endpoint, root=tmp_path)
    assert code == 0, err
    assert (report["total"], report["uploaded"], report["failed"]) == (4, 4, 0)
    assets = listed(tmp_path, "")
    assert set(assets) == {"trip/dog", "trip/day2/cat", "hopper", "logos/logo"}, \
        (report, err[-800:], sorted(p.name for p in (tmp_path / "cache").iterdir()))
    assert all(a["delivered"] == 200 for a in assets.values())
    code, report, _ = run("import", url, "--s3-endpoint", s3_server.endpoint, root=tmp_path)
    assert code == 0 and (report["uploaded"], report["skipped"]) == (0, 4)


def test_many_files_bounded_concurrency_counts(tmp_path: Path) -> None:
    lib = tmp_path / "many"
    photos = ["tiny_hopper_128.jpg", "cat_chelsea.png", "alpha_logo_rgba.png", "coffee.png", "rocket.jpg"]
    for i in range(30):
        (lib / f"d{i % 4}").mkdir(parents=True, exist_ok=True)
        shutil.copy(IMAGES / photos[i % len(photos)], lib / f"d{i % 4}" / f"img{i:02d}{Path(photos[i % len(photos)]).suffix}")
    code, report, err = run("import", str(lib), "--concurrency", "3", root=tmp_path)
    assert code == 0, err
    assert (report["total"], report["uploaded"], report["skipped"], report["failed"]) == (30, 30, 0, 0)
    assert report["bytes"] == sum(p.stat().st_size for p in lib.rglob("*") if p.is_file())
    assets = listed(tmp_path, "d")
    assert len(assets) == 30 and all(a["delivered"] == 200 for a in assets.values())
    code, report, _ = run("import", str(lib), "--concurrency", "3", root=tmp_path)
    assert (report["uploaded"], report["skipped"]) == (0, 30)


def test_import_killed_midway_resumes_without_half_assets(tmp_path: Path) -> None:
    import signal

    lib = tmp_path / "big"
    lib.mkdir()
    for i in range(40):
        shutil.copy(IMAGES / "dog_bicycle_truck.jpg", lib / f"dog{i:02d}.jpg")
    cmd = [*EDGE, "import", str(lib), "--concurrency", "2", "--origin", str(tmp_path / "origin"),
           "--cache", str(tmp_path / "cache"), "--focus", "none"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "EDGE_API_KEY": "", "EDGE_API_SECRET": ""})
    assert proc.stderr is not None
    first = proc.stderr.readline()  # printed as soon as the first file is stored
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert "import [" in first and proc.returncode == -signal.SIGKILL
    code, report, err = run("import", str(lib), "--concurrency", "2", root=tmp_path)
    assert code == 0, err
    assert report["uploaded"] >= 1 and report["skipped"] >= 1  # resumed, not restarted
    assert report["uploaded"] + report["skipped"] == 40 and report["failed"] == 0
    assets = listed(tmp_path, "dog")
    assert len(assets) == 40 and all(a["delivered"] == 200 for a in assets.values())
    want = hashlib.md5((IMAGES / "dog_bicycle_truck.jpg").read_bytes()).hexdigest()
    assert {a["etag"] for a in assets.values()} == {want}
