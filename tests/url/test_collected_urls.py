"""The hand-collected URL list (`collected_urls.txt`, one URL per form of issue 14, each with its
source): every line parses and renders, or refuses exactly as the line says.

Rendering is real: the photo named on the line goes through `edge.render.render` with Edge's
own vision models (`edge.vision.VisionFocus`: face, COCO and text detectors from models/) and
image layers served from tests/images; nothing leaves the machine (fetch layers and fetch URLs
get a local photo too).
"""

from __future__ import annotations

import functools
import pathlib

import pytest

from edge.render import render
from edge.render.errors import RenderError
from edge.url import UrlError, canonical, parse
from edge.url.ast import Layer

HERE = pathlib.Path(__file__).resolve().parent
IMAGES = HERE.parent / "images"
#: layer public ids used by the list -> the photo that stands for them
LAYER_PHOTOS = {"badge": "alpha_logo_rgba.png", "logo": "alpha_logo_rgba.png", "docs/logo/logo": "alpha_logo_rgba.png",
                "sample": "tiny_hopper_128.jpg"}
#: named transformations used by the list
NAMED = {"my preset": "c_fill,h_120,w_160/e_sepia"}
#: contextual and structured metadata the `$var_ctx:`/`md:` lines read
CONTEXT = {"width": "240"}
METADATA = {"ratio": "1.5"}


def _lines() -> list[tuple[str, str, str, str]]:
    out = []
    for n, line in enumerate((HERE / "collected_urls.txt").read_text(encoding="utf-8").splitlines(), 1):
        body = line.split("   #", 1)[0].strip()
        if not body or body.startswith("#"):
            continue
        expect, photo, path = (part.strip() for part in body.split("|"))
        out.append((f"line{n}", expect, photo, path))
    return out


LINES = _lines()


@functools.cache
def _photo(name: str) -> bytes:
    return (IMAGES / name).read_bytes()


def _load_layer(layer: Layer) -> bytes:
    if layer.kind == "fetch":
        assert layer.url == "https://example.com/logos/edge.png"  # base64 decoded, padding or %3D
        return _photo("alpha_logo_rgba.png")
    return _photo(LAYER_PHOTOS[layer.public_id])


@functools.cache
def _focus():
    from edge.vision import VisionFocus

    return VisionFocus()


def test_the_list_covers_every_form():
    assert len(LINES) >= 60
    kinds = {expect.split()[0] for _, expect, _, _ in LINES}
    assert kinds == {"ok", "refuse", "bad"}


@pytest.mark.parametrize("where,expect,photo,path", LINES, ids=[line[0] for line in LINES])
def test_collected_url(where, expect, photo, path):
    kind, _, needle = expect.partition(" ")
    if kind == "bad":
        with pytest.raises(UrlError) as info:
            parse(path)
        assert needle in str(info.value)
        return
    request = parse(path)
    again = parse(canonical(request))  # the canonical form parses to the same request
    assert again.components == request.components and again.public_id == request.public_id
    kwargs = dict(focus=_focus(), load_layer=_load_layer, named=NAMED, context=CONTEXT, metadata=METADATA)
    if kind == "refuse":
        with pytest.raises(RenderError) as info:
            render(_photo(photo), request, **kwargs)
        assert needle in str(info.value)
        assert getattr(info.value, "status", 400) == 400
        return
    rendered = render(_photo(photo), request, **kwargs)
    assert rendered.data and rendered.width > 0 and rendered.height > 0
