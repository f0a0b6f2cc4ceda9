"""DiskOrigin: resolution without extension, safe joins, symlink escapes, limits, versions."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from edge.storage import AssetNotFound, DiskOrigin, OriginUnavailable, SourceTooLarge


@pytest.fixture()
def root(tmp_path: Path, images: Path) -> Path:
    r = tmp_path / "media"
    (r / "samples").mkdir(parents=True)
    shutil.copy(images / "landscape_aitzgorri.jpg", r / "samples" / "landscape.jpg")
    shutil.copy(images / "cat_chelsea.png", r / "cat.png")
    shutil.copy(images / "coffee.png", r / "exact_name")
    return r


def test_resolves_public_id_without_extension(root: Path, images: Path) -> None:
    src = DiskOrigin(root).load("samples/landscape")
    assert src.data == (images / "landscape_aitzgorri.jpg").read_bytes()
    assert src.name == "samples/landscape.jpg"
    assert src.version and len(src.etag) == 40


def test_exact_name_and_name_with_extension(root: Path) -> None:
    origin = DiskOrigin(root)
    assert origin.load("exact_name").name == "exact_name"
    assert origin.load("cat.png").name == "cat.png"
    shutil.copy(root / "cat.png", root / "scan.raw")  # an extension outside IMAGE_EXTENSIONS
    assert origin.load("scan").name == "scan.raw"


@pytest.mark.parametrize(
    "public_id",
    ["../etc/passwd", "samples/../../x", "/etc/passwd", "", "a//b", "samples/./landscape", "a\x00b", "..\\x",
     "lone\ud800surrogate"],
)
def test_unsafe_public_ids_are_not_found(root: Path, public_id: str) -> None:
    with pytest.raises(AssetNotFound):
        DiskOrigin(root).load(public_id)


def test_symlink_escaping_the_root_is_refused(root: Path, tmp_path: Path, images: Path) -> None:
    outside = tmp_path / "secret.jpg"
    shutil.copy(images / "tiny_hopper_128.jpg", outside)
    os.symlink(outside, root / "escape.jpg")
    os.symlink(tmp_path, root / "dirlink")
    with pytest.raises(AssetNotFound):
        DiskOrigin(root).load("escape")
    with pytest.raises(AssetNotFound):
        DiskOrigin(root).load("dirlink/secret")


def test_symlink_inside_the_root_is_followed(root: Path) -> None:
    os.symlink(root / "cat.png", root / "alias.png")
    assert DiskOrigin(root).load("alias").data == (root / "cat.png").read_bytes()


def test_missing_asset_and_max_bytes(root: Path) -> None:
    with pytest.raises(AssetNotFound):
        DiskOrigin(root).load("samples/nothing_here")
    with pytest.raises(SourceTooLarge):
        DiskOrigin(root, max_bytes=1000).load("samples/landscape")


def test_version_changes_when_original_is_replaced(root: Path, images: Path) -> None:
    origin = DiskOrigin(root)
    before = origin.load("cat")
    target = root / "cat.png"
    shutil.copy(images / "tiny_1x1.png", target)
    os.utime(target, ns=(before_ns := int(before.version) + 10**9, before_ns))
    after = origin.load("cat")
    assert after.version != before.version and after.etag != before.etag


def test_check_reports_a_missing_root(tmp_path: Path, root: Path) -> None:
    DiskOrigin(root).check()
    with pytest.raises(OriginUnavailable):
        DiskOrigin(tmp_path / "nope").check()
