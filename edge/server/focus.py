"""Which focus factory the server hands to render (the `focus` setting).

A focus factory is `factory(public_id, version) -> FocusProvider | None` (render's
`edge.render.focus.FocusProvider` protocol), called in the render thread once per miss.

* ``vision`` (default): `edge.vision.VisionFocus` per asset, its detections cached in memory
  and in the derived-cache byte store, so every rendition of one asset version runs each model
  once;
* ``none``: no provider (render's libvips saliency only; object, face and text gravity find
  nothing);
* ``package.module:callable``: your own, called once at startup as `callable(settings)` (the
  process's `Settings`, see `edge.seams`); it returns the focus factory.
"""

from __future__ import annotations

from typing import Any, Callable

from edge.seams import SeamError, build, is_import_path

__all__ = ["focus_factory_for", "FocusFactory"]

FocusFactory = Callable[[str, str], Any]


def focus_factory_for(spec: str, store: Any = None, settings: Any = None) -> FocusFactory | None:
    """The focus factory named by the `focus` setting; `store` is the derived-cache byte store
    (or None) that vision persists detections in; `settings` go to a `module:callable`.
    Raises `edge.seams.SeamError` (a ValueError) for anything else than `vision`, `none` or an
    import path whose callable returns a callable."""
    if spec in ("", "vision"):
        from edge.vision import VisionFocus

        def vision_factory(public_id: str, version: str) -> Any:
            return VisionFocus(public_id, version, store=store)

        return vision_factory
    if spec == "none":
        return None
    if not is_import_path(spec):
        raise SeamError(f"focus: {spec!r} is not vision, none or package.module:callable")
    factory = build(spec, "focus", settings)
    if not callable(factory):
        raise SeamError(f"focus: {spec!r} returned a {type(factory).__name__}, not a focus factory "
                        "(public_id, version) -> FocusProvider | None")
    return factory
