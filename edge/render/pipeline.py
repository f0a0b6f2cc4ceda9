"""The render pipeline: a flat, ordered list of small named steps (as imgproxy does).

Every step has the signature ``step(ctx: Context) -> None`` and reads/writes `ctx.image`.
`run(ctx)` hands the request's components to `chain.run_chain`, which passes every component
that runs to `run_component`, which applies every step of `STEPS` (the output of one
component is the input of the next).  The order inside a component is Cloudinary's fixed
order, whatever the order of the parameters in the URL:

    guard -> load -> plan -> resize -> crop -> pad -> effects -> radius -> border -> rotate
          -> opacity -> check_size

Chain level (chain.py, with `program.py` and `layers.py`): named transformations (`t_`),
conditionals (`if_`), variables (`$x`) and layers (`l_`/`u_` + `fl_layer_apply`) decide which
components run and composite layers between them.  `guard.UNSUPPORTED` lists keys still
refused with RenderError 400 "... not supported yet".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import pyvips

from edge.url.ast import Component, DeliveryRequest, Layer

from .chain import run_chain
from .cost import Meter
from .deadline import check
from .focus import FocusProvider
from .geometry import Box, Plan
from .gravity import Decision
from .limits import Limits
from .ops import border, effects, guard, load, opacity, pad, radius, resize, rotate
from .source import Header

__all__ = ["Context", "Step", "STEPS", "run"]


@dataclass
class Context:
    """Shared state of one render.

    Inputs: `source` (bytes), `header` (probe result), `request`, `limits`, `focus`
    (FocusProvider or None), `accept` (Accept header), `dpr_hint` (client-hint DPR),
    `width_hint` (client-hint width, px).
    Per component: `component`, `index`, `image` (pyvips.Image, 8-bit sRGB, 3 or 4 bands,
    animations stacked with `page-height`), `plan` (geometry of this component), `decision`
    (gravity), `geometry_size` (px the plan is computed in: the header size when the first
    component was shrunk on load, else the image size).
    Results for encode/getinfo: `source_box` (first crop window in source px), `decisions`.
    Vision cache safety: `whole` is the image object that still shows the whole asset (as
    decoded, or only uniformly resized); a FocusProvider caches per asset, so `focus_for(image)`
    hands it out only for `whole` and an `uncached()` copy for anything else (a crop, a pad, a
    rotation, an effect's output, a layer).
    Chain inputs (chain.py): `named` (name -> stored transformation string), `load_layer`
    (Layer -> source bytes, for image layers), `tags`, `context`, `metadata` (for `if_`
    conditions), `variables` (user variables in scope); `meter` (megapixel-operations spent,
    shared with layer sub-contexts) and `lazy_costly` (costly operations not yet computed in
    `image`), see `edge.render.cost`; `ran` lists the components that ran
    (resolved), whose `f_`/`q_`/`fl_`/`b_` drive the encoder.
    """

    source: bytes
    header: Header
    request: DeliveryRequest
    limits: Limits
    focus: FocusProvider | None = None
    accept: str = ""
    dpr_hint: float | None = None
    width_hint: int | None = None
    image: Any = None
    component: Component | None = None
    index: int = 0
    variables: dict[str, Any] = field(default_factory=dict)
    plan: Plan | None = None
    decision: Decision | None = None
    geometry_size: tuple[int, int] | None = None
    source_box: Box | None = None
    decisions: list[dict[str, Any]] = field(default_factory=list)
    autorotate: bool = True
    page: int | None = None
    named: Mapping[str, str] | None = None
    load_layer: Callable[[Layer], bytes] | None = None
    tags: tuple[str, ...] = ()
    context: Mapping[str, str] | None = None
    metadata: Mapping[str, Any] | None = None
    ran: list[Component] = field(default_factory=list)
    whole: Any = None
    meter: Meter = field(default_factory=Meter)
    lazy_costly: int = 0
    _uncached: Any = field(default=None, repr=False)

    def mark_whole(self, image: Any) -> None:
        """Record `image` (just decoded from `source`) as the whole asset, unless it is not
        the asset's default view: another page (`pg_N`, N > 1) or the stored orientation of
        an EXIF-rotated original (`a_ignore`)."""
        if self.page in (None, 0) and (self.autorotate or self.header.orientation <= 1):
            self.whole = image

    def focus_for(self, image: Any) -> FocusProvider | None:
        """The provider to ask about `image`: `focus` itself when `image` is `whole` (its
        per-asset detection cache applies), else `focus.uncached()` when the provider has
        one (derived pixels must neither read nor poison the asset's cached detections),
        else `focus` (None when there is none)."""
        if self.focus is None or image is self.whole:
            return self.focus
        uncached = getattr(self.focus, "uncached", None)
        if not callable(uncached):
            return self.focus
        if self._uncached is None:
            self._uncached = uncached()
        return self._uncached


Step = Callable[[Context], None]


#: the ordered steps of one component: (name, function).  Edit this list to add a step.
STEPS: list[tuple[str, Step]] = [
    ("guard", guard.guard),
    ("load", load.load),
    ("plan", resize.plan_step),
    ("resize", resize.resize),
    ("crop", resize.crop),
    ("pad", pad.pad),
    ("effects", effects.effects),
    ("radius", radius.radius),
    ("border", border.border),
    ("rotate", rotate.rotate),
    ("opacity", opacity.opacity),
    ("check_size", guard.check_size),
]


def run_component(ctx: Context, component: Component) -> None:
    """Run one transformation component through every step of `STEPS` (`ctx.index` counts
    the components run so far: 0 is the first, which may shrink on load)."""
    ctx.component, ctx.plan, ctx.decision, ctx.geometry_size = component, None, None, None
    for _, step in STEPS:
        check()  # the render's deadline (edge.render.deadline): stop between steps
        step(ctx)
    ctx.index += 1
    ctx.ran.append(component)


def run(ctx: Context) -> pyvips.Image:
    """Run the chain of `ctx.request` through `chain.run_chain`:
    named transformations, conditionals, variables and layers decide which components run;
    each one runs through `STEPS`.  Returns the final image (a chain where nothing runs still
    loads and normalises the original)."""
    run_chain(ctx, ctx.request.components, run_component)
    return ctx.image
