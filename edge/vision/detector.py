"""`detect(image, model)`: run one of Edge's models on a pyvips image, through the cache.

Models: ``coco`` (COCO-80 objects: NanoDet and SSD-MobileNet-v2 fused by weighted box fusion,
edge/vision/coco.py), ``ssd`` (SSD-MobileNet-v2 alone), ``faces`` (FaceBoxes), ``text`` (PP-OCR
DBNet, boxes only) and ``saliency`` (U2NetP, one region with a mask).  With a `public_id`, results
are cached per (public_id, version, model) in `edge.vision.cache.CACHE` and the optional byte
`store`, so other renditions of the same asset never run the model again, and concurrent
renditions of a new asset run it once (single-flight per cache key).
"""

from __future__ import annotations

from typing import Callable

import pyvips

from edge.render.focus import FocusError
from edge.vision.cache import CACHE, ByteStore, DetectionCache, cache_key
from edge.vision.coco import FUSED_MIN, VERSION as COCO_VERSION, detect_coco
from edge.vision.detection import Detection, Found, to_pixels
from edge.vision.faces import detect_faces
from edge.vision.prep import MAX_SIDE, Frame
from edge.vision.registry import manifest
from edge.vision.saliency import detect_saliency
from edge.vision.ssd import detect_ssd
from edge.vision.text import detect_text

__all__ = ["MODELS", "detect", "detect_found", "model_version"]

MODELS: dict[str, Callable[[Frame], list[Found]]] = {
    "coco": detect_coco,
    "faces": detect_faces,
    "text": detect_text,
    "saliency": detect_saliency,
    "ssd": detect_ssd,  # SSD-MobileNet-v2 alone (`coco` fuses it with NanoDet)
}

#: Models whose answer is a recipe of several files (`coco`: NanoDet + SSD fused): the recipe's
#: version replaces the manifest's in the cache key, so a changed recipe never reads old entries.
RECIPES: dict[str, str] = {"coco": COCO_VERSION}


def model_version(model: str) -> str:
    """The version of `model`'s answers, as the detection cache key records it (KeyError for
    an unknown model)."""
    return RECIPES.get(model) or manifest()[model].version


def detect_found(
    image: pyvips.Image,
    model: str,
    *,
    public_id: str | None = None,
    version: int | str | None = None,
    store: ByteStore | None = None,
    frame: Callable[[], Frame] | None = None,
    cache: DetectionCache = CACHE,
) -> list[Found]:
    """Normalised detections of `model` on `image` (cached when `public_id` is given; an
    entry computed from pixels much smaller than `image` is recomputed, see cache.py).
    `frame` makes the downsized copy of `image` (default `Frame.of(image)`); it is called only
    when a model runs.  Single-flight: while one thread runs `model` for a cache key, others
    asking for the same key (a browser's srcset: several renditions of one new asset) wait and
    read its result from the cache.  Raises FocusError for an unknown model and `pyvips.Error`
    for an unreadable image."""
    run = MODELS.get(model)
    if run is None:
        raise FocusError(f"Unknown detection model: {model}")
    make_frame = frame or (lambda: Frame.of(image))
    if public_id is None:
        return run(make_frame())
    aspect = image.width / image.height
    side = min(max(image.width, image.height), MAX_SIDE)  # what the models see (Frame.of)
    key = cache_key(public_id, version, model, model_version(model))
    found, storable = cache.get(key, aspect, side=side)  # memory only: no lock, no store
    if found is not None:
        return found
    if storable:
        with cache.flights.hold(key):
            # the store, or another thread's result that arrived while this one waited
            found, storable = cache.get(key, aspect, store, side=side)
            if found is None:
                found = run(make_frame())
                if storable:
                    cache.put(key, found, aspect, store, side=side)
            return found
    return run(make_frame())  # an entry for another shape: keep this one out of the cache


def detect(
    image: pyvips.Image,
    model: str,
    *,
    public_id: str | None = None,
    version: int | str | None = None,
    store: ByteStore | None = None,
) -> list[Detection]:
    """Detections of `model` (`coco`, `faces`, `text`, `saliency`) on `image`, boxes
    (x, y, w, h) in pixels of `image`, best first (saliency: one region, the salient subject's
    box, with the float32 saliency map inside it as mask).  Cached per (public_id, version,
    model) when `public_id` is given; `store` is an optional byte store (``get(key)`` /
    ``put(key, data)``).  Raises FocusError for an unknown model, `pyvips.Error` for an
    unreadable image."""
    found = detect_found(image, model, public_id=public_id, version=version, store=store)
    if model == "coco":  # the cache keeps weak boxes for named look-ups (edge.vision.focus) only
        found = [f for f in found if f.score >= FUSED_MIN]
    return to_pixels(found, image.width, image.height)
