"""Canonical serializer: AST -> the path the official SDK writes for the same options (spec §16).

Within a component the params are already in SDK order (`edge.url.component`): `if_` first,
variables as written, the rest sorted.  Components are joined by `/`.  The full canonical path
is `/<cloud>/<resource_type>/<delivery_type>/<components>/v<version>/<public_id>.<ext>`,
without the signature segment; short forms `iu` and root-path map to `image/upload`, while
SEO URLs keep `images/.../<public_id>/<suffix>.<ext>` as the SDK writes them.
`parse(canonical(r))` equals `r` up to the signature and the `iu`/root spelling.
"""

from __future__ import annotations

import re
from typing import Iterable

from .ast import Component, DeliveryRequest
from .component import looks_like_component
from .escape import _SAFE, smart_escape
from urllib.parse import quote, unquote_to_bytes

__all__ = ["canonical", "canonical_transformation", "canonical_component"]


def canonical_component(component: Component) -> str:
    """One component in SDK spelling (`ar_1,c_thumb,g_auto:skateboard,w_400`): its params are
    already in SDK order, so this is `str(component)`."""
    return str(component)


def canonical_transformation(components: Iterable[Component]) -> str:
    """The components part of the canonical path (`c_fill,w_100/e_sepia`), '' if none.

    Parameter order inside a component is normalised; component order is kept.  This string is
    the transformation part of the derived-asset cache key.
    """
    return "/".join(s for s in (canonical_component(c) for c in components) if s)


_VERSION_OR_SIG = re.compile(r"v\d+\Z|s--.*--\Z")


def _protect_first_folder(source: str) -> str:
    """Escape the first character of a leading folder that would re-parse as a component,
    version or signature segment (`c_x/a` -> `%63_x/a`), so `parse(canonical(r)) == r`."""
    first = source.split("/", 1)[0]
    if looks_like_component(first) or _VERSION_OR_SIG.match(first):
        return "%{:02X}".format(ord(first[0])) + source[1:]
    return source


def canonical(request: DeliveryRequest) -> str:
    """The canonical path of `request`, without host and without the signature segment.

    Example: `/demo/image/upload/ar_1,c_thumb,g_auto:skateboard,w_400/v1768438613/folder/a.png`.
    """
    parts: list[str] = [""]
    if request.cloud_name:
        parts.append(request.cloud_name)
    if request.url_suffix is not None:
        if request.resource_type != "image":
            parts.append("files")
        else:
            parts.append("images" if request.delivery_type == "upload" else f"{request.delivery_type}_images")
    else:
        parts += [request.resource_type, request.delivery_type]
    transformation = canonical_transformation(request.components)
    if transformation:
        parts.append(transformation)
    if request.version is not None:
        parts.append(f"v{request.version}")
    if request.delivery_type == "fetch":  # byte-exact: escapes that are not UTF-8 stay as sent
        source = quote(unquote_to_bytes(request.public_id_raw), safe=_SAFE).replace("~", "%7E")
    else:
        source = smart_escape(request.public_id)
    if request.version is None and "/" in source and request.delivery_type != "fetch":
        source = _protect_first_folder(source)
    if request.url_suffix is not None:
        source += "/" + smart_escape(request.url_suffix)
    if request.format is not None:
        source += "." + request.format
    parts.append(source)
    return "/".join(parts)
