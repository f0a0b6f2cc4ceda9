"""image_metadata / exif from the camera files in tests/images, checked against an independent
reading (PIL's EXIF parser) where one exists; IPTC/XMP written into a real photo with exiv2."""

from __future__ import annotations

import io

import pyexiv2
import pytest
from PIL import Image

from edge.analysis.metadata import format_dms, gps_decimal, read_metadata


def _pil_gps(data: bytes) -> tuple[float, float]:
    gps = Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)
    def deg(v, ref):
        d = float(v[0]) + float(v[1]) / 60 + float(v[2]) / 3600
        return -d if ref in ("S", "W") else d
    return deg(gps[2], gps[1]), deg(gps[4], gps[3])


def test_nikon_make_model_exposure_and_gps(image_bytes, analyze_with):
    data = image_bytes("exif_gps_nikon_DSCN0010.jpg")
    out = analyze_with(data, image_metadata=True, exif=True)
    m = out["image_metadata"]
    assert m["Make"] == "NIKON" and m["Model"] == "COOLPIX P6000"
    assert m["Orientation"] == "Horizontal (normal)"
    assert m["DateTimeOriginal"] == "2008:10:22 16:28:39"
    assert m["ExposureTime"] == "1/75" and m["FNumber"] == "5.9" and m["ISO"] == "64"
    assert m["FocalLength"] == "24.0 mm" and m["Flash"] == "Off, Did not fire"
    assert m["ExifVersion"] == "0220" and m["ExifImageWidth"] == "640"
    lat, lon = _pil_gps(data)
    assert round(float(m["GPSLatitudeDecimal"]), 4) == round(lat, 4) == 43.4674
    assert round(float(m["GPSLongitudeDecimal"]), 4) == round(lon, 4) == 11.8851
    assert m["GPSLatitude"] == "43 deg 28' 2.81\" N"
    assert m["GPSLongitude"] == "11 deg 53' 6.46\" E"
    assert m["GPSPosition"] == "43 deg 28' 2.81\" N, 11 deg 53' 6.46\" E"
    assert m["GPSLatitudeRef"] == "North" and m["GPSTimeStamp"] == "14:27:07.24"
    assert all(isinstance(v, str) and v for v in m.values())
    # exif: EXIF keys only (no XMP Rating), same values
    assert "Rating" in m and "Rating" not in out["exif"]
    assert out["exif"]["Make"] == "NIKON" and out["exif"]["GPSLatitudeDecimal"] == m["GPSLatitudeDecimal"]


def test_canon_orientation_6_with_gps(image_bytes, analyze_with):
    data = image_bytes("exif_orient6_gps_canon.jpg")
    m = analyze_with(data, media_metadata=True)["image_metadata"]
    assert m["Make"] == "Canon" and m["Model"] == "Canon PowerShot SX60 HS"
    assert m["Orientation"] == "Rotate 90 CW"
    assert Image.open(io.BytesIO(data)).getexif()[0x0112] == 6
    lat, lon = _pil_gps(data)
    assert round(float(m["GPSLatitudeDecimal"]), 4) == round(lat, 4)
    assert round(float(m["GPSLongitudeDecimal"]), 4) == round(lon, 4)
    assert m["ExposureTime"] == "1/60" and m["FNumber"] == "5.6" and m["ExposureCompensation"] == "+1"


def test_gps_version_only_has_no_position(image_bytes, analyze_with):
    m = analyze_with(image_bytes("exif_orient6_gpsversion_only_canon.jpg"), image_metadata=True)["image_metadata"]
    assert m["Orientation"] == "Rotate 90 CW" and m["GPSVersionID"] == "2.3.0.0"
    assert not any(k in m for k in ("GPSLatitude", "GPSLongitude", "GPSPosition", "GPSLatitudeDecimal"))


def test_iptc_keywords_and_xmp_creator_written_by_exiv2(image_bytes):
    img = pyexiv2.ImageData(image_bytes("landscape_aitzgorri.jpg"))
    try:
        img.modify_iptc({"Iptc.Application2.Keywords": ["mountain", "Aitzgorri"],
                         "Iptc.Application2.City": "Zegama"})
        img.modify_xmp({"Xmp.dc.creator": ["Ana Etxeberria"], "Xmp.xmp.Rating": "4",
                        "Xmp.dc.title": {'lang="x-default"': "Ridge"}})
        data = img.get_bytes()
    finally:
        img.close()
    meta = read_metadata(data)
    assert meta.flat["Keywords"] == "mountain, Aitzgorri"
    assert meta.flat["City"] == "Zegama"
    assert meta.flat["Creator"] == "Ana Etxeberria"
    assert meta.flat["Rating"] == "4" and meta.flat["Title"] == "Ridge"
    assert "Keywords" not in meta.exif and "Creator" not in meta.exif


@pytest.mark.parametrize("name", ["animated_tiny.gif", "broken_text_file.jpg", "coffee.png"])
def test_files_without_metadata_give_empty_maps(image_bytes, name):
    meta = read_metadata(image_bytes(name))
    assert meta.flat == {} and meta.exif == {}


def test_jfif_only_jpeg(image_bytes):
    data = image_bytes("landscape_aitzgorri.jpg")
    assert data[6:11] == b"JFIF\x00" and data[11:13] == b"\x01\x01"
    meta = read_metadata(data)
    assert meta.exif == {}
    assert meta.flat == {"JFIFVersion": "1.01", "ResolutionUnit": "inches", "XResolution": "72", "YResolution": "72"}


def test_read_metadata_never_raises_on_garbage():
    assert read_metadata(b"").flat == {}
    assert read_metadata(b"\xff\xd8\xff\xe1\x00\x10Exif\x00\x00garbage").flat == {}


def test_dms_helpers():
    assert gps_decimal("43/1 28/1 281400000/100000000", "N") == pytest.approx(43.467448, abs=1e-6)
    assert gps_decimal("122/1 25/1 10/1", "W") == pytest.approx(-122.419444, abs=1e-6)
    assert gps_decimal("1/0 x", "N") is None
    assert format_dms(-33.8688) == "33 deg 52' 7.68\""
    assert format_dms(10.99999999) == "11 deg 0' 0.00\""
