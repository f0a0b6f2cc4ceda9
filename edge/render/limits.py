"""Resource limits of the render engine (checked from the image header, before decoding)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Limits"]


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on what one render may cost; exceeding one raises `LimitError` (HTTP 413).

    * `max_source_pixels`: width x height x frames of the decoded source, in pixels
      (default 50 MP, in the spirit of imgproxy's `IMGPROXY_MAX_SRC_RESOLUTION`).
    * `max_frames`: animation frames (default 500, imgproxy's `MAX_ANIMATION_FRAMES` order).
    * `max_output_side`: longest side of any intermediate or final image, px (default 8192).
    * `max_source_bytes`: encoded source size, bytes (default 100 MiB).
    """

    max_source_pixels: int = 50_000_000
    max_frames: int = 500
    max_output_side: int = 8192
    max_source_bytes: int = 100 * 1024 * 1024
