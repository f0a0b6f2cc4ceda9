"""Named transformations (`t_<name>`): a TOML or JSON file of name -> transformation string.

Example (TOML)::

    thumb = "c_fill,g_auto,w_200,h_200"
    hero = "c_fill,w_1600,ar_16:9/q_auto/f_auto"

Every stored string is parsed once at start-up, so a broken entry stops the server with a
clear message instead of failing requests later.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Mapping

from edge.url import UrlError, parse

__all__ = ["load_named_transformations"]


def load_named_transformations(path: str, *, cloud_name: str = "demo") -> Mapping[str, str]:
    """Read `path` (`.toml` or `.json`; '' -> no named transformations).

    Returns name -> transformation string.  Raises ValueError naming the file and entry when
    the file is unreadable, not a flat table of strings, or an entry does not parse.
    """
    if not path:
        return {}
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
        data = json.loads(text) if p.suffix.lower() == ".json" else tomllib.loads(text)
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read named transformations {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ValueError(f"named transformations {path}: expected a table of name = string")
    named: dict[str, str] = {}
    for name, value in data.items():
        if not isinstance(value, str) or not name.replace("-", "").replace("_", "").isalnum():
            raise ValueError(f"named transformations {path}: bad entry {name!r}")
        try:
            parse(f"/{cloud_name}/image/upload/{value.strip('/')}/x.jpg", cloud_name=cloud_name)
        except UrlError as exc:
            raise ValueError(f"named transformation {name!r} in {path}: {exc}") from exc
        named[name] = value.strip("/")
    return named
