"""Which FocusProvider the server hands to render (the `focus` setting).

* ``vision`` (default): `edge.vision.VisionFocus` per asset, its detections cached in memory
  and in the derived-cache byte store, so every rendition of one asset version runs each model
  once;
* ``none``: no provider (render's libvips saliency only; object, face and text gravity find
  nothing);
* ``module:callable``: a factory of your own, called as `factory(public_id, version)`.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable

__all__ = ["focus_factory_for"]

FocusFactory = Callable[[str, str], Any]


def focus_factory_for(spec: str, store: Any = None) -> FocusFactory | None:
    """The focus factory named by the `focus` setting; `store` is the derived-cache byte store
    (or None) that vision persists detections in.  Raises ValueError for an import path that
    cannot be imported."""
    if spec in ("", "vision"):
        from edge.vision import VisionFocus

        def vision_factory(public_id: str, version: str) -> Any:
            return VisionFocus(public_id, version, store=store)

        return vision_factory
    if spec == "none":
        return None
    module, _, attr = spec.partition(":")
    try:
        return getattr(importlib.import_module(module), attr or "focus_factory")
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"cannot import focus factory {spec!r}: {exc}") from exc
