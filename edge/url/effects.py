"""Effect values (`e_<name>[:<arg>...]`), spec §9: name check and argument splitting.

Only the effect NAME is validated here (against `EFFECT_NAMES`, the list of spec §9); argument
ranges are validated by the render effect modules.
"""

from __future__ import annotations

import functools
import re

from .ast import Effect
from .errors import UrlError

__all__ = ["parse_effect", "split_top", "EFFECT_NAMES"]

#: Effect names of spec §9 (image, layer-blend, AI and the video/3D/add-on ones that parse).
EFFECT_NAMES = frozenset(
    """
    grayscale blackwhite sepia negate blur blur_faces blur_region pixelate pixelate_faces
    pixelate_region sharpen unsharp_mask brightness brightness_hsb contrast saturation gamma hue
    red green blue vibrance auto_brightness auto_color auto_contrast auto_enhance improve enhance
    gen_restore upscale fill_light vignette oil_paint cartoonify art colorize tint replace_color
    make_transparent bgremoval background_removal extract gen_remove gen_replace gen_recolor
    gen_background_replace trim outline shadow dropshadow opacity_threshold ordered_dither
    gradient_fade distort shear recolor morphology redeye adv_redeye assist_colorblind
    simulate_colorblind vectorize theme cut_out mask multiply overlay screen displace
    anti_removal zoompan loop fade camera light swap_image embed_clipping_path viesus_correct
    preview progressbar noise deshake boomerang reverse accelerate volume transition style_transfer
    """.split()
)

_NAME = re.compile(r"(\$[A-Za-z][A-Za-z0-9]*|[a-z][a-z0-9_]*)\Z")
_OPTION = re.compile(r"[a-z][a-z0-9-]*_")


def split_top(text: str, sep: str) -> list[str]:
    """Split `text` on `sep` outside parentheses (`from_(g_a;zoom_2);to_(...)` keeps groups).

    Raises UrlError on unbalanced parentheses.
    """
    if "(" not in text and ")" not in text:
        return text.split(sep)
    parts: list[str] = []
    depth = 0
    start = 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                raise UrlError(f"Unbalanced parentheses: {text}")
        elif ch == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    if depth != 0:
        raise UrlError(f"Unbalanced parentheses: {text}")
    parts.append(text[start:])
    return parts


@functools.lru_cache(maxsize=4096)
def parse_effect(text: str) -> Effect:
    """Parse an `e_` value: `name` (validated), `args` split on top-level `:`, and `options`
    from `k_v;k_v` arguments (the first `_` separates key from value; parenthesised values are
    kept as text).  Raises UrlError for an unknown effect name or a malformed value.
    """
    parts = split_top(text, ":")
    name, args = parts[0], tuple(parts[1:])
    if not _NAME.match(name) or (not name.startswith("$") and name not in EFFECT_NAMES):
        raise UrlError(f"Invalid effect: {name}")
    options: list[tuple[str, str]] = []
    for arg in args:
        items = split_top(arg, ";")
        if all(_OPTION.match(item) for item in items):
            for item in items:
                k, _, v = item.partition("_")
                options.append((k, v))
    return Effect(name=name, args=args, text=text, options=tuple(options))
