"""Resource limits of the render engine: source limits (checked from the image header, before
decoding) and URL limits (checked from the transformation AST, before anything is read)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Limits"]


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on what one render may cost.

    Source limits (exceeding one raises `LimitError`, HTTP 413):

    * `max_source_pixels`: width x height x frames of the decoded source, in pixels
      (default 50 MP, in the spirit of imgproxy's `IMGPROXY_MAX_SRC_RESOLUTION`).
    * `max_frames`: animation frames (default 500, imgproxy's `MAX_ANIMATION_FRAMES` order).
    * `max_output_side`: longest side of any intermediate or final image, px (default 8192).
    * `max_source_bytes`: encoded source size, bytes (default 100 MiB).

    URL limits (exceeding one raises `edge.render.cost.ChainLimitError`, HTTP 400, before any
    pixel work; see `edge.render.cost` for how they are counted and measured):

    * `max_components`: transformation components per URL after expanding named
      transformations, with every `if_` branch and layer body counted (default 40; 300
      `e_blur` components crashed the worker, real chains use fewer than 15).
    * `max_costly_ops`: effects, layers and non-right-angle rotations per URL (default 16).
    * `max_cost_mp`: megapixel-operations per render, the pixels each costly operation works
      on, summed, heavy effects counting several (`edge.render.cost.WEIGHTS`); default 64:
      one effect on a 50 MP original passes, and the slowest chain allowed takes about 6 s of
      one core (measured: 9 chained `e_sharpen` on 6.35 MP, 57 MP-operations, 5.3 s), well
      inside the 30 s render timeout.

    Cloudinary publishes no per-URL component or operation limit; its limits are per plan (file
    size and megapixels per image and per animation, shown on the Console's account page), and
    Edge's source limits above play that part.
    """

    max_source_pixels: int = 50_000_000
    max_frames: int = 500
    max_output_side: int = 8192
    max_source_bytes: int = 100 * 1024 * 1024
    max_components: int = 40
    max_costly_ops: int = 16
    max_cost_mp: float = 64.0
