"""Edge's offline vision: ONNX models (models/manifest.toml) that find objects, faces, text and
the salient subject, for object-aware gravity, face effects and extraction.

Public API:
* `detect(image, model, *, public_id=None, version=None, store=None) -> list[Detection]`
  (`model` in ``coco``, ``faces``, ``text``, ``saliency``, ``ssd``; ``coco`` is NanoDet and
  SSD-MobileNet-v2 fused by weighted box fusion, ``ssd`` the SSD alone).
* `Detection(label, score, box=(x, y, w, h) px, model, mask=None)`.
* `VisionFocus(public_id=None, version=None, store=None)`: render's `FocusProvider`.
* `REGISTRY`: the process-wide model/session registry; `manifest()`: the model list.
* `CACHE`: the process-wide detection cache.

vision never imports render (except the small `edge.render.focus` contract module) or server.
"""

from edge.vision.cache import CACHE, DetectionCache
from edge.vision.detector import MODELS, detect
from edge.vision.detection import Detection
from edge.vision.focus import VisionFocus
from edge.vision.registry import REGISTRY, manifest

__all__ = ["detect", "Detection", "VisionFocus", "REGISTRY", "manifest", "CACHE", "DetectionCache", "MODELS"]
