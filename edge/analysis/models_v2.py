"""The Analyze API v2 model table (upload-spec §5): v2 model names -> `edge.analysis` runs,
and the §5.1 response envelope.  Shared by the HTTP API (`edge.api.analyze`) and the
`edge analyze` CLI, so both answer the same JSON.

Each offered model is one `analyze()` call with the matching `AnalysisRequest`, reshaped into
the §5.1 ``data.analysis`` object (always with an integer ``model_version``; fields named
``edge_*`` are Edge extensions):

==================  ======================================================================
model               ``analysis``
==================  ======================================================================
``coco``            ``{"tags": {<COCO label>: [{"bounding-box": [x, y, w, h], "confidence",
                    "categories"}]}, "model_version": 2}`` (px of the source as displayed;
                    `edge.analysis.detection`)
``cld_text``        ``{"tags": {"text": [{"bounding-box", "confidence", "categories"}]},
                    "edge_text": {"text": "<lines joined by \\n>", "words": [{"text",
                    "bounding-box", "confidence"}]}, "model_version": 1}`` (PP-OCR boxes +
                    the adv_ocr recogniser, `edge.analysis.ocr`)
``image_quality``   ``{"quality": "low"|"medium"|"high", "score": 0..1, "confidence": 0.5..1,
                    "model_version": 1, "edge_method": ...}`` (`edge.analysis.iqa`: Crete
                    2007 blur x Immerkaer 1996 noise, a documented no-reference measure)
``edge_tagging``    ``{"tags": [{"name", "confidence"}], "edge_model":
                    "classifier-v1+coco-v2+faces-v1", "model_version": 1}``
``faces``           ``{"faces": [[x, y, w, h], ...], "model_version": 1}``
``ocr``             ``{"textAnnotations": [...], "fullTextAnnotation": {...},
                    "model_version": 1}`` (Google-Vision-like, as ``ocr=adv_ocr``)
``colors``          ``{"colors", "predominant", "illustration_score", "semi_transparent",
                    "grayscale", "model_version": 1}``
``phash``           ``{"phash": "<16 hex>", "model_version": 1}``
``metadata``        ``{"image_metadata": {...}, "exif": {...}, "model_version": 1}``
``shop_classifier`` ``{"tags": {"studio_product"|"natural_image": [{"bounding-box",
                    "confidence", "categories": ["shop"]}]}, "edge_method": "heuristic: ...",
                    "edge_heuristic": {...}, "model_version": 1}``: a documented, measured
                    HEURISTIC (`edge.analysis.shop`), named so in every answer
==================  ======================================================================

`UNAVAILABLE` lists the v2 models Edge cannot run offline (captioning, the ai_vision family,
lvis, unidet, google_*, watermark_detection, ...).  `resolve(name)` raises `ModelUnavailable` / `UnknownModel` (both
`AnalysisError`s: HTTP 400) naming the models offered.  `run_model` counts every model run
in `RUNS` (the API's result cache is tested by it: a cached answer runs nothing).
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from edge.analysis.request import AnalysisError, AnalysisRequest

__all__ = [
    "ModelSpec", "MODELS", "UNAVAILABLE", "ALIASES", "ModelUnavailable", "UnknownModel", "ImageTooLarge",
    "resolve", "offered", "run_model", "envelope", "models_listing", "RUNS", "DEFAULT_MAX_PIXELS",
]

#: Largest source accepted by default: 100 megapixels (width x height as displayed).
DEFAULT_MAX_PIXELS = 100_000_000


class ModelUnavailable(AnalysisError):
    """A documented v2 model Edge cannot run offline (`name`, `offered` names)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.offered = offered()
        super().__init__(f"Model '{name}' is not available on Edge (it needs an online or licensed model); "
                         f"available models: {', '.join(self.offered)}")


class UnknownModel(AnalysisError):
    """A model name neither offered nor documented."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.offered = offered()
        super().__init__(f"Unknown analysis model '{name[:64]}'; available models: {', '.join(self.offered)}")


class ImageTooLarge(AnalysisError):
    """The source has more pixels than allowed (`pixels`, `limit`)."""

    def __init__(self, pixels: int, limit: int) -> None:
        self.pixels, self.limit = pixels, limit
        super().__init__(f"Source image has {pixels} pixels, more than the {limit} allowed")


def _coco_version() -> int:
    from edge.vision.registry import manifest

    return int(manifest()["coco"].version.lstrip("v") or 1)


def _detection_tags(out: Mapping[str, Any], name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    body = out["info"]["detection"]["object_detection"]["data"][name]
    return body.get("tags", {}), body


def _coco(out: Mapping[str, Any]) -> dict[str, Any]:
    tags, body = _detection_tags(out, "coco")
    return {"tags": tags, "model_version": int(body.get("model_version") or _coco_version())}


def _box_of(poly: Mapping[str, Any]) -> list[float]:
    xs = [v.get("x", 0) for v in poly.get("vertices", [])]
    ys = [v.get("y", 0) for v in poly.get("vertices", [])]
    if not xs:
        return [0.0, 0.0, 0.0, 0.0]
    return [float(min(xs)), float(min(ys)), float(max(xs) - min(xs)), float(max(ys) - min(ys))]


def _cld_text(out: Mapping[str, Any]) -> dict[str, Any]:
    tags, _ = _detection_tags(out, "cld-text")
    ann = (out["info"]["ocr"]["adv_ocr"]["data"] or [{}])[0]
    full = (ann.get("fullTextAnnotation") or {}).get("text", "").rstrip("\n")
    words = []
    for page in (ann.get("fullTextAnnotation") or {}).get("pages", []):
        for block in page.get("blocks", []):
            for para in block.get("paragraphs", []):
                for w in para.get("words", []):
                    words.append({"text": "".join(s.get("text", "") for s in w.get("symbols", [])),
                                  "bounding-box": _box_of(w.get("boundingBox", {})),
                                  "confidence": w.get("confidence")})
    return {"tags": {"text": tags.get("text", [])}, "edge_text": {"text": full, "words": words}, "model_version": 1}


def _image_quality(out: Mapping[str, Any]) -> dict[str, Any]:
    tags, body = _detection_tags(out, "iqa")
    item = tags["iqa-analysis"][0]
    return {"quality": item["attributes"]["quality"], "score": item["attributes"]["score"],
            "confidence": item["confidence"], "model_version": int(body.get("model_version") or 1),
            "edge_method": body.get("method")}


def _edge_tagging(out: Mapping[str, Any]) -> dict[str, Any]:
    from edge.analysis.tagging import model_version

    data = out["info"]["categorization"]["edge_tagging"]["data"]
    return {"tags": [{"name": t["tag"], "confidence": t["confidence"]} for t in data],
            "edge_model": model_version(), "model_version": 1}


def _ocr(out: Mapping[str, Any]) -> dict[str, Any]:
    ann = (out["info"]["ocr"]["adv_ocr"]["data"] or [{}])[0]
    return {"textAnnotations": ann.get("textAnnotations", []),
            "fullTextAnnotation": ann.get("fullTextAnnotation", {}), "model_version": 1}


def _fields(*names: str) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    def pick(out: Mapping[str, Any]) -> dict[str, Any]:
        res = {n: out[n] for n in names if n in out}
        res["model_version"] = 1
        return res
    return pick


def _shop(ctx: Any) -> dict[str, Any]:
    from edge.analysis.shop import classify

    return classify(ctx)


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """One offered v2 model: wire `name`, the `AnalysisRequest` parameters it runs
    (`params`, `AnalysisRequest.from_params` form), `shape(out) -> analysis` turning the
    `analyze()` fields into the §5.1 ``analysis``, `limit_type` (the §5.1 ``limits`` type),
    `description`; or `direct(ctx) -> analysis` on an `ImageContext` for a model that is not
    an `analyze()` field (``shop_classifier``)."""

    name: str
    params: Mapping[str, Any]
    shape: Callable[[Mapping[str, Any]], dict[str, Any]]
    limit_type: str
    description: str
    direct: Callable[[Any], dict[str, Any]] | None = None

    def version(self) -> int:
        """The integer model_version this model answers with."""
        return _coco_version() if self.name == "coco" else 1


MODELS: dict[str, ModelSpec] = {m.name: m for m in (
    ModelSpec("coco", {"detection": "coco"}, _coco, "object_detection",
              "COCO-80 object detection (NanoDet): boxes, confidence, COCO super-categories"),
    ModelSpec("cld_text", {"detection": "cld-text", "ocr": "adv_ocr"}, _cld_text, "object_detection",
              "text blocks (PP-OCR DB detector) with the recognised text as edge_text"),
    ModelSpec("image_quality", {"detection": "iqa"}, _image_quality, "edge_analysis",
              "no-reference quality: Crete et al. 2007 blur x Immerkaer 1996 noise x exposure"),
    ModelSpec("edge_tagging", {"categorization": "edge_tagging"}, _edge_tagging, "edge_analysis",
              "Edge's image-level tagger (ImageNet classifier + COCO + faces, noisy-OR)"),
    ModelSpec("faces", {"faces": True}, _fields("faces"), "edge_analysis", "face boxes (FaceBoxes)"),
    ModelSpec("ocr", {"ocr": "adv_ocr"}, _ocr, "edge_analysis", "text recognition, Google-Vision-like shape"),
    ModelSpec("colors", {"colors": True},
              _fields("colors", "predominant", "illustration_score", "semi_transparent", "grayscale"),
              "edge_analysis", "dominant colours (k-means in Lab), illustration score, grayscale"),
    ModelSpec("phash", {"phash": True}, _fields("phash"), "edge_analysis", "64-bit perceptual hash (imagehash)"),
    ModelSpec("metadata", {"image_metadata": True, "exif": True}, _fields("image_metadata", "exif"),
              "edge_analysis", "embedded metadata (EXIF, IPTC, XMP) read with pyexiv2"),
    ModelSpec("shop_classifier", {}, dict, "object_detection",
              "HEURISTIC studio product shot vs natural image from border smoothness (edge.analysis.shop)",
              direct=_shop),
)}

#: Other spellings accepted for offered models.
ALIASES = {"cld-text": "cld_text", "coco_v2": "coco", "iqa": "image_quality", "image_metadata": "metadata"}

#: Documented v2 models Edge does not run offline (400 `model_not_available`).
UNAVAILABLE = (
    "captioning", "ai_vision_general", "ai_vision_moderation", "ai_vision_tagging", "lvis", "unidet",
    "human_anatomy", "cld_fashion", "google_tagging", "google_logo_detection", "google_logo_detections",
    "watermark_detection",
)

RUNS: Counter[str] = Counter()
"""Model runs per model name since start (a cached answer adds nothing)."""
_runs_lock = threading.Lock()


def offered() -> list[str]:
    """Names of the models Edge offers, in table order."""
    return list(MODELS)


def resolve(name: str) -> ModelSpec:
    """The `ModelSpec` of wire name `name` (aliases accepted).  Raises `ModelUnavailable` for
    a documented model Edge lacks, `UnknownModel` for any other name."""
    key = ALIASES.get(name, name)
    spec = MODELS.get(key)
    if spec is not None:
        return spec
    if name in UNAVAILABLE or name.replace("-", "_") in UNAVAILABLE:
        raise ModelUnavailable(name)
    raise UnknownModel(name)


def run_model(data: bytes, spec: ModelSpec, *, max_pixels: int = DEFAULT_MAX_PIXELS,
              focus: Any = None, asset_token: str | None = None) -> dict[str, Any]:
    """Run model `spec` on image bytes `data`; returns the §5.1 ``analysis`` dict.  Blocking
    (CPU-bound: call it in a worker thread).  Raises `AnalysisError` for empty, corrupt or
    unsupported bytes, `ImageTooLarge` above `max_pixels` (width x height as displayed)."""
    from edge.analysis import analyze
    from edge.render.errors import RenderError
    from edge.render.source import read_header

    try:
        header = read_header(data)
    except RenderError as exc:
        raise AnalysisError(f"Invalid image: {exc}") from None
    pixels = int(header.width) * int(header.height)
    if max_pixels and pixels > max_pixels:
        raise ImageTooLarge(pixels, max_pixels)
    with _runs_lock:
        RUNS[spec.name] += 1
    import pyvips

    try:
        if spec.direct is not None:
            from edge.analysis.image import ImageContext

            analysis = spec.direct(ImageContext(data, asset_token=asset_token, focus=focus))
        else:
            out = analyze(data, AnalysisRequest.from_params(spec.params), asset_token=asset_token, focus=focus)
            analysis = spec.shape(out)
    except AnalysisError as exc:
        raise AnalysisError(f"Invalid image: {exc.message}") from None
    except (pyvips.Error, RenderError) as exc:  # the direct analyses read pixels without analyze()
        raise AnalysisError(f"Invalid image: {str(exc).splitlines()[0][:200]}") from None
    analysis["edge_source"] = {"width": int(header.width), "height": int(header.height),
                               "format": header.format, "bytes": len(data)}
    return analysis


def envelope(entity: str, analysis: Mapping[str, Any], *, request_id: str | None = None,
             limits: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The §5.1 sync response: ``{"request_id", "limits": {"items": [...]}, "data":
    {"entity", "analysis"}}`` (a new 32-hex request_id when none is given)."""
    return {"request_id": request_id or uuid.uuid4().hex, "limits": {"items": list(limits or [])},
            "data": {"entity": entity, "analysis": dict(analysis)}}


def models_listing() -> dict[str, Any]:
    """``{"models": [{"name", "model_version", "description", "limit_type"}], "unavailable":
    [...]}`` for ``GET /v2/analysis/<cloud>/models``."""
    return {"models": [{"name": m.name, "model_version": m.version(), "description": m.description,
                        "limit_type": m.limit_type} for m in MODELS.values()],
            "aliases": dict(ALIASES), "unavailable": list(UNAVAILABLE)}
