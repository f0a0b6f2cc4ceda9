"""Percent-escaping exactly as the official SDK's `smart_escape` (spec §15).

Every byte outside `[A-Za-z0-9_.\\-/:]` of the UTF-8 encoding becomes `%XX` (upper-case hex).
"""

from __future__ import annotations

from urllib.parse import quote

__all__ = ["smart_escape"]

_SAFE = "_.-/:"


def smart_escape(text: str) -> str:
    """Escape `text` like `cloudinary.utils.smart_escape` (`a b` -> `a%20b`, `ß` -> `%C3%9F`).

    `~` is escaped too (`%7E`), as the SDK does.
    """
    return quote(text, safe=_SAFE).replace("~", "%7E")
