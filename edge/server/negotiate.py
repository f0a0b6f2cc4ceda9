"""Request-dependent inputs of a render (Accept, client hints) and their part of the cache key.

Only what can change the output enters the key: the Accept header matters only when a
component asks for `f_auto`, and then only through which modern formats it allows; the DPR
hint only for `dpr_auto`; the width hint only for `w_auto` (rounded up to its step, as the
render does).  The response then says which request headers it varied on.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Mapping, Sequence

from edge.url.ast import AutoWidth, Component, DeliveryRequest

__all__ = ["Hints", "negotiate", "accept_class"]

_MODERN = (("image/avif", "avif"), ("image/jxl", "jxl"), ("image/webp", "webp"))
#: The quality value of a media range (RFC 9110 §12.4.2).
_QVALUE = re.compile(r";\s*q\s*=\s*([0-9.]+)")
MAX_HINT_PX = 8192
MAX_DPR = 5


@dataclass(frozen=True, slots=True)
class Hints:
    """What the render receives and the key records.

    * `accept`: what render sees of the Accept header: only the modern image types it allows
      (`image/avif,image/webp`), so the bytes depend on nothing the key does not record;
      '' unless `f_auto` is used.  `output`: the key part for the format.
    * `dpr_hint`: DPR from `Sec-CH-DPR`/`DPR` rounded up to an integer 1..5, or None.
    * `width_hint`: px from `Sec-CH-Width`/`Width` (1..8192), or None; `width_key`: its key part.
    * `vary`: the request header names the response varies on.
    """

    accept: str
    output: str
    dpr_hint: float | None
    width_hint: int | None
    width_key: str
    vary: tuple[str, ...]


def accept_class(accept: str) -> str:
    """The modern image formats an Accept header allows, as `avif.jxl.webp` (subset, '' if none)."""
    accept = accept.lower()
    found = []
    for mime, name in _MODERN:
        i = accept.find(mime)
        if i == -1:
            continue
        q = _QVALUE.search(accept[i + len(mime):].split(",", 1)[0])
        if q is not None and _float(q.group(1)) is None:  # q=0 (or malformed): refused
            continue
        found.append(name)
    return ".".join(found)


def _header(headers: Mapping[str, str], *names: str) -> str | None:
    for n in names:
        v = headers.get(n)
        if v:
            return v.strip()
    return None


def _float(text: str | None) -> float | None:
    try:
        v = float(text) if text is not None else None
    except ValueError:
        return None
    return v if v is not None and math.isfinite(v) and v > 0 else None


def negotiate(request: DeliveryRequest, headers: Mapping[str, str],
              components: Sequence[Component] | None = None) -> Hints:
    """Read Accept and client hints from `headers` (lower-case names) as far as the chain uses
    them.  `components`: the chain with named transformations expanded (`t_<name>` holding
    `f_auto`, `dpr_auto` or `w_auto` must negotiate exactly as its expansion written out);
    default `request.components`.  Malformed hints are ignored (treated as absent)."""
    f_auto = dpr_auto = False
    autos: list[AutoWidth] = []
    for comp in request.components if components is None else components:
        for p in comp:
            if p.key == "f" and str(p.text).startswith("auto"):
                f_auto = True
            elif p.key == "dpr" and str(p.text) == "auto":
                dpr_auto = True
            elif p.key == "w" and isinstance(p.value, AutoWidth):
                autos.append(p.value)
    vary: list[str] = []
    accept = ""
    output = request.format or ""
    if f_auto:
        allowed = accept_class(headers.get("accept", ""))
        accept = ",".join(f"image/{name}" for name in allowed.split(".") if name)
        output = f"{output}|auto:{allowed}"
        vary.append("Accept")
    dpr = None
    if dpr_auto:
        v = _float(_header(headers, "sec-ch-dpr", "dpr"))
        dpr = float(min(MAX_DPR, max(1, math.ceil(v)))) if v else None
        vary += ["Sec-CH-DPR", "DPR"]
    width = None
    width_key = ""
    if autos:
        v = _float(_header(headers, "sec-ch-width", "width"))
        width = int(min(MAX_HINT_PX, max(1, math.ceil(v)))) if v else None
        if width is not None:
            parts = []
            for a in autos:
                step = a.step or 100
                parts.append(str(width) if a.breakpoints else str(math.ceil(width / step) * step))
            width_key = ",".join(parts)
        vary += ["Sec-CH-Width", "Width"]
    return Hints(accept, output, dpr, width, width_key, tuple(vary))
