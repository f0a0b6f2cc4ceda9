"""The supported EXIF, GPS and IPTC tags: exiv2 key -> ExifTool tag name, and ExifTool's print
conversion of each value (re-implemented for these tags from the tag tables of ExifTool by Phil
Harvey: Image::ExifTool::Exif, ::GPS and ::IPTC).  Values arrive as exiv2's text (rationals as
`num/den`, several values space-separated); every converter returns a string, '' for a value it
cannot read.  The key table is in `edge.analysis.metadata`.
"""

from __future__ import annotations

import math
import re
from typing import Callable

__all__ = [
    "EXIF_TAGS", "SKIPPED_EXIF", "IPTC_TAGS", "rationals", "plain_number", "trimmed", "format_dms", "gps_decimal",
]


def rationals(text: str) -> list[float]:
    """The numbers of exiv2's text `n/d n/d ...` or `n n ...` (NaN for a zero denominator or a
    part that is not a number)."""
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


def plain_number(x: float) -> str:
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
    parts = rationals(dms)
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
#: Text with the padding cameras write (spaces, NULs) trimmed.
trimmed = lambda t: t.strip().strip("\x00").strip()  # noqa: E731


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
        r = rationals(text)
        return fn(r[0]) if r else ""
    return conv


def _apex_time(x: float) -> str:
    return _exposure(2 ** -x) if not math.isnan(x) and abs(x) < 100 else ""


def _apex_aperture(x: float) -> str:
    return f"{2 ** (x / 2):.1f}" if not math.isnan(x) and abs(x) < 100 else ""


# exiv2 key -> (ExifTool name, converter)
EXIF_TAGS: dict[str, tuple[str, Callable[[str], str]]] = {
    "Exif.Image.Make": ("Make", trimmed),
    "Exif.Image.Model": ("Model", trimmed),
    "Exif.Image.Software": ("Software", trimmed),
    "Exif.Image.Artist": ("Artist", trimmed),
    "Exif.Image.Copyright": ("Copyright", trimmed),
    "Exif.Image.ImageDescription": ("ImageDescription", trimmed),
    "Exif.Image.Orientation": ("Orientation", _table(_ORIENTATION)),
    "Exif.Image.XResolution": ("XResolution", _rational(plain_number)),
    "Exif.Image.YResolution": ("YResolution", _rational(plain_number)),
    "Exif.Image.ResolutionUnit": ("ResolutionUnit", _table({1: "None", 2: "inches", 3: "cm"})),
    "Exif.Image.DateTime": ("ModifyDate", trimmed),
    "Exif.Image.YCbCrPositioning": ("YCbCrPositioning", _table({1: "Centered", 2: "Co-sited"})),
    "Exif.Photo.DateTimeOriginal": ("DateTimeOriginal", trimmed),
    "Exif.Photo.DateTimeDigitized": ("CreateDate", trimmed),
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
    "Exif.Photo.PixelXDimension": ("ExifImageWidth", trimmed),
    "Exif.Photo.PixelYDimension": ("ExifImageHeight", trimmed),
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
    "Exif.Photo.DigitalZoomRatio": ("DigitalZoomRatio", _rational(plain_number)),
    "Exif.Photo.UserComment": ("UserComment", _user_comment),
    "Exif.Photo.LensMake": ("LensMake", trimmed),
    "Exif.Photo.LensModel": ("LensModel", trimmed),
    "Exif.Photo.BodySerialNumber": ("SerialNumber", trimmed),
    "Exif.Photo.LensSerialNumber": ("LensSerialNumber", trimmed),
    "Exif.Photo.CameraOwnerName": ("OwnerName", trimmed),
    "Exif.Photo.ISOSpeed": ("ISOSpeed", trimmed),
    "Exif.GPSInfo.GPSVersionID": ("GPSVersionID", lambda t: ".".join(t.split())),
    "Exif.GPSInfo.GPSLatitudeRef": ("GPSLatitudeRef", lambda t: {"N": "North", "S": "South"}.get(t.strip().upper(), t.strip())),
    "Exif.GPSInfo.GPSLongitudeRef": ("GPSLongitudeRef", lambda t: {"E": "East", "W": "West"}.get(t.strip().upper(), t.strip())),
    "Exif.GPSInfo.GPSAltitudeRef": ("GPSAltitudeRef", _table({0: "Above Sea Level", 1: "Below Sea Level"})),
    "Exif.GPSInfo.GPSDateStamp": ("GPSDateStamp", trimmed),
    "Exif.GPSInfo.GPSMapDatum": ("GPSMapDatum", trimmed),
    "Exif.GPSInfo.GPSSatellites": ("GPSSatellites", trimmed),
}
# EXIF tags never reported (pointers, binary, handled as composites, thumbnail layout)
SKIPPED_EXIF = {
    "Exif.Image.ExifTag", "Exif.Image.GPSTag", "Exif.Photo.InteroperabilityTag", "Exif.Photo.MakerNote",
    "Exif.Image.PrintImageMatching", "Exif.Image.XMLPacket", "Exif.Image.IPTCNAA", "Exif.Image.InterColorProfile",
    "Exif.GPSInfo.GPSLatitude", "Exif.GPSInfo.GPSLongitude", "Exif.GPSInfo.GPSAltitude", "Exif.GPSInfo.GPSTimeStamp",
    "Exif.Image.ImageResources", "Exif.Image.DNGPrivateData", "Exif.Photo.OECF", "Exif.Photo.SpatialFrequencyResponse",
    "Exif.Photo.DeviceSettingDescription", "Exif.Photo.CFAPattern",
}

IPTC_TAGS = {
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
