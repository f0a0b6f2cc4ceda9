"""Upload-time analysis latency: ms per analysis on a 12 MP JPEG and on a 640 px photo, and an
upload-like call with every built-in.

Photos: tests/images/large_5312x2988_seeding.jpg (5312x2988 progressive JPEG, 1.5 MB) and
tests/images/people_family_table_coco_000110.jpg (640x480).  Each figure is the median of
`--runs` calls of `edge.analysis.analyze` (after one warm-up call that loads the models), each
call on fresh bytes, so every call decodes once (shrink-on-load).  Per-analysis figures exclude
the decode (reported as `decode_<side>`, the decode at the size that analysis plans); `builtins`
is the wall time of one call asking for colors, phash, faces, image_metadata, exif,
quality_analysis, accessibility_analysis and pages together (decode included), and
`builtins_<photo>_cpu_ms` the CPU time the process spent on it (all threads): with one thread
this is what the call costs on an idle core, whatever else the machine is doing.  Model rows
(`coco`, `tagging`, `ocr`) appear when their plug-ins are registered.

By default everything runs on one core: ``VIPS_CONCURRENCY=1``, ``EDGE_VISION_THREADS=1`` and
``OMP_NUM_THREADS=1`` are set before libvips/onnxruntime load (``--threads N`` to change).
Target: ``builtins_12mp_ms <= 250``.  Prints one JSON line.  Usage:
``python bench/analysis.py [--runs 5] [--threads 1]``.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import sys
import time

IMAGES = pathlib.Path(__file__).resolve().parent.parent / "tests" / "images"
PHOTOS = {"12mp": "large_5312x2988_seeding.jpg", "640px": "people_family_table_coco_000110.jpg"}
BUILTINS = ("colors", "phash", "faces", "image_metadata", "exif", "quality_analysis",
            "accessibility_analysis", "pages")
#: row name -> (wire params, timing key in analyze's `timings`)
ROWS = {
    "colors": ({"colors": "1"}, "colors"),
    "phash": ({"phash": "1"}, "phash"),
    "metadata": ({"image_metadata": "1"}, "metadata"),
    "faces": ({"faces": "1"}, "faces"),
    "quality": ({"quality_analysis": "1"}, "quality_analysis"),
    "accessibility": ({"accessibility_analysis": "1"}, "accessibility_analysis"),
    "coco": ({"detection": "coco"}, "detection:coco"),
    "tagging": ({"categorization": "edge_tagging"}, "categorization:edge_tagging"),
    "ocr": ({"ocr": "adv_ocr"}, "ocr:adv_ocr"),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    for var in ("VIPS_CONCURRENCY", "EDGE_VISION_THREADS", "OMP_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

    import pyvips

    from edge.analysis import AnalysisError, AnalysisRequest, analyze

    pyvips.cache_set_max(0)
    out: dict[str, float | int] = {"threads": args.threads, "runs": args.runs}
    for tag, name in PHOTOS.items():
        data = (IMAGES / name).read_bytes()
        for row, (params, key) in ROWS.items():
            try:
                req = AnalysisRequest.from_params(params)
            except AnalysisError:
                continue  # that model's plug-in is not installed
            analyze(bytes(data), req)  # warm-up: sessions, palettes, imports
            ms, dec = [], []
            for _ in range(args.runs):
                t: dict = {}
                analyze(bytes(data), req, timings=t)
                ms.append(t.get(key, 0.0))
                dec.append(t.get("decode", 0.0))
            out[f"{row}_{tag}_ms"] = round(statistics.median(ms), 1)
            out[f"{row}_{tag}_decode_ms"] = round(statistics.median(dec), 1)
        req = AnalysisRequest.from_params({k: "1" for k in BUILTINS})
        analyze(bytes(data), req)
        wall, cpu = [], []
        for _ in range(args.runs):
            c0, t0 = time.process_time(), time.perf_counter()
            analyze(bytes(data), req)
            wall.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
        out[f"builtins_{tag}_ms"] = round(statistics.median(wall), 1)
        out[f"builtins_{tag}_cpu_ms"] = round(statistics.median(cpu), 1)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
