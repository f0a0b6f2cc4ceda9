"""Errors of the delivery-URL layer."""

from __future__ import annotations

__all__ = ["UrlError"]


class UrlError(ValueError):
    """A delivery path that is malformed, names an unknown key, or holds an out-of-range value.

    The message is short and names the component and parameter at fault (for example
    ``Invalid value for w: -5``); the server sends it as the `X-Cld-Error` header with HTTP 400.
    """
