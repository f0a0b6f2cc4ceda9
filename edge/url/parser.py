"""`parse(path) -> DeliveryRequest`: the delivery-URL front door (spec §1, §2, §11, §12, §15).

Hot path: `split_path` (string ops) -> `parse_component` per component (LRU-cached) ->
structural checks (if/if_end and layer balance) -> public ID decoding.  Whole parses sit in a
small LRU (cachetools), keyed by (path, cloud_name, root_path).
"""

from __future__ import annotations

import re
import threading

from cachetools import LRUCache

from . import colors, component, effects, expr, gravity, layers
from .ast import Component, DeliveryRequest
from .component import parse_component
from .errors import MAX_MESSAGE, UrlError
from .escape import unescape
from urllib.parse import unquote
from .formats import split_format
from .path import split_path

__all__ = ["parse", "check_structure", "clear_cache", "MAX_PUBLIC_ID"]

#: Cloudinary refuses public IDs (and fetch URLs) longer than this many characters (spec §19).
MAX_PUBLIC_ID = 255
_cache: LRUCache = LRUCache(maxsize=4096)
_lock = threading.Lock()


def check_structure(components: tuple[Component, ...]) -> None:
    """Check `if_`/`if_else`/`if_end` nesting and layer balance over a component chain.

    An `if_<cond>` alone in a component opens a block closed by `if_end`; a block still open at
    the end of the chain is closed there (Cloudinary does, and its docs' examples rely on it).
    Each `fl_layer_apply` closes the most recent `l_`/`u_` still open; an `l_`/`u_` that none
    closes is a legacy one-component layer (placed by its own `g`/`x`/`y`, centred without).
    Raises UrlError("Unbalanced ...") for `if_else`/`if_end` outside a block and for a
    `fl_layer_apply` with no open layer.
    """
    depth = 0
    stack: list[int] = []  # one per layer still open
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
            stack.append(i)
        elif applies and not has_layer:
            if not stack:
                raise UrlError(f"Unbalanced fl_layer_apply in component {i}: no open layer")
            stack.pop()


_ENCODED_SLASH = re.compile("%2[Ff]")
_ENCODED_COMMA = re.compile("%2[Cc]")
_KEY_SHAPE = re.compile(r"[a-z]{1,3}_")


def _all_keys(text: str) -> bool:
    """True if every `,`/`%2C` token of `text` starts like a key (`w_`, `$v`, `if_`)."""
    return all(t.startswith("$") or _KEY_SHAPE.match(t) for t in _ENCODED_COMMA.sub(",", text).split(",") if t)


def expand_lenient(text: str) -> list[str]:
    """The component texts one raw path segment stands for, with the lenient spellings live
    sites send (issue 14): `%2C` for `,` (`w_1000%2Ch_667%2Cc_fill`) and `%2F` for `/`
    (`c_fill,w_100%2Fe_sepia`), in segments that hold no text layer (whose `%2C` is text).
    A `%2F` splits only when every token of every piece starts like a key
    (`l_folder%2Flogo` and `d_folder%2Fa.png` keep their folders).  Other segments come back unchanged, as a one-item list."""
    if "%2" not in text or "text:" in text:
        return [text]
    pieces = [text]
    if _ENCODED_SLASH.search(text):
        split = _ENCODED_SLASH.split(text)
        if all(_all_keys(p) for p in split):
            pieces = split
    return [_ENCODED_COMMA.sub(",", p) for p in pieces]


def _parse(path: str, cloud_name: str | None, root_path: bool) -> DeliveryRequest:
    raw = split_path(path, cloud_name=cloud_name, root_path=root_path)
    texts = [piece for segment in raw.components for piece in expand_lenient(segment)]
    components = []
    for i, text in enumerate(texts, 1):
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
    if raw.delivery_type == "fetch":
        # a fetch URL is passed on byte-exact: escapes that are not UTF-8 (`%FCber.png`, as the
        # Node SDK writes Latin-1/UTF-16 units) stay escaped in the URL Edge fetches
        try:
            public_id = unquote(id_text, errors="strict")
        except UnicodeDecodeError:
            public_id = id_text
    else:
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
