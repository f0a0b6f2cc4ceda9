"""HTTP semantics of delivery URLs against a real uvicorn: headers, validators, caching,
negotiation, attachments, default images, raw paths, routes."""

from __future__ import annotations

import pyvips
import pytest

from edge_live import Live

LANDSCAPE = "/demo/image/upload/c_fill,w_400,h_300/samples/landscape.jpg"


def _size(data: bytes) -> tuple[int, int]:
    img = pyvips.Image.new_from_buffer(data, "")
    return img.width, img.height


def test_render_and_core_headers(live: Live) -> None:
    r = live.client.get(LANDSCAPE)
    assert r.status_code == 200
    assert r.headers["content-type"] == "image/jpeg"
    assert int(r.headers["content-length"]) == len(r.content)
    assert _size(r.content) == (400, 300)
    assert r.headers["etag"].startswith('"') and len(r.headers["etag"]) == 42
    assert r.headers["cache-control"] == "public, max-age=3600"
    assert r.headers["access-control-allow-origin"] == "*"
    assert r.headers["timing-allow-origin"] == "*"
    timing = r.headers["server-timing"]
    for name in ("parse;dur=", "load;dur=", "render;dur="):
        assert name in timing
    assert "vary" not in r.headers


def test_second_request_is_a_memory_hit_with_same_etag(live: Live) -> None:
    first = live.client.get("/demo/image/upload/c_fill,w_120,h_90/samples/landscape.jpg")
    second = live.client.get("/demo/image/upload/h_90,w_120,c_fill/samples/landscape.jpg")  # other order
    assert second.headers["x-edge-cache"] == "memory"
    assert second.headers["etag"] == first.headers["etag"] and second.content == first.content


def test_if_none_match_gives_304(live: Live) -> None:
    r = live.client.get(LANDSCAPE)
    etag = r.headers["etag"]
    again = live.client.get(LANDSCAPE, headers={"If-None-Match": f'"other", {etag}'})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    weak = live.client.get(LANDSCAPE, headers={"If-None-Match": f"W/{etag}"})
    assert weak.status_code == 304
    miss = live.client.get(LANDSCAPE, headers={"If-None-Match": '"nope"'})
    assert miss.status_code == 200


def test_versioned_urls_are_immutable(live: Live) -> None:
    r = live.client.get("/demo/image/upload/c_scale,w_50/v1700000000/hopper.jpg")
    assert r.status_code == 200
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"


def test_f_auto_negotiates_and_varies_on_accept(live: Live) -> None:
    url = "/demo/image/upload/c_scale,w_200,f_auto/samples/dog"
    webp = live.client.get(url, headers={"Accept": "image/webp,image/*,*/*;q=0.8"})
    jpeg = live.client.get(url, headers={"Accept": "image/jpeg,*/*"})
    assert webp.headers["content-type"] == "image/webp" and webp.content[8:12] == b"WEBP"
    assert jpeg.headers["content-type"] == "image/jpeg" and jpeg.content[:2] == b"\xff\xd8"
    assert "Accept" in webp.headers["vary"] and "Accept" in jpeg.headers["vary"]
    again = live.client.get(url, headers={"Accept": "image/webp"})
    assert again.headers["x-edge-cache"] == "memory" and again.content == webp.content


def test_f_auto_never_sends_a_format_the_client_refused(live: Live) -> None:
    """`q=0` refuses a type: the render must not pick it, or the cached variant of the
    `webp` class would be AVIF for the next client that only takes WebP."""
    url = "/demo/image/upload/c_scale,w_120,f_auto/samples/dog"
    refused = live.client.get(url, headers={"Accept": "image/avif;q=0, image/webp, */*"})
    assert refused.headers["content-type"] == "image/webp"
    webp_only = live.client.get(url, headers={"Accept": "image/webp"})
    assert webp_only.headers["x-edge-cache"] == "memory" and webp_only.content == refused.content


def test_dpr_auto_uses_client_hint(live: Live) -> None:
    url = "/demo/image/upload/c_scale,w_100,dpr_auto/hopper.jpg"
    one = live.client.get(url)
    two = live.client.get(url, headers={"Sec-CH-DPR": "1.5"})
    assert _size(one.content)[0] == 100 and _size(two.content)[0] == 200
    assert "Sec-CH-DPR" in two.headers["vary"] and "accept-ch" in two.headers


def test_attachment_sets_content_disposition(live: Live) -> None:
    r = live.client.get("/demo/image/upload/fl_attachment:my_photo,w_60,c_scale/hopper.jpg")
    assert r.status_code == 200
    assert r.headers["content-disposition"].startswith("attachment;")
    assert "my_photo" in r.headers["content-disposition"]
    plain = live.client.get("/demo/image/upload/w_60,c_scale/hopper.jpg")
    assert "content-disposition" not in plain.headers


def test_head_has_headers_without_body(live: Live) -> None:
    get = live.client.get(LANDSCAPE)
    head = live.client.head(LANDSCAPE)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["etag"] == get.headers["etag"]
    assert head.headers["content-length"] == get.headers["content-length"]


def test_cloudless_form_and_encoded_public_id(live: Live) -> None:
    a = live.client.get("/image/upload/c_scale,w_80/folder%20with%20space/coffee.png")
    assert a.status_code == 200 and a.headers["content-type"] == "image/png"
    assert _size(a.content)[0] == 80


def test_default_image_replaces_a_missing_asset(live: Live) -> None:
    r = live.client.get("/demo/image/upload/d_hopper.jpg,c_scale,w_40/does/not/exist.jpg")
    assert r.status_code == 200 and _size(r.content)[0] == 40
    assert r.headers["x-cld-error"] and r.headers["cache-control"].startswith("private")
    # not cached as if it were the asset: asked again it is still the placeholder, re-made
    assert live.client.get("/demo/image/upload/d_hopper.jpg,c_scale,w_40/does/not/exist.jpg").headers["x-edge-cache"] != "memory"


@pytest.mark.parametrize("path,status,reason", [
    ("/demo/image/upload/w_100/nothing/here.jpg", 404, "not found"),
    ("/other/image/upload/w_100/hopper.jpg", 404, "cloud"),
    ("/demo/video/upload/w_100/hopper.mp4", 404, "resource type"),
    ("/demo/image/upload/ab_cd/v1/hopper.jpg", 400, "ab"),
    ("/demo/image/upload/w_-5/hopper.jpg", 400, ""),
    ("/demo/image/upload/c_scale,w_50/broken.jpg", 400, ""),
    ("/demo/image/upload/c_scale,w_50/../../etc/passwd", 404, ""),
    ("/demo/image/upload/c_scale,w_50/%2e%2e/%2e%2e/etc/passwd", 404, ""),
    ("/demo/image/fetch/https://example.com/a.jpg", 403, "not allowed"),
    ("/demo/image/upload/c_fill,g_auto:cat,w_50,h_50/samples/cat.jpg", 401, "Signature required"),
    ("/demo/image/authenticated/w_50/hopper.jpg", 401, "Signature required"),
    ("/demo/image/upload/s--AAAAAAAA--/w_50/hopper.jpg", 401, "Invalid signature"),
    ("/demo/image/upload/w_90000,h_90000,c_scale/hopper.jpg", 413, ""),
    ("/favicon.ico", 400, ""),
])
def test_error_paths_have_status_and_x_cld_error(live: Live, path: str, status: int, reason: str) -> None:
    r = live.raw("GET", path)
    assert r.status_code == status, (r.status_code, r.headers.get("x-cld-error"))
    assert r.headers["x-cld-error"]
    assert reason.lower() in r.headers["x-cld-error"].lower()
    assert r.headers["access-control-allow-origin"] == "*"


def test_non_ascii_raw_path_is_a_clean_400(live: Live) -> None:
    """httptools refuses raw non-ASCII targets itself (400); Edge's own check covers servers
    that pass them through."""
    status, _headers = live.socket_get("/demo/image/upload/c_scale,w_50/caf\u00e9.jpg".encode("latin-1"))
    assert status == 400
    status, _ = live.socket_get("/demo/image/upload/w_50/caf\u00e9.jpg".encode("utf-8"))
    assert status == 400


def test_forwarded_headers_do_not_change_security(live: Live) -> None:
    r = live.client.get("/demo/image/authenticated/w_50/hopper.jpg",
                        headers={"X-Forwarded-For": "127.0.0.1", "X-Forwarded-Proto": "https",
                                 "X-Forwarded-Host": "trusted.example"})
    assert r.status_code == 401


def test_health_ready_and_metrics(live: Live) -> None:
    assert live.client.get("/healthz").text == "ok\n"
    assert live.client.get("/readyz").status_code == 200
    live.client.get(LANDSCAPE)
    text = live.client.get("/metrics").text
    for name in ("edge_requests_total{status=\"200\"}", "edge_render_seconds_bucket",
                 "edge_cache_requests_total{tier=\"memory\"}", "edge_renders_in_flight",
                 "edge_render_queue_depth"):
        assert name in text, name
    assert live.metric("edge_requests_total", status="200") >= 1


def test_post_is_not_allowed_and_not_a_5xx(live: Live) -> None:
    r = live.client.post(LANDSCAPE, content=b"x")
    assert r.status_code == 405


def test_raw_path_decoding_refuses_non_ascii() -> None:
    from edge.server.delivery import raw_request_path
    from edge.url import UrlError

    assert raw_request_path({"raw_path": b"/demo/image/upload/a%20b.jpg"}) == "/demo/image/upload/a%20b.jpg"
    with pytest.raises(UrlError):
        raw_request_path({"raw_path": "/demo/image/upload/caf\u00e9.jpg".encode()})


@pytest.mark.parametrize("path", [
    "/demo/images/c_scale,w_30/hopper/my-seo-name.jpg",
    "/images/c_scale,w_30/hopper/my-seo-name.jpg",
    "/demo/iu/c_scale,w_30/hopper.jpg",
    "/demo/image/upload/c_scale,w_30/hopper.jpg?_a=BBGABlZE0",
])
def test_short_forms_seo_suffix_and_analytics_query(live: Live, path: str) -> None:
    r = live.client.get(path)
    assert r.status_code == 200, r.headers.get("x-cld-error")
    assert _size(r.content)[0] == 30
