"""A small JPEG header reader: quantisation tables (DQT), component sampling factors (SOF) and the
JFIF APP0 segment, and the IJG quality estimate derived from them.  Reads marker segments from SOI up to the first
SOS (ITU-T T.81 / ISO 10918-1 §B.2); never decodes entropy-coded data.

Quality estimate: libjpeg (IJG) builds its tables by scaling the example tables of T.81 Annex K
(Table K.1 luminance, K.2 chrominance) with ``scale = 5000 / q`` for q < 50 and
``200 - 2 q`` otherwise, ``entry = clamp((base * scale + 50) // 100, 1, 255)`` (libjpeg
``jcparam.c``: ``jpeg_quality_scaling`` and ``jpeg_add_quant_table`` with force_baseline).  The
estimate is the q in 1..100 whose IJG tables are closest (sum of absolute differences over the
luminance and, when present, the first chrominance table) to the file's tables; for files made by
libjpeg/libjpeg-turbo/mozjpeg (in IJG mode) and libvips this is the exact setting.  Encoders with
other tables (Photoshop, cameras) get the nearest IJG-equivalent quality.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["JpegHeader", "read_jpeg_header", "estimate_quality", "chroma_ratio", "subsampling_name", "ANNEX_K_LUMA", "ANNEX_K_CHROMA"]

#: T.81 Annex K Table K.1 (luminance), natural (row-major) order
ANNEX_K_LUMA = np.array([
    16, 11, 10, 16, 24, 40, 51, 61,
    12, 12, 14, 19, 26, 58, 60, 55,
    14, 13, 16, 24, 40, 57, 69, 56,
    14, 17, 22, 29, 51, 87, 80, 62,
    18, 22, 37, 56, 68, 109, 103, 77,
    24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101,
    72, 92, 95, 98, 112, 100, 103, 99,
], dtype=np.int64)
#: T.81 Annex K Table K.2 (chrominance), natural order
ANNEX_K_CHROMA = np.array([
    17, 18, 24, 47, 99, 99, 99, 99,
    18, 21, 26, 66, 99, 99, 99, 99,
    24, 26, 56, 99, 99, 99, 99, 99,
    47, 66, 99, 99, 99, 99, 99, 99,
] + [99] * 32, dtype=np.int64)

#: zigzag position k -> natural index (T.81 Figure A.6)
ZIGZAG = np.array([
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20,
    13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52,
    45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
])

_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


@dataclass(frozen=True)
class JpegHeader:
    """What the header says: `tables` {table id: (64,) int array, natural order}, `components`
    [(component id, H, V, table id)], `width`/`height` px, `progressive`, `precision` bits,
    `jfif`: (major, minor, density unit 0/1/2, x density, y density) of an APP0 JFIF segment, or
    None."""

    tables: dict[int, np.ndarray]
    components: list[tuple[int, int, int, int]]
    width: int
    height: int
    progressive: bool
    precision: int
    jfif: tuple[int, int, int, int, int] | None = None


def read_jpeg_header(data: bytes) -> JpegHeader | None:
    """Parse DQT and SOF segments of JPEG `data`; None when it is not a JPEG or the header is
    malformed/truncated before a SOF."""
    if len(data) < 4 or data[:2] != b"\xff\xd8":
        return None
    tables: dict[int, np.ndarray] = {}
    comps: list[tuple[int, int, int, int]] = []
    size = (0, 0)
    progressive = False
    precision = 8
    jfif = None
    i, n = 2, len(data)
    try:
        while i + 4 <= n:
            if data[i] != 0xFF:
                return None
            marker = data[i + 1]
            if marker == 0xFF:  # fill byte
                i += 1
                continue
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                i += 2
                continue
            length = int.from_bytes(data[i + 2:i + 4], "big")
            seg = data[i + 4:i + 2 + length]
            if length < 2 or len(seg) != length - 2:
                return None
            if marker == 0xE0 and seg[:5] == b"JFIF\x00" and len(seg) >= 12:
                jfif = (seg[5], seg[6], seg[7], int.from_bytes(seg[8:10], "big"), int.from_bytes(seg[10:12], "big"))
            elif marker == 0xDB:
                j = 0
                while j < len(seg):
                    pq, tq = seg[j] >> 4, seg[j] & 15
                    j += 1
                    if pq:
                        vals = np.frombuffer(seg[j:j + 128], dtype=">u2").astype(np.int64)
                        j += 128
                    else:
                        vals = np.frombuffer(seg[j:j + 64], dtype=np.uint8).astype(np.int64)
                        j += 64
                    if vals.size != 64:
                        return None
                    natural = np.zeros(64, np.int64)
                    natural[ZIGZAG] = vals
                    tables[tq] = natural
            elif marker in _SOF:
                precision = seg[0]
                size = (int.from_bytes(seg[3:5], "big"), int.from_bytes(seg[1:3], "big"))
                progressive = marker in (0xC2, 0xC6, 0xCA, 0xCE)
                for k in range(seg[5]):
                    c = seg[6 + 3 * k:9 + 3 * k]
                    comps.append((c[0], c[1] >> 4, c[1] & 15, c[2]))
            elif marker in (0xDA, 0xD9):  # SOS / EOI: the header is over
                break
            i += 2 + length
    except (IndexError, ValueError):
        return None
    if not comps:
        return None
    return JpegHeader(tables, comps, size[0], size[1], progressive, precision, jfif)


def _ijg(base: np.ndarray, q: int, limit: int) -> np.ndarray:
    scale = 5000 // q if q < 50 else 200 - 2 * q
    return np.clip((base * scale + 50) // 100, 1, limit)


def estimate_quality(header: JpegHeader) -> int | None:
    """IJG quality 1..100 whose tables best match `header`'s (module docstring); None without a
    luminance table."""
    if not header.components:
        return None
    luma = header.tables.get(header.components[0][3])
    if luma is None:
        return None
    chroma = header.tables.get(header.components[1][3]) if len(header.components) >= 3 else None
    if chroma is not None and chroma is luma:
        chroma = None
    limit = 255 if int(max(luma.max(), (chroma.max() if chroma is not None else 0))) <= 255 else 32767
    best, best_err = None, None
    for q in range(1, 101):
        err = int(np.abs(_ijg(ANNEX_K_LUMA, q, limit) - luma).sum())
        if chroma is not None:
            err += int(np.abs(_ijg(ANNEX_K_CHROMA, q, limit) - chroma).sum())
        if best_err is None or err < best_err:
            best, best_err = q, err
    return best


def chroma_ratio(header: JpegHeader) -> float:
    """Chroma samples per luma sample: 1.0 for 4:4:4 (or greyscale), 0.5 for 4:2:2 / 4:4:0,
    0.25 for 4:2:0 / 4:1:1 (from the SOF sampling factors)."""
    if len(header.components) < 3:
        return 1.0
    _, hy, vy, _ = header.components[0]
    _, hc, vc, _ = header.components[1]
    return round(min(1.0, (hc * vc) / max(1, hy * vy)), 4)


def subsampling_name(header: JpegHeader) -> str:
    """``4:4:4``, ``4:2:2``, ``4:2:0``, ``4:4:0``, ``4:1:1`` or ``HxV`` factors of luma."""
    if len(header.components) < 3:
        return "4:4:4"
    _, hy, vy, _ = header.components[0]
    _, hc, vc, _ = header.components[1]
    h, v = hy // max(hc, 1), vy // max(vc, 1)
    return {(1, 1): "4:4:4", (2, 1): "4:2:2", (2, 2): "4:2:0", (1, 2): "4:4:0", (4, 1): "4:1:1"}.get((h, v), f"{h}x{v}")
