"""Helpers for the component interpreter and layer tests (tests/render/program).

`MiniPipeline` is a deliberately small stand-in for the render pipeline's per-component step
(only `c_scale` with `w`/`h`, done with pyvips on real photos); it plugs into `program.run`
and `layers.apply_layer` exactly as the lead's integration will, through the callbacks.
`local_place`/`local_composite`/`local_render_text` are small pyvips versions of the layer
ops, used when `edge.render.ops.blend`/`text` do not exist yet.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pyvips

from edge.render.layers import LayerBlock, apply_layer, structure
from edge.render.program import ImageState, run
from edge.url import parse
from edge.url.ast import Component, Layer, Length
from edge.url.component import parse_component

IMAGES = Path(__file__).resolve().parents[2] / "images"


def load(name: str) -> pyvips.Image:
    """A real photo from tests/images, fully decoded (8-bit sRGB)."""
    from edge.render.source import normalize

    return normalize(pyvips.Image.new_from_file(str(IMAGES / name))).copy_memory()


def chain(text: str) -> tuple[Component, ...]:
    """Components of a transformation string, through the real URL parser."""
    return parse(f"/demo/image/upload/{text}/sample.jpg").components


def components(text: str) -> tuple[Component, ...]:
    """Components parsed one by one (no structural check), for malformed chains."""
    return tuple(parse_component(part) for part in text.split("/"))


def pixels(image: pyvips.Image) -> np.ndarray:
    """(h, w, bands) uint8 array of an image."""
    return np.ndarray(
        buffer=image.write_to_memory(), dtype=np.uint8, shape=(image.height, image.width, image.bands)
    )


# ------------------------------------------------------------------------------ local layer ops

_MODES = {"over": "over", "multiply": "multiply", "screen": "screen", "overlay": "overlay",
          "mask": "dest-in", "cut_out": "dest-out"}


def local_place(base_size, layer_size, compass, x, y):
    bw, bh = base_size
    lw, lh = layer_size
    if "west" in compass:
        left = x
    elif "east" in compass:
        left = bw - lw - x
    else:
        left = (bw - lw) // 2 + x
    if "north" in compass:
        top = y
    elif "south" in compass:
        top = bh - lh - y
    else:
        top = (bh - lh) // 2 + y
    return left, top


def local_composite(base, layer, x, y, mode, tiled):
    if layer.bands == 3:
        layer = layer.bandjoin(255)
    if tiled:
        layer = layer.replicate(base.width // layer.width + 1, base.height // layer.height + 1).crop(0, 0, base.width, base.height)
        x = y = 0
    canvas = pyvips.Image.black(base.width, base.height, bands=4).copy(interpretation="srgb")
    canvas = canvas.insert(layer, x, y)
    out = base.composite2(canvas, _MODES[mode])
    out = out.cast("uchar")
    return out.extract_band(0, n=3) if base.bands == 3 and mode not in ("mask", "cut_out") else out


def local_render_text(content, style, color, width=None):
    extra = {"width": width} if width else {}
    mask = pyvips.Image.text(content, font=f"{style.font} {style.size}", dpi=72, **extra)
    rgb = mask.new_from_image([color.r, color.g, color.b]).copy(interpretation="srgb")
    return rgb.bandjoin(mask).cast("uchar")




# ------------------------------------------------------------------------------ mini pipeline


def _target(length: Length | None, reference: int) -> float | None:
    if length is None:
        return None
    return float(length.value) * reference if length.relative else float(length.value)


class MiniPipeline:
    """`c_scale` with w/h on pyvips, plus layers through `apply_layer`; records what it ran.

    `sources` maps a layer public_id to a photo file name in tests/images.
    """

    def __init__(self, ops: Mapping[str, Any] | None = None, sources: Mapping[str, str] | None = None):
        self.ops = dict(ops or {})
        self.sources = dict(sources or {})
        self.applied: list[Any] = []
        self.envs: list[Mapping[str, Any]] = []

    def scale(self, image: pyvips.Image, comp: Component) -> pyvips.Image:
        w = _target(comp.get("w"), image.width)
        h = _target(comp.get("h"), image.height)
        if w is None and h is None:
            return image
        sx = w / image.width if w is not None else h / image.height
        sy = h / image.height if h is not None else sx
        out = image.resize(sx, vscale=sy)
        tw = round(w) if w is not None else round(image.width * sx)
        th = round(h) if h is not None else round(image.height * sy)
        return out.crop(0, 0, min(tw, out.width), min(th, out.height))

    def load_source(self, layer: Layer) -> pyvips.Image:
        return load(self.sources[layer.public_id])

    def render(self, image: pyvips.Image, comps: Sequence[Component], variables: Mapping[str, Any] | None = None, **state: Any) -> ImageState:
        current = ImageState.of(image, variables=dict(variables or {}), **state)

        def apply(step: Any, env: Mapping[str, Any]) -> ImageState:
            nonlocal current
            self.applied.append(step)
            self.envs.append(env)
            if isinstance(step, LayerBlock):
                out = apply_layer(
                    current.image,
                    step,
                    load_source=self.load_source,
                    render_chain=lambda img, body: self.render(img, body, env).image,
                    **self.ops,
                )
            else:
                out = self.scale(current.image, step)
            current = current.advanced(out)
            return current

        return run(structure(comps), current, apply)
