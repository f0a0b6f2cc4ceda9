"""`detect(image, model)`: run one of Edge's models on a pyvips image, through the cache.

Models: ``coco`` (NanoDet, COCO-80 objects), ``faces`` (FaceBoxes), ``text`` (PP-OCR DBNet,
boxes only) and ``saliency`` (U2NetP, one region with a mask).  With a `public_id`, results
are cached per (public_id, version, model) in `edge.vision.cache.CACHE` and the optional byte
`store`, so other renditions of the same asset never run the model again.
"""

from __future__ import annotations

from typing import Any, Callable

import pyvips

from edge.vision.cache import CACHE, DetectionCache, cache_key
from edge.vision.coco import detect_coco
from edge.vision.detection import Detection, Found, to_pixels
from edge.vision.faces import detect_faces
from edge.vision.prep import MAX_SIDE, Frame
from edge.vision.registry import manifest
from edge.vision.saliency import detect_saliency
from edge.vision.text import detect_text

__all__ = ["MODELS", "detect", "detect_found"]

MODELS: dict[str, Callable[[Frame], list[Found]]] = {
    "coco": detect_coco,
    "faces": detect_faces,
    "text": detect_text,
    "saliency": detect_saliency,
}


def detect_found(
    image: pyvips.Image,
    model: str,
    *,
    public_id: str | None = None,
    version: int | str | None = None,
    store: Any = None,
    frame: Frame | None = None,
    cache: DetectionCache = CACHE,
) -> list[Found]:
    """Normalised detections of `model` on `image` (cached when `public_id` is given; an
    entry computed from pixels much smaller than `image` is recomputed, see cache.py).
    `frame` may pass an already downsized copy of `image`.  Raises KeyError for an unknown
    model and `pyvips.Error` for an unreadable image."""
    run = MODELS[model]
    aspect = image.width / image.height
    side = min(max(image.width, image.height), MAX_SIDE)  # what the models see (Frame.of)
    key = None
    if public_id is not None:
        key = cache_key(public_id, version, model, manifest()[model].version)
        found, storable = cache.get(key, aspect, store, side=side)
        if found is not None:
            return found
        if not storable:
            key = None
    found = run(frame if frame is not None else Frame.of(image))
    if key is not None:
        cache.put(key, found, aspect, store, side=side)
    return found


def detect(
    image: pyvips.Image,
    model: str,
    *,
    public_id: str | None = None,
    version: int | str | None = None,
    store: Any = None,
) -> list[Detection]:
    """Detections of `model` (`coco`, `faces`, `text`, `saliency`) on `image`, boxes
    (x, y, w, h) in pixels of `image`, best first (saliency: one region, the salient subject's
    box, with the float32 saliency map inside it as mask).  Cached per (public_id, version, model) when `public_id` is
    given; `store` is an optional byte store (``get(key)``/``put(key, data)``)."""
    found = detect_found(image, model, public_id=public_id, version=version, store=store)
    return to_pixels(found, image.width, image.height)
