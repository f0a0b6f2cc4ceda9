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
from typing import Any, Callable

__all__ = ["Metadata", "read_metadata", "gps_decimal", "format_dms"]


@dataclass(frozen=True)
class Metadata:
    """`flat`: every supported EXIF/IPTC/XMP key -> string; `exif`: the EXIF/GPS keys only."""

    flat: dict[str, str] = field(default_factory=dict)
    exif: dict[str, str] = field(default_factory=dict)


# -- value helpers ------------------------------------------------------------------------

def _rationals(text: str) -> list[float]:
    out = []
    for part in text.split():
        try:
            if "/" in part:
                n, d = part.split("/", 1)
                out.append(float(n) / float(d) if float(d) else math.nan)
            else:
                out.append(float(part))
        except ValueError:
            out.append(math.nan)
    return out


def _num(x: float) -> str:
    """ExifTool's plain number: integers without a decimal point, others up to 15 digits."""
    if math.isnan(x):
        return ""
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.15g}"


def _exposure(secs: float) -> str:
    """ExifTool PrintExposureTime: ``1/N`` below 0.25001 s, else the number (``%.1f`` trimmed)."""
    if math.isnan(secs):
        return ""
    if 0 < secs < 0.25001:
        return f"1/{int(0.5 + 1 / secs)}"
    s = f"{secs:.1f}"
    return s[:-2] if s.endswith(".0") else s


def _fnumber(x: float) -> str:
    """ExifTool PrintFNumber: 2 decimals below 1.0, else one."""
    if math.isnan(x) or x <= 0:
        return ""
    return f"{x:.2f}" if x < 1 else f"{x:.1f}"


def _fraction(x: float) -> str:
    """ExifTool PrintFraction (exposure compensation): 0, +1, +1/2, -2/3, else ``%+.3g``."""
    if math.isnan(x):
        return ""
    x *= 1.00001
    if not x:
        return "0"
    for k, fmt in ((1, "{:+d}"), (2, "{:+d}/2"), (3, "{:+d}/3")):
        if int(x * k) and int(x * k) / (x * k) > 0.999:
            return fmt.format(int(x * k))
    return f"{x:+.3g}"


def _ascii_bytes(text: str) -> str:
    """exiv2's ``48 50 50 48`` for Undefined bytes -> ``0220``."""
    try:
        return bytes(int(v) for v in text.split()).decode("ascii", "replace").strip("\x00 ")
    except ValueError:
        return text


def format_dms(value: float) -> str:
    """Degrees as ExifTool prints them: ``43 deg 28' 2.81"``."""
    value = abs(value)
    d = int(value)
    m = int((value - d) * 60)
    s = (value - d - m / 60) * 3600
    if round(s, 2) >= 60:  # 59.999 -> next minute
        s, m = 0.0, m + 1
        if m == 60:
            m, d = 0, d + 1
    return f"{d} deg {m}' {s:.2f}\""


def gps_decimal(dms: str, ref: str) -> float | None:
    """exiv2's ``43/1 28/1 281400000/100000000`` + ``N``/``S``/``E``/``W`` -> signed decimal
    degrees, or None when the value is missing or malformed."""
    parts = _rationals(dms)
    if not parts or any(math.isnan(p) for p in parts):
        return None
    parts = (parts + [0.0, 0.0])[:3]
    value = parts[0] + parts[1] / 60 + parts[2] / 3600
    return -value if ref.strip().upper() in ("S", "W") else value


def _table(mapping: dict[int, str]) -> Callable[[str], str]:
    def conv(text: str) -> str:
        try:
            return mapping.get(int(text.split()[0]), text)
        except (ValueError, IndexError):
            return text
    return conv


_ORIENTATION = {1: "Horizontal (normal)", 2: "Mirror horizontal", 3: "Rotate 180", 4: "Mirror vertical",
                5: "Mirror horizontal and rotate 270 CW", 6: "Rotate 90 CW",
                7: "Mirror horizontal and rotate 90 CW", 8: "Rotate 270 CW"}
_FLASH = {
    0x00: "No Flash", 0x01: "Fired", 0x05: "Fired, Return not detected", 0x07: "Fired, Return detected",
    0x08: "On, Did not fire", 0x09: "On, Fired", 0x0D: "On, Return not detected", 0x0F: "On, Return detected",
    0x10: "Off, Did not fire", 0x14: "Off, Did not fire, Return not detected", 0x18: "Auto, Did not fire",
    0x19: "Auto, Fired", 0x1D: "Auto, Fired, Return not detected", 0x1F: "Auto, Fired, Return detected",
    0x20: "No flash function", 0x30: "Off, No flash function", 0x41: "Fired, Red-eye reduction",
    0x45: "Fired, Red-eye reduction, Return not detected", 0x47: "Fired, Red-eye reduction, Return detected",
    0x49: "On, Red-eye reduction", 0x4D: "On, Red-eye reduction, Return not detected",
    0x4F: "On, Red-eye reduction, Return detected", 0x50: "Off, Red-eye reduction",
    0x58: "Auto, Did not fire, Red-eye reduction", 0x59: "Auto, Fired, Red-eye reduction",
    0x5D: "Auto, Fired, Red-eye reduction, Return not detected",
    0x5F: "Auto, Fired, Red-eye reduction, Return detected",
}
_TEXT = lambda t: t.strip().strip("\x00").strip()  # noqa: E731


def _user_comment(text: str) -> str:
    return re.sub(r"^charset=\S+\s*", "", text).strip()


def _components(text: str) -> str:
    names = {0: "-", 1: "Y", 2: "Cb", 3: "Cr", 4: "R", 5: "G", 6: "B"}
    try:
        return ", ".join(names.get(int(v), "?") for v in text.split())
    except ValueError:
        return text


def _rational(fn: Callable[[float], str]) -> Callable[[str], str]:
    def conv(text: str) -> str:
        r = _rationals(text)
        return fn(r[0]) if r else ""
    return conv


def _apex_time(x: float) -> str:
    return _exposure(2 ** -x) if not math.isnan(x) and abs(x) < 100 else ""


def _apex_aperture(x: float) -> str:
    return f"{2 ** (x / 2):.1f}" if not math.isnan(x) and abs(x) < 100 else ""


# exiv2 key -> (ExifTool name, converter)
_EXIF: dict[str, tuple[str, Callable[[str], str]]] = {
    "Exif.Image.Make": ("Make", _TEXT),
    "Exif.Image.Model": ("Model", _TEXT),
    "Exif.Image.Software": ("Software", _TEXT),
    "Exif.Image.Artist": ("Artist", _TEXT),
    "Exif.Image.Copyright": ("Copyright", _TEXT),
    "Exif.Image.ImageDescription": ("ImageDescription", _TEXT),
    "Exif.Image.Orientation": ("Orientation", _table(_ORIENTATION)),
    "Exif.Image.XResolution": ("XResolution", _rational(_num)),
    "Exif.Image.YResolution": ("YResolution", _rational(_num)),
    "Exif.Image.ResolutionUnit": ("ResolutionUnit", _table({1: "None", 2: "inches", 3: "cm"})),
    "Exif.Image.DateTime": ("ModifyDate", _TEXT),
    "Exif.Image.YCbCrPositioning": ("YCbCrPositioning", _table({1: "Centered", 2: "Co-sited"})),
    "Exif.Photo.DateTimeOriginal": ("DateTimeOriginal", _TEXT),
    "Exif.Photo.DateTimeDigitized": ("CreateDate", _TEXT),
    "Exif.Photo.ExposureTime": ("ExposureTime", _rational(_exposure)),
    "Exif.Photo.ShutterSpeedValue": ("ShutterSpeedValue", _rational(_apex_time)),
    "Exif.Photo.FNumber": ("FNumber", _rational(_fnumber)),
    "Exif.Photo.ApertureValue": ("ApertureValue", _rational(_apex_aperture)),
    "Exif.Photo.MaxApertureValue": ("MaxApertureValue", _rational(_apex_aperture)),
    "Exif.Photo.ISOSpeedRatings": ("ISO", lambda t: ", ".join(t.split())),
    "Exif.Photo.ExposureBiasValue": ("ExposureCompensation", _rational(_fraction)),
    "Exif.Photo.ExposureProgram": ("ExposureProgram", _table({
        0: "Not Defined", 1: "Manual", 2: "Program AE", 3: "Aperture-priority AE",
        4: "Shutter speed priority AE", 5: "Creative (Slow speed)", 6: "Action (High speed)",
        7: "Portrait", 8: "Landscape", 9: "Bulb"})),
    "Exif.Photo.MeteringMode": ("MeteringMode", _table({
        0: "Unknown", 1: "Average", 2: "Center-weighted average", 3: "Spot", 4: "Multi-spot",
        5: "Multi-segment", 6: "Partial", 255: "Other"})),
    "Exif.Photo.LightSource": ("LightSource", _table({
        0: "Unknown", 1: "Daylight", 2: "Fluorescent", 3: "Tungsten (Incandescent)", 4: "Flash",
        9: "Fine Weather", 10: "Cloudy", 11: "Shade", 12: "Daylight Fluorescent",
        13: "Day White Fluorescent", 14: "Cool White Fluorescent", 15: "White Fluorescent",
        17: "Standard Light A", 18: "Standard Light B", 19: "Standard Light C", 20: "D55", 21: "D65",
        22: "D75", 23: "D50", 24: "ISO Studio Tungsten", 255: "Other"})),
    "Exif.Photo.Flash": ("Flash", _table(_FLASH)),
    "Exif.Photo.FocalLength": ("FocalLength", _rational(lambda x: "" if math.isnan(x) else f"{x:.1f} mm")),
    "Exif.Photo.FocalLengthIn35mmFilm": ("FocalLengthIn35mmFormat", lambda t: f"{t.strip()} mm" if t.strip() else ""),
    "Exif.Photo.ExifVersion": ("ExifVersion", _ascii_bytes),
    "Exif.Photo.FlashpixVersion": ("FlashpixVersion", _ascii_bytes),
    "Exif.Photo.ComponentsConfiguration": ("ComponentsConfiguration", _components),
    "Exif.Photo.ColorSpace": ("ColorSpace", _table({1: "sRGB", 2: "Adobe RGB", 0xFFFF: "Uncalibrated", 0xFFFD: "Wide Gamut RGB", 0xFFFE: "ICC Profile"})),
    "Exif.Photo.PixelXDimension": ("ExifImageWidth", _TEXT),
    "Exif.Photo.PixelYDimension": ("ExifImageHeight", _TEXT),
    "Exif.Photo.ExposureMode": ("ExposureMode", _table({0: "Auto", 1: "Manual", 2: "Auto bracket"})),
    "Exif.Photo.WhiteBalance": ("WhiteBalance", _table({0: "Auto", 1: "Manual"})),
    "Exif.Photo.SceneCaptureType": ("SceneCaptureType", _table({0: "Standard", 1: "Landscape", 2: "Portrait", 3: "Night", 4: "Other"})),
    "Exif.Photo.Contrast": ("Contrast", _table({0: "Normal", 1: "Low", 2: "High"})),
    "Exif.Photo.Saturation": ("Saturation", _table({0: "Normal", 1: "Low", 2: "High"})),
    "Exif.Photo.Sharpness": ("Sharpness", _table({0: "Normal", 1: "Soft", 2: "Hard"})),
    "Exif.Photo.SensingMethod": ("SensingMethod", _table({
        1: "Not defined", 2: "One-chip color area", 3: "Two-chip color area", 4: "Three-chip color area",
        5: "Color sequential area", 7: "Trilinear", 8: "Color sequential linear"})),
    "Exif.Photo.FocalPlaneResolutionUnit": ("FocalPlaneResolutionUnit", _table({1: "None", 2: "inches", 3: "cm", 4: "mm", 5: "um"})),
    "Exif.Photo.SensitivityType": ("SensitivityType", _table({
        0: "Unknown", 1: "Standard Output Sensitivity", 2: "Recommended Exposure Index", 3: "ISO Speed",
        4: "Standard Output Sensitivity and Recommended Exposure Index",
        5: "Standard Output Sensitivity and ISO Speed", 6: "Recommended Exposure Index and ISO Speed",
        7: "Standard Output Sensitivity, Recommended Exposure Index and ISO Speed"})),
    "Exif.Photo.FileSource": ("FileSource", _table({1: "Film Scanner", 2: "Reflection Print Scanner", 3: "Digital Camera"})),
    "Exif.Photo.SceneType": ("SceneType", _table({1: "Directly photographed"})),
    "Exif.Photo.CustomRendered": ("CustomRendered", _table({0: "Normal", 1: "Custom"})),
    "Exif.Photo.GainControl": ("GainControl", _table({0: "None", 1: "Low gain up", 2: "High gain up", 3: "Low gain down", 4: "High gain down"})),
    "Exif.Photo.SubjectDistanceRange": ("SubjectDistanceRange", _table({0: "Unknown", 1: "Macro", 2: "Close", 3: "Distant"})),
    "Exif.Photo.DigitalZoomRatio": ("DigitalZoomRatio", _rational(_num)),
    "Exif.Photo.UserComment": ("UserComment", _user_comment),
    "Exif.Photo.LensMake": ("LensMake", _TEXT),
    "Exif.Photo.LensModel": ("LensModel", _TEXT),
    "Exif.Photo.BodySerialNumber": ("SerialNumber", _TEXT),
    "Exif.Photo.LensSerialNumber": ("LensSerialNumber", _TEXT),
    "Exif.Photo.CameraOwnerName": ("OwnerName", _TEXT),
    "Exif.Photo.ISOSpeed": ("ISOSpeed", _TEXT),
    "Exif.GPSInfo.GPSVersionID": ("GPSVersionID", lambda t: ".".join(t.split())),
    "Exif.GPSInfo.GPSLatitudeRef": ("GPSLatitudeRef", lambda t: {"N": "North", "S": "South"}.get(t.strip().upper(), t.strip())),
    "Exif.GPSInfo.GPSLongitudeRef": ("GPSLongitudeRef", lambda t: {"E": "East", "W": "West"}.get(t.strip().upper(), t.strip())),
    "Exif.GPSInfo.GPSAltitudeRef": ("GPSAltitudeRef", _table({0: "Above Sea Level", 1: "Below Sea Level"})),
    "Exif.GPSInfo.GPSDateStamp": ("GPSDateStamp", _TEXT),
    "Exif.GPSInfo.GPSMapDatum": ("GPSMapDatum", _TEXT),
    "Exif.GPSInfo.GPSSatellites": ("GPSSatellites", _TEXT),
}
# EXIF tags never reported (pointers, binary, handled as composites, thumbnail layout)
_SKIP = {
    "Exif.Image.ExifTag", "Exif.Image.GPSTag", "Exif.Photo.InteroperabilityTag", "Exif.Photo.MakerNote",
    "Exif.Image.PrintImageMatching", "Exif.Image.XMLPacket", "Exif.Image.IPTCNAA", "Exif.Image.InterColorProfile",
    "Exif.GPSInfo.GPSLatitude", "Exif.GPSInfo.GPSLongitude", "Exif.GPSInfo.GPSAltitude", "Exif.GPSInfo.GPSTimeStamp",
    "Exif.Image.ImageResources", "Exif.Image.DNGPrivateData", "Exif.Photo.OECF", "Exif.Photo.SpatialFrequencyResponse",
    "Exif.Photo.DeviceSettingDescription", "Exif.Photo.CFAPattern",
}

_IPTC = {
    "Iptc.Application2.Keywords": "Keywords", "Iptc.Application2.ObjectName": "ObjectName",
    "Iptc.Application2.Caption": "Caption-Abstract", "Iptc.Application2.Byline": "By-line",
    "Iptc.Application2.BylineTitle": "By-lineTitle", "Iptc.Application2.Headline": "Headline",
    "Iptc.Application2.Credit": "Credit", "Iptc.Application2.Source": "Source",
    "Iptc.Application2.City": "City", "Iptc.Application2.SubLocation": "Sub-location",
    "Iptc.Application2.ProvinceState": "Province-State",
    "Iptc.Application2.CountryName": "Country-PrimaryLocationName",
    "Iptc.Application2.CountryCode": "Country-PrimaryLocationCode",
    "Iptc.Application2.Copyright": "CopyrightNotice", "Iptc.Application2.Writer": "Writer-Editor",
    "Iptc.Application2.DateCreated": "DateCreated", "Iptc.Application2.TimeCreated": "TimeCreated",
    "Iptc.Application2.Category": "Category", "Iptc.Application2.SuppCategory": "SupplementalCategories",
    "Iptc.Application2.SpecialInstructions": "SpecialInstructions",
    "Iptc.Application2.TransmissionReference": "OriginalTransmissionReference",
}


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
        value = " ".join(_num(v) for v in _rationals(value))
    return name, _TEXT(value)


def _exif_map(exif: dict[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in exif.items():
        if not isinstance(value, str):
            value = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        if key in _SKIP or not key.startswith(("Exif.Image.", "Exif.Photo.", "Exif.GPSInfo.")):
            continue
        if key in _EXIF:
            name, conv = _EXIF[key]
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
        a = _rationals(alt)
        if a and not math.isnan(a[0]):
            below = exif.get("Exif.GPSInfo.GPSAltitudeRef", "0").strip() == "1"
            out["GPSAltitude"] = f"{_num(round(a[0], 1))} m {'Below' if below else 'Above'} Sea Level"
    ts = exif.get("Exif.GPSInfo.GPSTimeStamp")
    if ts:
        t = _rationals(ts)
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
        name = _IPTC.get(key)
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
