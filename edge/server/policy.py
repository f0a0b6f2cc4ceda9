"""Signature policy: which delivery requests need a valid `s--<sig>--` segment.

Mirrors Cloudinary's defaults (docs: delivery URL signatures; "strict transformations";
add-on usage needs a signed URL):
* `authenticated` always needs a signature, and so does any URL with an `l_private:`/
  `l_authenticated:` layer; `private` needs one for the original (no
  transformation) and, under `--signed all`, for derivatives too;
* `--signed addons` (default): a component that calls an add-on model needs one: object
  gravity (`g_cat`, `g_auto:cat`, `g_dog:auto:cat`, `g_auto:person_avoid`), OCR and advanced
  face gravities (`g_ocr_text`, `g_adv_face`...), `e_extract`, `e_background_removal`, the
  generative effects (`e_gen_*`, `b_gen_fill`, `e_upscale`) and `e_zoompan` with object
  gravity.  Built-in features stay free: `g_auto`, `g_auto:subject`, `g_auto:faces`,
  `g_face(s)`, `e_pixelate_faces`, `e_blur_faces`, ...;
* `--signed all`: every request; `--signed none`: only the two delivery types above.
"""

from __future__ import annotations

import re
from typing import Iterable, Sequence

from edge.url.ast import Component, DeliveryRequest, Gravity

__all__ = ["signature_reason", "addon_reason", "protected_layer"]

#: `g_auto:<focal>` names handled without an add-on model.
BUILTIN_FOCALS = frozenset({
    "subject", "classic", "faces", "face", "no_faces", "none", "custom_no_override", "custom",
    "object",
})
#: Gravity kinds that call an add-on model.
ADDON_GRAVITY_KINDS = frozenset({"objects", "ocr_text", "adv_face", "adv_faces", "adv_eyes"})
#: Effects that call an add-on or generative model.
ADDON_EFFECTS = frozenset({"extract", "background_removal", "upscale", "bgremoval"})
#: Gravity words that are not object names inside `e_zoompan` options.
_PLAIN_GRAVITY = frozenset({
    "auto", "center", "centre", "north", "south", "east", "west", "north_east", "north_west",
    "south_east", "south_west", "face", "faces", "custom", "xy_center", "subject", "classic",
})
_ZOOMPAN_G = re.compile(r"g_([A-Za-z0-9_:-]+)")


def _gravity_addon(g: Gravity) -> str | None:
    if g.kind in ADDON_GRAVITY_KINDS:
        return f"g_{g.text}"
    if g.kind == "auto":
        for focal in g.focals:
            if focal.name.startswith("aoi_"):
                continue
            if focal.name not in BUILTIN_FOCALS or focal.avoid and focal.name != "faces":
                return f"g_{g.text}"
    return None


def _zoompan_addon(text: str) -> bool:
    for m in _ZOOMPAN_G.finditer(text):
        words = [w for w in m.group(1).split(":") if w and not w.isdigit()]
        if any(w not in _PLAIN_GRAVITY for w in words):
            return True
    return False


def addon_reason(components: Iterable[Component]) -> str | None:
    """The first transformation parameter that needs an add-on model (`g_auto:cat`,
    `e_extract`...), or None when every parameter is a built-in feature."""
    for comp in components:
        for p in comp:
            if p.key == "g" and isinstance(p.value, Gravity):
                reason = _gravity_addon(p.value)
                if reason:
                    return reason
            elif p.key == "e":
                name = getattr(p.value, "name", "")
                if name in ADDON_EFFECTS or name.startswith("gen_"):
                    return f"e_{name}"
                if name == "zoompan" and _zoompan_addon(p.text):
                    return "e_zoompan with object gravity"
            elif p.key == "b" and getattr(p.value, "special", None) and str(p.text).startswith("gen_fill"):
                return "b_gen_fill"
    return None


def protected_layer(components: Iterable[Component]) -> str | None:
    """The first `l_private:`/`l_authenticated:` (or `u_`) layer, whose URL must be signed as
    Cloudinary requires, or None."""
    for comp in components:
        for p in comp:
            if p.key in ("l", "u") and getattr(p.value, "kind", None) in ("private", "authenticated"):
                return f"{p.key}_{p.text}"
    return None


def signature_reason(request: DeliveryRequest, mode: str,
                     components: Sequence[Component] | None = None) -> str | None:
    """Why `request` needs a signature under `mode` (`none`/`addons`/`all`), or None.
    `components`: the chain with named transformations expanded (default: the URL's own), so
    an add-on or a protected layer inside `t_<name>` needs the signature it needs written out."""
    if request.delivery_type == "authenticated":
        return "authenticated delivery"
    if request.delivery_type == "private" and not request.components:
        return "private original"
    chain = request.components if components is None else components
    protected = protected_layer(chain)
    if protected:
        return f"protected layer {protected}"
    if mode == "all":
        return "signed URLs required"
    if mode == "addons":
        reason = addon_reason(chain)
        if reason:
            return f"add-on transformation {reason}"
    return None
