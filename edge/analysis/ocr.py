"""``ocr=adv_ocr``: text recognition (upload-spec §4.7), in the Google-Vision-like shape.

Pipeline, per call:
1. text blocks: edge.vision's PP-OCR DB detector (`ImageContext.found("text")`, the same boxes
   as ``detection=cld-text``, through the detection cache);
2. a block `LINE_ASPECT` times wider than high is one level line (a document's lines come out
   of the detector like that) and is read as it is.  Any other block is cut (padded by `PAD` x
   its shorter side) from a copy of the original of at most `OCR_SIDE` px, and the DB detector
   runs again on the cut alone, scaled so its shorter
   side is `LINE_SIDE` px: at that zoom the lines of a sign or paragraph separate;
3. each connected region of that probability map (> `edge.vision.text.BIN_THRESH`, mean >=
   `BOX_THRESH`) is one line: its orientation is the principal axis of the region's second
   moments, its extent the range of its pixels along and across that axis, grown by the DB
   "unclip" distance (area x `UNCLIP` / perimeter, Liao et al. 2020), so slanted street signs are
   read level; a line whose centre lies outside its (unpadded) block belongs to a neighbouring
   block and is skipped there;
4. every line is resampled upright with libvips `mapim` (bilinear) straight from the cut and
   read by `edge.vision.recognizer` (PP-OCRv4, CTC greedy decoding);
5. words are split at spaces; a word's box spans its characters' CTC time steps.

Output ``info.ocr.adv_ocr = {"status": "complete", "data": [{"textAnnotations": [...],
"fullTextAnnotation": {...}}]}``: `textAnnotations[0]` is the whole text (lines joined with
"\\n", `locale` ``"und"``: Edge does not identify languages) with the bounding polygon of all
text, then one entry per word; `fullTextAnnotation` = ``{"text", "pages": [{"width", "height",
"blocks": [{"boundingBox", "blockType": "TEXT", "confidence", "paragraphs": [{"boundingBox",
"confidence", "words": [{"boundingBox", "confidence", "symbols": [{"text"}]}]}]}]}]}``.
Vertices are integer px of the original as delivered, clockwise from the text's top-left.
Lines read with confidence < `MIN_CONFIDENCE` are dropped (noise the detector took for text).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyvips

from edge.analysis.registry import register
from edge.vision.detection import to_pixels
from edge.vision.registry import REGISTRY
from edge.vision.text import BIN_THRESH, BOX_THRESH, UNCLIP

__all__ = ["read_text", "run_ocr", "annotations", "TextLine", "OCR_SIDE", "BLOCK_SIDE", "LINE_SIDE", "MIN_CONFIDENCE"]

OCR_SIDE = 2048  # px: largest copy of the original the lines are cut from
BLOCK_SIDE = 640  # px: longer side of a block when the detector looks at it alone ...
LINE_SIDE = 64  # px: ... or more, so the shorter side is at least this
MAX_BLOCK_SIDE = 1536  # px: ... capped so the longer side stays below this
PAD = 0.5  # block padding, x its shorter side (less cut first and last letters: "didas" -> "adidas")
MIN_CONFIDENCE = 0.5
LINE_ASPECT = 4.0  # a block at least this many times wider than high is one level line
DUPLICATE = 0.6  # a line this much inside a longer one is the same line read twice
MIN_REGION = 4  # px in the block's probability map
MIN_ELONGATION = 1.5  # regions rounder than this are read axis-aligned (one character)


@dataclass(frozen=True, slots=True)
class TextLine:
    """One read line: `text`, `confidence` 0..1, `corners` ((x, y) px of the original:
    top-left, top-right, bottom-right, bottom-left of the upright line), `words`
    [(text, corners, confidence)], `block` index of the detector block it came from."""

    text: str
    confidence: float
    corners: tuple[tuple[float, float], ...]
    words: tuple[tuple[str, tuple[tuple[float, float], ...], float], ...]
    block: int


def _prob_map(rgb: np.ndarray) -> tuple[np.ndarray, float]:
    """DB probability map of an RGB cut, and the map px per cut px."""
    h, w = rgb.shape[:2]
    k = min(max(BLOCK_SIDE / max(w, h), LINE_SIDE / max(1, min(w, h))), MAX_BLOCK_SIDE / max(w, h))
    mw = max(32, int(round(w * k / 32)) * 32)
    mh = max(32, int(round(h * k / 32)) * 32)
    from edge.vision.prep import resize

    bgr = resize(rgb, mw, mh)[..., ::-1].astype(np.float32)
    x = np.ascontiguousarray((bgr * (2.0 / 255.0) - 1.0).transpose(2, 0, 1)[None])
    session = REGISTRY.session("text")
    prob = session.run(None, {session.get_inputs()[0].name: x})[0][0, 0]
    return prob, (mw / w + mh / h) / 2


def _lines_in(prob: np.ndarray) -> list[tuple[float, float, float, float, float]]:
    """(cx, cy, angle rad, length, thickness) in map px of each line region of `prob`."""
    h, w = prob.shape
    binary = prob > BIN_THRESH
    if not binary.any():
        return []
    labels = pyvips.Image.new_from_array(binary.astype(np.uint8)).labelregions().numpy().reshape(h, w)
    ys, xs = np.nonzero(binary)
    lab = labels[ys, xs]
    n = int(labels.max()) + 1
    cnt = np.bincount(lab, minlength=n)
    c = np.maximum(cnt, 1)
    score = np.bincount(lab, weights=prob[ys, xs], minlength=n) / c
    mx = np.bincount(lab, weights=xs, minlength=n) / c
    my = np.bincount(lab, weights=ys, minlength=n) / c
    dx, dy = xs - mx[lab], ys - my[lab]
    cxx = np.bincount(lab, weights=dx * dx, minlength=n) / c
    cyy = np.bincount(lab, weights=dy * dy, minlength=n) / c
    cxy = np.bincount(lab, weights=dx * dy, minlength=n) / c
    out = []
    for r in np.nonzero(cnt >= MIN_REGION)[0]:
        if score[r] < BOX_THRESH:
            continue
        half, det = (cxx[r] + cyy[r]) / 2, math.sqrt(((cxx[r] - cyy[r]) / 2) ** 2 + cxy[r] ** 2)
        major, minor = half + det, max(half - det, 1e-6)
        angle = 0.5 * math.atan2(2 * cxy[r], cxx[r] - cyy[r])
        if math.sqrt(major / minor) < MIN_ELONGATION or abs(angle) > math.radians(60):
            angle = 0.0  # a single glyph or vertical text: read it as it stands
        ca, sa = math.cos(angle), math.sin(angle)
        sel = lab == r
        u = dx[sel] * ca + dy[sel] * sa  # extent along / across the line's axis
        v = -dx[sel] * sa + dy[sel] * ca
        u0, u1, v0, v1 = float(u.min()), float(u.max()) + 1, float(v.min()), float(v.max()) + 1
        length, thick = u1 - u0, v1 - v0
        d = length * thick * UNCLIP / (2 * (length + thick))
        cx = mx[r] + (u0 + u1) / 2 * ca - (v0 + v1) / 2 * sa
        cy = my[r] + (u0 + u1) / 2 * sa + (v0 + v1) / 2 * ca
        out.append((float(cx), float(cy), angle, length + 2 * d, thick + 2 * d))
    return out


def _upright(cut: pyvips.Image, cx: float, cy: float, angle: float, length: float, thick: float) -> np.ndarray:
    """The line centred at (cx, cy) (cut px) running at `angle`, resampled level: (h, w, 3)."""
    ow, oh = max(2, int(round(length))), max(2, int(round(thick)))
    ca, sa = math.cos(angle), math.sin(angle)
    u = np.arange(ow, dtype=np.float32) - (ow - 1) / 2
    v = np.arange(oh, dtype=np.float32) - (oh - 1) / 2
    uu, vv = np.meshgrid(u, v)
    xs = cx + uu * ca - vv * sa
    ys = cy + uu * sa + vv * ca
    index = pyvips.Image.new_from_array(np.ascontiguousarray(np.dstack([xs, ys]).astype(np.float32)))
    line = cut.mapim(index, interpolate=pyvips.Interpolate.new("bilinear"))
    return line.numpy().reshape(oh, ow, cut.bands)[..., :3]


def _corners(cx: float, cy: float, angle: float, length: float, thick: float, u0: float = None, u1: float = None):
    ca, sa = math.cos(angle), math.sin(angle)
    a = -length / 2 if u0 is None else u0 - length / 2
    b = length / 2 if u1 is None else u1 - length / 2
    t = thick / 2
    return tuple((cx + u * ca - v * sa, cy + u * sa + v * ca) for u, v in ((a, -t), (b, -t), (b, t), (a, t)))


def read_text(ctx: Any) -> list[TextLine]:
    """Every line of text in an `ImageContext`, in reading order (blocks top to bottom, left
    to right; lines within a block likewise)."""
    from edge.vision.recognizer import recognize

    blocks = to_pixels(ctx.found("text"), ctx.width, ctx.height)
    if not blocks:
        return []
    image = ctx.image(OCR_SIDE)
    if image.hasalpha():
        image = image.flatten(background=[255, 255, 255])
    k = image.width / ctx.width  # copy px per original px
    candidates: list[tuple[int, tuple[float, float, float, float, float], np.ndarray]] = []
    order = sorted(range(len(blocks)), key=lambda i: (blocks[i].box[1], blocks[i].box[0]))
    for bi, i in enumerate(order):
        x, y, w, h = blocks[i].box
        pad = PAD * min(w, h)
        x0, y0 = max(0, int((x - pad) * k)), max(0, int((y - pad) * k))
        x1, y1 = min(image.width, int(math.ceil((x + w + pad) * k))), min(image.height, int(math.ceil((y + h + pad) * k)))
        if x1 - x0 < 4 or y1 - y0 < 4:
            continue
        cut = image.crop(x0, y0, x1 - x0, y1 - y0).copy_memory()
        rgb = cut.numpy().reshape(cut.height, cut.width, cut.bands)[..., :3]
        if w >= LINE_ASPECT * h:  # already one level line: read the block as it is
            s, lines = 1.0, [((x - x0 / k + w / 2) * k, (y - y0 / k + h / 2) * k, 0.0, w * k, h * k)]
        else:
            prob, s = _prob_map(np.ascontiguousarray(rgb))
            lines = _lines_in(prob) or [((prob.shape[1] - 1) / 2, (prob.shape[0] - 1) / 2, 0.0,
                                         prob.shape[1], prob.shape[0])]
        for cx, cy, ang, length, thick in sorted(lines, key=lambda l: (l[1], l[0])):
            geo = (cx / s, cy / s, ang, length / s, thick / s)
            gx, gy = (x0 + geo[0]) / k, (y0 + geo[1]) / k  # centre in original px
            if not (x <= gx <= x + w and y <= gy <= y + h):
                continue  # padding reached into a neighbouring block: read it there
            candidates.append((bi, (x0, y0, *geo), _upright(cut, *geo)))
    if not candidates:
        return []
    read = recognize([c[2] for c in candidates])
    out: list[TextLine] = []
    for (bi, (x0, y0, cx, cy, ang, length, thick), img), line in zip(candidates, read):
        text = line.text.strip()
        if not text or line.confidence < MIN_CONFIDENCE:
            continue
        ox, oy = (x0 + cx) / k, (y0 + cy) / k  # centre in original px
        L, T = length / k, thick / k
        scale = L / max(1, line.width)  # original px per recogniser px
        words = []
        chars = list(line.text)
        spans = list(line.spans)
        start = None
        for j, ch in enumerate(chars + [" "]):
            if ch != " " and start is None:
                start = j
            if ch == " " and start is not None:
                u0, u1 = spans[start][0] * scale, spans[j - 1][1] * scale
                words.append(("".join(chars[start:j]), _corners(ox, oy, ang, L, T, u0, u1), line.confidence))
                start = None
        out.append(TextLine(text, line.confidence, _corners(ox, oy, ang, L, T), tuple(words), bi))
    return _distinct(out)


def _area(c) -> float:
    (x0, y0), _, (x1, y1), _ = _hull([c])
    return max(0.0, x1 - x0) * max(0.0, y1 - y0)


def _distinct(lines: list[TextLine]) -> list[TextLine]:
    """Drop a line whose box lies mostly (> `DUPLICATE`) inside a longer line's box: blocks
    of the detector overlap, so one line can be read twice."""
    keep: list[TextLine] = []
    for l in sorted(lines, key=lambda l: -len(l.text)):
        (ax0, ay0), _, (ax1, ay1), _ = _hull([l.corners])
        dup = False
        for m in keep:
            (bx0, by0), _, (bx1, by1), _ = _hull([m.corners])
            inter = max(0.0, min(ax1, bx1) - max(ax0, bx0)) * max(0.0, min(ay1, by1) - max(ay0, by0))
            if inter > DUPLICATE * max(_area(l.corners), 1e-6):
                dup = True
                break
        if not dup:
            keep.append(l)
    return [l for l in lines if l in keep]


def _poly(corners, width: int, height: int) -> dict[str, Any]:
    return {"vertices": [{"x": int(round(min(max(x, 0), width))), "y": int(round(min(max(y, 0), height)))}
                         for x, y in corners]}


def _hull(polys: list[tuple[tuple[float, float], ...]]) -> tuple[tuple[float, float], ...]:
    xs = [p[0] for c in polys for p in c]
    ys = [p[1] for c in polys for p in c]
    return ((min(xs), min(ys)), (max(xs), min(ys)), (max(xs), max(ys)), (min(xs), max(ys)))


def annotations(lines: list[TextLine], width: int, height: int) -> dict[str, Any]:
    """The Google-Vision-like `{"textAnnotations", "fullTextAnnotation"}` of read lines."""
    if not lines:
        return {"textAnnotations": [], "fullTextAnnotation": {"text": "", "pages": [
            {"width": width, "height": height, "blocks": []}]}}
    full = "\n".join(l.text for l in lines)
    text_ann = [{"locale": "und", "description": full, "boundingPoly": _poly(_hull([l.corners for l in lines]), width, height)}]
    blocks: dict[int, list[TextLine]] = {}
    for l in lines:
        blocks.setdefault(l.block, []).append(l)
        for word, corners, _ in l.words:
            text_ann.append({"description": word, "boundingPoly": _poly(corners, width, height)})
    page_blocks = []
    for _, bl in sorted(blocks.items()):
        conf = round(float(np.mean([l.confidence for l in bl])), 4)
        words = [{"boundingBox": _poly(c, width, height), "confidence": round(wc, 4),
                  "symbols": [{"text": ch} for ch in w]} for l in bl for w, c, wc in l.words]
        box = _poly(_hull([l.corners for l in bl]), width, height)
        page_blocks.append({"boundingBox": box, "blockType": "TEXT", "confidence": conf,
                            "paragraphs": [{"boundingBox": box, "confidence": conf, "words": words}]})
    return {"textAnnotations": text_ann,
            "fullTextAnnotation": {"text": full + "\n", "pages": [
                {"width": width, "height": height, "blocks": page_blocks}]}}


def run_ocr(ctx: Any, request: Any, name: str) -> dict[str, Any]:
    """Analyzer for ``ocr=adv_ocr[:hint]`` (the hint is accepted and ignored)."""
    lines = read_text(ctx)
    return {"info": {"ocr": {"adv_ocr": {"status": "complete",
                                         "data": [annotations(lines, ctx.width, ctx.height)]}}}}


register("ocr", "adv_ocr", run_ocr, side=OCR_SIDE)
