"""`VisionFocus`: Edge's models behind render's `FocusProvider` protocol (edge/render/focus.py).

The server builds one per request: ``VisionFocus(public_id, version, store)``.  `find(image,
target, model=None)` returns `edge.render.focus.Region`s in pixels of `image`, most prominent
first:
* objects (`cat`, `cats`, `animal`, `object`, `coco_v2_cat`, synonyms such as `mug`): COCO
  detections of the wanted classes, ranked by prominence = score x sqrt(box area / image area)
  x (1 - 0.5 x distance of the box centre from the image centre / half diagonal).  The seeds
  say "larger, more central ... objects get higher priority"; the formula is Edge's own.
  Every instance is returned for singular and plural names alike: keeping only the first one
  for a singular name (`g_cat`) is the gravity rule's business.
* `faces`: every face, largest x most confident first; a confident person box with no face
  found in it adds a head estimate (model `heads`, edge.vision.heads), so `faces` also runs
  the COCO detectors (cached per asset like every model).
* `ocr_text`: every text block, largest first.
* `saliency`: one region: the box of the salient subject, with the float32 saliency map inside
  that box as its `mask` (0..1; the map is ~0 outside the box, so pasting the mask at the box
  into a zero canvas gives the whole-image map).
A name no model knows raises `FocusError`.  A stacked animation (`page-height`) is analysed on
its first frame, boxes in that frame's pixels.  Within one provider, the downsized copy of an image
is made once for all models asked about it.
"""

from __future__ import annotations

import math
import threading
from typing import Any

import numpy as np
import pyvips

from edge.render.focus import Region
from edge.vision import coco
from edge.vision.cache import CACHE, ByteStore, DetectionCache, cache_key
from edge.vision.detector import detect_found, model_version
from edge.vision.detection import Detection, Found, to_pixels
from edge.vision.heads import head_estimates
from edge.vision.prep import MAX_SIDE, Frame, iou
from edge.vision.targets import parse_target

__all__ = ["VisionFocus", "prominence", "SAME_OBJECT"]

SAME_OBJECT = 0.7  # IoU above which a weak box is taken for the confident box of another class


def prominence(found: Found) -> float:
    """Ranking key of a normalised detection: score x sqrt(area) x centrality (see module doc)."""
    x, y, w, h = found.box
    cx, cy = x + w / 2 - 0.5, y + h / 2 - 0.5
    centrality = 1.0 - 0.5 * min(1.0, math.hypot(cx, cy) / math.hypot(0.5, 0.5))
    return found.score * math.sqrt(max(w * h, 0.0)) * centrality


# ranking key per model (the module doc); saliency gives one region
_RANK = {
    "coco": prominence,
    "faces": lambda f: f.score * f.box[2] * f.box[3],
    "text": lambda f: f.box[2] * f.box[3],
}


class VisionFocus:
    """A `FocusProvider` backed by Edge's ONNX models.

    `public_id`/`version` name the asset whose detections may be cached (None: no caching);
    `store` is an optional byte store (``get(key) -> bytes | None``, ``put(key, data)``) shared
    across processes, e.g. the derived-asset cache.  Thread-safe."""

    def __init__(self, public_id: str | None = None, version: int | str | None = None,
                 store: ByteStore | None = None, cache: DetectionCache = CACHE) -> None:
        self.public_id = public_id
        self.version = version
        self.store = store
        self._cache = cache
        self._frames: dict[int, tuple[pyvips.Image, Frame]] = {}
        self._lock = threading.Lock()

    def uncached(self) -> "VisionFocus":
        """A provider for derived pixels (crops made by an effect): same models, no caching."""
        return VisionFocus(cache=self._cache)

    def cached(self, target: str, model: str | None = None, *, aspect: float) -> bool:
        """True when `find(image, target, model)` on the whole asset (width / height =
        `aspect`) at analysis size (`MAX_SIDE` px) would be answered from the detection cache,
        running no model.  Render asks before decoding, to decide how far it may shrink on
        load: an entry made from a thumbnail (`w_64,e_pixelate_faces`) does not count, or the
        next rendition would decode small and analyse (and cache) that.  `aspect` alone does
        not tell the asset's size, so an asset under `MAX_SIDE / SHARPER` (~820 px) is never
        "cached" here: it decodes in full (cheap) and `find` still hits.  `faces` needs the
        COCO entry too (the head estimate, edge.vision.heads).  Raises FocusError for
        an unknown target (as `find` does)."""
        if self.public_id is None:
            return False
        query = parse_target(target, model)
        models = (query.model, "coco") if query.model == "faces" else (query.model,)  # faces: + heads
        for name in models:
            key = cache_key(self.public_id, self.version, name, model_version(name))
            found, _ = self._cache.get(key, aspect, self.store, side=MAX_SIDE)
            if found is None:
                return False
        return True

    def _frame(self, image: pyvips.Image) -> Frame:
        with self._lock:
            hit = self._frames.get(id(image))
            if hit is not None and hit[0] is image:
                return hit[1]
        frame = Frame.of(image)
        with self._lock:
            if len(self._frames) > 8:
                self._frames.clear()
            self._frames[id(image)] = (image, frame)  # keeps `image` alive, so ids stay unique
        return frame

    def found(self, image: pyvips.Image, model: str) -> list[Found]:
        """Normalised detections of one model on `image` (through the cache; a cache hit
        renders no pixels)."""
        return detect_found(image, model, public_id=self.public_id, version=self.version,
                            store=self.store, cache=self._cache, frame=lambda: self._frame(image))

    def find(self, image: Any, target: str, model: str | None = None) -> list[Region]:
        """Regions of `target` in `image`, most prominent first (see the module doc).
        Raises `edge.render.focus.FocusError` for an unknown target or model."""
        query = parse_target(target, model)
        if image.get_typeof("page-height"):
            ph = image.get("page-height")
            if 0 < ph < image.height:  # a stacked animation: analyse its first frame
                image = image.crop(0, 0, image.width, ph)
        found = self.found(image, query.model)
        if query.model == "faces":  # persons whose face was missed keep a head (edge.vision.heads)
            found = found + head_estimates(self.found(image, "coco"), found, image.width / image.height)
        if query.model == "coco":
            found = _confident(found, query.classes)
        if query.model in _RANK:
            found = sorted(found, key=_RANK[query.model], reverse=True)
        return [_region(d) for d in to_pixels(found, image.width, image.height)]


def _confident(found: list[Found], classes: frozenset[str] | None) -> list[Found]:
    """The COCO detections a look-up keeps (issue 15, measured on vision-dev): any-class
    look-ups (`object`) take boxes scoring >= `coco.FUSED_MIN`; a look-up by name (`cat`,
    `animals`) takes its classes' boxes scoring >= `coco.FUSED_MIN`, or, when none does, its
    weak boxes (>= `coco.FLOOR`: the user says the thing is there), except those that overlap a
    confident box of another class with IoU > `SAME_OBJECT` (that box is what is there: the
    dog of dog_bicycle_truck.jpg is no weak cat, so `g_cat:dog` still picks the dog)."""
    if classes is None:
        return [f for f in found if f.score >= coco.FUSED_MIN]
    mine = [f for f in found if f.label in classes]
    if not mine:
        return []
    if max(f.score for f in mine) >= coco.FUSED_MIN:
        return [f for f in mine if f.score >= coco.FUSED_MIN]
    others = [_corners(f) for f in found if f.label not in classes and f.score >= coco.FUSED_MIN]
    if not others:
        return [f for f in mine if f.score >= coco.FLOOR]
    rest = np.array(others)
    return [f for f in mine if f.score >= coco.FLOOR and not (iou(_corners(f), rest) > SAME_OBJECT).any()]


def _corners(f: Found) -> np.ndarray:
    x, y, w, h = f.box
    return np.array([x, y, x + w, y + h])


def _region(d: Detection) -> Region:
    return Region(label=d.label, score=d.score, box=d.box, mask=d.mask, model=d.model)
