"""`recognizer`: PP-OCRv4 text-line recognition (CTC), the reading half of `ocr=adv_ocr`.

Model: PyPI rapidocr-onnxruntime 1.4.4, `ch_PP-OCRv4_rec_infer.onnx`, copied unchanged (PaddleOCR
PP-OCRv4 "ch" recogniser, SVTR-LCNet backbone; Li et al. 2022, "PP-OCRv3", and the PP-OCRv4 notes
of PaddleOCR).  Input float32 [N, 3, 48, W] BGR (PaddleOCR decodes with opencv), (x / 255 - 0.5)
/ 0.5, one text line per row resized to height 48 px with its aspect kept, right-padded with 0
to the batch's widest line; output [N, W / 8, 6625] per-time-step softmax over
``blank + 6623 characters + space``.  The 6623-character list (Chinese, Latin, digits,
punctuation: PaddleOCR's ppocr_keys_v1) is stored in the ONNX file's metadata key `character`,
one character per line; it is read from there, so model and alphabet cannot drift apart.

Decoding is CTC best path (Graves et al. 2006): arg-max per time step, merge repeats, drop
blanks.  A line's confidence is the mean of the kept steps' probabilities (PaddleOCR's
CTCLabelDecode).  Each character also gets its time-step span, which `edge.analysis.ocr` turns
into word boxes (one step = 8 input px).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from edge.vision.prep import resize
from edge.vision.registry import REGISTRY

__all__ = ["Line", "recognize", "alphabet", "HEIGHT", "STEP", "MAX_WIDTH", "MODEL"]

MODEL = "recognizer"  # manifest name
HEIGHT = 48  # px, input height
STEP = 8  # input px per output time step
MAX_WIDTH = 1600  # px: longer lines are squeezed to this width (about 60 characters of 48 px)
BATCH = 8  # lines per model call


@dataclass(frozen=True, slots=True)
class Line:
    """One recognised line: `text`, `confidence` 0..1 (mean character probability; 0 for no
    text), `spans` [(first, last)] input-px columns (in the 48 px high line image, before
    padding) of each character of `text`, and `width` px of that line image."""

    text: str
    confidence: float
    spans: tuple[tuple[float, float], ...]
    width: int


@lru_cache(maxsize=1)
def alphabet() -> tuple[str, ...]:
    """``("", <6623 characters>, " ")``: output channel -> character ("" is the CTC blank)."""
    session = REGISTRY.session(MODEL)
    chars = session.get_modelmeta().custom_metadata_map["character"].split("\n")
    return ("", *chars, " ")


def _prepare(rgb: np.ndarray) -> np.ndarray:
    """(h, w, 3) uint8 RGB line -> (48, w', 3) uint8 resized, aspect kept (w' <= MAX_WIDTH)."""
    h, w = rgb.shape[:2]
    width = int(min(MAX_WIDTH, max(STEP, round(w * HEIGHT / max(h, 1)))))
    return resize(rgb, width, HEIGHT)


def _decode(probs: np.ndarray, width: int, chars: tuple[str, ...]) -> Line:
    """CTC best path of one line's [T, C] probabilities (only the first width / 8 steps)."""
    steps = max(1, int(np.ceil(width / STEP)))
    p = probs[:steps]
    best = p.argmax(1)
    score = p[np.arange(best.size), best]
    keep = np.ones(best.size, bool)
    keep[1:] = best[1:] != best[:-1]
    keep &= best != 0
    idx = np.nonzero(keep)[0]
    if idx.size == 0:
        return Line("", 0.0, (), width)
    text = "".join(chars[int(best[i])] for i in idx)
    spans = []
    for i in idx:  # a character covers its run of equal steps
        j = i
        while j + 1 < best.size and best[j + 1] == best[i]:
            j += 1
        spans.append((float(i * STEP), float(min(width, (j + 1) * STEP))))
    return Line(text, float(score[idx].mean()), tuple(spans), width)


def recognize(lines: list[np.ndarray]) -> list[Line]:
    """Read each (h, w, 3) uint8 RGB text-line image (text running left to right, roughly
    horizontal); returns one `Line` per image in order (an empty text when nothing is read)."""
    if not lines:
        return []
    session = REGISTRY.session(MODEL)
    name = session.get_inputs()[0].name
    chars = alphabet()
    prepared = [_prepare(x) for x in lines]
    out: list[Line | None] = [None] * len(prepared)
    order = sorted(range(len(prepared)), key=lambda i: prepared[i].shape[1])  # similar widths batch well
    for start in range(0, len(order), BATCH):
        group = order[start:start + BATCH]
        width = max(prepared[i].shape[1] for i in group)
        width = int(np.ceil(width / STEP) * STEP)
        x = np.zeros((len(group), 3, HEIGHT, width), np.float32)
        for row, i in enumerate(group):
            im = prepared[i]
            bgr = im[..., ::-1].astype(np.float32) * (2.0 / 255.0) - 1.0
            x[row, :, :, :im.shape[1]] = bgr.transpose(2, 0, 1)
        probs = session.run(None, {name: x})[0]
        for row, i in enumerate(group):
            out[i] = _decode(probs[row], prepared[i].shape[1], chars)
    return [o for o in out if o is not None]
