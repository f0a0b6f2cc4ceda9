"""Percent-escaping exactly as the official SDK's `smart_escape` (spec §15), and its strict
inverse for the raw path.

Every byte outside `[A-Za-z0-9_.\\-/:]` of the UTF-8 encoding becomes `%XX` (upper-case hex).
"""

from __future__ import annotations

from urllib.parse import quote, unquote

from .errors import UrlError

__all__ = ["smart_escape", "unescape"]

_SAFE = "_.-/:"


def smart_escape(text: str) -> str:
    """Escape `text` like `cloudinary.utils.smart_escape` (`a b` -> `a%20b`, `ß` -> `%C3%9F`).

    `~` is escaped too (`%7E`), as the SDK does.
    """
    return quote(text, safe=_SAFE).replace("~", "%7E")


def unescape(text: str, what: str) -> str:
    """Percent-decode `text` (`a%20b` -> `a b`, `%C3%9F` -> `ß`); the bytes must be UTF-8.

    Raises UrlError ("Invalid <what>: not UTF-8") otherwise.
    """
    try:
        return unquote(text, errors="strict")
    except UnicodeDecodeError:
        raise UrlError(f"Invalid {what}: not UTF-8") from None
