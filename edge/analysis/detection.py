"""`detection=` models Edge runs offline (upload-spec §4.1, §4.2, §4.4, §7), registered with
`edge.analysis.registry`.

* ``coco`` / ``coco_v1`` / ``coco_v2``: edge.vision's COCO-80 detector (NanoDet, models/
  manifest ``coco`` v2; whichever version is asked for, the one model Edge has answers and says
  ``model_version: 2``).  Every instance with confidence >= `edge.vision.coco.MIN_SCORE` (0.3):
  ``{"bounding-box": [x, y, w, h], "confidence": c, "categories": [<COCO super-category>]}``,
  box floats in px of the original as delivered (EXIF orientation applied, 2 decimals),
  confidence 4 decimals; labels are COCO's class names (`cell phone`, `dining table`).
* ``cld-text`` (``cld-text_v1``): the PP-OCR text detector's boxes, label ``text``,
  categories ``["text"]`` (boxes only: the words are `ocr=adv_ocr`'s job).
* ``iqa``: a no-reference quality score (`edge.analysis.iqa`) under
  ``data.iqa.tags["iqa-analysis"][0].attributes = {"score", "quality"}`` (§4.4).

Results go under ``info.detection.object_detection = {"status": "complete", "data": {<requested
name>: {"model_name", "model_version", "schema_version": 1, "tags": {...}}}}``.  Detections run
once per `analyze()` call through `ImageContext.found`, so with a `focus` (the asset's public_id,
version, store) they land in edge.vision's detection cache under the keys delivery uses: the
first ``g_auto:<object>`` / ``g_ocr_text`` rendition of the uploaded version runs no model.

`coco` labels feed ``auto_tagging`` (each class once, at its best instance's confidence).
Models Edge does not have (lvis, unidet, cld-fashion, captioning, ...) are not registered, so
`AnalysisRequest.from_params` rejects them; `offered()` lists what is available.
"""

from __future__ import annotations

from typing import Any

from edge.analysis.registry import Label, entries, offered, register, unsupported_message
from edge.analysis.supercategories import categories
from edge.vision.detection import Found

__all__ = ["offered", "object_tags", "run_coco", "run_text", "run_iqa", "COCO_NAMES", "TEXT_NAMES",
           "unsupported_message"]

COCO_NAMES = ("coco", "coco_v1", "coco_v2")
TEXT_NAMES = ("cld-text", "cld-text_v1")
SCHEMA_VERSION = 1


def _box(f: Found, width: int, height: int) -> list[float]:
    x, y, w, h = f.box
    return [round(x * width, 2), round(y * height, 2), round(w * width, 2), round(h * height, 2)]


def object_tags(found: list[Found], width: int, height: int, cats: Any = categories) -> dict[str, list[dict[str, Any]]]:
    """§4.2 `tags` object: label -> instances (best first), boxes in px of a `width` x
    `height` image; `cats(label)` gives each instance's `categories`."""
    tags: dict[str, list[dict[str, Any]]] = {}
    for f in sorted(found, key=lambda f: -f.score):
        tags.setdefault(f.label, []).append({
            "bounding-box": _box(f, width, height),
            "confidence": round(float(f.score), 4),
            "categories": list(cats(f.label)),
        })
    return tags


def _wrap(name: str, body: dict[str, Any]) -> dict[str, Any]:
    return {"info": {"detection": {"object_detection": {"status": "complete", "data": {name: body}}}}}


def best_labels(found: list[Found], model: str) -> list[Label]:
    """One `Label` per class in `found`, at its best instance's confidence."""
    best: dict[str, float] = {}
    for f in found:
        best[f.label] = max(best.get(f.label, 0.0), float(f.score))
    return [Label(tag, conf, model) for tag, conf in best.items()]


def run_coco(ctx: Any, request: Any, name: str) -> dict[str, Any]:
    """Analyzer for ``coco[_vN]``: §4.2 object detection plus `_labels` for auto_tagging."""
    from edge.vision.registry import manifest

    found = ctx.found("coco")
    version = int(manifest()["coco"].version.lstrip("v") or 1)
    out = _wrap(name, {"model_name": "coco", "model_version": version, "schema_version": SCHEMA_VERSION,
                       "tags": object_tags(found, ctx.width, ctx.height)})
    out["_labels"] = best_labels(found, name)
    return out


def run_text(ctx: Any, request: Any, name: str) -> dict[str, Any]:
    """Analyzer for ``cld-text``: text-block boxes, label ``text``."""
    found = ctx.found("text")
    return _wrap(name, {"model_name": "cld-text", "model_version": 1, "schema_version": SCHEMA_VERSION,
                        "tags": object_tags(found, ctx.width, ctx.height, cats=lambda _: ["text"])})


def run_iqa(ctx: Any, request: Any, name: str) -> dict[str, Any]:
    """Analyzer for ``iqa``: §4.4 ``iqa-analysis`` with ``{"score", "quality"}`` attributes."""
    from edge.analysis.iqa import IQA_SIDE, MODEL_VERSION, assess

    q = assess(ctx.rgb(IQA_SIDE))
    return _wrap(name, {"model_name": "iqa", "model_version": MODEL_VERSION, "schema_version": SCHEMA_VERSION,
                        "method": q.method,
                        "tags": {"iqa-analysis": [{
                            "bounding-box": [0.0, 0.0, float(ctx.width), float(ctx.height)],
                            "confidence": round(q.confidence, 4),
                            "categories": ["quality"],
                            "attributes": {"score": round(q.score, 4), "quality": q.quality}}]}})


for _n in COCO_NAMES:
    register("detection", _n, run_coco, side=1024, auto_tag=(_n == "coco"))
for _n in TEXT_NAMES:
    register("detection", _n, run_text, side=1024)
register("detection", "iqa", run_iqa, side=1024)
