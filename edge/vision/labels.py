"""Names of the things Edge's models find: COCO-80 classes, their plurals, categories, synonyms.

Everything here is data plus pure lookups (no models, no pixels).

* `COCO80`: the 80 COCO detection classes in the order of the detector's output channels
  (COCO 2017 `instances` category order, ids with the gaps removed).
* `CATEGORIES`: category -> classes: the COCO `supercategory` field, spelt as COCO spells it
  (`electronic`, `appliance`; source: the COCO 2017 annotation file's `categories` list).
* `SYNONYMS`: everyday words for extraction prompts (`e_extract:prompt_mug` -> cup); Edge's own
  table, since no open-vocabulary model is available offline (docs/models-research.md section 4).

`resolve(name)` turns a URL name (`cat`, `cats`, `animal`, `traffic_light`, `mug`) into a
`Target`: the set of COCO classes it covers and whether it was plural (keep every instance).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["COCO80", "COCO91", "CATEGORIES", "SYNONYMS", "Target", "resolve", "normalise", "plural"]

COCO80: tuple[str, ...] = (
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat",
    "traffic light", "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog",
    "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella",
    "handbag", "tie", "suitcase", "frisbee", "skis", "snowboard", "sports ball", "kite",
    "baseball bat", "baseball glove", "skateboard", "surfboard", "tennis racket", "bottle",
    "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple", "sandwich", "orange",
    "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch", "potted plant",
    "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard", "cell phone",
    "microwave", "oven", "toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors",
    "teddy bear", "hair drier", "toothbrush",
)

#: COCO-91 category id (TF Object Detection API, COCO annotation files) -> class name: the 80
#: classes in order over ids 1..90, skipping the 10 ids COCO never annotated (12, 26, 29, 30, 45,
#: 66, 68, 69, 71, 83).
COCO91: dict[int, str] = dict(zip(
    [i for i in range(1, 91) if i not in {12, 26, 29, 30, 45, 66, 68, 69, 71, 83}], COCO80))

CATEGORIES: dict[str, frozenset[str]] = {
    "person": frozenset({"person"}),
    "vehicle": frozenset({"bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat"}),
    "outdoor": frozenset({"traffic light", "fire hydrant", "stop sign", "parking meter", "bench"}),
    "animal": frozenset({"bird", "cat", "dog", "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe"}),
    "accessory": frozenset({"backpack", "umbrella", "handbag", "tie", "suitcase"}),
    "sports": frozenset({"frisbee", "skis", "snowboard", "sports ball", "kite", "baseball bat",
                         "baseball glove", "skateboard", "surfboard", "tennis racket"}),
    "kitchen": frozenset({"bottle", "wine glass", "cup", "fork", "knife", "spoon", "bowl"}),
    "food": frozenset({"banana", "apple", "sandwich", "orange", "broccoli", "carrot", "hot dog",
                       "pizza", "donut", "cake"}),
    "furniture": frozenset({"chair", "couch", "potted plant", "bed", "dining table", "toilet"}),
    "electronic": frozenset({"tv", "laptop", "mouse", "remote", "keyboard", "cell phone"}),
    "appliance": frozenset({"microwave", "oven", "toaster", "sink", "refrigerator"}),
    "indoor": frozenset({"book", "clock", "vase", "scissors", "teddy bear", "hair drier", "toothbrush"}),
}

# Everyday words -> COCO class (extraction prompts and lenient gravity names).
SYNONYMS: dict[str, str] = {
    "mug": "cup", "coffee": "cup", "teacup": "cup", "glass": "wine glass", "kitten": "cat",
    "kitty": "cat", "puppy": "dog", "doggy": "dog", "man": "person", "woman": "person",
    "child": "person", "kid": "person", "boy": "person", "girl": "person", "human": "person",
    "baby": "person", "sofa": "couch", "settee": "couch", "table": "dining table",
    "desk": "dining table", "plant": "potted plant", "flowerpot": "potted plant",
    "television": "tv", "tvmonitor": "tv", "monitor": "tv", "screen": "tv", "phone": "cell phone",
    "mobile": "cell phone", "smartphone": "cell phone", "cellphone": "cell phone",
    "fridge": "refrigerator", "bike": "bicycle", "motorbike": "motorcycle", "scooter": "motorcycle",
    "plane": "airplane", "aeroplane": "airplane", "aircraft": "airplane", "automobile": "car",
    "taxi": "car", "lorry": "truck", "ship": "boat", "bag": "handbag", "purse": "handbag",
    "luggage": "suitcase", "ball": "sports ball", "football": "sports ball", "doughnut": "donut",
    "hotdog": "hot dog", "teddy": "teddy bear", "hairdryer": "hair drier", "hairdrier": "hair drier",
    "sneaker": "", "shoe": "", "calf": "cow", "cattle": "cow", "lamb": "sheep", "pony": "horse",
    "sparrow": "bird", "pigeon": "bird", "seagull": "bird", "duck": "bird", "chicken": "bird",
    "parrot": "bird", "pot": "potted plant", "notebook": "laptop", "computer": "laptop",
    "necktie": "tie", "rucksack": "backpack", "microwaveoven": "microwave", "cupcake": "cake",
    "plate": "bowl", "wineglass": "wine glass", "stopsign": "stop sign",
}
SYNONYMS = {k: v for k, v in SYNONYMS.items() if v}  # empty entries document known misses

_IRREGULAR_PLURALS = {"person": "people", "mouse": "mice", "knife": "knives", "skis": "skis",
                      "sheep": "sheep", "sports": "sports", "electronic": "electronics",
                      "child": "children", "man": "men", "woman": "women", "tv": "tvs"}


def normalise(name: str) -> str:
    """Lower-case `name` and drop every non-letter (`Traffic_Light` -> `trafficlight`)."""
    return re.sub(r"[^a-z]", "", name.lower())


def plural(word: str) -> str:
    """English plural of a class or category word (`bus` -> `buses`, `person` -> `people`).
    Multi-word names pluralise their last word (`wine glass` -> `wine glasses`)."""
    head, _, last = word.rpartition(" ")
    if last in _IRREGULAR_PLURALS:
        out = _IRREGULAR_PLURALS[last]
    elif re.search(r"(s|sh|ch|x|z)$", last):
        out = last + "es"
    elif re.search(r"[^aeiou]y$", last):
        out = last[:-1] + "ies"
    elif re.search(r"[^aeiou]o$", last) and last not in {"piano", "photo"}:
        out = last + "es"
    else:
        out = last + "s"
    return f"{head} {out}" if head else out


@dataclass(frozen=True, slots=True)
class Target:
    """What a name covers: `classes` (COCO names), `plural` (keep every instance), and
    `kind`: ``class``, ``category``, ``object`` (any COCO class) or ``synonym``."""

    classes: frozenset[str]
    plural: bool
    kind: str


def _build() -> dict[str, Target]:
    table: dict[str, Target] = {}
    everything = frozenset(COCO80)
    for key, plural_flag in (("object", False), ("objects", True)):
        table[key] = Target(everything, plural_flag, "object")
    for word, cls in SYNONYMS.items():
        table.setdefault(normalise(word), Target(frozenset({cls}), False, "synonym"))
        table.setdefault(normalise(plural(word)), Target(frozenset({cls}), True, "synonym"))
    for cat, classes in CATEGORIES.items():
        table[normalise(cat)] = Target(classes, False, "category")
        table.setdefault(normalise(plural(cat)), Target(classes, True, "category"))
    for cls in COCO80:
        table[normalise(cls)] = Target(frozenset({cls}), False, "class")
        table[normalise(plural(cls))] = Target(frozenset({cls}), True, "class")
    return table


_TABLE = _build()


def resolve(name: str, *, synonyms: bool = True) -> Target | None:
    """The `Target` a URL name stands for, or None when no COCO class, category or (when
    `synonyms`) synonym matches.  Case, spaces, `_` and `-` are ignored."""
    t = _TABLE.get(normalise(name))
    if t is None or (t.kind == "synonym" and not synonyms):
        return None
    return t
