"""Pure parts of the server: signature policy, Accept/client-hint negotiation, validators,
error classification."""

from __future__ import annotations

import pytest

from edge.render.errors import LimitError, RenderError
from edge.server.errors import classify
from edge.server.negotiate import accept_class, negotiate
from edge.server.policy import addon_reason, signature_reason
from edge.server.pool import Overloaded, PoolTimeout
from edge.server.responses import etag_matches, header_safe
from edge.storage import AssetNotFound, FetchDenied, OriginUnavailable
from edge.url import UrlError, parse


def _req(t: str, dtype: str = "upload"):  # type: ignore[no-untyped-def]
    return parse(f"/demo/image/{dtype}/{t}/x.jpg" if t else f"/demo/image/{dtype}/x.jpg")


@pytest.mark.parametrize("t", [
    "c_fill,g_auto:cat,w_10,h_10", "c_fill,g_cat,w_10,h_10", "c_fill,g_dog:auto:cat,w_10,h_10",
    "c_fill,g_auto:person_avoid,w_10,h_10", "e_extract:prompt_earring", "e_background_removal",
    "e_zoompan:to_(g_cat;zoom_2)", "w_100/c_crop,g_auto:coco_v2_car,w_10,h_10", "e_gen_remove:prompt_x",
])
def test_addons(t: str) -> None:
    assert addon_reason(_req(t).components)
    assert signature_reason(_req(t), "addons")
    assert signature_reason(_req(t), "none") is None


@pytest.mark.parametrize("t", [
    "c_fill,g_auto,w_10,h_10", "c_fill,g_auto:subject,w_10,h_10", "c_thumb,g_face,w_10,h_10",
    "c_thumb,g_faces,w_10,h_10", "e_pixelate_faces", "c_fill,g_auto:faces,w_10,h_10",
    "c_fill,g_north_east,w_10,h_10", "e_zoompan", "e_sepia", "",
])
def test_builtins(t: str) -> None:
    assert addon_reason(_req(t).components) is None
    assert signature_reason(_req(t), "addons") is None
    assert signature_reason(_req(t), "all")


def test_delivery_type_rules() -> None:
    assert signature_reason(_req("w_10", "authenticated"), "none")
    assert signature_reason(_req("", "private"), "none")
    assert signature_reason(_req("w_10", "private"), "addons") is None
    assert signature_reason(_req("w_10", "private"), "all")


@pytest.mark.parametrize("accept,expected", [
    ("image/avif,image/webp,*/*", "avif.webp"), ("image/webp", "webp"), ("*/*", ""),
    ("image/jxl;q=0.9, image/webp;q=0", "jxl"), ("", ""), ("IMAGE/WEBP", "webp"),
    ("image/webp;q=0.05", "webp"), ("image/webp; q=0.000", ""), ("image/avif;level=1;q=0.5", "avif"),
])
def test_accept_class(accept: str, expected: str) -> None:
    assert accept_class(accept) == expected


def test_negotiation_only_uses_what_the_url_asks_for() -> None:
    plain = negotiate(_req("w_10"), {"accept": "image/avif", "sec-ch-dpr": "2"})
    assert plain.accept == "" and plain.dpr_hint is None and plain.vary == () and plain.output == "jpg"
    auto = negotiate(_req("f_auto,dpr_auto/w_auto:100:300"), {"accept": "image/webp", "sec-ch-dpr": "1.2",
                                                              "sec-ch-width": "250"})
    assert auto.output == "jpg|auto:webp" and auto.dpr_hint == 2.0 and auto.width_hint == 250
    assert auto.accept == "image/webp"  # render sees exactly what the key records
    assert auto.width_key == "300" and {"Accept", "Sec-CH-DPR", "Sec-CH-Width"} <= set(auto.vary)
    bad = negotiate(_req("dpr_auto,w_auto"), {"dpr": "nan", "width": "-4"})
    assert bad.dpr_hint is None and bad.width_hint is None


def test_validators_and_header_safety() -> None:
    assert etag_matches('"a", "b"', "b") and etag_matches("*", "x") and etag_matches('W/"b"', "b")
    assert not etag_matches(None, "b") and not etag_matches('"c"', "b")
    assert header_safe("bad\r\nX-Injected: 1\u00e9") == "bad??X-Injected: 1?"


@pytest.mark.parametrize("exc,status", [
    (UrlError("x"), 400), (RenderError("x"), 400), (LimitError("x"), 413), (AssetNotFound("x"), 404),
    (FetchDenied("x"), 403), (OriginUnavailable("x"), 503), (Overloaded(), 503), (PoolTimeout(), 503),
    (RuntimeError("bug"), 500),
])
def test_classify(exc: Exception, status: int) -> None:
    assert classify(exc)[0] == status
