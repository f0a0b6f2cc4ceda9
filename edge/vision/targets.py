"""From a gravity/effect target name (+ optional model prefix) to the model and labels to ask.

Accepted targets (case-insensitive; `_`, `-` and spaces ignored inside names):
* ``faces`` / ``face`` -> model `faces`; ``ocr_text`` / ``text`` -> model `text` (cld-text);
  ``saliency`` -> model `saliency`; ``object`` / ``objects`` -> every COCO class.
* a COCO class (`cat`, `traffic_light`), its plural (`cats`), a category (`animal`, `vehicle`,
  `person`, `kitchen`, `furniture`, `electronic`, `food`, `sports`, `accessory`, `outdoor`,
  `indoor`, `appliance`) or its plural, or a synonym (`mug` -> cup) -> model `coco`.
* a model prefix, either in `model` (`coco`, `coco_v2`, `cld-text`) or written into the target
  (`coco_cat`, `coco_v2_cat`).  Without one, models are tried in Cloudinary's invocation order
  (coco > cld-fashion > lvis > unidet > human-anatomy > cld-text), of which Edge has coco and
  cld-text.

Anything else raises `edge.render.focus.FocusError` (HTTP 400): a name no model knows, or a
model Edge does not ship (lvis, unidet, cld-fashion, human-anatomy).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from edge.render.focus import FocusError
from edge.vision.labels import COCO80, resolve

__all__ = ["Query", "parse_target", "KNOWN_MODELS", "MISSING_MODELS"]

KNOWN_MODELS = {"coco": "coco", "cld-text": "text", "cldtext": "text", "text": "text",
                "faces": "faces", "saliency": "saliency"}
MISSING_MODELS = ("cld-fashion", "lvis", "unidet", "human-anatomy", "shop-classifier", "image-type")
_PREFIX = re.compile(r"^(coco|cld-text|cld-fashion|lvis|unidet|human-anatomy)(?:_(v\d+))?_(.+)$")
_MODEL = re.compile(r"^([a-z][a-z-]*?)(?:_(v\d+))?$")


@dataclass(frozen=True, slots=True)
class Query:
    """One question for a model: `model` (`coco`, `faces`, `text`, `saliency`), `classes`
    (COCO names to keep; None = every label the model gives), `plural` (keep every instance)."""

    model: str
    classes: frozenset[str] | None
    plural: bool


def _model_name(prefix: str) -> str:
    m = _MODEL.match(prefix)
    base = m.group(1) if m else prefix
    if base in MISSING_MODELS:
        raise FocusError(f"Detection model {base} is not available")
    if base not in KNOWN_MODELS:
        raise FocusError(f"Unknown detection model: {prefix}")
    return KNOWN_MODELS[base]


def parse_target(target: str, model: str | None = None) -> Query:
    """The `Query` for `target` (see the module doc).  Raises FocusError for an unknown name
    or an unavailable model."""
    name = target.strip().lower()
    if not name:
        raise FocusError("Empty detection target")
    if model is None:
        m = _PREFIX.match(name)
        if m:
            model, name = m.group(1) + (f"_{m.group(2)}" if m.group(2) else ""), m.group(3)
    wanted = _model_name(model.strip().lower()) if model else None
    key = re.sub(r"[^a-z]", "", name)
    if key in ("face", "faces", "adv_face", "advface", "advfaces"):
        if wanted not in (None, "faces"):
            raise FocusError(f"Model {model} does not detect faces")
        return Query("faces", None, key.endswith("s"))
    if key in ("ocrtext", "text"):
        if wanted not in (None, "text"):
            raise FocusError(f"Model {model} does not detect text")
        return Query("text", None, True)
    if key == "saliency":
        if wanted not in (None, "saliency"):
            raise FocusError(f"Model {model} does not detect saliency")
        return Query("saliency", None, False)
    if wanted not in (None, "coco"):
        raise FocusError(f"Model {model} does not detect {target}")
    t = resolve(name)
    if t is None:
        raise FocusError(f"No detection model knows {target!r}")
    classes = None if t.classes == frozenset(COCO80) else t.classes
    return Query("coco", classes, t.plural)
