"""Paths the router's `{path:path}` cannot match still reach delivery (found by the fuzz test,
issue 9): a decoded newline, which is how Cloudinary URLs write multi-line text overlays
(`l_text:Arial_20:Line%201%0ALine%202`), got Starlette's bare 404 without `X-Cld-Error`."""

from __future__ import annotations

import numpy as np
import pyvips

from edge_live import Live


def _px(data: bytes) -> np.ndarray:
    img = pyvips.Image.new_from_buffer(data, "")
    return np.ndarray(buffer=img.write_to_memory(), dtype=np.uint8, shape=(img.height, img.width, img.bands)).astype(int)


def _lowest_text_row(data: bytes, base: bytes) -> int:
    """The lowest pixel row the text layer changed."""
    changed = np.abs(_px(data) - _px(base)).max(axis=2) > 60
    return int(np.nonzero(changed.any(axis=1))[0].max())


def test_multi_line_text_with_an_encoded_newline_renders(live: Live) -> None:
    one = live.raw("GET", "/demo/image/upload/l_text:Arial_20:Line%201,co_red/fl_layer_apply,g_north/hopper.png")
    two = live.raw("GET", "/demo/image/upload/l_text:Arial_20:Line%201%0ALine%202,co_red/fl_layer_apply,g_north/hopper.png")
    assert one.status_code == two.status_code == 200, two.headers.get("x-cld-error")
    base = live.raw("GET", "/demo/image/upload/hopper.png").content
    assert _lowest_text_row(two.content, base) > _lowest_text_row(one.content, base) + 15  # a second line
    img = pyvips.Image.new_from_buffer(two.content, "")
    assert (img.width, img.height) == (128, 128)


def test_a_newline_elsewhere_is_an_edge_answer_with_a_reason(live: Live) -> None:
    r = live.raw("GET", "/demo/image/upload/w_10/no%0Asuch.jpg")
    assert r.status_code == 404 and r.headers["x-cld-error"]
    bad = live.raw("POST", "/demo/image/upload/w_10/a%0Ab.jpg")
    assert bad.status_code == 405 and bad.headers["allow"] == "GET, HEAD" and bad.headers["x-cld-error"]
