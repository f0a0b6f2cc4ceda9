"""The result of one render."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Rendered"]


@dataclass(frozen=True, slots=True)
class Rendered:
    """An encoded derived asset.

    * `data`: the encoded bytes (JSON bytes for `fl_getinfo`).
    * `format`: output format name (`jpg`, `png`, `webp`, `avif`, `gif`, `json`).
    * `width`, `height`: output size in px (one frame's height for animations).
    * `content_type`: MIME type for the `Content-Type` header.
    * `attachment`: filename (without extension) when `fl_attachment` asks for a
      `Content-Disposition: attachment` answer, else None.
    * `vary_accept`: True when the format was negotiated from the `Accept` header (`f_auto`):
      the server must send `Vary: Accept`.
    * `info`: the `fl_getinfo` document (also encoded in `data`), else None.
    * `frames`: number of frames in the output (1 for still images).
    * `quality`: the encoder quality used (after `q_auto`), None for lossless output.
    * `notice`: a short note on how the render departed from the request (for example
      `extract: fallback:unknown-prompt` when `e_extract` kept the salient subject because no
      model knows the prompt), or None; the server sends it as `X-Edge-Notice`.
    """

    data: bytes
    format: str
    width: int
    height: int
    content_type: str
    attachment: str | None = None
    vary_accept: bool = False
    info: dict[str, Any] | None = None
    frames: int = 1
    quality: int | None = None
    notice: str | None = None
