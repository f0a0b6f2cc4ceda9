"""`Context`: the state of one chain of one render, shared by the steps of edge/render/ops.

Imports flow one way: engine -> chain -> pipeline -> ops -> context (this module imports none
of them), so every step is typed ``step(ctx: Context) -> None``.

* `Inputs` is what the caller of `edge.render.render` gave (request, limits, focus provider,
  client hints, chain inputs).  It is frozen and shared by reference with the sub-contexts of
  layers: nothing of it is copied by hand.
* `Context` adds the image of this chain (the original, or a layer's image), the state of the
  component being run and the results `fl_getinfo` reports.
* The megapixel meter (`Meter`, `Context.charge`, `Context.settle`) bounds the pixel work of
  costly operations while rendering (issue 9; the AST-side bounds are `edge.render.cost`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import pyvips

from edge.url.ast import Component, DeliveryRequest, Layer

from .cost import ChainLimitError
from .deadline import guard
from .focus import FocusProvider
from .frames import frame_height
from .geometry import Box, Plan
from .gravity import Decision
from .limits import Limits
from .source import Header

__all__ = ["Inputs", "Context", "Meter"]


@dataclass(frozen=True)
class Inputs:
    """What `render()` was given, for every chain of the render.

    `request` (the parsed delivery URL), `limits`, `focus` (a complete FocusProvider, see
    `edge.render.focus.complete`, or None), `accept` (Accept header), `dpr_hint` (client-hint
    DPR), `width_hint` (client-hint width, px), `named` (name -> stored transformation string,
    for `t_`), `load_layer` (Layer -> source bytes, for image layers), `tags`, `context`,
    `metadata` (the asset's, for `if_` conditions)."""

    request: DeliveryRequest
    limits: Limits
    focus: FocusProvider | None = None
    accept: str = ""
    dpr_hint: float | None = None
    width_hint: int | None = None
    named: Mapping[str, str] | None = None
    load_layer: Callable[[Layer], bytes] | None = None
    tags: tuple[str, ...] = ()
    context: Mapping[str, str] | None = None
    metadata: Mapping[str, Any] | None = None


class Meter:
    """Megapixel-operations spent by one render (`spent_mp`), shared by the render's context
    and the sub-contexts of its layers."""

    __slots__ = ("spent_mp",)

    def __init__(self) -> None:
        self.spent_mp = 0.0


@dataclass
class Context:
    """Shared state of one chain (the request's, or a layer's own chain).

    Source: `inputs` (see `Inputs`), `source` (bytes; b"" for a layer, whose image is given),
    `header` (probe result), `autorotate` (False with `a_ignore`), `page` (`pg_N` - 1, or None).
    Per component: `component`, `index` (components run so far; 0 may shrink on load),
    `image` (pyvips.Image, 8-bit sRGB, 3 or 4 bands, animations stacked with `page-height`),
    `plan` (geometry of this component), `decision` (gravity), `geometry_size` (px the plan
    is computed in: the header size when the first component was shrunk on load, else the
    image size), `variables` (user variables in scope).
    Results for encode/getinfo: `source_box` (first crop window in source px), `decisions`,
    `ran` (the components that ran, resolved: their `f_`/`q_`/`fl_`/`b_` drive the encoder).
    Vision cache safety: `whole` is the image object that still shows the whole asset (as
    decoded, or only uniformly resized); a FocusProvider caches per asset, so `focus_for(image)`
    hands it out only for `whole` and its `uncached()` copy for anything else.
    `one_pass_focus`: when `whole` is a single-pass decode (sequential: the encoder's read
    must be its only one), the provider `focus_for(whole)` hands out instead of
    `inputs.focus` (`edge.render.focus.OnePass`), else None.
    Cost: `meter` (shared with layer sub-contexts), `lazy_costly` (costly operations not yet
    computed in `image`), see `charge` and `settle`.
    """

    inputs: Inputs
    source: bytes
    header: Header
    autorotate: bool = True
    page: int | None = None
    image: Any = None
    component: Component | None = None
    index: int = 0
    variables: dict[str, Any] = field(default_factory=dict)
    plan: Plan | None = None
    decision: Decision | None = None
    geometry_size: tuple[int, int] | None = None
    source_box: Box | None = None
    decisions: list[dict[str, Any]] = field(default_factory=list)
    ran: list[Component] = field(default_factory=list)
    whole: Any = None
    one_pass_focus: FocusProvider | None = None
    meter: Meter = field(default_factory=Meter)
    lazy_costly: int = 0
    _uncached: FocusProvider | None = field(default=None, repr=False)

    # -- the layers' sub-contexts ---------------------------------------------------------

    def for_layer(self, image: pyvips.Image) -> "Context":
        """A context for a layer's own chain on `image`: the same `inputs` and `meter`, the
        variables in scope (copied: the layer's definitions stay in the layer), `image` as
        the source (header from it; never the first component of the original, so no
        shrink-on-load)."""
        fh = frame_height(image)
        header = Header(image.width, fh, image.width, fh, "png", max(1, image.height // fh), 1, image.hasalpha())
        return Context(self.inputs, b"", header, image=image, index=1, variables=dict(self.variables), meter=self.meter)

    # -- the vision cache ---------------------------------------------------------------------

    def mark_whole(self, image: pyvips.Image) -> None:
        """Record `image` (just decoded from `source`) as the whole asset, unless it is not
        the asset's default view: another page (`pg_N`, N > 1) or the stored orientation of
        an EXIF-rotated original (`a_ignore`)."""
        if self.default_view():
            self.whole = image

    def default_view(self) -> bool:
        """True when the decode of `source` shows the asset's default view (first page, EXIF
        orientation applied or none), i.e. what `mark_whole` records as `whole`."""
        return self.page in (None, 0) and (self.autorotate or self.header.orientation <= 1)

    def focus_for(self, image: pyvips.Image) -> FocusProvider | None:
        """The provider to ask about `image`: `inputs.focus` itself when `image` is `whole`
        (its per-asset detection cache applies; `one_pass_focus` when set), else its `uncached()` copy (derived pixels
        must neither read nor poison the asset's cached detections); None without one."""
        focus = self.inputs.focus
        if focus is None or image is self.whole:
            return self.one_pass_focus or focus
        if self._uncached is None:
            self._uncached = focus.uncached()
        return self._uncached

    # -- the megapixel meter ------------------------------------------------------------------

    def charge(self, image: pyvips.Image, operations: int = 1) -> None:
        """Add `operations` x the pixels of `image` (all frames) to `meter` and raise
        ChainLimitError (400) once the total passes `limits.max_cost_mp`.  Call it before the
        costly operation is built, so a refused operation costs nothing."""
        self.meter.spent_mp += operations * image.width * image.height / 1e6
        limit = self.inputs.limits.max_cost_mp
        if self.meter.spent_mp > limit:
            raise ChainLimitError(f"Transformation too costly: more than {limit:g} megapixel-operations")

    def settle(self) -> None:
        """Before a costly operation: when an earlier costly operation is still lazy in
        `image`'s pipeline, compute the image into memory first (within the render's
        deadline), so chained neighbourhood operations never recompute each other's tiles and
        the pipeline under the next operation is one operation deep.  Counts pending
        operations in `lazy_costly`."""
        if self.lazy_costly >= 1 and self.image is not None:
            image = self.image
            self.image = guard(image).copy_memory()
            self.lazy_costly = 0
            if image is self.whole:
                self.whole = self.image
        self.lazy_costly += 1
