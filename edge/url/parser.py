"""`parse(path) -> DeliveryRequest`: the delivery-URL front door (spec §1, §2, §11, §12, §15).

Hot path: `split_path` (string ops) -> `parse_component` per component (LRU-cached) ->
structural checks (if/if_end and layer balance) -> public ID decoding.  Whole parses sit in a
small LRU (cachetools), keyed by (path, cloud_name, root_path).
"""

from __future__ import annotations

import threading
from urllib.parse import unquote

from cachetools import LRUCache

from .ast import Component, DeliveryRequest
from .component import parse_component
from .errors import UrlError
from .formats import FORMATS
from .path import split_path

__all__ = ["parse", "check_structure", "clear_cache", "MAX_PUBLIC_ID"]

#: Cloudinary refuses public IDs (and fetch URLs) longer than this many characters (spec §19).
MAX_PUBLIC_ID = 255
_LAYER_QUALIFIERS = ("w", "h", "c", "g", "x", "y", "ar", "z", "e", "a", "o", "r", "bo", "fl", "dpr", "b", "co")
_cache: LRUCache = LRUCache(maxsize=4096)
_lock = threading.Lock()


def _decode(text: str, what: str) -> str:
    try:
        return unquote(text, errors="strict")
    except UnicodeDecodeError:
        raise UrlError(f"Invalid {what}: not UTF-8") from None


def check_structure(components: tuple[Component, ...]) -> None:
    """Check `if_`/`if_else`/`if_end` nesting and layer balance over a component chain.

    An `if_<cond>` alone in a component opens a block closed by `if_end`; an `l_`/`u_` in a
    component without sizing/placement qualifiers opens a layer that a later `fl_layer_apply`
    must close.  Raises UrlError("Unbalanced ...") otherwise.
    """
    depth = 0
    layers: list[bool] = []
    for i, comp in enumerate(components, 1):
        cond = comp.get("if")
        if cond is not None:
            if cond.kind == "if":
                if len(comp.params) == 1:
                    depth += 1
            elif depth == 0:
                raise UrlError(f"Unbalanced if_{cond.kind} in component {i}")
            elif cond.kind == "end":
                depth -= 1
        has_layer = "l" in comp or "u" in comp
        applies = "layer_apply" in comp.flags
        if has_layer and not applies:
            layers.append(any(k in comp for k in _LAYER_QUALIFIERS))
        elif applies and not has_layer:
            if not layers:
                raise UrlError(f"Unbalanced fl_layer_apply in component {i}: no open layer")
            layers.pop()
    if depth:
        raise UrlError("Unbalanced if: missing if_end")
    if not all(layers):
        raise UrlError("Unbalanced layer: missing fl_layer_apply")


def _parse(path: str, cloud_name: str | None, root_path: bool) -> DeliveryRequest:
    raw = split_path(path, cloud_name=cloud_name, root_path=root_path)
    components = []
    for i, text in enumerate(raw.components, 1):
        try:
            components.append(parse_component(text))
        except UrlError as exc:
            msg = str(exc)
            raise UrlError(f"{msg[:137] + '...' if len(msg) > 140 else msg} in component {i}") from None
    comps = tuple(components)
    check_structure(comps)
    fmt = None
    id_text = raw.public_id_text
    if raw.suffix is not None:
        base, dot, ext = raw.suffix.rpartition(".")
        if dot and ext.lower() in FORMATS and raw.resource_type == "image":
            fmt = ext.lower()
        url_suffix = _decode(base if fmt else raw.suffix, "SEO suffix")
    else:
        url_suffix = None
        if raw.resource_type != "raw" and raw.delivery_type != "fetch":
            head, _, last = id_text.rpartition("/")
            base, dot, ext = last.rpartition(".")
            if dot and base and ext.lower() in FORMATS:
                fmt = ext.lower()
                id_text = f"{head}/{base}" if head else base
    public_id = _decode(id_text, "public ID")
    if raw.delivery_type != "fetch" and ("//" in public_id or public_id.startswith("/") or public_id.endswith("/")):
        raise UrlError("Invalid public ID: empty folder name")
    if len(public_id) > MAX_PUBLIC_ID:
        raise UrlError("Public ID too long")
    if raw.delivery_type == "fetch" and ":" not in public_id.split("/", 1)[0]:
        raise UrlError("Invalid fetch URL")
    return DeliveryRequest(
        cloud_name=raw.cloud_name,
        resource_type=raw.resource_type,
        delivery_type=raw.delivery_type,
        signature=raw.signature,
        components=comps,
        version=raw.version,
        public_id=public_id,
        public_id_raw=id_text,
        format=fmt,
        url_suffix=url_suffix,
        transformation="/".join(raw.components),
        short_form=raw.short_form,
    )


def parse(path: str, *, cloud_name: str | None = None, root_path: bool = False) -> DeliveryRequest:
    """Parse a raw (percent-encoded) delivery path into a `DeliveryRequest`.

    `path` is the request path as received (`/demo/image/upload/w_100/v1/a%20b.jpg?x=1`);
    the query string is ignored.  `cloud_name` is the configured cloud for cloud-less paths
    (`/image/upload/...`); `root_path=True` parses the private-CDN root form (`/<components>/
    <public_id>.<ext>`).  Raises `UrlError` (HTTP 400) with a short message naming the
    component and parameter at fault.
    """
    key = (path, cloud_name, root_path)
    with _lock:
        hit = _cache.get(key)
    if hit is not None:
        return hit
    request = _parse(path, cloud_name, root_path)
    with _lock:
        _cache[key] = request
    return request


def clear_cache() -> None:
    """Empty every parse cache (whole paths, components, values); benchmarks use it to measure
    cold parses."""
    from . import colors, component, effects, expr, gravity, layers

    with _lock:
        _cache.clear()
    for fn in (component.parse_component, colors.parse_color, effects.parse_effect, expr.parse_expr,
               gravity.parse_gravity, layers.parse_layer, layers.parse_text_style):
        fn.cache_clear()
