"""Edge's own image-level tagger: ``categorization=edge_tagging`` (upload-spec §4.6) and the tag
merger of ``auto_tagging``.

Evidence, all computed once per `analyze()` call (`ImageContext.found` / the classifier):

* the ImageNet-1k classifier (`edge.vision.classifier`, EfficientNet-Lite3 int8): each class's
  probability p goes to its shown name (`edge.analysis.hypernyms.shown`, e.g. ``malamute``;
  hidden for the cat "breeds") and to every broader tag it implies (``dog``, ``animal``); a
  broader tag's classifier confidence is the sum of its classes' probabilities (the classes are
  mutually exclusive, so the sum is the probability of "any dog");
* the COCO detector (`coco`): each class at its best instance's score, and the broader tag of
  the animal, vehicle and food classes (``animal``, ``vehicle``, ``food``);
* the classifier again on the `CROPS` most prominent COCO boxes (``crops``): how sure it is
  that the box shows the detected class, and the specific names under that class (the breed in
  a ``dog`` box); this second opinion raised recall on vision-dev from 0.61 to 0.63 at the same
  precision, for ~6 more classifier runs (~12 ms each);
* the face detector (`faces`): ``face`` at the best face's score, ``person`` at
  `FACE_PERSON_WEIGHT` x that (FaceBoxes fires on some animal and food close-ups: on vision-dev
  face-only "person" tags were mostly wrong).

Evidence for the same tag from different models is combined by noisy-OR, 1 - prod(1 - c)
(Pearl 1988: independent causes), so agreement raises confidence and one model alone keeps its
own.  `CLASSIFIER_WEIGHT`, `FACE_PERSON_WEIGHT`, `CROPS` and `DEFAULT_THRESHOLD` were chosen
together on vision-dev (bench/tagging_eval.py; a grid over the weights, 2-8 crops and thresholds
0.45-0.65, best recall with precision >= 0.85): development figures, tuned on the set they are
reported on (P 0.867, R 0.627 for COCO classes at 0.5).

The result: ``[{"tag", "confidence"}]``, confidences 0..1 rounded to 4 decimals, descending,
tags with confidence >= `MIN_LISTED`, at most `MAX_TAGS`.

Operators may map a third-party categorizer (``imagga_tagging``, ``google_tagging``,
``aws_rek_tagging``) to ``edge_tagging`` (the request's `aliases`, from the server's settings);
the response then carries ``"model": "edge_tagging"`` and the model version next to ``data``,
so nobody mistakes Edge's tags for Imagga's.  Without that mapping those names are a 400.

``auto_tagging=<t>``: every tag whose confidence >= t (`merge_tags`); ``auto_tagging=default``
uses `DEFAULT_THRESHOLD`, chosen on vision-dev by bench/tagging_eval.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from edge.analysis.hypernyms import broader, shown
from edge.analysis.registry import Label, register, set_default_threshold, set_tag_merger

__all__ = ["Tag", "edge_tags", "run_edge_tagging", "merge_tags", "DEFAULT_THRESHOLD", "MIN_LISTED",
           "MAX_TAGS", "CLASSIFIER_WEIGHT", "MODEL_NAME", "model_version"]

MODEL_NAME = "edge_tagging"
DEFAULT_THRESHOLD = 0.5  # auto_tagging=default: P 0.87 / R 0.63 on vision-dev (bench/tagging_eval.py)
CROPS = 6  # most prominent COCO detections the classifier looks at again
CROP_PAD = 0.1  # crop padding, x the box side
CROP_MIN = 24  # px (in vision's frame): smaller boxes are not classified
MIN_LISTED = 0.05  # tags below this confidence are not listed
MAX_TAGS = 30
CLASSIFIER_WEIGHT = 1.0  # classifier probability x this before it is combined
FACE_PERSON_WEIGHT = 0.5  # a face is evidence of a person at half its score
MIN_PROBABILITY = 1.5 / 256  # classifier output step is 1/256: below this it is noise
# COCO super-categories that read as tags ("outdoor", "accessory", ... do not)
COCO_BROADER = {"animal", "vehicle", "food"}


@dataclass(frozen=True, slots=True)
class Tag:
    """One image-level tag: `tag` text, `confidence` 0..1, `sources` (model names that
    contributed: ``classifier``, ``coco``, ``crops``, ``faces``)."""

    tag: str
    confidence: float
    sources: tuple[str, ...]


def model_version() -> str:
    """``<classifier version>+<coco version>+<faces version>`` from models/manifest.toml."""
    from edge.vision.registry import manifest

    m = manifest()
    return f"classifier-{m['classifier'].version}+coco-{m['coco'].version}+faces-{m['faces'].version}"


def _evidence(p: np.ndarray, weight: float = 1.0, within: str | None = None) -> dict[str, float]:
    """Tag -> confidence from classifier probabilities `p` (1000,): each class to its shown
    name and broader tags.  `within`: keep only classes whose shown name or broader tags
    include this tag (a detector's crop: ``dog`` keeps the breeds)."""
    from edge.vision.classifier import labels

    names = labels()
    ev: dict[str, float] = {}
    for i in np.nonzero(p >= MIN_PROBABILITY)[0]:
        q = float(p[i]) * weight
        name = shown(names[i][0])
        wider = broader(int(i))
        if within is not None and within != name and within not in wider:
            continue
        if name:
            ev[name] = ev.get(name, 0.0) + q
        for t in wider:
            if t != name:
                ev[t] = ev.get(t, 0.0) + q
    return {t: min(1.0, c) for t, c in ev.items()}


def _classifier_evidence(ctx: Any) -> dict[str, float]:
    from edge.vision.classifier import probabilities

    key = "classifier:probabilities"
    p = ctx.cache.get(key)
    if p is None:
        p = probabilities(ctx.frame())
        ctx.cache[key] = p
    return _evidence(p, CLASSIFIER_WEIGHT)


def _crop_evidence(ctx: Any) -> dict[str, float]:
    """The classifier on the `CROPS` most prominent COCO detections (box padded by
    `CROP_PAD`): confidence that the crop shows the detected class (sum of its classes'
    probabilities) and the specific names under it (``malamute`` in a ``dog`` box); evidence
    for anything else in the crop is ignored."""
    from edge.vision.classifier import probabilities

    frame = ctx.frame()
    h, w = frame.rgb.shape[:2]
    found = sorted(ctx.found("coco"), key=lambda f: -f.score * f.box[2] * f.box[3])
    ev: dict[str, float] = {}
    for f in found[:CROPS]:
        x, y, bw, bh = f.box
        x0, y0 = max(0, int((x - CROP_PAD * bw) * w)), max(0, int((y - CROP_PAD * bh) * h))
        x1, y1 = min(w, int((x + (1 + CROP_PAD) * bw) * w)), min(h, int((y + (1 + CROP_PAD) * bh) * h))
        if x1 - x0 < CROP_MIN or y1 - y0 < CROP_MIN:
            continue
        p = probabilities(np.ascontiguousarray(frame.rgb[y0:y1, x0:x1]))
        for t, c in _evidence(p, within=f.label).items():
            ev[t] = max(ev.get(t, 0.0), c)
    return ev


def _coco_evidence(ctx: Any) -> dict[str, float]:
    from edge.analysis.supercategories import supercategory

    ev: dict[str, float] = {}
    for f in ctx.found("coco"):
        for t in (f.label, supercategory(f.label)):
            if t and (t == f.label or t in COCO_BROADER):
                ev[t] = max(ev.get(t, 0.0), float(f.score))
    return ev


def _face_evidence(ctx: Any) -> dict[str, float]:
    faces = ctx.found("faces")
    if not faces:
        return {}
    best = max(float(f.score) for f in faces)
    return {"face": best, "person": best * FACE_PERSON_WEIGHT}


def edge_tags(ctx: Any) -> list[Tag]:
    """Image-level tags of an `ImageContext`, best first (see the module doc)."""
    sources = {"classifier": _classifier_evidence(ctx), "coco": _coco_evidence(ctx),
               "crops": _crop_evidence(ctx), "faces": _face_evidence(ctx)}
    miss: dict[str, float] = {}
    who: dict[str, list[str]] = {}
    for src, ev in sources.items():
        for t, c in ev.items():
            miss[t] = miss.get(t, 1.0) * (1.0 - min(max(c, 0.0), 1.0))
            who.setdefault(t, []).append(src)
    tags = [Tag(t, 1.0 - m, tuple(who[t])) for t, m in miss.items() if 1.0 - m >= MIN_LISTED]
    tags.sort(key=lambda t: (-t.confidence, t.tag))
    return tags[:MAX_TAGS]


def run_edge_tagging(ctx: Any, request: Any, name: str) -> dict[str, Any]:
    """Analyzer for ``categorization=edge_tagging`` (and operator aliases of it): §4.6 shape,
    plus `_labels` for auto_tagging."""
    key = "tagging:edge"
    tags = ctx.cache.get(key)
    if tags is None:
        tags = edge_tags(ctx)
        ctx.cache[key] = tags
    body: dict[str, Any] = {"status": "complete",
                            "data": [{"tag": t.tag, "confidence": round(t.confidence, 4)} for t in tags]}
    if name != MODEL_NAME:  # an operator alias: say which model really answered
        body["model"] = MODEL_NAME
        body["model_version"] = model_version()
    return {"info": {"categorization": {name: body}},
            "_labels": [Label(t.tag, t.confidence, name) for t in tags]}


def merge_tags(labels: Sequence[Label], threshold: float, ctx: Any = None, request: Any = None) -> list[str]:
    """Automatic tags: every label with confidence >= `threshold` (rounded to 4 decimals, as
    reported), best first, each tag once (case-insensitive: the first spelling wins)."""
    best: dict[str, tuple[float, str]] = {}
    for lab in labels:
        c = round(float(lab.confidence), 4)
        if c < threshold:
            continue
        k = lab.tag.lower()
        if k not in best or c > best[k][0]:
            best[k] = (c, best.get(k, (0.0, lab.tag))[1])
    return [tag for _, (c, tag) in sorted(best.items(), key=lambda kv: (-kv[1][0], kv[0]))]


register("categorization", MODEL_NAME, run_edge_tagging, side=1024, auto_tag=True)
set_tag_merger(merge_tags)
set_default_threshold(DEFAULT_THRESHOLD)
