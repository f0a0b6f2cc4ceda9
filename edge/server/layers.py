"""The layer loader the server hands to render: `l_<public_id>`, `u_<public_id>`,
`l_private:...`, `l_authenticated:...` come from the origin, `l_fetch:<base64url>` from the
fetch origin (with its host allow-list and address checks).  Render never knows storage.
"""

from __future__ import annotations

from edge.render.errors import RenderError
from edge.storage import AssetNotFound, Origin
from edge.url.ast import Layer

__all__ = ["LayerLoader"]

#: Layer kinds whose source is an asset of the origin.
ORIGIN_KINDS = frozenset({"image", "private", "authenticated"})


class LayerLoader:
    """`loader(layer) -> bytes`: the original bytes of an image layer.

    Raises `RenderError` (400) for a layer whose asset does not exist or whose kind Edge
    cannot load (video, audio, subtitles, LUT); origin errors such as `OriginUnavailable`
    (503) or `FetchDenied` (403) pass through unchanged.  Runs in a render thread (blocking).
    """

    def __init__(self, origin: Origin, fetch_origin: Origin) -> None:
        self.origin = origin
        self.fetch_origin = fetch_origin

    def __call__(self, layer: Layer) -> bytes:
        try:
            if layer.kind == "fetch" and layer.url:
                return self.fetch_origin.load(layer.url).data
            if layer.kind in ORIGIN_KINDS and layer.public_id:
                return self.origin.load(layer.public_id).data
        except AssetNotFound:
            raise RenderError(f"Layer not found: {layer.public_id or layer.url}") from None
        raise RenderError(f"Unsupported layer: {layer.text}")
