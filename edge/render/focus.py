"""The seam between rendering and vision: what render asks about an image's content.

Render never imports `edge.vision`; the server hands it an object that satisfies
`FocusProvider` (structural typing: `edge.vision.focus.VisionFocus`, `edge.derive`'s
`StoredCoordinates`).  The default, `SaliencyFocus` (edge/render/saliency.py), knows only
libvips' attention-based saliency.  `complete(provider)` is the one place render meets a
provider: an object with only `find` (a test stand-in, a custom `focus_factory`) is wrapped in
`FindOnly`, which adds the two cache members with their no-cache meaning, so nothing past the
render entry point ever asks whether a member exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, Sequence, runtime_checkable

__all__ = ["Region", "FocusProvider", "FocusError", "FindOnly", "OnePass", "complete", "HEAD_ESTIMATE", "detected_faces"]


@dataclass(frozen=True, slots=True)
class Region:
    """Something found in an image.

    * `label`: COCO class name (`cat`), `face`, `text` or `saliency`.
    * `score`: detector confidence 0..1.
    * `box`: `(x, y, w, h)` in pixels **of the image passed to the provider**.
    * `mask`: optional float32 numpy array (h, w) in 0..1 covering `box` (for extraction), or None.
    * `model`: the model that produced it (`coco`, `faces`, `text`, `saliency`, `libvips`), or
      `HEAD_ESTIMATE` for a `face` region guessed from a person box whose face no detector
      found (kept by `g_faces` crops; not counted by `fc`, and `g_face` prefers a detected face).
    """

    label: str
    score: float
    box: tuple[int, int, int, int]
    mask: Any = None
    model: str = ""


#: `Region.model` of a head estimate among the `faces` regions (edge.vision.heads): where a
#: person's head should be when the face detector missed it.  Not a detected face.
HEAD_ESTIMATE = "heads"


def detected_faces(regions: Sequence[Region]) -> list[Region]:
    """The regions of a `faces` look-up that a face detector found (head estimates left out)."""
    return [r for r in regions if r.model != HEAD_ESTIMATE]


class FocusError(ValueError):
    """A gravity or effect names something no model knows (e.g. `g_auto:unicorn`):
    render turns it into a 400."""


@runtime_checkable
class FocusProvider(Protocol):
    """Finds regions of interest in an image for gravity, face effects and extraction.

    `find(image, target, model=None)`: `image` is a `pyvips.Image` (sRGB, any size; the
    provider downsizes as it needs); `target` is one of
      * ``faces`` (every face), ``ocr_text`` (text boxes), ``saliency`` (salient subject: one
        region, with a mask when available), ``object`` (any COCO object),
      * a COCO class name, its plural (`cats`) or a category (`animal`, `vehicle`, ...).
    `model` is an optional model/version prefix (`coco`, `coco_v2`).  Returns regions sorted by
    prominence (most prominent first), boxes in the pixels of `image`; an empty list when
    nothing is found.  Raises `FocusError` for a target no model knows.

    `uncached() -> FocusProvider`: the same provider without its per-asset detection cache.
    Render asks it for any image that is no longer the whole asset (a crop, a layer, a padded
    canvas), so detections on such an image never stand in the cache for the asset
    (`Context.focus_for`).  A provider without a cache returns itself.

    `cached(target, model=None, *, aspect) -> bool`: True when `find` on the whole asset
    (width / height = `aspect`) would be answered from that cache.  Render asks before
    decoding: with everything cached it shrinks on load all the way to the output size,
    otherwise only down to an analysis size (`ops.load.ANALYSIS_SIDE`).  A provider without a
    cache returns False.  May raise FocusError for an unknown target (render then decodes and
    lets gravity raise the 400).
    """

    def find(self, image: Any, target: str, model: str | None = None) -> Sequence[Region]: ...

    def cached(self, target: str, model: str | None = None, *, aspect: float) -> bool: ...

    def uncached(self) -> "FocusProvider": ...


class FindOnly:
    """A complete `FocusProvider` around an object that only has `find(image, target,
    model=None)`: no detection cache, so `cached` is always False and `uncached()` is this
    provider itself (what render did before the protocol declared the two members)."""

    __slots__ = ("inner",)

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def find(self, image: Any, target: str, model: str | None = None) -> Sequence[Region]:
        """`inner.find(image, target, model)`."""
        return self.inner.find(image, target, model)

    def cached(self, target: str, model: str | None = None, *, aspect: float) -> bool:
        """Always False: there is no cache."""
        return False

    def uncached(self) -> "FindOnly":
        """This provider (it caches nothing)."""
        return self


class OnePass:
    """The FocusProvider of a render whose decode is single-pass (`edge.render.ops.load`):
    `image` is sequential and the encoder must be the only one to read its pixels.

    `find(image, target, model)` hands `image` to `inner` when `inner.cached(target, model,
    aspect=...)` says its detection cache answers (then no pixel is read: the lookup costs
    what it costs on any image); otherwise, and for any other target asked about that image
    (an entry evicted since the render checked, another shape), `inner` gets `stand_in()`
    instead, a random-access decode of the same size and picture made on first need
    (`edge.render.source.stand_in`), so its regions are in the same px.  `cached` and
    `uncached` are `inner`'s."""

    __slots__ = ("inner", "image", "_make", "_stand_in")

    def __init__(self, inner: FocusProvider, image: Any, stand_in: Any) -> None:
        self.inner, self.image, self._make, self._stand_in = inner, image, stand_in, None

    def find(self, image: Any, target: str, model: str | None = None) -> Sequence[Region]:
        """`inner.find` on `image`, or on the stand-in when `image` is the single-pass image
        and the cache does not answer."""
        if image is self.image and not self.inner.cached(target, model, aspect=image.width / image.height):
            if self._stand_in is None:
                self._stand_in = self._make()
            image = self._stand_in
        return self.inner.find(image, target, model)

    def cached(self, target: str, model: str | None = None, *, aspect: float) -> bool:
        """`inner.cached(...)`."""
        return self.inner.cached(target, model, aspect=aspect)

    def uncached(self) -> FocusProvider:
        """`inner.uncached()`."""
        return self.inner.uncached()


def complete(provider: Any) -> FocusProvider | None:
    """`provider` as a complete `FocusProvider`: itself when it has `find`, `cached` and
    `uncached` (the runtime check of the protocol), `FindOnly(provider)` when it has only
    `find`, None for None.  Called once, where `render` receives the provider."""
    if provider is None or isinstance(provider, FocusProvider):
        return provider
    return FindOnly(provider)
