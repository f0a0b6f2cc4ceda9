"""`faces` and `coordinates` (upload-spec §3.4), from edge.vision's face detector (FaceBoxes,
`edge.vision.faces`, run on vision's 1024 px frame of the call's one decode).

* `faces`: ``[[x, y, w, h], ...]`` integer px boxes in the original as delivered (EXIF orientation
  applied), top-left origin, largest first; the `face_coordinates` override replaces detection
  (Cloudinary: "automatically detected or manually defined").
* `coordinates`: ``{"faces": [...], "custom": [...]}`` with only the non-empty lists; omitted when
  both are empty.  `custom` comes from `custom_coordinates`.  Override boxes are clipped to the
  image (a box starting outside it is dropped).

With a `focus` on the context, detection goes through vision's detection cache under the asset's
keys (see `ImageContext.found`), so the first `g_face` rendition after the upload runs no model.
"""

from __future__ import annotations

from typing import Any, Sequence

from edge.vision.detection import to_pixels

__all__ = ["detect_faces", "face_fields", "clip_boxes"]

Box = tuple[int, int, int, int]


def detect_faces(ctx: Any) -> list[list[int]]:
    """Detected faces of an `ImageContext` as ``[[x, y, w, h], ...]`` px of the original,
    largest (w x h) first."""
    found = ctx.found("faces")
    boxes = [list(d.box) for d in to_pixels(found, ctx.width, ctx.height)]
    boxes.sort(key=lambda b: (-b[2] * b[3], b[0], b[1]))
    return boxes


def clip_boxes(boxes: Sequence[Box], width: int, height: int) -> list[list[int]]:
    """Override boxes clipped to a `width` x `height` px image; boxes that start outside it or
    end up empty are dropped."""
    out = []
    for x, y, w, h in boxes:
        if x >= width or y >= height:
            continue
        w, h = min(w, width - x), min(h, height - y)
        if w > 0 and h > 0:
            out.append([int(x), int(y), int(w), int(h)])
    return out


def face_fields(ctx: Any, request: Any) -> dict[str, Any]:
    """``faces`` (when `request.faces`) and ``coordinates`` (when non-empty) for an
    `ImageContext` and an `AnalysisRequest`."""
    if request.face_coordinates is not None:
        faces = clip_boxes(request.face_coordinates, ctx.width, ctx.height)
    elif request.faces or request.coordinates:
        faces = detect_faces(ctx)
    else:
        faces = []
    custom = clip_boxes(request.custom_coordinates or (), ctx.width, ctx.height)
    out: dict[str, Any] = {}
    if request.faces:
        out["faces"] = faces
    coords = {k: v for k, v in (("custom", custom), ("faces", faces)) if v}
    if coords:
        out["coordinates"] = coords
    return out
