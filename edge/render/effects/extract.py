"""`e_extract:prompt_<p>|prompt_(<p1>;<p2>...)[;multiple_<b>][;mode_content|mask][;invert_<b>]
[;preserve-alpha_<b>]`: keep what the prompt names, make everything else transparent.

How (docs/models-research.md section 4; no open-vocabulary model exists offline):
1. Each prompt is passed as a target to the `FocusProvider` (Edge's VisionFocus maps it to COCO
   classes through its synonym table, e.g. `mug` -> cup).  Without `multiple_true` and with one
   prompt, only the most prominent instance is kept; several prompts imply multiple.
2. For each kept box, the provider's ``saliency`` mask of the box's crop (padded by `PAD` of its
   size on each side) becomes the alpha inside the padded box (union over boxes, by maximum).
   Crops go to `focus.uncached()` when the provider has it (derived pixels must not be cached
   under the asset's public_id).  Only the `MAX_CROPS` most prominent boxes are segmented on
   their own (one model run each); further boxes take the whole image's saliency mask inside
   their padded box, so `multiple_true` on a crowd costs at most MAX_CROPS + 1 runs.
3. A prompt no model knows (FocusError) or one that finds nothing falls back to the salient
   subject of the whole image.  The result then carries the pyvips metadata string
   ``edge-extract`` = ``fallback:unknown-prompt`` or ``fallback:not-found`` (absent when the
   prompt was found), which the server can copy to a response header.
`invert_true` inverts the alpha; `mode_mask` returns the alpha as a black/white sRGB image;
`preserve-alpha_true` multiplies an existing alpha in (default: replaced).
"""

from __future__ import annotations

import functools
from typing import Any

import pyvips

from edge.render.effects import EffectContext, register
from edge.render.effects._pixels import to_uchar
from edge.render.effects._regions import grow_box
from edge.render.effects.background_removal import apply_alpha, region_alpha, saliency_alpha
from edge.render.errors import RenderError
from edge.render.focus import FocusError
from edge.url.ast import Effect
from edge.url.errors import UrlError

__all__ = ["extract", "prompts", "object_alpha", "METADATA", "PAD", "MAX_CROPS"]

METADATA = "edge-extract"
PAD = 0.1  # ratio of the box size added on each side before segmenting the crop
MAX_CROPS = 4  # boxes segmented on their own; the rest use the whole-image mask
_BOOL = {"true": True, "false": False, None: None, "": None}


def prompts(effect: Effect) -> list[str]:
    """The prompt words of `effect` (`prompt_cup` -> ['cup'], `prompt_(cup;dog)` -> both).
    Raises UrlError when there is none."""
    raw = effect.option("prompt")
    if raw is None:
        raise UrlError(f"e_{effect.name} needs a prompt (e_{effect.name}:prompt_<object>)")
    raw = raw.strip()
    if raw.startswith("(") and raw.endswith(")"):
        raw = raw[1:-1]
    words = [w.strip() for w in raw.split(";") if w.strip()]
    if not words:
        raise UrlError(f"e_{effect.name} needs a prompt (e_{effect.name}:prompt_<object>)")
    return words


def _flag(effect: Effect, key: str, default: bool) -> bool:
    value = effect.option(key)
    if value not in _BOOL:
        raise UrlError(f"Invalid value for e_{effect.name}: {key}_{value}")
    got = _BOOL[value]
    return default if got is None else got


def object_alpha(image: pyvips.Image, boxes: list[tuple[int, int, int, int]], focus: Any) -> pyvips.Image:
    """uchar alpha (image size): for each box (most prominent first), the saliency mask of its
    padded crop, placed at the crop; the union (maximum) over boxes.  Boxes after the first
    `MAX_CROPS` use the whole image's mask inside the padded box; a box without any mask keeps
    its whole box."""
    W, H = image.width, image.height
    crop_focus = focus.uncached() if hasattr(focus, "uncached") else focus
    alpha = pyvips.Image.black(W, H)
    whole = functools.cache(lambda: saliency_alpha(image, focus))  # one model run, on first need
    for i, box in enumerate(boxes):
        padded = grow_box(box, PAD, W, H)
        if padded is None:
            continue
        x0, y0, pw, ph = padded
        if i < MAX_CROPS:
            inner = saliency_alpha(image.crop(x0, y0, pw, ph), crop_focus)
        else:
            inner = whole()
            inner = inner.crop(x0, y0, pw, ph) if inner is not None else None
        if inner is None:
            part = region_alpha(W, H, box, None)
        else:
            part = inner.embed(x0, y0, W, H, background=[0])
        alpha = alpha.maxpair(part)
    return to_uchar(alpha)


@register("extract")
def extract(image: pyvips.Image, effect: Effect, ctx: EffectContext) -> pyvips.Image:
    """`e_extract:prompt_...` (see the module doc).  Raises UrlError for bad options and
    RenderError when no provider with masks is available."""
    words = prompts(effect)
    multiple = _flag(effect, "multiple", len(words) > 1)
    invert = _flag(effect, "invert", False)
    preserve = _flag(effect, "preserve-alpha", False)
    mode = effect.option("mode", "content") or "content"
    if mode not in ("content", "mask"):
        raise UrlError(f"Invalid value for e_{effect.name}: mode_{mode}")
    focus = ctx.focus
    if focus is None:
        raise RenderError(f"e_{effect.name} needs Edge's vision models")
    boxes: list[tuple[int, int, int, int]] = []
    unknown = 0
    for word in words:
        try:
            regions = list(focus.find(image, word))
        except FocusError:
            unknown += 1
            continue
        if regions:
            chosen = regions if multiple else regions[:1]
            boxes.extend(tuple(int(v) for v in r.box) for r in chosen)
    fallback = None
    if boxes:
        alpha = object_alpha(image, boxes, focus)
    else:
        fallback = "fallback:unknown-prompt" if unknown == len(words) else "fallback:not-found"
        alpha = saliency_alpha(image, focus)
        if alpha is None:
            raise RenderError(f"e_{effect.name}: nothing to extract (no object and no salient subject)")
    if invert:
        alpha = to_uchar(255 - alpha)
    if mode == "mask":
        out = alpha.bandjoin([alpha, alpha]).copy(interpretation="srgb")
    else:
        out = apply_alpha(image, alpha, preserve)
    if fallback:
        out = out.copy()
        out.set_type(pyvips.GValue.gstr_type, METADATA, fallback)
    return out
