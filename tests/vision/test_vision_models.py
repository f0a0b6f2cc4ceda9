"""models/: every manifest entry's file exists, matches its sha256, and runs on a real photo."""

from __future__ import annotations

import hashlib
import tomllib

import pytest

from edge.vision import REGISTRY, detect, manifest
from edge.vision.registry import models_dir

ENTRIES = tomllib.loads((models_dir() / "manifest.toml").read_text())["model"]
PHOTO_FOR = {"coco": "dog_bicycle_truck.jpg", "faces": "face_astronaut_eileen_collins.png",
             "text": "text_scanned_page_gray.png", "saliency": "cat_chelsea.png",
             "ssd": "dog_bicycle_truck.jpg"}
REQUIRED = ("name", "version", "task", "labels", "input", "source", "source_file", "path", "license", "sha256")
BANNED_LICENCES = ("AGPL", "GPL-", "GPL ", "non-commercial", "CC-BY-NC")


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["name"] for e in ENTRIES])
def test_manifest_entry_is_complete_and_file_matches_sha256(entry):
    for key in REQUIRED:
        assert entry.get(key) not in (None, ""), f"{entry['name']}: {key} missing"
    assert entry["source"].split(":", 1)[0] in ("npm", "pypi")
    assert "@" in entry["source"].split(":", 1)[1], "source must pin package@version"
    assert not any(b.lower() in entry["license"].lower() for b in BANNED_LICENCES)
    data = (models_dir() / entry["path"]).read_bytes()
    assert hashlib.sha256(data).hexdigest() == entry["sha256"]


def test_models_stay_small():
    total = sum((models_dir() / e["path"]).stat().st_size for e in ENTRIES)
    assert total < 120 * 2**20, f"models/ holds {total / 2**20:.1f} MiB"


def test_manifest_names_every_runtime_model():
    assert set(manifest()) == {"coco", "faces", "text", "saliency", "ssd", "classifier", "recognizer"}


@pytest.mark.parametrize("name", sorted(PHOTO_FOR))
def test_every_model_runs_on_a_real_photo(name, photo):
    image = photo(PHOTO_FOR[name])
    found = detect(image, name)
    assert found, f"{name} found nothing on {PHOTO_FOR[name]}"
    for d in found:
        x, y, w, h = d.box
        assert 0 <= x < image.width and 0 <= y < image.height
        assert w > 0 and h > 0 and x + w <= image.width and y + h <= image.height
        assert 0.0 <= d.score <= 1.0
        assert d.model == name


def test_sessions_are_created_once_and_shared():
    a = REGISTRY.session("coco")
    b = REGISTRY.session("coco")
    assert a is b
    assert "coco" in REGISTRY.loaded()


def test_sessions_created_concurrently_are_one():
    from concurrent.futures import ThreadPoolExecutor

    from edge.vision.registry import ModelRegistry

    reg = ModelRegistry(threads=1)
    with ThreadPoolExecutor(4) as pool:
        sessions = list(pool.map(lambda _: reg.session("saliency"), range(8)))
    assert all(s is sessions[0] for s in sessions)


def test_export_script_checks_the_committed_files():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, str(models_dir() / "export.py"), "--check"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.count(" ok") == len(ENTRIES)
