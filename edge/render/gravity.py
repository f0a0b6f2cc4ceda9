"""Gravity: a parsed `g_` value plus what a FocusProvider finds -> a focus box (url-spec §7).

`decide(gravity, image, provider)` returns a `Decision`: the compass anchor or the focus box
(in px of `image`), the boxes to avoid, and the regions it used, for `fl_getinfo`.  The rules
work on any provider's Regions, so the vision engine plugs in without changes here:

* `g_auto`: weighted saliency + faces + objects: the focus box is the union of the regions of
  the heaviest kind found (faces weigh 3, named objects 10, saliency 1, other objects 0.5) and
  its centre is their weighted centroid.
* `g_auto:<obj>[:<obj>...][:faces]`: the named things weigh 10; among them larger, more
  central ones first; none found -> plain `g_auto`.
* `g_auto:<obj>_avoid` / `g_auto:ocr_text_avoid` / `g_auto:faces_avoid`: those boxes are
  avoided (the window minimising the avoided area inside it wins), focus from plain `g_auto`
  without the avoided regions (they never count among the "other objects").
* `g_<obj>[:<obj>...]`: the first listed that is found wins; a singular name keeps its most
  prominent region, a plural (`cats`) the union of all; `auto` inside the list falls back to
  auto gravity; nothing found -> centre.
* `g_face` (largest face), `g_faces` (union of faces); no face -> `north`, or `center`/`auto`
  with the `:center`/`:auto` suffix.  `g_ocr_text`: union of text boxes, none -> centre.
* compass points and `xy_center` need no provider.

`layer_regions(gravity, image, provider)` is the same choice for placing a layer on regions
(`l_badge/fl_layer_apply,g_faces`): every region the layer lands on.

A `FocusError` from the provider becomes `RenderError` (400).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

from edge.url.ast import Gravity
from edge.url.gravity import COMPASS

from .errors import RenderError
from .focus import HEAD_ESTIMATE, FocusError, FocusProvider, Region, detected_faces
from .geometry import Box
from .frames import frame_height
from .saliency import SaliencyFocus

__all__ = ["focus_targets", "Decision", "decide", "layer_regions", "union", "is_plural", "AUTO_WEIGHTS"]

#: weight of each kind of region inside `g_auto` (named = objects listed in the URL).
AUTO_WEIGHTS = {"named": 10.0, "faces": 3.0, "saliency": 1.0, "object": 0.5}

#: share of the best score an extra instance of a singular `g_auto:<obj>` needs to count (issue 15).
NAMED_RELATIVE = 0.5

#: how far (share of its size) other regions may move the box of named objects in `g_auto:<obj>`.
NAMED_NUDGE = 0.0

#: COCO class names that end in "s" but are singular.
_SINGULAR_S = frozenset({"bus", "skis", "scissors", "glass", "wine glass", "tennis racket"})

#: Plurals without a final "s" that name COCO things (person, mouse, knife, and people words).
_IRREGULAR_PLURALS = frozenset({"people", "mice", "knives", "children", "men", "women"})


@dataclass
class Decision:
    """The gravity decision of one component.

    * `gravity`: the rule applied (`center`, `north_west`, `auto`, `auto:cat`, `faces`, `cat`,
      ... or `center (fallback)`);
    * `compass`: anchor for compass placement (None when a focus box is used);
    * `focus`: focus box `(x, y, w, h)` in px of the image given to `decide`, or None;
    * `avoid`: boxes to keep out of the crop window;
    * `regions`: the Regions that determined the focus (for `fl_getinfo`).
    """

    gravity: str
    compass: str | None = "center"
    focus: Box | None = None
    avoid: tuple[Box, ...] = ()
    regions: list[Region] = field(default_factory=list)
    parts: tuple[tuple[Box, float], ...] = ()  # (box, score) of what `focus` unites (edge/render/placement.py)

    def as_dict(self) -> dict[str, Any]:
        """The decision as the JSON-ready `fl_getinfo` entry: `gravity`, `focus` and `avoid`
        boxes and `regions` as `{x, y, width, height}` px dicts (regions add `label`,
        `score`, `model`)."""
        return {
            "gravity": self.gravity,
            "focus": _box_dict(self.focus) if self.focus else None,
            "avoid": [_box_dict(b) for b in self.avoid],
            "regions": [
                {"label": r.label, "score": round(float(r.score), 4), "model": r.model, **_box_dict(r.box)}
                for r in self.regions
            ],
        }


def _box_dict(box: Sequence[int]) -> dict[str, int]:
    return {"x": int(box[0]), "y": int(box[1]), "width": int(box[2]), "height": int(box[3])}


def union(boxes: Sequence[Sequence[int]]) -> Box:
    """Bounding box `(x, y, w, h)` of `boxes` (non-empty)."""
    x0 = min(b[0] for b in boxes)
    y0 = min(b[1] for b in boxes)
    x1 = max(b[0] + b[2] for b in boxes)
    y1 = max(b[1] + b[3] for b in boxes)
    return (int(x0), int(y0), int(x1 - x0), int(y1 - y0))


def is_plural(name: str) -> bool:
    """`cats` asks for every cat, `cat` for the most prominent one; irregular plurals of COCO
    names (`people`, `mice`, `knives`, `children`, `men`, `women`) count too."""
    name = name.replace("_", " ").replace("-", " ")  # URL spellings of `wine glass`
    return name in _IRREGULAR_PLURALS or (name.endswith("s") and name not in _SINGULAR_S)


#: margins (left, top, right, bottom) as shares of a detected face box's width / height that
#: make it the head around it (hair to chin): the medians over the 48 detected faces of vision-dev
#: matched to their by-eye head boxes (bench/vision_faces.json; issue 15) were 0.16 / 0.30 / 0.22 / 0.05
FACE_TO_HEAD = (0.2, 0.3, 0.2, 0.05)
#: a face's weight among faces that do not all fit: score x (head area / image area) ** this.
#: 0.5 (the face's linear size, as `edge.vision.focus.prominence` ranks objects): the biggest face
#: is no longer cut to keep two small ones (vision-dev 241 landscape; 0.25 .. 0.5 keep as many)
FACE_AREA_POWER = 0.5


def face_parts(faces: Sequence[Region], width: int, height: int) -> tuple[tuple[Box, float], ...]:
    """(box, weight) of each face for `placement.best_window` when not all faces fit a window:
    a detected face's box grows by `FACE_TO_HEAD` to the head it belongs to (a window flush with
    the face box would cut the forehead and hair); a head estimate (`HEAD_ESTIMATE`) is a head
    already.  Boxes clipped to the image (px); weight = score x (area / image area) **
    `FACE_AREA_POWER`."""
    out = []
    for r in faces:
        x, y, w, h = r.box
        if r.model != HEAD_ESTIMATE:
            l, t, rr, b = FACE_TO_HEAD
            x0, y0 = max(0.0, x - l * w), max(0.0, y - t * h)
            x1, y1 = min(float(width), x + w + rr * w), min(float(height), y + h + b * h)
            x, y, w, h = x0, y0, x1 - x0, y1 - y0
        share = w * h / max(1, width * height)
        out.append(((x, y, w, h), float(r.score) * share ** FACE_AREA_POWER))
    return tuple(out)


def _find(provider: FocusProvider, image: Any, target: str, model: str | None = None) -> list[Region]:
    try:
        return list(provider.find(image, target, model))
    except FocusError as exc:
        raise RenderError(f"Invalid gravity: {exc}") from None


def _prominence(region: Region, width: int, height: int) -> float:
    """Larger and more central first: area ratio x (1 - normalised centre distance / 2) x score."""
    x, y, w, h = region.box
    area = (w * h) / max(1, width * height)
    dx = (x + w / 2) / max(1, width) - 0.5
    dy = (y + h / 2) / max(1, height) - 0.5
    central = 1.0 - min(1.0, (dx * dx + dy * dy) ** 0.5 / 0.7071) / 2
    return area * central * max(float(region.score), 1e-3)


def _weighted(groups: list[tuple[float, list[Region]]], nudge: float = 0.25) -> tuple[Box | None, list[Region]]:
    """Focus box of weighted region groups: the union of the heaviest non-empty group,
    re-centred on the weighted centroid of every region (weight x score x sqrt(area)), by at
    most `nudge` x its size."""
    found = [(w, rs) for w, rs in groups if rs]
    if not found:
        return None, []
    top_w = max(w for w, _ in found)
    top = [r for w, rs in found if w == top_w for r in rs]
    box = union([r.box for r in top])
    total = cx = cy = 0.0
    for w, rs in found:
        for r in rs:
            k = w * max(float(r.score), 1e-3) * max(1.0, r.box[2] * r.box[3]) ** 0.5
            total += k
            cx += k * (r.box[0] + r.box[2] / 2)
            cy += k * (r.box[1] + r.box[3] / 2)
    # Keep the heaviest group's box, nudged by at most `nudge` of its size toward the centroid.
    bx, by, bw, bh = box
    mx, my = cx / total, cy / total
    nx = bx + max(-bw * nudge, min(bw * nudge, mx - (bx + bw / 2)))
    ny = by + max(-bh * nudge, min(bh * nudge, my - (by + bh / 2)))
    return (int(round(nx)), int(round(ny)), bw, bh), [r for _, rs in found for r in rs]


def _auto(gravity: Gravity | None, image: Any, provider: FocusProvider) -> Decision:
    width, height = image.width, frame_height(image)
    named: list[Region] = []
    avoid: list[Region] = []
    weights: list[float] = []  # group weight of each region of `named`
    want_faces = True
    label = "auto"
    for focal in gravity.focals if gravity else ():
        if focal.name in {"none", "custom_no_override", "no_faces"} or focal.name.startswith("aoi_"):
            want_faces = focal.name != "no_faces" and want_faces
            continue
        target = _FACE_FOCALS.get(focal.name, focal.name)
        regions = _find(provider, image, target, focal.model)
        if focal.name == "adv_eyes":
            regions = [eye_region(r) for r in regions]
        if focal.avoid:
            avoid.extend(regions)
            if target == "faces":
                want_faces = False
            continue
        regions.sort(key=lambda r: -_prominence(r, width, height))
        if regions and not is_plural(focal.name):
            # a singular name: faint extra instances (< NAMED_RELATIVE x the best score) must not
            # widen the box (issue 15, measured on vision-dev); plurals keep every instance
            best = max(float(r.score) for r in regions)
            regions = [r for r in regions if float(r.score) >= NAMED_RELATIVE * best]
        named.extend(regions)
        # `g_auto:cat_30:dog_70`: a weighted focal gets its own group, heavier the higher its
        # weight (50 = an unweighted focal), all above faces/saliency/objects
        weights.extend([AUTO_WEIGHTS["named"] + ((50 if focal.weight is None else focal.weight) - 50) / 100] * len(regions))
        label = f"auto:{focal.name}" if not named else label
    if named:
        label = "auto:" + ":".join(f.name for f in gravity.focals if not f.avoid) if gravity else "auto"
    # faces and "other objects" leave out what is named already (no double weight, no
    # duplicate in fl_getinfo) and what is avoided (what must stay out must not attract)
    taken = {_key(r) for r in named + avoid}

    def fresh(regions: list[Region]) -> list[Region]:
        return [r for r in regions if _key(r) not in taken]

    groups = [(w, [r for r, rw in zip(named, weights) if rw == w]) for w in sorted(set(weights), reverse=True)]
    if want_faces:
        groups.append((AUTO_WEIGHTS["faces"], fresh(_find(provider, image, "faces"))))
    groups.append((AUTO_WEIGHTS["saliency"], _find(provider, image, "saliency")))
    groups.append((AUTO_WEIGHTS["object"], fresh(_find(provider, image, "object"))))
    # named (or avoided) objects are what was asked about: other regions do not pull the box (issue 15:
    # on vision-dev, nudge 0 instead of 0.25: g_auto:<obj> fills kept 86.5 -> 87.0 %, _avoid 81.8 -> 83.6 %)
    focus, used = _weighted(groups, NAMED_NUDGE if named or avoid else 0.25)
    return Decision(
        gravity=label,
        compass=None if focus else "center",
        focus=focus,
        avoid=tuple(r.box for r in avoid),
        regions=used + avoid,
        parts=tuple((r.box, float(r.score)) for r, w in zip(named, weights) if w == max(weights)),
    )


#: focal names inside `g_auto:` that mean the face model's faces (Advanced Facial Attributes
#: names included: Edge's face model stands in for that add-on).
_FACE_FOCALS = {"face": "faces", "faces": "faces", "adv_face": "faces", "adv_faces": "faces", "adv_eyes": "faces"}


def eye_region(face: Region) -> Region:
    """The eye band of a face box, for `g_adv_eyes` (Edge's face model gives boxes, no
    landmarks, so this is an approximation): the middle 80 % of the width, from 20 % to 55 %
    of the height, where the eyes sit in a frontal face box (classic facial proportions:
    the eye line lies just above the middle of the head; detector boxes start at the brow).
    Box in px like the face's; label `eyes`."""
    x, y, w, h = face.box
    return Region("eyes", face.score, (x + round(0.1 * w), y + round(0.2 * h), max(1, round(0.8 * w)), max(1, round(0.35 * h))), None, face.model)


def _key(region: Region) -> tuple[str, str, tuple[int, ...]]:
    """Identity of a region across two `find` calls (Regions hold numpy masks: no `==`)."""
    return (region.label, region.model, tuple(int(v) for v in region.box))


#: (target, model) pairs plain automatic gravity asks for (see `_auto`).
_AUTO_TARGETS: tuple[tuple[str, str | None], ...] = (("faces", None), ("saliency", None), ("object", None))


def focus_targets(gravity: Gravity | None, *, default: str = "center") -> tuple[tuple[str, str | None], ...]:
    """Every (target, model) `decide(gravity, ..., default=default)` may ask the provider for
    (a superset: a decision that stops at the first object found asks for fewer).  Compass
    and `xy_center` gravities ask for nothing.  Used to tell whether a provider can answer
    from its detection cache before the image is decoded (`ops.load`)."""
    if gravity is None:
        return _AUTO_TARGETS if default == "auto" else ()
    kind = gravity.kind
    if kind == "auto":
        named = tuple(
            (_FACE_FOCALS.get(f.name, f.name), f.model)
            for f in gravity.focals
            if f.name not in {"none", "custom_no_override", "no_faces"} and not f.name.startswith("aoi_")
        )
        return named + _AUTO_TARGETS
    if kind in {"face", "faces", "adv_face", "adv_faces", "adv_eyes", "custom"}:
        return (("faces", None),) + (_AUTO_TARGETS if gravity.fallback == "auto" else ())
    if kind == "ocr_text":
        return (("ocr_text", None),)
    if kind == "objects":
        objects = tuple((o.name, o.model) for o in gravity.objects if o.name != "auto")
        fallback = gravity.fallback_auto or any(o.name == "auto" for o in gravity.objects)
        return objects + (_AUTO_TARGETS if fallback else ())
    return ()


def decide(gravity: Gravity | None, image: Any, provider: FocusProvider | None, *, default: str = "center") -> Decision:
    """The gravity `Decision` for `gravity` on `image` (a pyvips.Image, sRGB; an animation is
    analysed on its first frame).  `provider` supplies regions (defaults to `SaliencyFocus`);
    `default` is the compass used without `g_` (crop modes `auto`/`auto_pad` pass `auto`).

    Raises RenderError (400) when the provider raises FocusError."""
    if provider is None:
        provider = SaliencyFocus()
    if gravity is None:
        if default == "auto":
            return _auto(None, image, provider)
        return Decision(gravity=default, compass=default)
    kind = gravity.kind
    if kind == "compass":
        return Decision(gravity=gravity.compass or "center", compass=gravity.compass or "center")
    if kind == "xy_center":
        return Decision(gravity="xy_center", compass=None)
    if kind == "auto":
        return _auto(gravity, image, provider)
    width, height = image.width, frame_height(image)
    if kind in {"face", "faces", "adv_face", "adv_faces", "adv_eyes", "custom"}:
        faces = _find(provider, image, "faces")
        if faces:
            if kind in {"face", "adv_face", "custom", "adv_eyes"}:
                best = max(detected_faces(faces) or faces, key=lambda r: (r.box[2] * r.box[3], r.score))
                if kind == "adv_eyes":
                    best = eye_region(best)
                return Decision(gravity=kind, compass=None, focus=best.box, regions=[best])
            return Decision(gravity=kind, compass=None, focus=union([r.box for r in faces]), regions=faces,
                            parts=face_parts(faces, width, height))
        fallback = gravity.fallback or "north"
        if fallback == "auto":
            d = _auto(None, image, provider)
            d.gravity = f"{kind}:auto (fallback)"
            return d
        compass = fallback if fallback in COMPASS else "north"
        return Decision(gravity=f"{compass} (fallback)", compass=compass)
    if kind == "ocr_text":
        boxes = _find(provider, image, "ocr_text")
        if boxes:
            return Decision(gravity="ocr_text", compass=None, focus=union([r.box for r in boxes]), regions=boxes)
        return Decision(gravity="center (fallback)", compass="center")
    if kind == "objects":
        # ask for every listed name first, so an unknown one is a 400 even when an earlier
        # name is found (the names share the COCO model: the later look-ups are cache hits)
        found = {i: _find(provider, image, o.name, o.model) for i, o in enumerate(gravity.objects) if o.name != "auto"}
        for i, obj in enumerate(gravity.objects):
            if obj.name == "auto":
                d = _auto(None, image, provider)
                d.gravity = "auto (fallback)"
                return d
            regions = found[i]
            if regions:
                if is_plural(obj.name):
                    return Decision(gravity=obj.text, compass=None, focus=union([r.box for r in regions]), regions=regions,
                                    parts=tuple((r.box, float(r.score)) for r in regions))
                best = max(regions, key=lambda r: _prominence(r, width, height))
                return Decision(gravity=obj.text, compass=None, focus=best.box, regions=[best])
        if gravity.fallback_auto:
            d = _auto(None, image, provider)
            d.gravity = "auto (fallback)"
            return d
        return Decision(gravity="center (fallback)", compass="center")
    raise RenderError(f"Unsupported gravity: {gravity.text}")



def layer_regions(gravity: Gravity, image: Any, provider: FocusProvider | None) -> list[Box]:
    """The boxes (px of `image`) a layer with a non-compass `gravity` is placed on, one layer
    per box (url-spec §11): `g_face` (and `adv_face`, `custom`) the largest face, `g_faces`
    every face, `g_<obj>[:<obj>...]` every region of the first object found, anything else
    (`g_auto`, `g_ocr_text`) the focus box of `decide`; [] when nothing is found.  `provider`
    defaults to `SaliencyFocus`.  A FocusError of the provider (a name no model knows)
    propagates for the face/object look-ups (the server answers 400)."""
    if provider is None:
        provider = SaliencyFocus()
    if gravity.kind in {"face", "adv_face", "custom"}:
        faces = list(provider.find(image, "faces"))
        faces = detected_faces(faces) or faces  # a detected face before a head estimate
        return [max(faces, key=lambda r: r.box[2] * r.box[3]).box] if faces else []
    if gravity.kind in {"faces", "adv_faces"}:
        return [r.box for r in list(provider.find(image, "faces"))]
    if gravity.kind == "objects":
        for obj in gravity.objects:
            found = list(provider.find(image, obj.name, obj.model))
            if found:
                return [r.box for r in found]
        return []
    decision = decide(gravity, image, provider)
    return [decision.focus] if decision.focus else []
