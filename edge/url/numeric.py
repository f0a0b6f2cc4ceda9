"""Plain numbers written in a delivery URL (`400`, `-20`, `0.5`, `16:9`): recognition and
checked conversion.

Every number literal of the URL is converted here, so an absurd one (thousands of digits, which
Python's `int()` refuses, or a decimal that overflows a float to `inf`, or a ratio that does)
is a UrlError (HTTP 400) at parse time instead of a ValueError/OverflowError further down.
"""

from __future__ import annotations

import math
import re

from .errors import UrlError

__all__ = ["is_number", "to_int", "to_float", "ratio", "MAX_INT_DIGITS"]

#: most digits accepted in an integer literal: any int64 fits (a version is a 10-digit Unix time).
MAX_INT_DIGITS = 18
_NUMBER = re.compile(r"-?(\d+\.?\d*|\.\d+)\Z")


def _bad(what: str, text: str) -> UrlError:
    return UrlError(f"Invalid value for {what}: {text}")


def is_number(text: str) -> bool:
    """True when `text` is a plain decimal number (`3`, `-2`, `0.5`, `1.`, `.5`)."""
    return _NUMBER.match(text) is not None


def to_int(text: str, what: str) -> int:
    """`text` (already matched as `-?<digits>`) as an int.

    Raises UrlError ("Invalid value for <what>: <text>") past `MAX_INT_DIGITS` digits.
    """
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise _bad(what, text)
    return int(text)


def to_float(text: str, what: str) -> float:
    """`text` (already matched as a decimal number) as a finite float.

    Raises UrlError ("Invalid value for <what>: <text>") when it overflows to `inf`.
    """
    value = float(text)
    if not math.isfinite(value):
        raise _bad(what, text)
    return value


def ratio(numerator: str, denominator: str, what: str) -> float:
    """`<numerator>:<denominator>` (`16:9`, both decimal texts) as the float quotient.

    Raises UrlError ("Invalid value for <what>: <a>:<b>") for a zero denominator or a quotient
    that is not finite.
    """
    a, b = float(numerator), float(denominator)
    value = a / b if b else math.inf
    if not math.isfinite(value):
        raise _bad(what, f"{numerator}:{denominator}")
    return value
