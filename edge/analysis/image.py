"""`ImageContext`: one original image, decoded once per `analyze()` call, shared by every analysis.

The header is read without decoding pixels (`edge.render.source.read_header`: size as displayed
after EXIF orientation, format, frames, alpha).  Pixels are decoded at most once, lazily, with
libvips' shrink-on-load thumbnailer (`edge.render.source.decode(shrink_to=...)`: JPEG DCT
scaling, WebP/HEIF/SVG scaled load) straight to the largest size any requested analysis needs
(`plan(side)` before the first access); smaller copies (256 px for colours, 32 px for pHash)
are resized from that in-memory copy, never from the file again.  If an analysis asks for more
pixels than were planned, the file is decoded once more at that size (logged by the bench as
`decodes`).  Animations and multi-page files are analysed on their first frame/page.

Every decoded copy is 8-bit sRGB (ICC profiles applied), 3 bands or 4 with alpha last, EXIF
orientation applied, so coordinates are in px of the original as delivered (what `g_face` /
`g_custom` use).
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pyvips

from edge.render.source import Header, decode, read_header
from edge.vision.prep import MAX_SIDE, Frame

__all__ = ["ImageContext", "FULL"]

FULL = 0
"""`side` value meaning the original resolution (no shrink)."""


class ImageContext:
    """One original (`data`: its bytes) for one `analyze()` call.

    Attributes: `header` (edge.render.source.Header: `width`/`height` px as displayed, `format`
    like ``jpg``, `frames`, `alpha`), `width`, `height`, `asset_token` (opaque id of the asset
    version, or None), `focus` (an `edge.vision.VisionFocus`-like object with `public_id`,
    `version`, `store`, whose detection-cache keys detections go through so delivery reuses
    them, or None), `cache` (a dict analyses may use to share intermediate results within the
    call), `decodes` (how many times pixels were decoded).
    Raises `edge.render.errors.RenderError` from the constructor for empty, corrupt or
    unsupported files (and from `image()` for a file whose pixels turn out corrupt)."""

    def __init__(self, data: bytes, *, asset_token: str | None = None, focus: Any = None) -> None:
        self.data = data
        self.header: Header = read_header(data)
        self.width = self.header.width
        self.height = self.header.height
        self.asset_token = asset_token
        self.focus = focus
        self.cache: dict[str, Any] = {}
        self.decodes = 0
        self._planned = 1
        self._decoded: pyvips.Image | None = None
        self._decoded_side = -1
        self._sized: dict[int, pyvips.Image] = {}
        self._lock = threading.RLock()

    @property
    def one_band(self) -> bool:
        """True when the original stores one colour band (grey, with or without alpha)."""
        v = self.cache.get("one_band")
        if v is None:
            try:
                im = pyvips.Image.new_from_buffer(self.data, "")
                v = im.bands - int(im.hasalpha()) == 1
            except pyvips.Error:
                v = False
            self.cache["one_band"] = v
        return v

    # -- planning / decoding -------------------------------------------------------------
    def plan(self, side: int) -> None:
        """Declare that some analysis will need `side` px on the longer side (FULL = 0 for the
        original); call for every analysis before the first `image()`."""
        with self._lock:
            if self._planned != FULL:
                self._planned = FULL if side == FULL else max(self._planned, side)

    def _longer(self) -> int:
        return max(self.width, self.height)

    def _fit(self, side: int) -> int:
        """The effective side: never more than the original."""
        return self._longer() if side == FULL else min(side, self._longer())

    def _decode(self, side: int) -> pyvips.Image:
        self.decodes += 1
        if side >= self._longer():
            image = decode(self.data, self.header, page=0)
        else:
            k = side / self._longer()
            w = max(1, round(self.width * k))
            h = max(1, round(self.height * k))
            image = decode(self.data, self.header, page=0, shrink_to=(w, h))
        if image.get_typeof("page-height") and image.get("page-height") < image.height:
            image = image.crop(0, 0, image.width, image.get("page-height"))
        return image.copy_memory()

    def image(self, side: int = FULL) -> pyvips.Image:
        """The first frame as an in-memory uchar sRGB `pyvips.Image` (3 bands, 4 with alpha),
        longer side `side` px (not upscaled; FULL: original size)."""
        want = self._fit(side)
        with self._lock:
            if want in self._sized:
                return self._sized[want]
            if self._decoded is None or self._decoded_side < want:
                self._decoded = self._decode(max(want, self._fit(self._planned)))
                self._decoded_side = max(self._decoded.width, self._decoded.height)
                self._sized = {self._decoded_side: self._decoded}
            src = self._decoded
            if max(src.width, src.height) <= want:
                out = src
            else:
                out = src.thumbnail_image(want, height=want, size="down").copy_memory()
            self._sized[want] = out
            return out

    def array(self, side: int = FULL) -> np.ndarray:
        """`image(side)` as a uint8 numpy array (h, w, bands)."""
        key = f"array:{side}"
        with self._lock:
            if key not in self.cache:
                im = self.image(side)
                self.cache[key] = im.numpy().reshape(im.height, im.width, im.bands)
            return self.cache[key]

    def rgb(self, side: int = FULL) -> np.ndarray:
        """(h, w, 3) uint8 RGB of `image(side)`, alpha composited onto white."""
        a = self.array(side)
        if a.shape[2] == 3:
            return a
        key = f"rgb:{side}"
        with self._lock:
            if key not in self.cache:
                alpha = a[:, :, 3:4].astype(np.float32) * (1.0 / 255.0)
                self.cache[key] = (a[:, :, :3] * alpha + 255.0 * (1.0 - alpha) + 0.5).astype(np.uint8)
            return self.cache[key]

    def frame(self) -> Frame:
        """edge.vision's `Frame` (RGB uint8, longer side <= vision's MAX_SIDE px, alpha on
        white) with the original's `width`/`height`, for the vision detectors."""
        with self._lock:
            f = self.cache.get("frame")
            if f is None:
                small = Frame.of(self.image(MAX_SIDE))
                f = Frame(small.rgb, self.width, self.height)
                self.cache["frame"] = f
            return f

    def found(self, model: str) -> list[Any]:
        """Normalised detections (`edge.vision.detection.Found`) of vision model `model`
        (``faces``, ``coco``, ``text``, ``saliency``) on the first frame, run once per call on
        `frame()`.  With `focus` (public_id, version, store) the result goes through vision's
        detection cache under the keys delivery uses, so a later `g_face` / `g_auto` rendition
        of this asset version runs no model.  Raises `edge.render.focus.FocusError` for an
        unknown model."""
        from edge.vision.detector import detect_found

        key = f"found:{model}"
        with self._lock:
            if key not in self.cache:
                image = self.image(MAX_SIDE)
                f = self.focus
                self.cache[key] = detect_found(
                    image, model,
                    public_id=getattr(f, "public_id", None) if f is not None else None,
                    version=getattr(f, "version", None) if f is not None else None,
                    store=getattr(f, "store", None) if f is not None else None,
                    frame=self.frame,
                )
            return self.cache[key]

    def grey(self, size: int) -> pyvips.Image:
        """A `size` x `size` px one-band uchar luminance copy (aspect not kept: what pHash
        expects), resized from the smallest decoded copy at least 2x `size`."""
        im = self.image(max(64, size * 2))
        if im.hasalpha():
            im = im.flatten(background=[255, 255, 255])
        im = im.colourspace("b-w")
        return im.thumbnail_image(size, height=size, size="force").copy_memory()
