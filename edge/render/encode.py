"""Output: format negotiation (`f_`, `f_auto` from Accept), quality (`q_`), encoding flags.

Format precedence: the last `f_` in the chain > the URL extension > the original format
(url-spec §13).  `f_auto` picks AVIF > WebP > the fallback (the extension's or original
format; PNG when the image has alpha, so `fl_preserve_transparency` always holds; GIF for an
animation the browser cannot get as WebP); animations prefer animated WebP (libvips cannot
write animated AVIF).  The response must then vary on Accept (`vary_accept`).

`finalize(ctx, image, components)` is the end of every render (as imgproxy's
`finalizePipeline`): the named steps of `FINAL` run in order, output options -> format ->
getinfo -> encode, and the last one to produce a `Rendered` ends the list.
"""

from __future__ import annotations

import io
import posixpath
from dataclasses import dataclass
from typing import Any, Callable

import pyvips
from PIL import Image as PILImage

from edge.url.ast import Component, DeliveryRequest, Quality

from . import spec
from .context import Context
from .deadline import guard
from .errors import RenderError
from .frames import frame_height
from .info import getinfo, to_json
from .quality import auto_quality
from .rendered import Rendered

__all__ = [
    "CONTENT_TYPES", "WRITABLE", "OutputOptions", "choose_format", "output_options", "encode", "writable_extension",
    "Output", "FINAL", "finalize", "NOTICE_FIELDS",
]

CONTENT_TYPES = {
    "jpg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "avif": "image/avif",
    "gif": "image/gif",
    "heic": "image/heic",
    "tiff": "image/tiff",
}
#: formats this server writes (pyvips-binary 8.18 here has no jxl, jp2k, magick (bmp, ico,
#: psd, ...), pdf or svg saver, and its heif saver has no HEVC encoder).
WRITABLE = ("jpg", "png", "webp", "avif", "gif", "tiff")
_ALIASES = {"jpeg": "jpg", "jpe": "jpg", "jfif": "jpg", "heif": "heic", "tif": "tiff"}
_ANIMATED = frozenset({"gif", "webp"})
_ALPHA = frozenset({"png", "webp", "avif", "gif", "heic", "tiff"})
#: libaom effort 0..9: 0 is ~30x faster than the default 4 at 800 px for ~1 % more bytes
#: (measured on landscape_aitzgorri.jpg, 2-core box).
_AVIF_EFFORT = 0
#: cgif/libimagequant effort 1..10: 3 is ~6x faster than the default 7 on a 36-frame 100 px
#: GIF for a mean abs error of 0.35 instead of 0.09 (0..255), measured on
#: animated_newtons_cradle.gif.
_GIF_EFFORT = 3
_DEFAULT_Q = {"jpg": 80, "webp": 80, "avif": 60, "heic": 60, "tiff": 80, "png": 80}


@dataclass(frozen=True, slots=True)
class OutputOptions:
    """Encoding choices gathered over the whole chain: `fetch_format` (last `f_` text),
    `quality` (last `q_`), `flags` (every `fl_` of every component), `background` (last
    `b_` colour, for flattening alpha into JPEG)."""

    fetch_format: str | None
    quality: Quality | None
    flags: dict[str, str | None]
    background: tuple[int, int, int] = (255, 255, 255)


def output_options(components: tuple[Component, ...]) -> OutputOptions:
    """Collect `f_`, `q_`, `fl_` and `b_` over `components` (last one wins)."""
    fmt = None
    quality = None
    flags: dict[str, str | None] = {}
    background = (255, 255, 255)
    for comp in components:
        if "f" in comp:
            fmt = spec.text(comp.get("f"))
        if "q" in comp:
            quality = comp.get("q")
        flags.update(spec.flags(comp))
        color = spec.color(comp.get("b"))
        if color is not None and color.a > 0:
            background = (color.r, color.g, color.b)
    return OutputOptions(fmt, quality, flags, background)


def _norm(fmt: str | None) -> str | None:
    if fmt is None:
        return None
    fmt = fmt.lower()
    return _ALIASES.get(fmt, fmt)


def writable_extension(options: OutputOptions, request: DeliveryRequest) -> str | None:
    """The URL's extension as an output format Edge writes, or None (no extension, `.json`
    with `fl_getinfo`, or an unwritable extension overridden by an `f_`).  Raises RenderError
    (400) naming an extension Edge cannot write when no `f_` decides the format instead.
    Needs no pixels: the engine calls it before decoding."""
    extension = _norm(request.format)
    if extension is None or extension in CONTENT_TYPES or (extension == "json" and "getinfo" in options.flags):
        return extension
    if options.fetch_format is None:
        raise RenderError(f"Unsupported output format: {extension} (Edge writes {', '.join(WRITABLE)})")
    return None  # f_<format> / f_auto decide the bytes, not the extension


def choose_format(
    options: OutputOptions,
    request: DeliveryRequest,
    original: str,
    accept: str,
    *,
    alpha: bool,
    animated: bool,
) -> tuple[str, bool]:
    """`(format, vary_accept)` for the response.  Raises RenderError (400) naming a format
    Edge cannot write, whether asked with `f_` or as the URL's extension when no `f_` says
    otherwise (`.svg`, `.pdf`, `.ico`, `.bmp`, `.jxl`, ...: this libvips build saves only
    `WRITABLE`; an extension must never be answered with other bytes under its name);
    `heic` fails at encode when there is no HEVC encoder.  With `f_auto` an unwritable
    extension falls back to the original's format, as a URL without extension does."""
    requested = _norm(options.fetch_format)
    auto = requested is not None and requested.split(":")[0] == "auto"
    extension = writable_extension(options, request)
    fallback = extension or {"svg": "png", "heic": "jpg", "avif": "avif"}.get(original, original)
    if fallback not in CONTENT_TYPES:
        fallback = "jpg"
    if auto:
        acc = accept.lower()
        if animated:
            if "image/webp" in acc:
                return "webp", True
            return (fallback if fallback in _ANIMATED else "gif"), True
        if "image/avif" in acc:
            return "avif", True
        if "image/webp" in acc:
            return "webp", True
        if alpha and fallback not in _ALPHA:  # fl_preserve_transparency: always the case here
            return "png", True
        return fallback, True
    fmt = requested or fallback
    if fmt == "jxl":
        raise RenderError("Output format jxl (JPEG XL) is not supported by this server")
    if fmt not in CONTENT_TYPES:
        raise RenderError(f"Unsupported output format: {fmt} (Edge writes {', '.join(WRITABLE)})")
    return fmt, False


def _is_auto(quality: Quality | None) -> bool:
    """True for `q_auto[:level]`."""
    return quality is not None and (quality.auto_level is not None or quality.text.startswith("auto"))


def _quality(
    image: pyvips.Image, fmt: str, quality: Quality | None, flags: dict[str, str | None], save
) -> tuple[int, str | None]:
    """(Q, chroma) for the encoder: fixed `q_N`, `q_auto` (content-aware, see quality.py) or
    the format default; chroma '420'|'444' or None.  `save(image, Q, chroma) -> bytes` is
    the trial encoder of the `q_auto` search (`_saver(..., trial=True)`)."""
    default = _DEFAULT_Q.get(fmt, 80)
    if quality is None:
        return default, None
    chroma = quality.chroma
    if _is_auto(quality):
        if fmt in {"png", "gif"} and "lossy" not in flags:
            return default, chroma
        level = quality.auto_level or "good"
        fh = frame_height(image)
        frame = image if fh == image.height else image.crop(0, 0, image.width, fh)  # judge frame 1
        q = auto_quality(frame, level, lambda im, qq: save(im, qq, chroma), sensitive=quality.sensitive, fmt=fmt)
        return q, chroma
    q = spec.number(quality.level, "q")
    if q is None or not 1 <= q <= 100:
        raise RenderError(f"Invalid value for q: {quality.text}")
    return int(round(q)), chroma


def _keep(flags: dict[str, str | None]) -> int:
    keep = pyvips.enums.ForeignKeep
    if "strip_profile" in flags or "force_strip" in flags:
        value = keep.NONE
    else:
        value = keep.ICC
    if "keep_iptc" in flags:
        value |= keep.IPTC | keep.XMP
    return value


def _saver(fmt: str, flags: dict[str, str | None], *, trial: bool = False):
    """A function `(image, Q, chroma) -> bytes` for `fmt` with the component flags applied.

    `trial`: for the `q_auto` search, whose encodes are only decoded again: no metadata, and
    JPEG without Huffman optimisation or progressive scans (both lossless: the decoded pixels
    are the same, measured bit-identical; 0.75 -> 0.49 ms per 256^2 px trial)."""
    keep = pyvips.enums.ForeignKeep.NONE if trial else _keep(flags)
    progressive = "progressive" in flags and flags.get("progressive") not in ("none",) and not trial

    def sub(chroma: str | None) -> str:
        return {"420": "on", "444": "off"}.get(chroma or "", "auto")

    if fmt == "jpg":
        return lambda im, q, c: im.jpegsave_buffer(
            Q=q, optimize_coding=not trial, interlace=progressive, subsample_mode=sub(c), keep=keep
        )
    if fmt == "png":
        if "lossy" in flags or "png8" in flags:
            return lambda im, q, c: im.pngsave_buffer(palette=True, Q=q, interlace=progressive, keep=keep)
        return lambda im, q, c: im.pngsave_buffer(interlace=progressive, keep=keep)
    if fmt == "webp":
        if trial:
            return lambda im, q, c: _webp_trial(im, q) if c != "444" else im.webpsave_buffer(
                Q=q, keep=keep, smart_subsample=True)
        return lambda im, q, c: im.webpsave_buffer(Q=q, keep=keep, smart_subsample=(c == "444"))
    if fmt == "avif":
        return lambda im, q, c: im.heifsave_buffer(
            Q=q, compression="av1", effort=_AVIF_EFFORT, keep=keep, subsample_mode=sub(c)
        )
    if fmt == "heic":
        return lambda im, q, c: im.heifsave_buffer(Q=q, compression="hevc", keep=keep, subsample_mode=sub(c))
    if fmt == "gif":
        return lambda im, q, c: im.gifsave_buffer(
            keep=keep, effort=_GIF_EFFORT, interframe_maxerror=8 if "lossy" in flags else 0
        )
    if fmt == "tiff":
        return lambda im, q, c: im.tiffsave_buffer(Q=q, compression="jpeg", keep=keep)
    raise RenderError(f"Unsupported output format: {fmt}")


def _webp_trial(image: pyvips.Image, q: int) -> bytes:
    """A `q_auto` trial WebP encode of the (in-memory, 8-bit) `image` at quality `q` by
    Pillow's libwebp, with the settings of libvips' `webpsave_buffer(Q=q, keep=NONE)` (lossy,
    method 4 = libvips effort 4, default preset, no sharp YUV): the same bytes (checked at
    every quality of the bench images, tests/render/test_render_perf.py) at ~3/4 of the time
    (8.8 against 12.0 ms for a 320x192 px probe, issue 16).  Images that are not 3-band RGB
    go through libvips."""
    if image.bands != 3 or image.format != "uchar":
        return image.webpsave_buffer(Q=q, keep=pyvips.enums.ForeignKeep.NONE)
    out = io.BytesIO()
    PILImage.fromarray(image.numpy(), "RGB").save(out, "WEBP", quality=q, method=4)
    return out.getvalue()


def encode(
    image: pyvips.Image, fmt: str, options: OutputOptions, *, frame_height: int
) -> tuple[bytes, Any, int | None]:
    """Encode `image` (8-bit sRGB, animations stacked with `page-height`) as `fmt`.

    Alpha is flattened onto the last `b_` colour (white by default) for formats without alpha;
    animations are cut to their first frame for formats without animation.  Returns
    `(bytes, image actually encoded, quality used or None for lossless formats)`.  Raises RenderError when the encoder is unavailable."""
    frames = image.height // frame_height if frame_height else 1
    if frames > 1 and fmt not in _ANIMATED:
        image = image.crop(0, 0, image.width, frame_height)
    if image.hasalpha() and fmt not in _ALPHA:
        image = image.flatten(background=list(options.background))
    save = _saver(fmt, options.flags)
    if _is_auto(options.quality) and not (fmt in {"png", "gif"} and "lossy" not in options.flags):
        # q_auto encodes samples several times: materialise the pipeline once, so neither the
        # search nor the final save re-runs the resize (measured: 39 -> 29 ms on coffee.png)
        image = guard(image).copy_memory()
    q, chroma = _quality(image, fmt, options.quality, options.flags, _saver(fmt, options.flags, trial=True))
    try:
        lossless = fmt == "gif" or (fmt == "png" and "lossy" not in options.flags and "png8" not in options.flags)
        return save(guard(image), q, chroma), image, (None if lossless else q)
    except pyvips.Error as exc:
        message = str(exc)
        if fmt == "heic" and "compression" in message.lower():
            raise RenderError("Output format heic is not supported by this server (no HEVC encoder)") from None
        raise


# --------------------------------------------------------------------------------------------
# The final steps of a render


@dataclass
class Output:
    """What the final steps build, in order: `options` (OutputOptions of the components that
    ran, plus the URL-wide `fl_getinfo`/`fl_attachment`), `frame_height` (px of one frame),
    `format` and `vary_accept`, then `rendered` (the result; set by `getinfo` or `encode`)."""

    image: pyvips.Image
    components: tuple[Component, ...]
    options: OutputOptions | None = None
    frame_height: int = 0
    format: str = ""
    vary_accept: bool = False
    rendered: Rendered | None = None


def _options(ctx: Context, out: Output) -> None:
    """The encoder follows the components that ran (not skipped if_ branches; named
    transformations expanded); `fl_getinfo`/`fl_attachment` may sit anywhere in the URL."""
    options = output_options(tuple(ctx.ran))
    url_flags = output_options(out.components).flags
    for name in ("getinfo", "attachment"):
        if name in url_flags and name not in options.flags:
            options.flags[name] = url_flags[name]
    out.options = options


def _format(ctx: Context, out: Output) -> None:
    """`choose_format` for the final image (alpha and animation decide `f_auto`)."""
    image = out.image
    out.frame_height = frame_height(image)
    animated = image.height // out.frame_height > 1
    out.format, out.vary_accept = choose_format(
        out.options, ctx.inputs.request, ctx.header.format, ctx.inputs.accept, alpha=image.hasalpha(), animated=animated
    )


def _getinfo(ctx: Context, out: Output) -> None:
    """`fl_getinfo`: the JSON document (edge/render/info.py) instead of the image."""
    if "getinfo" not in out.options.flags:
        return
    image, fh = out.image, out.frame_height
    frames = image.height // fh if out.format in _ANIMATED else 1
    info = getinfo(ctx, width=image.width, height=fh, fmt=out.format, frames=frames)
    out.rendered = Rendered(to_json(info), "json", image.width, fh, "application/json", vary_accept=out.vary_accept, info=info)


def _encode(ctx: Context, out: Output) -> None:
    """The encoded bytes (`encode`), the attachment name (`fl_attachment`) and the notices
    effects left in the image's metadata."""
    options = out.options
    data, encoded, quality = encode(out.image, out.format, options, frame_height=out.frame_height)
    out_fh = frame_height(encoded)
    attachment = None
    if "attachment" in options.flags:
        attachment = options.flags["attachment"] or posixpath.basename(ctx.inputs.request.public_id) or "image"
    out.rendered = Rendered(
        data=data,
        format=out.format,
        width=encoded.width,
        height=out_fh,
        content_type=CONTENT_TYPES[out.format],
        attachment=attachment,
        vary_accept=out.vary_accept,
        frames=encoded.height // out_fh,
        quality=quality,
        notice=_notice(out.image),
    )


#: the final steps of every render, in order; the first that sets `Output.rendered` ends it.
FINAL: tuple[tuple[str, Callable[[Context, Output], None]], ...] = (
    ("options", _options),
    ("format", _format),
    ("getinfo", _getinfo),
    ("encode", _encode),
)


def finalize(ctx: Context, image: pyvips.Image, components: tuple[Component, ...]) -> Rendered:
    """The `Rendered` of `image` (the chain's result) through the steps of `FINAL`;
    `components` is the URL's chain with `t_` expanded.  Raises RenderError (400) for a
    format Edge cannot write, pyvips.Error for bad pixels (the engine turns it into 400 or,
    past the deadline, 503)."""
    out = Output(image, components)
    for _, step in FINAL:
        step(ctx, out)
        if out.rendered is not None:
            return out.rendered
    raise RenderError("No output step produced a result")  # unreachable: encode always does


#: pyvips metadata fields that effects set to report a departure from the request
#: (`edge.render.effects.extract.METADATA`), mapped to the notice prefix.
NOTICE_FIELDS = {"edge-extract": "extract"}


def _notice(image: pyvips.Image) -> str | None:
    """The `Rendered.notice` carried by `image`'s metadata, or None."""
    notes = [f"{label}: {image.get(name)}" for name, label in NOTICE_FIELDS.items() if image.get_typeof(name)]
    return "; ".join(notes) or None
