"""The server's wiring of render's seams, over a real uvicorn: vision as the default focus
provider (object gravity, extraction), layers loaded from the origin, named transformations
from a settings file, and the signature policy for protected layers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import numpy as np
import pytest
import pyvips

from edge.url import sign_path
from edge_live import SECRET, Live, server_with


def signed(path: str) -> str:
    return sign_path(path, SECRET)


def pixels(data: bytes) -> np.ndarray:
    image = pyvips.Image.new_from_buffer(data, "")
    return np.ndarray(buffer=image.write_to_memory(), dtype=np.uint8,
                      shape=(image.height, image.width, image.bands))


@pytest.fixture(scope="module")
def named_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("conf") / "named.toml"
    path.write_text('thumb = "c_fill,w_64,h_48"\nsquare = "t_thumb/c_pad,w_80,h_80,b_red"\n')
    return path


@pytest.fixture(scope="module")
def wired(origin_dir: Path, named_file: Path) -> Iterator[Live]:
    with server_with(origin_dir, named_transformations=str(named_file)) as server:
        yield server


def test_object_gravity_needs_a_signature_and_then_uses_the_detector(wired: Live) -> None:
    dog = "/demo/image/upload/c_crop,g_dog/fl_getinfo/samples/dog.jpg"
    bicycle = "/demo/image/upload/c_crop,g_bicycle/fl_getinfo/samples/dog.jpg"
    unsigned = wired.client.get(dog)
    assert unsigned.status_code == 401
    assert "g_dog" in unsigned.headers["x-cld-error"]
    boxes = {}
    for name, path in (("dog", dog), ("bicycle", bicycle)):
        r = wired.client.get(signed(path))
        assert r.status_code == 200, r.headers.get("x-cld-error")
        info = json.loads(r.content)
        labels = {region["label"] for region in _regions(info)}
        assert name in labels, info
        boxes[name] = info
    assert boxes["dog"] != boxes["bicycle"]  # different crops for different objects


def _regions(info: dict) -> list[dict]:
    """Every region listed in a getinfo document, wherever the renderer nests them."""
    found: list[dict] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "label" in node and "score" in node:
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(info)
    return found


def test_extract_renders_signed_and_reports_a_fallback(wired: Live) -> None:
    cup = "/demo/image/upload/e_extract:prompt_cup/f_png/folder%20with%20space/coffee"
    assert wired.client.get(cup).status_code == 401
    r = wired.client.get(signed(cup))
    assert r.status_code == 200, r.headers.get("x-cld-error")
    px = pixels(r.content)
    assert px.shape[2] == 4
    assert px[0, 0, 3] < 32 and px[px.shape[0] // 2, px.shape[1] // 2, 3] > 200
    assert "x-edge-notice" not in r.headers
    odd = signed("/demo/image/upload/e_extract:prompt_unicorn/f_png/folder%20with%20space/coffee")
    r = wired.client.get(odd)
    assert r.status_code == 200
    assert r.headers["x-edge-notice"].startswith("extract: fallback")


def test_image_overlay_comes_from_the_origin(wired: Live) -> None:
    plain = wired.client.get("/demo/image/upload/c_scale,w_128/f_png/hopper.jpg")
    over = wired.client.get("/demo/image/upload/c_scale,w_128/l_logo/c_scale,w_40/fl_layer_apply,g_north_west/f_png/hopper.jpg")
    assert plain.status_code == over.status_code == 200, over.headers.get("x-cld-error")
    a, b = pixels(plain.content).astype(int), pixels(over.content).astype(int)
    assert a.shape == b.shape
    changed = np.abs(a - b).sum(axis=2) > 0
    assert changed[:40, :40].mean() > 0.2  # the logo landed in the top-left 40 px
    assert not changed[60:, 60:].any()  # and nowhere else


def test_missing_layer_is_a_400(wired: Live) -> None:
    r = wired.client.get("/demo/image/upload/l_nothing_here/fl_layer_apply/hopper.jpg")
    assert r.status_code == 400
    assert "Layer not found" in r.headers["x-cld-error"]


def test_private_layer_needs_a_signature(wired: Live) -> None:
    path = "/demo/image/upload/l_private:logo/fl_layer_apply/hopper.jpg"
    r = wired.client.get(path)
    assert r.status_code == 401
    assert "protected layer" in r.headers["x-cld-error"]
    assert wired.client.get(signed(path)).status_code == 200


def test_named_transformations_from_the_settings_file(wired: Live) -> None:
    r = wired.client.get("/demo/image/upload/t_thumb/hopper.jpg")
    assert r.status_code == 200, r.headers.get("x-cld-error")
    assert pyvips.Image.new_from_buffer(r.content, "").width == 64
    nested = wired.client.get("/demo/image/upload/t_square/f_png/hopper.jpg")
    px = pixels(nested.content)
    assert px.shape[:2] == (80, 80)
    assert tuple(px[2, 40, :3]) == (255, 0, 0)  # the pad of the second stored component
    unknown = wired.client.get("/demo/image/upload/t_nope/hopper.jpg")
    assert unknown.status_code == 400
    assert "nope" in unknown.headers["x-cld-error"]


def test_a_broken_named_transformations_file_stops_start_up(tmp_path: Path, origin_dir: Path) -> None:
    from edge.server import Settings, create_app

    bad = tmp_path / "bad.toml"
    bad.write_text('broken = "w_-5"\n')
    with pytest.raises(ValueError, match="broken"):
        create_app(Settings(origin=str(origin_dir), cache="none", named_transformations=str(bad)))


@pytest.mark.parametrize("allow_private,status", [(True, 200), (False, 403)])
def test_fetch_layer_goes_through_the_fetch_origin(origin_dir: Path, allow_private: bool, status: int) -> None:
    """`l_fetch:<base64url>` loads the overlay with the fetch origin and its checks: allowed
    host and private-address policy (a loopback server is refused unless private is allowed)."""
    import base64
    import threading
    from functools import partial
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    handler = partial(SimpleHTTPRequestHandler, directory=str(origin_dir))
    handler.log_message = lambda *a: None  # type: ignore[attr-defined]
    remote = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=remote.serve_forever, daemon=True).start()
    try:
        src = f"http://127.0.0.1:{remote.server_address[1]}/logo.png"
        b64 = base64.urlsafe_b64encode(src.encode()).decode()
        path = f"/demo/image/upload/c_scale,w_128/l_fetch:{b64}/c_scale,w_40/fl_layer_apply,g_north_west/f_png/hopper.jpg"
        with server_with(origin_dir, fetch_allow="127.0.0.1", fetch_allow_private=allow_private) as live:
            r = live.client.get(path)
            assert r.status_code == status, r.headers.get("x-cld-error")
            if status == 200:
                plain = live.client.get("/demo/image/upload/c_scale,w_128/f_png/hopper.jpg")
                diff = np.abs(pixels(r.content).astype(int) - pixels(plain.content).astype(int)).sum(axis=2) > 0
                assert diff[:40, :40].mean() > 0.2 and not diff[60:, 60:].any()
            else:
                assert r.headers["x-cld-error"]
    finally:
        remote.shutdown()


def test_root_path_form_with_the_sdk_as_oracle(origin_dir: Path) -> None:
    """`--root-path`: the SDK's `use_root_path` URLs (private CDN host) render, signed ones
    verify, add-on gravity still needs the signature, and the full form keeps working."""
    import cloudinary.utils

    with server_with(origin_dir, root_path=True) as live:
        host = live.url.split("://", 1)[1]

        def sdk(public_id: str, **options: object) -> str:
            url, _ = cloudinary.utils.cloudinary_url(
                public_id, cloud_name="demo", use_root_path=True, private_cdn=True, secure=True,
                secure_distribution=host, api_secret=SECRET, **options)
            return url.split(host, 1)[1]

        plain = sdk("hopper.jpg", width=64, crop="scale")
        assert plain.startswith("/c_scale,w_64/")
        r = live.client.get(plain)
        assert r.status_code == 200, r.headers.get("x-cld-error")
        assert pyvips.Image.new_from_buffer(r.content, "").width == 64
        cat = dict(width=60, height=120, crop="fill", gravity="auto:cat")
        assert live.client.get(sdk("samples/cat.png", **cat)).status_code == 401
        signed_cat = sdk("samples/cat.png", sign_url=True, **cat)
        assert signed_cat.startswith("/s--")
        r = live.client.get(signed_cat)
        assert r.status_code == 200, r.headers.get("x-cld-error")
        assert pyvips.Image.new_from_buffer(r.content, "").width == 60
        forged = signed_cat.replace("w_60", "w_61")
        assert live.client.get(forged).status_code == 401
        assert live.client.get("/demo/image/upload/c_scale,w_32/hopper.jpg").status_code == 200
        assert live.client.get("/no/such/asset.jpg").status_code == 404
