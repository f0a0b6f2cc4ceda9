"""What analysis an upload, explicit, update or resource call asks for (upload-spec §1.2, §3, §4).

`AnalysisRequest.from_params(params)` reads the Upload/Admin API wire forms:

* booleans: ``"1"``/``"0"`` (Upload API SDKs), ``"true"``/``"false"`` (Admin API, curl), also
  Python/JSON booleans and ints; ``""`` counts as false.  Anything else is an `AnalysisError`.
* lists (`detection`, `categorization`): comma-joined strings (``coco_v2,cld-text``) or JSON
  lists; whitespace and empty items are dropped, duplicates removed (order kept).
* `auto_tagging`: a float in [0, 1] (``"0.6"``) or ``"default"``.
* `face_coordinates` / `custom_coordinates`: ``x,y,w,h|x,y,w,h`` (ints, px of the original;
  floats are truncated as Cloudinary does), or a list of 4-number lists.  ``""`` clears (an empty
  tuple); absent is None (keep what is stored).
* `ocr`: ``adv_ocr`` or ``adv_ocr:<hint>`` (e.g. ``adv_ocr:document``).

Models are checked against `edge.analysis.registry` (what is actually installed): a model Edge
does not have is an `AnalysisError` with the message of upload-spec §7
(``Edge does not support detection model 'captioning'``), unless the caller passes
``lenient=True``; then the name is kept in `unsupported` and `analyze()` reports
``{"status": "failed"}`` under its key instead of data.  `aliases` lets an operator map a
third-party categorizer name (``imagga_tagging``) to an Edge model (``edge_tagging``); the
request keeps the requested name and records the mapping in `aliases`.

Parameters unrelated to analysis (public_id, tags, eager, ...) are ignored.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, fields
from typing import Any, Mapping

__all__ = ["AnalysisError", "AnalysisRequest", "Box", "parse_bool", "parse_coordinates", "BOOL_FLAGS"]

Box = tuple[int, int, int, int]
"""(x, y, w, h) in px of the original (top-left origin)."""

#: Boolean request flags, in response order.  `media_metadata` is the current name of
#: `image_metadata`; both produce the `image_metadata` field.
BOOL_FLAGS = (
    "colors", "phash", "faces", "coordinates", "image_metadata", "media_metadata", "exif",
    "quality_analysis", "accessibility_analysis", "pages", "cinemagraph_analysis",
)

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class AnalysisError(ValueError):
    """A bad or unsupported analysis parameter; `message` is client-facing (the API answers 400
    ``{"error": {"message": message}}``)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def parse_bool(name: str, value: Any) -> bool:
    """``"1"``/``"true"``/True -> True, ``"0"``/``"false"``/``""``/False/None -> False.
    Raises AnalysisError for any other value."""
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        v = value.strip().lower()
        if v in _TRUE:
            return True
        if v in _FALSE:
            return False
    raise AnalysisError(f"Invalid boolean value for {name}: {value!r}")


def _num(name: str, v: Any) -> int:
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise AnalysisError(f"Invalid {name}: {v!r} is not a number") from None
    if not math.isfinite(f) or abs(f) > 1e9:
        raise AnalysisError(f"Invalid {name}: {v!r} is out of range")
    return int(f)


def parse_coordinates(name: str, value: Any) -> tuple[Box, ...] | None:
    """``"x,y,w,h|x,y,w,h"`` (or ``[[x,y,w,h], ...]``, or a JSON string of that) -> boxes.
    None stays None (not given); ``""`` / ``[]`` is an empty tuple (clear).  Each box needs four
    numbers with w, h >= 0 and x, y >= 0.  Raises AnalysisError otherwise."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return ()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except ValueError:
                raise AnalysisError(f"Invalid {name}: {value!r}") from None
        else:
            value = [part.split(",") for part in text.split("|") if part.strip()]
    if isinstance(value, (list, tuple)) and value and not isinstance(value[0], (list, tuple)):
        value = [value]  # one flat box [x, y, w, h]
    if not isinstance(value, (list, tuple)):
        raise AnalysisError(f"Invalid {name}: {value!r}")
    boxes = []
    for item in value:
        if not isinstance(item, (list, tuple)) or len(item) != 4:
            raise AnalysisError(f"Invalid {name}: each box is x,y,w,h")
        x, y, w, h = (_num(name, v) for v in item)
        if min(x, y, w, h) < 0:
            raise AnalysisError(f"Invalid {name}: negative value in {list(item)}")
        boxes.append((x, y, w, h))
    return tuple(boxes)


def _names(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except ValueError:
                raise AnalysisError(f"Invalid model list: {value!r}") from None
        else:
            value = text.split(",")
    if not isinstance(value, (list, tuple)):
        raise AnalysisError(f"Invalid model list: {value!r}")
    out: list[str] = []
    for v in value:
        if not isinstance(v, str):
            raise AnalysisError(f"Invalid model name: {v!r}")
        v = v.strip()
        if v and v not in out:
            out.append(v)
    return tuple(out)


def _threshold(value: Any) -> tuple[float | None, bool]:
    """auto_tagging wire value -> (threshold or None, is_default)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, False
    if isinstance(value, str) and value.strip().lower() == "default":
        from edge.analysis.registry import default_threshold

        return default_threshold(), True
    if isinstance(value, bool):
        raise AnalysisError(f"Invalid auto_tagging: {value!r} (a number 0..1 or 'default')")
    try:
        t = float(value)
    except (TypeError, ValueError):
        raise AnalysisError(f"Invalid auto_tagging: {value!r} (a number 0..1 or 'default')") from None
    if not (0.0 <= t <= 1.0):
        raise AnalysisError(f"Invalid auto_tagging: {value!r} (a number 0..1 or 'default')")
    return t, False


@dataclass(frozen=True, slots=True)
class AnalysisRequest:
    """The analyses asked for by one API call; immutable and hashable.

    Booleans select the built-in semantic data (upload-spec §3).  `detection`,
    `categorization`: requested model names as sent (``coco_v2``, ``edge_tagging``); `ocr`:
    ``adv_ocr[:hint]`` or None; `auto_tagging`: confidence threshold 0..1 or None (with
    `auto_tagging_default` True when the client sent ``default``); `face_coordinates` /
    `custom_coordinates`: override boxes (x, y, w, h px), None when not sent, () to clear.
    `unsupported`: ``(kind, name)`` pairs accepted under ``lenient=True`` that Edge cannot run;
    `aliases`: ``(requested, actual)`` categorizer mappings applied by the operator's settings.
    """

    colors: bool = False
    phash: bool = False
    faces: bool = False
    coordinates: bool = False
    image_metadata: bool = False
    media_metadata: bool = False
    exif: bool = False
    quality_analysis: bool = False
    accessibility_analysis: bool = False
    pages: bool = False
    cinemagraph_analysis: bool = False
    detection: tuple[str, ...] = ()
    auto_tagging: float | None = None
    auto_tagging_default: bool = False
    categorization: tuple[str, ...] = ()
    ocr: str | None = None
    face_coordinates: tuple[Box, ...] | None = None
    custom_coordinates: tuple[Box, ...] | None = None
    unsupported: tuple[tuple[str, str], ...] = ()
    aliases: tuple[tuple[str, str], ...] = field(default=())

    @classmethod
    def from_params(
        cls,
        params: Mapping[str, Any],
        *,
        lenient: bool = False,
        aliases: Mapping[str, str] | None = None,
    ) -> "AnalysisRequest":
        """Read the analysis parameters of an Upload/Admin API call (wire forms in the module
        docstring).  `lenient`: keep unsupported model names (reported as failed) instead of
        raising; `aliases`: operator mapping of categorizer names to installed ones
        (``{"imagga_tagging": "edge_tagging"}``).  Raises AnalysisError (a ValueError; HTTP 400)
        for malformed values and, unless `lenient`, for models Edge does not have."""
        from edge.analysis import registry

        kw: dict[str, Any] = {}
        for name in BOOL_FLAGS:
            if name in params:
                kw[name] = parse_bool(name, params[name])
        kw["face_coordinates"] = parse_coordinates("face_coordinates", params.get("face_coordinates"))
        kw["custom_coordinates"] = parse_coordinates("custom_coordinates", params.get("custom_coordinates"))
        kw["auto_tagging"], kw["auto_tagging_default"] = _threshold(params.get("auto_tagging"))

        unsupported: list[tuple[str, str]] = []
        mapped: list[tuple[str, str]] = []
        alias = dict(aliases or {})

        def check(kind: str, wire: str, names: tuple[str, ...]) -> tuple[str, ...]:
            for n in names:
                actual = alias.get(n, n) if kind == "categorization" else n
                if kind == "ocr":
                    actual = n.split(":", 1)[0]
                if not registry.supported(kind, actual):
                    if not lenient:
                        raise AnalysisError(registry.unsupported_message(kind, n, wire))
                    unsupported.append((kind, n))
                elif actual != n and kind == "categorization":
                    mapped.append((n, actual))
            return names

        kw["detection"] = check("detection", "detection", _names(params.get("detection")))
        kw["categorization"] = check("categorization", "categorization", _names(params.get("categorization")))
        ocr = params.get("ocr")
        if isinstance(ocr, str) and ocr.strip():
            kw["ocr"] = ocr.strip()
            check("ocr", "ocr", (kw["ocr"],))
        elif ocr not in (None, "") and not isinstance(ocr, str):
            raise AnalysisError(f"Invalid ocr: {ocr!r}")
        kw["unsupported"] = tuple(unsupported)
        kw["aliases"] = tuple(mapped)
        return cls(**kw)

    def any(self) -> bool:
        """True when at least one analysis (or coordinates override) is requested."""
        return bool(self.names()) or self.face_coordinates is not None or self.custom_coordinates is not None

    def names(self) -> tuple[str, ...]:
        """Requested analyses as stable names, e.g. ``("colors", "phash", "detection:coco_v2",
        "categorization:edge_tagging", "ocr:adv_ocr", "auto_tagging")`` (flags in BOOL_FLAGS
        order, `media_metadata` folded into `image_metadata`): a key for storing/caching results
        per asset version."""
        out = [
            n for n in BOOL_FLAGS
            if n != "media_metadata" and (getattr(self, n) or (n == "image_metadata" and self.media_metadata))
        ]
        out += [f"detection:{n}" for n in self.detection]
        out += [f"categorization:{n}" for n in self.categorization]
        if self.ocr:
            out.append(f"ocr:{self.ocr}")
        if self.auto_tagging is not None:
            out.append("auto_tagging")
        return tuple(out)

    def wants_metadata(self) -> bool:
        """`image_metadata` or `media_metadata` requested."""
        return self.image_metadata or self.media_metadata

    def only(self, *names: str) -> "AnalysisRequest":
        """A copy keeping only the boolean flags in `names` (models, overrides, thresholds
        unchanged); e.g. ``req.only("colors")``."""
        kw = {f.name: getattr(self, f.name) for f in fields(self)}
        for n in BOOL_FLAGS:
            kw[n] = kw[n] and n in names
        return AnalysisRequest(**kw)
