"""COCO-80 class -> COCO super-category: the `categories` of a `detection=coco` instance.

Source: the `supercategory` field of the COCO 2017 `instances_*.json` category list (Lin et al.
2014, "Microsoft COCO: Common Objects in Context"), spelt as COCO spells it: ``person``,
``vehicle``, ``outdoor``, ``animal``, ``accessory``, ``sports``, ``kitchen``, ``food``,
``furniture``, ``electronic``, ``appliance``, ``indoor``.  The table itself lives with the class
names in `edge.vision.labels.CATEGORIES` (gravity's `g_auto:animal` uses it too); this module
inverts it.
"""

from __future__ import annotations

from edge.vision.labels import CATEGORIES, COCO80

__all__ = ["SUPERCATEGORY", "supercategory", "categories"]

SUPERCATEGORY: dict[str, str] = {cls: cat for cat, classes in CATEGORIES.items() for cls in classes}
"""COCO class name -> its super-category (every one of the 80 classes has exactly one)."""

assert set(SUPERCATEGORY) == set(COCO80), "every COCO class has a super-category"


def supercategory(label: str) -> str | None:
    """The COCO super-category of class `label` (``dog`` -> ``animal``), None for other labels."""
    return SUPERCATEGORY.get(label)


def categories(label: str) -> list[str]:
    """`categories` list of a detection label: ``[supercategory]``, or ``[]`` if none."""
    cat = SUPERCATEGORY.get(label)
    return [cat] if cat else []
