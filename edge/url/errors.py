"""Errors of the delivery-URL layer."""

from __future__ import annotations

import re

__all__ = ["UrlError", "SignatureSegmentError", "MAX_MESSAGE"]

#: longest message kept (characters); longer ones are cut and end with `...`.
MAX_MESSAGE = 160
_UNSAFE = re.compile(r"[^\x20-\x7e]")


class UrlError(ValueError):
    """A delivery path that is malformed, names an unknown key, or holds an out-of-range value.

    The message is short and names the component and parameter at fault (for example
    ``Invalid value for w: -5 in component 1``); the server sends it as the `X-Cld-Error`
    header with HTTP 400.  To be header-safe the message is printable ASCII only (anything
    else, including CR/LF, becomes a `\\xNN`-style escape) and at most `MAX_MESSAGE` chars.
    """

    def __init__(self, message: str = "Invalid URL") -> None:
        text = _UNSAFE.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), str(message))
        if len(text) > MAX_MESSAGE:
            text = text[: MAX_MESSAGE - 3] + "..."
        super().__init__(text)


class SignatureSegmentError(UrlError):
    """A malformed or misplaced `s--<signature>--` segment (wrong length or alphabet, empty,
    placed after a transformation component or repeated).  The server answers it as any other
    bad signature (HTTP 401, `status`), so clients and CDNs see one status for "not
    authorised"; as a UrlError it is still a malformed path for callers that only parse."""

    status = 401
