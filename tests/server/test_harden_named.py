"""A named transformation behaves exactly as its expansion written out (issue 9, item 6):
`f_auto`, `q_auto`, `dpr_auto`, `w_auto`, `a_ignore` and URL-wide flags stored in a `t_<name>`
negotiate, key and render as the same chain in the URL."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pyvips
import pytest

from edge.render import render
from edge.url import parse
from edge_live import IMAGES, Live, server_with

NAMED = {
    "hero": "c_fill,w_160,ar_16:9/q_auto/f_auto",  # the example of edge/server/named.py, smaller
    "hd": "c_scale,w_100,dpr_auto",
    "fluid": "c_scale,w_auto:100",
    "keep": "a_ignore,c_scale,w_60",
    "info": "c_scale,w_50/fl_getinfo",
    "catcrop": "c_crop,g_cat",  # an add-on (object gravity): needs a signature, as written out
}


@pytest.fixture(scope="module")
def named_server(origin_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    path = tmp_path_factory.mktemp("named") / "named.toml"
    path.write_text("".join(f'{k} = "{v}"\n' for k, v in NAMED.items()))
    with server_with(origin_dir, named_transformations=str(path)) as server:
        yield server


def _pair(live: Live, name: str, public_id: str, headers: dict[str, str]):
    named = live.client.get(f"/demo/image/upload/t_{name}/{public_id}", headers=headers)
    written = live.client.get(f"/demo/image/upload/{NAMED[name]}/{public_id}", headers=headers)
    assert named.status_code == written.status_code == 200, (named.headers.get("x-cld-error"), written.headers.get("x-cld-error"))
    return named, written


@pytest.mark.parametrize("accept,ctype", [("image/avif,image/webp,*/*", "image/avif"),
                                          ("image/webp,*/*", "image/webp"), ("*/*", "image/png")])
def test_f_auto_in_a_named_transformation_negotiates(named_server: Live, accept: str, ctype: str) -> None:
    named, written = _pair(named_server, "hero", "samples/cat.png", {"accept": accept})
    assert named.headers["content-type"] == written.headers["content-type"] == ctype
    assert named.content == written.content
    assert "Accept" in named.headers["vary"]


def test_dpr_auto_and_w_auto_in_a_named_transformation_read_the_hints(named_server: Live) -> None:
    named, written = _pair(named_server, "hd", "hopper.jpg", {"sec-ch-dpr": "2"})
    assert pyvips.Image.new_from_buffer(named.content, "").width == 200
    assert named.content == written.content and "Sec-CH-DPR" in named.headers["vary"]
    named, written = _pair(named_server, "fluid", "samples/landscape.jpg", {"sec-ch-width": "250"})
    assert pyvips.Image.new_from_buffer(named.content, "").width == 300  # 250 up to the 100 px step
    assert named.content == written.content and "Sec-CH-Width" in named.headers["vary"]
    # the hint is part of the cache key: another width is another rendition
    other = named_server.client.get("/demo/image/upload/t_fluid/samples/landscape.jpg", headers={"sec-ch-width": "420"})
    assert pyvips.Image.new_from_buffer(other.content, "").width == 500


def test_url_wide_flags_in_a_named_transformation(named_server: Live) -> None:
    named, written = _pair(named_server, "info", "hopper.jpg", {})
    assert named.headers["content-type"] == written.headers["content-type"] == "application/json"


def test_a_ignore_in_a_named_transformation_keeps_the_stored_orientation() -> None:
    data = (IMAGES / "exif_orient6_waterfall.jpg").read_bytes()
    named = render(data, parse("/demo/image/upload/t_keep/w.jpg"), named=NAMED)
    written = render(data, parse(f"/demo/image/upload/{NAMED['keep']}/w.jpg"))
    upright = render(data, parse("/demo/image/upload/c_scale,w_60/w.jpg"))
    assert (named.width, named.height) == (written.width, written.height)
    assert named.height != upright.height  # stored sideways: another aspect than the upright one
    assert named.data == written.data


def test_an_add_on_inside_a_named_transformation_needs_the_signature(named_server: Live) -> None:
    """Under `--signed addons`, `t_catcrop` (object gravity inside) is refused unsigned exactly as
    `c_crop,g_cat` is, and renders when signed."""
    from edge.url.signing import sign_path

    from edge_live import SECRET

    for path in ("/demo/image/upload/t_catcrop/samples/cat.png", "/demo/image/upload/c_crop,g_cat/samples/cat.png"):
        r = named_server.client.get(path)
        assert r.status_code == 401 and "g_cat" in r.headers["x-cld-error"], (path, r.headers.get("x-cld-error"))
    signed = named_server.client.get(sign_path("/demo/image/upload/t_catcrop/samples/cat.png", SECRET))
    assert signed.status_code == 200 and signed.headers["content-type"] == "image/png"
