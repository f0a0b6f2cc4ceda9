"""`ImageState`: what conditions and expressions may read about the image being transformed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Callable

__all__ = ["ImageState", "image_size"]


@dataclass(frozen=True)
class ImageState:
    """What conditions and expressions may read about the image being transformed.

    * `width`, `height`: size of the CURRENT image in px (`w`, `h`; `ar` = width / height).
    * `initial_width`, `initial_height`: size of the source before any component, px
      (`iw`, `ih`; `iar` = their ratio).
    * `page_count`: frames/pages of the source (`pc`), 1 for a still image.
    * `face_count`: a zero-argument callable returning the number of faces (`fc`); it is only
      called when an expression reads `fc` (face detection is expensive), or None when no face
      detector is available (reading `fc` then raises RenderError).
    * `tags`: the asset's tags (`if_!sale!_in_tags`).
    * `context`: the asset's contextual metadata (`ctx:!key!`), str -> str.
    * `metadata`: structured metadata (`md:!key!`), str -> value.
    * `variables`: user variables in scope, keyed with the `$` (`$foo` -> 100.0 or 'text').
    * `image`: an opaque payload for the caller (typically the current `pyvips.Image`); the
      interpreter never reads it.
    """

    width: int
    height: int
    initial_width: int
    initial_height: int
    page_count: int = 1
    face_count: Callable[[], int] | None = None
    tags: tuple[str, ...] = ()
    context: Mapping[str, str] = field(default_factory=dict)
    metadata: Mapping[str, Any] = field(default_factory=dict)
    variables: Mapping[str, Any] = field(default_factory=dict)
    image: Any = None

    @classmethod
    def of(cls, image: Any, **kwargs: Any) -> "ImageState":
        """The initial state of `image` (anything with `.width`/`.height`, e.g. pyvips.Image;
        an animation's frame height from `page-height`): current and initial size both taken
        from it, `page_count` from `n-pages`; `kwargs` set the other fields."""
        width, height = image_size(image)
        kwargs.setdefault("page_count", _int_field(image, "n-pages", 1))
        return cls(width, height, width, height, image=image, **kwargs)

    def advanced(self, image: Any) -> "ImageState":
        """This state after a component produced `image`: same initial size, tags, context,
        variables and face counter; current size from `image` (frame height for an
        animation)."""
        width, height = image_size(image)
        return replace(self, width=width, height=height, image=image)


def _int_field(image: Any, name: str, default: int) -> int:
    try:
        if image.get_typeof(name):
            return max(1, int(image.get(name)))
    except Exception:  # noqa: BLE001 - not a pyvips image
        pass
    return default


def image_size(image: Any) -> tuple[int, int]:
    """(width, height) in px; the height of one frame for a pyvips animation strip."""
    return int(image.width), min(int(image.height), _int_field(image, "page-height", int(image.height)))
