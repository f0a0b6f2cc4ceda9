"""Known delivery formats (file extensions), spec §2 and §13."""

from __future__ import annotations

__all__ = ["FORMATS", "AUTO_FORMATS", "split_format"]

#: Extensions recognised at the end of a public ID / in `f_` (lower case).
FORMATS = frozenset(
    """
    jpg jpeg jpe jfif png gif webp avif jxl bmp tif tiff ico svg pdf psd heic heif jp2 wdp jxr
    eps ai ps tga dng arw cr2 cr3 nef orf raf flif hdr exr fbx glb gltf usdz obj ply
    mp4 webm mov ogv m3u8 mpd flv mkv avi wmv 3gp ts m2ts mts mxf mp3 wav ogg aac m4a flac
    json txt
    """.split()
)
#: `f_auto` variants.
AUTO_FORMATS = frozenset({"auto", "auto:image", "auto:video", "auto:animated"})


def split_format(name: str) -> tuple[str, str | None]:
    """Split a known extension off a public ID: `folder/a.b.JPG` -> (`folder/a.b`, `jpg`).

    Returns (`name`, None) when the text after the last `.` is not in `FORMATS` or nothing of
    the last path segment would remain (`folder/.jpg`).
    """
    base, dot, ext = name.rpartition(".")
    if dot and base and not base.endswith("/") and ext.lower() in FORMATS:
        return base, ext.lower()
    return name, None
