"""`image_metadata` / `media_metadata` and `exif` (upload-spec §3.3): EXIF, IPTC and XMP read by
exiv2 (through `pyexiv2.ImageData`, from the bytes, no pixel decode) and flattened to ExifTool-style
tag names without a group prefix, every value a string.

Priority when several families carry the same name: EXIF, then JFIF, IPTC, XMP (the first one
wins).  Empty values (after trimming the padding cameras write) are left out.  `exif` holds the
EXIF (and GPS) keys only.  Maker notes, thumbnail (IFD1) and interoperability tags, IFD pointers and
binary blobs are not reported.

Supported subset (ExifTool print conversions re-implemented for these tags; ExifTool by Phil
Harvey, Image::ExifTool::Exif / GPS / IPTC / XMP tag tables):

=========================  ==============================  =====================================
Edge key (ExifTool name)   source (exiv2 key)              value format
=========================  ==============================  =====================================
Make, Model, Software,     Exif.Image.*                    trimmed text
Artist, Copyright,
ImageDescription
Orientation                Exif.Image.Orientation          ExifTool text: ``Horizontal (normal)``,
                                                           ``Rotate 90 CW``, ``Rotate 180``,
                                                           ``Rotate 270 CW``, ``Mirror ...``
XResolution, YResolution   Exif.Image.*                    number (``300``)
ResolutionUnit             Exif.Image.ResolutionUnit       ``None`` / ``inches`` / ``cm``
ModifyDate                 Exif.Image.DateTime             ``2008:11:01 21:15:07``
DateTimeOriginal           Exif.Photo.DateTimeOriginal     ``2008:10:22 16:28:39``
CreateDate                 Exif.Photo.DateTimeDigitized    same
ExposureTime               Exif.Photo.ExposureTime         ``1/320`` (below 0.25 s), else ``0.5``
ShutterSpeedValue          APEX                            as ExposureTime
FNumber                    Exif.Photo.FNumber              ``5.9`` (one decimal)
ApertureValue,             APEX                            ``2.7``
MaxApertureValue
ISO                        Exif.Photo.ISOSpeedRatings      ``64``
ExposureCompensation       Exif.Photo.ExposureBiasValue    ``0``, ``+1``, ``-2/3``, ``+0.3``
ExposureProgram, Metering  Exif.Photo.*                    ExifTool text (``Program AE``,
Mode, LightSource, Flash,                                  ``Multi-segment``, ``Off, Did not
ColorSpace, ExposureMode,                                  fire``, ``sRGB``, ``Auto`` ...)
WhiteBalance, SceneCapture
Type, Contrast, Saturation,
Sharpness, SensingMethod,
FileSource, SceneType,
CustomRendered, GainControl,
SubjectDistanceRange,
YCbCrPositioning,
ComponentsConfiguration
FocalLength                Exif.Photo.FocalLength          ``24.0 mm``
FocalLengthIn35mmFormat    Exif.Photo.FocalLengthIn35mm…   ``112 mm``
ExifVersion,               Exif.Photo.*                    ``0220``
FlashpixVersion
ExifImageWidth/Height      Exif.Photo.PixelX/YDimension    ``640``
LensMake, LensModel,       Exif.Photo.*                    text
SerialNumber,
LensSerialNumber
UserComment                Exif.Photo.UserComment          text (charset prefix removed)
other Exif.Image/Photo     exiv2 tag name                  text; rationals as decimals
GPSVersionID               Exif.GPSInfo.GPSVersionID       ``2.3.0.0``
GPSLatitude, GPSLongitude  Exif.GPSInfo.* + Ref            ``43 deg 28' 2.81" N`` (ExifTool's
                                                           Composite form, with the reference)
GPSLatitudeRef, -LongRef   Exif.GPSInfo.*Ref               ``North``/``South``/``East``/``West``
GPSPosition                both                            ``43 deg 28' 2.81" N, 11 deg 53' 6.46" E``
GPSLatitudeDecimal,        Edge's own keys (not ExifTool)  signed decimal degrees, 6 decimals
GPSLongitudeDecimal                                        (``43.467448``, ``-122.419416``)
GPSAltitude, -Ref          Exif.GPSInfo.*                  ``12.3 m Above Sea Level``
GPSTimeStamp, GPSDateStamp Exif.GPSInfo.*                  ``14:27:07.24``, ``2008:10:23``
GPSMapDatum, GPSSatellites Exif.GPSInfo.*                  text
other GPS tags             exiv2 tag name                  text; rationals as decimals
JFIFVersion                JPEG APP0 (JFIF)                ``1.01`` (the JFIF resolution fills
                                                           X/YResolution, ResolutionUnit when
                                                           EXIF has none)
Keywords, ObjectName,      Iptc.Application2.*             text; repeated values joined by
Caption-Abstract, By-line,                                 ``", "`` (ExifTool's list join)
By-lineTitle, Headline,
Credit, Source, City,
Sub-location,
Province-State, Country-
PrimaryLocationName,
CopyrightNotice, Writer-
Editor, DateCreated,
TimeCreated, Category,
SupplementalCategories,
SpecialInstructions
XMP simple properties      Xmp.<ns>.<Name>                 key = Name with its first letter
(Creator, Rating, Title,                                   upper-cased; lists joined by ``", "``,
Description, Subject,                                      language alternatives: the
Rights, CreatorTool, Label                                 ``x-default`` text; structures skipped
…)
=========================  ==============================  =====================================
"""


from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from edge.analysis.exif_tags import (
    EXIF_TAGS, IPTC_TAGS, SKIPPED_EXIF, format_dms, gps_decimal, plain_number, rationals, trimmed,
)

__all__ = ["Metadata", "read_metadata", "gps_decimal", "format_dms"]


@dataclass(frozen=True)
class Metadata:
    """`flat`: every supported EXIF/IPTC/XMP key -> string; `exif`: the EXIF/GPS keys only."""

    flat: dict[str, str] = field(default_factory=dict)
    exif: dict[str, str] = field(default_factory=dict)


def _put(out: dict[str, str], key: str, value: str) -> None:
    value = value.strip() if isinstance(value, str) else str(value)
    if value and key not in out:
        out[key] = value


def _generic(key: str, value: str) -> tuple[str, str] | None:
    """Fallback for EXIF tags outside the table: exiv2 name, rationals as decimals, long
    byte lists skipped."""
    name = key.rsplit(".", 1)[-1]
    if name.startswith("0x") or len(value) > 256:
        return None
    if re.fullmatch(r"-?\d+/\d+( -?\d+/\d+)*", value.strip()):
        value = " ".join(plain_number(v) for v in rationals(value))
    return name, trimmed(value)


def _exif_map(exif: dict[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in exif.items():
        if not isinstance(value, str):
            value = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        if key in SKIPPED_EXIF or not key.startswith(("Exif.Image.", "Exif.Photo.", "Exif.GPSInfo.")):
            continue
        if key in EXIF_TAGS:
            name, conv = EXIF_TAGS[key]
            _put(out, name, conv(value))
        else:
            g = _generic(key, value)
            if g:
                _put(out, *g)
    lat = exif.get("Exif.GPSInfo.GPSLatitude")
    lon = exif.get("Exif.GPSInfo.GPSLongitude")
    lat_ref = exif.get("Exif.GPSInfo.GPSLatitudeRef", "N") or "N"
    lon_ref = exif.get("Exif.GPSInfo.GPSLongitudeRef", "E") or "E"
    dlat = gps_decimal(lat, lat_ref) if lat else None
    dlon = gps_decimal(lon, lon_ref) if lon else None
    if dlat is not None:
        out["GPSLatitude"] = f"{format_dms(dlat)} {'S' if dlat < 0 else 'N'}"
        out["GPSLatitudeDecimal"] = f"{dlat:.6f}"
    if dlon is not None:
        out["GPSLongitude"] = f"{format_dms(dlon)} {'W' if dlon < 0 else 'E'}"
        out["GPSLongitudeDecimal"] = f"{dlon:.6f}"
    if dlat is not None and dlon is not None:
        out["GPSPosition"] = f"{out['GPSLatitude']}, {out['GPSLongitude']}"
    alt = exif.get("Exif.GPSInfo.GPSAltitude")
    if alt:
        a = rationals(alt)
        if a and not math.isnan(a[0]):
            below = exif.get("Exif.GPSInfo.GPSAltitudeRef", "0").strip() == "1"
            out["GPSAltitude"] = f"{plain_number(round(a[0], 1))} m {'Below' if below else 'Above'} Sea Level"
    ts = exif.get("Exif.GPSInfo.GPSTimeStamp")
    if ts:
        t = rationals(ts)
        if len(t) == 3 and not any(math.isnan(v) for v in t):
            whole = int(t[2])
            frac = f"{t[2] - whole:.2f}"[1:].rstrip("0").rstrip(".")  # ".24" or ""
            sec = f"{whole:02d}{frac}"
            out["GPSTimeStamp"] = f"{int(t[0]):02d}:{int(t[1]):02d}:{sec}"
    return out


def _jfif_map(data: bytes) -> dict[str, str]:
    """JFIFVersion (``1.01``) and the JFIF resolution of a JPEG (used when EXIF has none)."""
    if data[:2] != b"\xff\xd8":
        return {}
    from edge.analysis.jpeg import read_jpeg_header

    h = read_jpeg_header(data)
    if h is None or h.jfif is None:
        return {}
    major, minor, unit, xd, yd = h.jfif
    return {"JFIFVersion": f"{major}.{minor:02d}",
            "ResolutionUnit": {0: "None", 1: "inches", 2: "cm"}.get(unit, str(unit)),
            "XResolution": str(xd), "YResolution": str(yd)}


def _iptc_map(iptc: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in iptc.items():
        name = IPTC_TAGS.get(key)
        if name is None:
            continue
        if isinstance(value, list):
            value = ", ".join(v.strip() for v in value if isinstance(v, str) and v.strip())
        _put(out, name, str(value))
    return out


def _xmp_value(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        parts = [v for v in value if isinstance(v, str) and v.strip()]
        return ", ".join(parts) if parts else None
    if isinstance(value, dict):  # language alternatives {'lang="x-default"': text}
        for k, v in value.items():
            if "x-default" in k and isinstance(v, str):
                return v
        first = next((v for v in value.values() if isinstance(v, str)), None)
        return first
    return None


def _xmp_map(xmp: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in xmp.items():
        parts = key.split(".")
        if len(parts) != 3 or any(c in parts[2] for c in "/[]:?"):
            continue  # structures and qualifiers
        name = parts[2][:1].upper() + parts[2][1:]
        text = _xmp_value(value)
        if text is not None:
            _put(out, name, text)
    return out


_log_once = threading.Lock()
_log_set = False


def _read(data: bytes) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    global _log_set
    import pyexiv2

    if not _log_set:
        with _log_once:
            pyexiv2.set_log_level(4)  # exiv2 warnings about odd maker notes go nowhere
            _log_set = True
    try:
        img = pyexiv2.ImageData(data)
    except Exception:  # exiv2 raises RuntimeError (and others) for formats it cannot parse
        return {}, {}, {}
    try:
        out = []
        for reader in (img.read_exif, img.read_iptc, img.read_xmp):
            try:
                out.append(reader())
            except UnicodeDecodeError:
                try:
                    out.append(reader(encoding="latin-1"))
                except Exception:
                    out.append({})
            except Exception:
                out.append({})
        return out[0], out[1], out[2]
    finally:
        img.close()


def read_metadata(data: bytes) -> Metadata:
    """EXIF/IPTC/XMP of an image file's bytes as flat ExifTool-style maps (module docstring).
    Never raises: a file exiv2 cannot parse (or without metadata) gives empty maps."""
    exif, iptc, xmp = _read(data)
    e = _exif_map(exif)
    flat = dict(e)
    for part in (_jfif_map(data), _iptc_map(iptc), _xmp_map(xmp)):
        for k, v in part.items():
            flat.setdefault(k, v)
    return Metadata(flat=flat, exif=e)
