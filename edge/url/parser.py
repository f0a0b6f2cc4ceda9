"""`parse(path) -> DeliveryRequest`: the delivery-URL front door (spec §1, §2, §11, §12, §15).

Hot path: `split_path` (string ops) -> `parse_component` per component (LRU-cached) ->
structural checks (if/if_end and layer balance) -> public ID decoding.  Whole parses sit in a
small LRU (cachetools), keyed by (path, cloud_name, root_path).
"""

from __future__ import annotations

import threading

from cachetools import LRUCache

from . import colors, component, effects, expr, gravity, layers
from .ast import Component, DeliveryRequest
from .component import parse_component
from .errors import MAX_MESSAGE, UrlError
from .escape import unescape
from .formats import split_format
from .path import split_path

__all__ = ["parse", "check_structure", "clear_cache", "MAX_PUBLIC_ID"]

#: Cloudinary refuses public IDs (and fetch URLs) longer than this many characters (spec §19).
MAX_PUBLIC_ID = 255
#: keys that make an `l_`/`u_` component a complete one-component layer (no fl_layer_apply).
_LAYER_QUALIFIERS = frozenset("w h c g x y ar z e a o r bo fl dpr b co".split())
_cache: LRUCache = LRUCache(maxsize=4096)
_lock = threading.Lock()


def check_structure(components: tuple[Component, ...]) -> None:
    """Check `if_`/`if_else`/`if_end` nesting and layer balance over a component chain.

    An `if_<cond>` alone in a component opens a block closed by `if_end`; an `l_`/`u_` in a
    component without sizing/placement qualifiers opens a layer that a later `fl_layer_apply`
    must close.  Raises UrlError("Unbalanced ...") otherwise.
    """
    depth = 0
    stack: list[bool] = []  # one per layer opened; True when it needs no fl_layer_apply
    for i, comp in enumerate(components, 1):
        keys = {p.key for p in comp.params}
        if "if" in keys:
            cond = comp.get("if")
            if cond.kind == "if":
                if len(keys) == 1:
                    depth += 1
            elif depth == 0:
                raise UrlError(f"Unbalanced if_{cond.kind} in component {i}")
            elif cond.kind == "end":
                depth -= 1
        has_layer = "l" in keys or "u" in keys
        applies = "fl" in keys and "layer_apply" in comp.flags
        if has_layer and not applies:
            stack.append(not keys.isdisjoint(_LAYER_QUALIFIERS))
        elif applies and not has_layer:
            if not stack:
                raise UrlError(f"Unbalanced fl_layer_apply in component {i}: no open layer")
            stack.pop()
    if depth:
        raise UrlError("Unbalanced if: missing if_end")
    if not all(stack):
        raise UrlError("Unbalanced layer: missing fl_layer_apply")


def _parse(path: str, cloud_name: str | None, root_path: bool) -> DeliveryRequest:
    raw = split_path(path, cloud_name=cloud_name, root_path=root_path)
    components = []
    for i, text in enumerate(raw.components, 1):
        try:
            components.append(parse_component(text))
        except UrlError as exc:
            where = f" in component {i}"
            room = MAX_MESSAGE - len(where)  # cut the message, never the component index
            msg = str(exc)
            raise UrlError((msg if len(msg) <= room else msg[: room - 3] + "...") + where) from None
    comps = tuple(components)
    check_structure(comps)
    fmt = None
    id_text = raw.public_id_text
    url_suffix = None
    if raw.suffix is not None:
        suffix = raw.suffix
        if raw.resource_type == "image":
            suffix, fmt = split_format(suffix)
        url_suffix = unescape(suffix, "SEO suffix")
    elif raw.resource_type != "raw" and raw.delivery_type != "fetch":
        id_text, fmt = split_format(id_text)
    public_id = unescape(id_text, "public ID")
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
    with _lock:
        _cache.clear()
    for fn in (component.parse_component, colors.parse_color, effects.parse_effect, expr.parse_expr,
               gravity.parse_gravity, layers.parse_layer, layers.parse_text_style):
        fn.cache_clear()
