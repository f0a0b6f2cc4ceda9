"""Signature policy with URLs built by the official cloudinary SDK (the oracle), pointed at the
test server through `cname` / `private_cdn` + `secure_distribution`."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import cloudinary.utils
import pytest

from edge_live import SECRET, Live, server_with

OBJECT_GRAVITY = [{"width": 80, "height": 60, "crop": "fill", "gravity": "auto:cat"}]


def sdk_path(live: Live, public_id: str, *, cloudless: bool = False, **options: Any) -> str:
    """The path of the URL the SDK builds for the test server (host dropped)."""
    host = live.url.split("://", 1)[1]
    if cloudless:
        url, _ = cloudinary.utils.cloudinary_url(
            public_id, cloud_name="demo", secure=True, private_cdn=True, secure_distribution=host,
            api_secret=SECRET, **options)
    else:
        url, _ = cloudinary.utils.cloudinary_url(public_id, cloud_name="demo", cname=host,
                                                 api_secret=SECRET, **options)
    assert host in url
    return url.split(host, 1)[1]


@pytest.fixture(scope="module")
def strict(origin_dir: Path) -> Iterator[Live]:
    with server_with(origin_dir, signed="all") as server:
        yield server


@pytest.fixture(scope="module")
def open_server(origin_dir: Path) -> Iterator[Live]:
    with server_with(origin_dir, signed="none") as server:
        yield server


@pytest.mark.parametrize("cloudless", [False, True])
def test_sdk_unsigned_urls_render(live: Live, cloudless: bool) -> None:
    path = sdk_path(live, "samples/landscape", cloudless=cloudless, format="jpg",
                    transformation=[{"width": 300, "height": 200, "crop": "fill", "gravity": "auto"},
                                    {"quality": "auto"}])
    r = live.client.get(path)
    assert r.status_code == 200, r.headers.get("x-cld-error")
    assert r.headers["content-type"] == "image/jpeg"
    assert r.headers["cache-control"].endswith("immutable")  # the SDK adds v1 for folders


@pytest.mark.parametrize("algo", [{}, {"signature_algorithm": "sha256"}, {"long_url_signature": True}])
@pytest.mark.parametrize("cloudless", [False, True])
def test_sdk_signed_addon_urls_render(live: Live, algo: dict[str, Any], cloudless: bool) -> None:
    path = sdk_path(live, "samples/cat", cloudless=cloudless, format="jpg", sign_url=True,
                    transformation=OBJECT_GRAVITY, **algo)
    assert "/s--" in path
    r = live.client.get(path)
    assert r.status_code == 200, r.headers.get("x-cld-error")
    unsigned = sdk_path(live, "samples/cat", cloudless=cloudless, format="jpg", transformation=OBJECT_GRAVITY)
    r = live.client.get(unsigned)
    assert r.status_code == 401 and "g_auto:cat" in r.headers["x-cld-error"]


@pytest.mark.parametrize("gravity", ["cat", "dog:auto:cat", "auto:person_avoid", "auto:coco_dog"])
def test_object_gravities_need_a_signature(live: Live, gravity: str) -> None:
    t = [{"width": 50, "height": 50, "crop": "fill", "gravity": gravity}]
    assert live.client.get(sdk_path(live, "samples/dog", format="jpg", transformation=t)).status_code == 401
    signed = live.client.get(sdk_path(live, "samples/dog", format="jpg", transformation=t, sign_url=True))
    assert signed.status_code == 200, signed.headers.get("x-cld-error")


@pytest.mark.parametrize("effect", ["extract:prompt_cat", "background_removal"])
def test_addon_effects_need_a_signature(live: Live, effect: str) -> None:
    r = live.client.get(sdk_path(live, "samples/cat", format="png", effect=effect))
    assert r.status_code == 401
    signed = live.client.get(sdk_path(live, "samples/cat", format="png", effect=effect, sign_url=True))
    assert signed.status_code == 200, signed.headers.get("x-cld-error")
    assert signed.headers["content-type"] == "image/png"


@pytest.mark.parametrize("transformation", [
    {"width": 60, "height": 60, "crop": "fill", "gravity": "auto"},
    {"width": 60, "height": 60, "crop": "fill", "gravity": "auto:subject"},
    {"width": 60, "height": 60, "crop": "thumb", "gravity": "face"},
    {"width": 60, "height": 60, "crop": "thumb", "gravity": "faces"},
    {"effect": "pixelate_faces", "width": 60, "crop": "scale"},
])
def test_builtin_features_stay_free(live: Live, transformation: dict[str, Any]) -> None:
    r = live.client.get(sdk_path(live, "samples/dog", format="jpg", transformation=[transformation]))
    assert r.status_code == 200, r.headers.get("x-cld-error")


def test_authenticated_needs_a_valid_signature(live: Live) -> None:
    opts = dict(type="authenticated", format="jpg", transformation=[{"width": 50, "crop": "scale"}])
    assert live.client.get(sdk_path(live, "hopper", **opts)).status_code == 401
    signed = sdk_path(live, "hopper", sign_url=True, **opts)
    assert live.client.get(signed).status_code == 200
    tampered = signed.replace("w_50", "w_51")
    r = live.client.get(tampered)
    assert r.status_code == 401 and r.headers["x-cld-error"] == "Invalid signature"
    other_secret, _ = cloudinary.utils.cloudinary_url("hopper", cloud_name="demo", cname="h", api_secret="wrong",
                                                     sign_url=True, **opts)
    assert live.client.get(other_secret.split("h/", 1)[1].join(["/", ""])).status_code == 401


def test_private_original_needs_signature_derivative_does_not(live: Live, strict: Live) -> None:
    original = sdk_path(live, "hopper", type="private", format="jpg")
    assert live.client.get(original).status_code == 401
    assert live.client.get(sdk_path(live, "hopper", type="private", format="jpg", sign_url=True)).status_code == 200
    derived = dict(type="private", format="jpg", transformation=[{"width": 40, "crop": "scale"}])
    assert live.client.get(sdk_path(live, "hopper", **derived)).status_code == 200
    assert strict.client.get(sdk_path(strict, "hopper", **derived)).status_code == 401
    assert strict.client.get(sdk_path(strict, "hopper", sign_url=True, **derived)).status_code == 200


def test_signed_all_and_signed_none(strict: Live, open_server: Live) -> None:
    plain = dict(format="jpg", transformation=[{"width": 40, "crop": "scale"}])
    assert strict.client.get(sdk_path(strict, "hopper", **plain)).status_code == 401
    assert strict.client.get(sdk_path(strict, "hopper", sign_url=True, **plain)).status_code == 200
    addon = dict(format="jpg", transformation=OBJECT_GRAVITY)
    assert open_server.client.get(sdk_path(open_server, "samples/cat", **addon)).status_code == 200
    auth = dict(type="authenticated", format="jpg")
    assert open_server.client.get(sdk_path(open_server, "hopper", **auth)).status_code == 401


def test_required_signature_without_configured_secret(origin_dir: Path) -> None:
    with server_with(origin_dir, signed="all") as server:
        path = sdk_path(server, "hopper", format="jpg", sign_url=True)
    # same path against a server without a secret: refused, never served unchecked
    from edge_live import Settings, create_app, serve_app

    settings = Settings(origin=str(origin_dir), cache="none", signed="all", api_secret="")
    with serve_app(create_app(settings)) as bare:
        r = bare.client.get(path)
        assert r.status_code == 401 and "api_secret" in r.headers["x-cld-error"]
