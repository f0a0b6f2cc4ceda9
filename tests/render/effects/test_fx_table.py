"""Declared effect arguments (`@register(..., args=...)`, edge/render/effects/args.py): one
table drives the argument checks, the check before any pixel work and the README list."""

from __future__ import annotations

import pathlib
import re

import pytest

from edge.render import render
from edge.render.effects import arguments, table
from edge.url import UrlError, parse

ROOT = pathlib.Path(__file__).resolve().parents[3]


def test_the_readme_lists_every_effect_from_the_table():
    readme = (ROOT / "README.md").read_text()
    rows = dict(re.findall(r"^\| `e_(\w+)` \| (.+) \|$", readme, re.M))
    declared = {n: d for n, d in table() if d != "free-form"}
    assert rows == {n: d.replace("|", " or ") for n, d in declared.items()}
    free = re.search(r"^Effects with free-form arguments.*$", readme, re.M).group(0)
    assert sorted(re.findall(r"`e_(\w+)`", free)) == sorted(n for n, d in table() if d == "free-form")


def test_a_declared_argument_out_of_range_is_refused_before_decoding():
    """The source bytes are not an image: the 400 comes from the declaration, not the decoder."""
    with pytest.raises(UrlError, match=r"Invalid value for e_sepia: 500 \(expected 1\.\.100\)"):
        render(b"not an image", parse("/demo/image/upload/e_sepia:500/sample.jpg"))
    with pytest.raises(UrlError, match=r"Invalid value for e_dropshadow: 400"):
        render(b"not an image", parse("/demo/image/upload/e_dropshadow:azimuth_400/sample.png"))


def test_an_argument_holding_a_variable_is_checked_once_resolved():
    with pytest.raises(UrlError, match="e_blur"):
        render((ROOT / "tests" / "images" / "coffee.png").read_bytes(), parse("/demo/image/upload/$s_5000/e_blur:$s/sample.png"))


def test_declarations_name_ranges_and_defaults():
    (level,) = arguments("sepia")
    assert (level.name, level.default, level.lo, level.hi) == ("level", 80, 1, 100)
    assert arguments("tint") is None  # free-form: reads its own arguments
    assert ("gen_fill", "free-form") in table(available=False)
