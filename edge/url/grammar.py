"""Loading of `grammar/delivery_url.lark` (shipped as `edge.grammar`) into one LALR parser.

The parser is built once per process (`functools.cache`) and shared; Lark LALR parsers are
stateless between calls, so sharing across threads is safe.
"""

from __future__ import annotations

import functools
from importlib import resources

from lark import Lark

__all__ = ["grammar_text", "value_parser"]


def grammar_text() -> str:
    """Return the text of `delivery_url.lark` (package data of `edge.grammar`)."""
    return resources.files("edge.grammar").joinpath("delivery_url.lark").read_text(encoding="utf-8")


@functools.cache
def value_parser() -> Lark:
    """The LALR parser of the value grammar (start symbol `expr`).

    Raises `lark.exceptions.LarkError` subclasses on bad input (callers wrap them in UrlError).
    """
    return Lark(grammar_text(), parser="lalr", start="expr", maybe_placeholders=False)
