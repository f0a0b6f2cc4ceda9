"""Reading originals: header probe, limit checks, decode (with shrink-on-load) and colour
normalisation to 8-bit sRGB.

Decoding is strict (`fail_on="error"`): a truncated or corrupt file raises when its pixels are
read instead of rendering grey garbage; `edge.render.engine` turns every `pyvips.Error` into a
`RenderError`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyvips

from .deadline import check, guard
from .errors import LimitError, RenderError
from .limits import Limits

__all__ = ["Header", "read_header", "probe", "decode", "stand_in", "normalize", "jpeg_block_shrink", "LOADER_FORMATS"]

#: libvips loader name prefix -> Edge format name.
LOADER_FORMATS = {
    "jpegload": "jpg",
    "pngload": "png",
    "webpload": "webp",
    "gifload": "gif",
    "tiffload": "tiff",
    "svgload": "svg",
    "heifload": "heic",
    "jp2kload": "jp2",
}
_ANIMATABLE = frozenset({"gif", "webp"})
_FAIL_ON = "error"


@dataclass(frozen=True, slots=True)
class Header:
    """What the header of an original says, before any pixel is decoded.

    `width`/`height`: px of one frame as displayed (EXIF orientation applied when
    `autorotate`); `stored_width`/`stored_height`: px as stored; `format`: Edge format name;
    `frames`: pages in the file (1 for stills); `orientation`: EXIF 1..8; `alpha`: has an
    alpha band."""

    width: int
    height: int
    stored_width: int
    stored_height: int
    format: str
    frames: int
    orientation: int
    alpha: bool


def _from_memory(source: bytes, **options: object) -> pyvips.Image:
    """`pyvips.Image.new_from_buffer(source, "", **options)`, except that a JPEG is read
    through a memory `pyvips.Source` instead: `new_from_buffer` first copies the whole file
    into a libvips blob (1 MB of memcpy per call for the bench photo, two calls per render:
    header and decode; callgrind counts it as 2 M instructions per render, the `memcpy` sharp
    does not have, issue 16).  Same loader (jpegload), same options, same pixels; raises
    pyvips.Error as `new_from_buffer` does.  Other formats keep `new_from_buffer` (not every
    libvips loader reads from a source)."""
    if source[:3] == b"\xff\xd8\xff":
        return pyvips.Image.new_from_source(pyvips.Source.new_from_memory(source), "", **options)
    return pyvips.Image.new_from_buffer(source, "", **options)


def _open(source: bytes, **options: object) -> pyvips.Image:
    if not source:
        raise RenderError("Empty image file")
    try:
        return _from_memory(source, **options)
    except pyvips.Error:
        raise RenderError("Unsupported or corrupt image file") from None


def _format_of(image: pyvips.Image) -> str:
    loader = image.get("vips-loader") if image.get_typeof("vips-loader") else ""
    for prefix, fmt in LOADER_FORMATS.items():
        if loader.startswith(prefix):
            if fmt == "heic" and image.get_typeof("heif-compression"):
                return "avif" if image.get("heif-compression") == "av1" else "heic"
            return fmt
    raise RenderError("Unsupported image format")


def read_header(source: bytes, *, autorotate: bool = True) -> Header:
    """Parse the header of `source` (no pixel decode).  Raises RenderError for empty, corrupt
    or unsupported files."""
    image = _open(source)
    fmt = _format_of(image)
    frames = image.get("n-pages") if image.get_typeof("n-pages") else 1
    orientation = image.get("orientation") if image.get_typeof("orientation") else 1
    if not autorotate:
        orientation = 1
    w, h = image.width, image.height
    if image.get_typeof("page-height") and image.get("page-height") < h:
        h = image.get("page-height")
    dw, dh = (h, w) if orientation in (5, 6, 7, 8) else (w, h)
    return Header(dw, dh, w, h, fmt, max(1, int(frames)), int(orientation), image.hasalpha())


def probe(source: bytes) -> tuple[int, int, str]:
    """`(width, height, format)` of `source` from its header only (EXIF orientation applied).
    Raises RenderError for empty, corrupt or unsupported files."""
    header = read_header(source)
    return header.width, header.height, header.format


def check_limits(header: Header, limits: Limits, *, frames: int, source_bytes: int) -> None:
    """Raise LimitError (413) when the source exceeds `limits` (before decoding)."""
    if source_bytes > limits.max_source_bytes:
        raise LimitError(f"Source file too large: {source_bytes} bytes (max {limits.max_source_bytes})")
    if frames > limits.max_frames:
        raise LimitError(f"Too many frames: {frames} (max {limits.max_frames})")
    pixels = header.stored_width * header.stored_height * frames
    if pixels > limits.max_source_pixels:
        raise LimitError(
            f"Source image too large: {header.stored_width}x{header.stored_height}x{frames} "
            f"(max {limits.max_source_pixels} pixels)"
        )


def _load_options(header: Header, page: int | None) -> dict[str, object]:
    options: dict[str, object] = {"fail_on": _FAIL_ON}
    if header.format in _ANIMATABLE or header.format in {"tiff", "heic", "avif"}:
        if page is not None:
            options["page"] = page
        elif header.format in _ANIMATABLE and header.frames > 1:
            options["n"] = -1
    return options


def jpeg_block_shrink(header: Header, size: tuple[int, int], *, autorotate: bool = True) -> int:
    """The factor (1, 2, 4 or 8) by which to let libjpeg scale a JPEG while decoding it to
    `size` (w, h px, as displayed): the largest of 8, 4, 2 not above the common reduction
    factor f = min(w_src / w, h_src / h), halved when it equals int(f) (libjpeg's scaled IDCT
    rounds badly there); 1 for other formats and for reductions below 2.

    libvips' thumbnailer (`thumbnail_buffer`) keeps at least a factor of 2 for its own
    resize, so for the bench workload (3088x2056 -> 451x300, f = 6.8) it decodes 1544x1028 px
    where this decodes 772x514: a quarter of the IDCT, colour conversion and resize work,
    -5 to -8 % CPU per render (issue 16; measured by callgrind, README "Against peers").  The
    rule is sharp's default (`fastShrinkOnLoad: true`, sharp's src/pipeline.cc); on the bench
    photo the q80 output stays within 0.1 % of the thumbnailer's PSNR and SSIM against a
    full-resolution reference and is 2 % smaller."""
    if header.format != "jpg" or size[0] <= 0 or size[1] <= 0:
        return 1
    turned = autorotate and header.orientation in (5, 6, 7, 8)
    w, h = (header.stored_height, header.stored_width) if turned else (header.stored_width, header.stored_height)
    factor = min(w / size[0], h / size[1])
    block = next((b for b in (8, 4, 2) if factor >= b), 1)
    if block > 1 and int(factor) == block:
        block //= 2
    return block


def decode(
    source: bytes,
    header: Header,
    *,
    page: int | None = None,
    autorotate: bool = True,
    shrink_to: tuple[int, int] | None = None,
    single_pass: bool = False,
) -> pyvips.Image:
    """Decode `source` lazily into 8-bit sRGB (3 bands, or 4 with alpha last).

    * `page`: 0-based frame/page to keep (`pg_N` is 1-based in URLs); None keeps every frame
      of an animation (stacked vertically, `page-height` set).
    * `autorotate`: apply EXIF orientation (False for `a_ignore`).
    * `shrink_to`: `(w, h)` px of one frame: decode with libvips' shrink-on-load thumbnailer
      straight to that size (only for reductions).  The thumbnailer reads sequentially, so
      its result is kept in memory (output-sized) unless `single_pass` says the rest of the
      render reads the pixels once, top to bottom (then decode, resize and encode overlap).
    """
    options = _load_options(header, page)
    try:
        if shrink_to is not None:
            block = jpeg_block_shrink(header, shrink_to, autorotate=autorotate) if page is None else 1
            image = None
            if block > 1:  # issue 16: the decoder's own 1/block scaling, then libvips' resize
                loaded = _from_memory(source, shrink=block, access="sequential", **options)
                if loaded.interpretation in ("srgb", "b-w"):  # CMYK keeps the thumbnailer's colour path
                    image = loaded.thumbnail_image(shrink_to[0], height=shrink_to[1], size="force",
                                                   no_rotate=not autorotate)
            if image is None:
                opt = ",".join(f"{k}={v}" for k, v in options.items())
                image = pyvips.Image.thumbnail_buffer(
                    source,
                    shrink_to[0],
                    height=shrink_to[1],
                    size="force",
                    no_rotate=not autorotate,
                    option_string=opt,
                )
            if not single_pass:
                image = guard(image).copy_memory()
        else:
            image = pyvips.Image.new_from_buffer(source, "", **options)
            if autorotate and header.orientation != 1:
                image = image.autorot()
    except pyvips.Error:
        check()  # a decode killed by the deadline is a timeout, not a corrupt file
        raise RenderError("Unsupported or corrupt image file") from None
    return normalize(image)


def stand_in(source: bytes, header: Header, size: tuple[int, int], *, autorotate: bool = True) -> pyvips.Image:
    """A random-access decode of the still `source` at `size` (w, h px, as displayed), the
    same picture as `decode(source, header, shrink_to=size)`: what a FocusProvider reads
    instead of a render's single-pass decode (sequential: the encoder must be its only
    reader; any earlier read makes that one fail with "out of order read").  JPEG reductions
    decode at libjpeg's 1/block scale (`jpeg_block_shrink`) as `decode` does; pixels are
    decoded into memory on first read, so they may be read again.  Raises RenderError for an
    unreadable file."""
    options = _load_options(header, None)
    block = jpeg_block_shrink(header, size, autorotate=autorotate)
    if block > 1:
        options["shrink"] = block
    try:
        loaded = pyvips.Image.new_from_buffer(source, "", **options)
        image = loaded.thumbnail_image(size[0], height=size[1], size="force", no_rotate=not autorotate)
    except pyvips.Error:
        raise RenderError("Unsupported or corrupt image file") from None
    return normalize(image)


def normalize(image: pyvips.Image) -> pyvips.Image:
    """Convert to 8-bit sRGB through the embedded ICC profile (CMYK without a profile goes
    through libvips' built-in CMYK profile), keeping alpha last and `page-height`."""
    page_height = image.get("page-height") if image.get_typeof("page-height") else None
    if image.interpretation == "cmyk" or image.get_typeof("icc-profile-data"):
        try:
            image = image.icc_transform(
                "srgb",
                embedded=True,
                input_profile="cmyk" if image.interpretation == "cmyk" else "srgb",
            )
        except pyvips.Error:
            image = image.colourspace("srgb")
    if image.interpretation not in ("srgb",) or image.format != "uchar":
        image = image.colourspace("srgb")
    if image.format != "uchar":
        image = image.cast("uchar")
    if image.bands == 2:  # grey + alpha
        image = image.colourspace("srgb")
    if image.bands == 1:
        image = image.bandjoin([image, image])
    if image.bands > 4:
        image = image.extract_band(0, n=4)
    if page_height and page_height < image.height:
        image = image.copy()
        image.set_type(pyvips.GValue.gint_type, "page-height", page_height)
    return image
