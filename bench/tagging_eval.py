"""Precision and recall of ``auto_tagging`` on vision-dev (123 COCO photos with exact boxes).

    python bench/tagging_eval.py [--dir ../shared/vision-dev] [--threshold T] [--show N]

For each photo the automatic tags are what ``auto_tagging`` with no model named produces (the
`auto_tag` models of edge.analysis.registry: ``coco`` and ``edge_tagging``, labels merged by
`edge.analysis.tagging.merge_tags`).  Only tags that are COCO-80 class names are scored, against
the photo's annotated classes:

* a class counts as present when one of its objects covers >= `MIN_AREA` (1 %) of the image;
* a predicted class that is present is a true positive, one that is absent altogether a false
  positive; a predicted class annotated only with objects under 1 % is neither (the tag is
  right, the object just too small to demand);
* recall = true positives / present classes.

Prints precision/recall over a sweep of thresholds (labels are computed once per photo), the
figures at the chosen threshold (default: `edge.analysis.tagging.DEFAULT_THRESHOLD`), and with
`--show N` the first N photos' tags that are not COCO classes (categorizer output, to be judged by
looking at the photos).  Development figures, not a test.  Runs in about a minute on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from edge.analysis.image import ImageContext  # noqa: E402
from edge.analysis.registry import auto_tag_entries  # noqa: E402
from edge.analysis.request import AnalysisRequest  # noqa: E402
from edge.analysis.tagging import DEFAULT_THRESHOLD, merge_tags  # noqa: E402
from edge.vision.labels import COCO80  # noqa: E402

MIN_AREA = 0.01
SWEEP = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8)


def ground_truth(folder: Path) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(file -> classes with an object >= MIN_AREA of the image, file -> every annotated class)."""
    d = json.loads((folder / "instances.json").read_text())
    names = {c["id"]: c["name"] for c in d["categories"]}
    images = {i["id"]: i for i in d["images"]}
    big: dict[str, set[str]] = {i["file_name"]: set() for i in d["images"]}
    every: dict[str, set[str]] = {i["file_name"]: set() for i in d["images"]}
    for a in d["annotations"]:
        im = images[a["image_id"]]
        cls = names[a["category_id"]]
        every[im["file_name"]].add(cls)
        _, _, w, h = a["bbox"]
        if w * h >= MIN_AREA * im["width"] * im["height"]:
            big[im["file_name"]].add(cls)
    return big, every


def score(tags: dict[str, list[str]], big: dict[str, set[str]], every: dict[str, set[str]]) -> tuple[float, float, int, int, int]:
    """(precision, recall, tp, fp, present) over COCO-class tags."""
    coco = set(COCO80)
    tp = fp = present = 0
    for f, t in tags.items():
        pred = {x for x in t if x in coco}
        tp += len(pred & big[f])
        fp += len(pred - every[f])
        present += len(big[f])
    return (tp / max(1, tp + fp), tp / max(1, present), tp, fp, present)


def main() -> int:
    """Run the evaluation (see the module doc); exit status 0."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", type=Path, default=ROOT.parent / "shared" / "vision-dev")
    ap.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    ap.add_argument("--show", type=int, default=0)
    args = ap.parse_args()
    big, every = ground_truth(args.dir)
    request = AnalysisRequest()
    labels: dict[str, list] = {}
    t0 = time.perf_counter()
    for f in sorted(big):
        ctx = ImageContext((args.dir / "images" / f).read_bytes())
        labels[f] = []
        for entry in auto_tag_entries():
            labels[f].extend(entry.run(ctx, request, entry.name).get("_labels", []))
    dt = time.perf_counter() - t0
    print(f"{len(labels)} photos, {dt:.1f} s ({dt / len(labels) * 1000:.0f} ms per photo, models {', '.join(e.name for e in auto_tag_entries())})")
    print("threshold precision recall  tp  fp present")
    for t in sorted(set(SWEEP) | {args.threshold}):
        p, r, tp, fp, n = score({f: merge_tags(l, t) for f, l in labels.items()}, big, every)
        mark = "  <- chosen" if t == args.threshold else ""
        print(f"{t:9.2f} {p:9.3f} {r:6.3f} {tp:4d} {fp:3d} {n:7d}{mark}")
    coco = set(COCO80)
    # non-COCO tags: the broad ones are checked against the annotations' COCO super-categories
    # ("animal" is right when an animal class is annotated); the specific ones need eyes
    broad = {"animal", "vehicle", "food"}
    from edge.analysis.supercategories import SUPERCATEGORY

    right_broad = specific = 0
    for f, l in labels.items():
        tags = [x for x in merge_tags(l, args.threshold) if x not in coco and x != "face"]
        cats = {SUPERCATEGORY[c] for c in every[f]}
        right_broad += any(t in broad and t in cats for t in tags)
        specific += any(t not in broad for t in tags)
    print(f"non-COCO tags at {args.threshold}: {right_broad} photos with a correct broad tag (animal/vehicle/food, "
          f"checked against the annotations), {specific} photos with a specific one (judge them with --show)")
    if args.show:
        for f in sorted(labels)[:args.show]:
            tags = merge_tags(labels[f], args.threshold)
            extra = [x for x in merge_tags(labels[f], 0.2) if x not in coco]
            print(f"{f}: auto={tags} | non-COCO>=0.2: {extra} | truth={sorted(big[f])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
