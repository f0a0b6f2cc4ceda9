"""Extensions Edge cannot write answer 400 naming the format instead of JPEG bytes under the
wrong name (issue 9, item 5); the formats it writes keep working, and `f_` still decides the
bytes over any extension."""

from __future__ import annotations

import pyvips
import pytest

from edge.render.encode import WRITABLE
from edge_live import Live

#: what this pyvips-binary build cannot save (checked below, so the list stays honest)
UNWRITABLE = ["svg", "pdf", "ico", "bmp", "jxl", "jp2", "psd", "tga", "eps", "wdp", "mp4", "json"]
SAVERS = {"jpg": ".jpg", "png": ".png", "webp": ".webp", "avif": ".avif", "gif": ".gif", "tiff": ".tif"}


@pytest.mark.parametrize("ext", UNWRITABLE)
def test_an_extension_edge_cannot_write_is_a_400_naming_it(live: Live, ext: str) -> None:
    r = live.client.get(f"/demo/image/upload/c_scale,w_40/hopper.{ext}")
    assert r.status_code == 400, (ext, r.status_code, r.headers.get("content-type"))
    assert r.headers["x-cld-error"] == f"Unsupported output format: {ext} (Edge writes jpg, png, webp, avif, gif, tiff)"
    assert not r.headers.get("content-type", "").startswith("image/")


@pytest.mark.parametrize("ext", [e for e in UNWRITABLE if e not in ("mp4", "json")])
def test_the_library_really_cannot_write_them(ext: str) -> None:
    with pytest.raises(pyvips.Error):
        pyvips.Image.black(4, 4, bands=3).write_to_buffer(f".{ext}")


def test_heic_is_refused_as_before(live: Live) -> None:
    r = live.client.get("/demo/image/upload/c_scale,w_40/hopper.heic")
    assert r.status_code == 400 and "heic" in r.headers["x-cld-error"]


@pytest.mark.parametrize("fmt", WRITABLE)
def test_every_writable_extension_gives_its_own_bytes(live: Live, fmt: str) -> None:
    ext = SAVERS[fmt].lstrip(".")
    r = live.client.get(f"/demo/image/upload/c_scale,w_40/hopper.{ext}")
    assert r.status_code == 200, r.headers.get("x-cld-error")
    loader = pyvips.Image.new_from_buffer(r.content, "").get("vips-loader")
    assert loader.startswith({"jpg": "jpeg", "tiff": "tiff", "avif": "heif"}.get(fmt, fmt)), loader


def test_f_decides_over_an_unwritable_extension(live: Live) -> None:
    r = live.client.get("/demo/image/upload/c_scale,w_40,f_png/hopper.svg")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    auto = live.client.get("/demo/image/upload/c_scale,w_40/f_auto/hopper.bmp", headers={"accept": "image/webp"})
    assert auto.status_code == 200 and auto.headers["content-type"] == "image/webp"
    plain = live.client.get("/demo/image/upload/c_scale,w_40/f_auto/hopper.bmp", headers={"accept": "image/*"})
    assert plain.status_code == 200 and plain.headers["content-type"] == "image/jpeg"  # the original's format
    info = live.client.get("/demo/image/upload/c_scale,w_40/fl_getinfo/hopper.json")
    assert info.status_code == 200 and info.headers["content-type"] == "application/json"
    bad = live.client.get("/demo/image/upload/c_scale,w_40,f_bmp/hopper.jpg")
    assert bad.status_code == 400 and "bmp" in bad.headers["x-cld-error"]
