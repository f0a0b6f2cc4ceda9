"""Upload-time semantic data (upload-spec §3-§4): pure functions of an original image's bytes.

No HTTP, no catalogue: the upload/explicit/update/resource handlers parse the request with
`AnalysisRequest.from_params(params)` (400 on `AnalysisError`), call `analyze(data, request)` in
a worker thread, store the result per asset version and merge it into their response.

Public API:

* ``analyze(data, request, *, asset_token=None, focus=None, timings=None) -> dict`` — the
  upload-response fields for what `request` asks, and nothing else:

  ==============================  ==========================================================
  request flag                    response fields
  ==============================  ==========================================================
  ``colors``                      ``colors``, ``predominant``, ``illustration_score``,
                                  ``semi_transparent``, ``grayscale`` (`colors`)
  ``phash``                       ``phash`` (`phash`)
  ``image_metadata`` / ``media_   ``image_metadata`` (`metadata`; no pixel decode)
  metadata``
  ``exif``                        ``exif`` (EXIF tags only)
  ``faces``                       ``faces`` (detected, or the ``face_coordinates`` override)
  ``faces``/``coordinates`` or    ``coordinates`` ``{"faces": [...], "custom": [...]}`` (only
  an override                     the non-empty ones; omitted when both are empty)
  ``quality_analysis``            ``quality_analysis``, ``quality_score`` (`quality`)
  ``accessibility_analysis``      ``accessibility_analysis`` (`accessibility`)
  ``pages``                       ``pages`` (frames / pages in the file)
  ``cinemagraph_analysis``        ``cinemagraph_analysis`` ``{"cinemagraph_score": 0..1}``
                                  (0.0 for stills; a documented heuristic for animations,
                                  `cinemagraph`)
  ``detection``/``categorization  ``info.detection...``, ``info.categorization...``,
  ``/``ocr``                      ``info.ocr...`` from the plug-ins in `registry`
  ``auto_tagging``                ``tags``: automatic tags only (the caller merges them with
                                  the user's tags and records which were automatic)
  ==============================  ==========================================================

  Models accepted under ``lenient`` that Edge lacks appear as
  ``info.<detection|categorization|ocr>.<name> = {"status": "failed", "message": ...}``.
  `asset_token`: opaque id of the asset version (available to plug-ins as `ctx.asset_token`);
  `focus`: an `edge.vision.VisionFocus` (public_id, version, store) for this asset version:
  face (and plug-in) detections go through vision's detection cache under its keys, so the
  first `g_face`/`g_auto` rendition runs no model.  `timings`: a dict filled with ms per
  analysis (``decode`` included) for benchmarks.  Raises AnalysisError for empty, corrupt or
  unsupported image bytes.

* ``AnalysisRequest``, ``AnalysisError`` (edge.analysis.request), ``Label``, ``register``
  (edge.analysis.registry), ``ImageContext`` (edge.analysis.image), and the per-analysis
  functions in their modules (`colors.analyze_colors`, `phash.phash_hex`,
  `phash.phash_distance`, `metadata.read_metadata`, `faces.detect_faces`,
  `quality.analyze_quality`, `accessibility.analyze_accessibility`).

Decoding: once per call (see `edge.analysis.image`), with shrink-on-load to the largest size
the requested analyses need: 32 px grey for pHash, 256 px for colours and accessibility,
1024 px for faces and quality (focus); metadata is read from the bytes without decoding.
"""

from __future__ import annotations

import time
from typing import Any

from edge.analysis.image import FULL, ImageContext
from edge.analysis.registry import Label, register
from edge.analysis.request import AnalysisError, AnalysisRequest

__all__ = ["analyze", "AnalysisRequest", "AnalysisError", "ImageContext", "Label", "register", "merge"]

#: px on the longer side each built-in analysis reads
SIDES = {"colors": 256, "accessibility_analysis": 256, "phash": 64, "faces": 1024, "quality_analysis": 1024}


def merge(into: dict[str, Any], part: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge `part` into `into` (dicts key by key, lists concatenated, other values
    replaced) and return `into`."""
    for k, v in part.items():
        cur = into.get(k)
        if isinstance(cur, dict) and isinstance(v, dict):
            merge(cur, v)
        elif isinstance(cur, list) and isinstance(v, list):
            cur.extend(v)
        else:
            into[k] = v
    return into


class _Clock:
    def __init__(self, timings: dict[str, float] | None) -> None:
        self.timings = timings

    def run(self, name: str, fn: Any, *args: Any) -> Any:
        if self.timings is None:
            return fn(*args)
        t0 = time.perf_counter()
        try:
            return fn(*args)
        finally:
            self.timings[name] = round(self.timings.get(name, 0.0) + (time.perf_counter() - t0) * 1000, 2)


def _model_calls(request: AnalysisRequest) -> list[tuple[Any, str]]:
    """(registry entry, requested name) for every model to run, in request order."""
    from edge.analysis import registry

    alias = dict(request.aliases)
    bad = set(request.unsupported)
    calls: list[tuple[Any, str]] = []
    for n in request.detection:
        if ("detection", n) not in bad:
            calls.append((registry.lookup("detection", n), n))
    for n in request.categorization:
        if ("categorization", n) not in bad:
            calls.append((registry.lookup("categorization", alias.get(n, n)), n))
    if request.ocr and ("ocr", request.ocr) not in bad:
        calls.append((registry.lookup("ocr", request.ocr.split(":", 1)[0]), request.ocr))
    if request.auto_tagging is not None and not request.detection and not request.categorization:
        calls += [(e, e.name) for e in registry.auto_tag_entries()]
    missing = [n for e, n in calls if e is None]
    if missing:
        raise AnalysisError(f"Edge does not support model '{missing[0]}'")
    return calls


def analyze(
    data: bytes,
    request: AnalysisRequest,
    *,
    asset_token: str | None = None,
    focus: Any = None,
    timings: dict[str, float] | None = None,
) -> dict[str, Any]:
    """The upload-response fields `request` asks for, computed from the original `data`
    (see the module docstring for the field table).  Blocking, CPU-bound (run it in a thread
    pool); thread-safe.  Raises AnalysisError for unreadable image bytes."""
    import pyvips

    from edge.render.errors import RenderError

    clock = _Clock(timings)
    try:
        ctx = clock.run("header", lambda: ImageContext(data, asset_token=asset_token, focus=focus))
    except RenderError as exc:
        raise AnalysisError(str(exc)) from None
    try:
        return _analyze(ctx, request, clock)
    except RenderError as exc:  # pixels corrupt past the header
        raise AnalysisError(str(exc)) from None
    except pyvips.Error as exc:  # libvips' own failure on pixels past the header (a truncated PNG)
        raise AnalysisError(f"Invalid image file: {str(exc).splitlines()[0][:200]}") from None
    finally:
        if timings is not None:
            timings["decodes"] = ctx.decodes


def _analyze(ctx: ImageContext, request: AnalysisRequest, clock: _Clock) -> dict[str, Any]:
    calls = _model_calls(request)
    want_faces = request.faces or request.coordinates
    for flag, side in SIDES.items():
        if getattr(request, flag):
            ctx.plan(side)
    if want_faces and request.face_coordinates is None:
        ctx.plan(SIDES["faces"])
    for entry, _ in calls:
        ctx.plan(entry.side)
    if ctx._planned > 1 or ctx._planned == FULL:
        clock.run("decode", ctx.image, ctx._planned)

    out: dict[str, Any] = {}
    if request.colors:
        from edge.analysis.colors import analyze_colors

        out.update(clock.run("colors", analyze_colors, ctx))
    if request.phash:
        from edge.analysis.phash import phash_hex

        out["phash"] = clock.run("phash", phash_hex, ctx)
    if request.wants_metadata() or request.exif:
        from edge.analysis.metadata import read_metadata

        meta = clock.run("metadata", read_metadata, ctx.data)
        if request.wants_metadata():
            out["image_metadata"] = meta.flat
        if request.exif:
            out["exif"] = meta.exif
    if want_faces or request.face_coordinates is not None or request.custom_coordinates is not None:
        from edge.analysis.faces import face_fields

        out.update(clock.run("faces", face_fields, ctx, request))
    if request.quality_analysis:
        from edge.analysis.quality import analyze_quality

        out.update(clock.run("quality_analysis", analyze_quality, ctx))
    if request.accessibility_analysis:
        from edge.analysis.accessibility import analyze_accessibility

        out["accessibility_analysis"] = clock.run("accessibility_analysis", analyze_accessibility, ctx)
    if request.pages:
        out["pages"] = ctx.header.frames
    if request.cinemagraph_analysis:
        from edge.analysis.cinemagraph import cinemagraph_score

        out["cinemagraph_analysis"] = {"cinemagraph_score": clock.run("cinemagraph_analysis", cinemagraph_score, ctx)}

    labels: list[Label] = []
    for entry, name in calls:
        part = dict(clock.run(f"{entry.kind}:{name}", entry.run, ctx, request, name) or {})
        labels.extend(part.pop("_labels", ()) or ())
        merge(out, part)
    for kind, name in request.unsupported:
        merge(out, {"info": {kind: {name: {
            "status": "failed", "message": f"Edge does not support {kind} model '{name}'"}}}})
    if request.auto_tagging is not None:
        from edge.analysis.registry import tag_merger

        out["tags"] = clock.run("auto_tagging", tag_merger(), labels, request.auto_tagging, ctx, request)
    return out
