"""Gravity values (`g_`), spec §7: compass, special, `auto[:...]`, object lists, xy_center.

Object names are data-driven (any `[a-z][a-z0-9-]*` word, optional plural `s`, or several
such words joined by `_` as Cloudinary spells multi-word COCO classes: `dining_table`,
`cell_phone`, `traffic_light`), optionally prefixed by a model and version (`coco_cat`,
`coco_v2_cat`, `lvis_sofa`, `cld-fashion_shoe`, `coco_dining_table`).  A name starting with a
known model word is read as model + name.  Inside `g_auto:` a focal may carry a weight
(`g_auto:cat_30:dog_70`, as url-gen's `focusOn(...).weight(...)` writes it) or `_avoid`.
"""

from __future__ import annotations

import functools
import re

from .ast import Focal, Gravity, ObjectName
from .errors import UrlError
from .numeric import to_int

__all__ = ["parse_gravity", "parse_object", "COMPASS", "MODELS"]

COMPASS = frozenset(
    "north_west north north_east west center east south_west south south_east".split()
)
#: model prefixes known to appear in object gravity (spec §7, §20.4); `<model>_v<N>_` also allowed.
MODELS = ("cld-fashion", "coco", "lvis", "unidet", "openimages", "cld-text", "human-anatomy")
_SPECIAL_WITH_FALLBACK = {
    "face": ("center", "auto"),
    "faces": ("center", "auto"),
    "custom": ("face", "faces", "adv_face", "adv_faces"),
    "ocr_text": ("adv_ocr",),
    "adv_face": (), "adv_faces": (), "adv_eyes": (), "body": (),
}
_FOCAL_NAMES = frozenset(
    "faces face body ocr_text object no_faces none custom_no_override subject adv_face adv_faces adv_eyes".split()
)
_WORD = re.compile(r"[a-z][a-z0-9-]*\Z")
#: a multi-word object name: words joined by `_` (`dining_table`, `baseball_glove`)
_WORDS = re.compile(r"[a-z][a-z0-9-]*(?:_[a-z][a-z0-9-]*)+\Z")
_MODEL_RE = re.compile(r"(?P<model>[a-z][a-z0-9-]*?(?:_v\d+)?)_(?P<name>[a-z][a-z0-9-]*(?:_[a-z][a-z0-9-]*)*)\Z")
#: `<focal>_<weight>` inside g_auto (url-gen AutoFocus: `cat_30`); weights are 0..100.
_WEIGHTED = re.compile(r"(?P<name>.+)_(?P<weight>\d+)\Z")
_AOI = re.compile(r"aoi_\d+_\d+_\d+_\d+\Z")
_INT = re.compile(r"\d+\Z")


def parse_object(text: str) -> ObjectName:
    """Parse one object name, e.g. `cat`, `cats`, `coco_v2_cat`; raise UrlError if malformed."""
    if _WORD.match(text):
        return ObjectName(text)
    m = _MODEL_RE.match(text)
    if m and (m.group("model").split("_v")[0] in MODELS):
        return ObjectName(m.group("name"), m.group("model"))
    if _WORDS.match(text) and text.split("_", 1)[0] not in MODELS:
        return ObjectName(text)
    raise UrlError(f"Invalid value for g: {text}")


def _focal(part: str) -> Focal:
    """One focal of `g_auto:`: `<name>`, `<name>_avoid` or `<name>_<weight 0..100>`."""
    avoid = part.endswith("_avoid")
    name = part[: -len("_avoid")] if avoid else part
    weight = None
    if not avoid and not _AOI.match(name):
        m = _WEIGHTED.match(name)
        if m:
            name, weight = m.group("name"), to_int(m.group("weight"), "g")
            if weight > 100:
                raise UrlError(f"Invalid value for g: weight above 100 in {part}")
    if name in _FOCAL_NAMES or _AOI.match(name):
        return Focal(name, None, avoid, weight)
    obj = parse_object(name)
    return Focal(obj.name, obj.model, avoid, weight)


def _auto(text: str, parts: list[str]) -> Gravity:
    algorithm = None
    focals: list[Focal] = []
    aggressiveness = None
    thirds = True
    rest = parts[1:]
    if rest and rest[0] in ("subject", "classic"):
        algorithm = rest.pop(0)
    for i, part in enumerate(rest):
        if _INT.match(part):
            value = to_int(part, "g")
            if value > 100:
                raise UrlError(f"Invalid value for g: {text}")
            if i == len(rest) - 1 or rest[i + 1] == "thirds_0":  # aggressiveness 0..100 ends the list
                aggressiveness = value
            elif focals:  # a weight after a focal (legacy `:<weight>` form)
                f = focals[-1]
                focals[-1] = Focal(f.name, f.model, f.avoid, value)
            else:
                raise UrlError(f"Invalid value for g: {text}")
        elif part == "thirds_0":
            thirds = False
        elif part:
            focals.append(_focal(part))
        else:
            raise UrlError(f"Invalid value for g: {text}")
    return Gravity(
        kind="auto", text=text, algorithm=algorithm, focals=tuple(focals),
        aggressiveness=aggressiveness, thirds=thirds,
    )


@functools.lru_cache(maxsize=2048)
def parse_gravity(text: str) -> Gravity:
    """Parse a `g_` value into a `Gravity` (kinds: compass, auto, objects, face, faces, custom,
    adv_face, adv_faces, adv_eyes, body, ocr_text, xy_center, liquid, special).

    Raises UrlError ("Invalid value for g: <text>") for anything else.
    """
    if text in COMPASS:
        return Gravity(kind="compass", text=text, compass=text)
    if text in ("xy_center", "liquid", "cld-decompose_tile"):
        return Gravity(kind=text if text != "cld-decompose_tile" else "special", text=text)
    if text.startswith(("clipping_path_!", "region_!", "track_person")):
        return Gravity(kind="special", text=text)
    parts = text.split(":")
    head = parts[0]
    if head == "auto":
        return _auto(text, parts)
    if head in _SPECIAL_WITH_FALLBACK:
        fallback = None
        if len(parts) == 2 and parts[1] in _SPECIAL_WITH_FALLBACK[head]:
            fallback = parts[1]
        elif len(parts) != 1:
            raise UrlError(f"Invalid value for g: {text}")
        return Gravity(kind=head, text=text, fallback=fallback)
    objects: list[ObjectName] = []
    fallback_auto = False
    for part in parts:
        if part == "auto":
            fallback_auto = True
        elif part:
            objects.append(parse_object(part))
        else:
            raise UrlError(f"Invalid value for g: {text}")
    if not objects:
        raise UrlError(f"Invalid value for g: {text}")
    return Gravity(kind="objects", text=text, objects=tuple(objects), fallback_auto=fallback_auto)
