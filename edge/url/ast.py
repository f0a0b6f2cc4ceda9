"""Typed, immutable AST of a Cloudinary image delivery URL (docs: ../shared/docs/url-spec.md).

Every node is a frozen, slotted dataclass, so requests hash and compare by value and can be
cached.  The parser (`edge.url.parse`) builds these nodes; the canonical serializer
(`edge.url.canonical`) writes them back in the official SDK's spelling; the render engine reads
them.  Nothing here performs I/O.

Shapes and units:
* `Length.value` is pixels when `relative` is False, a ratio of a reference size when True
  (`w_0.5` -> Length(0.5, True); `w_1` -> Length(1, False); `w_1.0` -> Length(1.0, True)).
* `Expr` holds an arithmetic/logical expression in URL form (`iw_div_2`, `$foo_mul_200`), as a
  token tuple; render evaluates it against the image characteristics.
* Colours are `Color(r, g, b, a)` with 0..255 integer channels plus the URL text they came from.
* Boxes elsewhere in Edge are `(x, y, w, h)` in pixels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator, Union

__all__ = [
    "Expr",
    "Length",
    "AutoWidth",
    "Color",
    "ObjectName",
    "Focal",
    "Gravity",
    "Quality",
    "Effect",
    "Flag",
    "Border",
    "Background",
    "TextStyle",
    "Layer",
    "Condition",
    "Variable",
    "Param",
    "Component",
    "DeliveryRequest",
    "Numeric",
]


@dataclass(frozen=True, slots=True)
class Expr:
    """An expression in URL form, tokenised on `_` (e.g. ``("iw", "div", 2.0)``).

    Tokens are operator names (``add sub mul div mod pow eq ne lt gt lte gte and or in nin``),
    image characteristics (``w h iw ih ar iar fc pc cp tar ils px py``), user variables
    (``$name``), numbers (float) or quoted strings (``!text!`` kept with the bangs).
    `text` is the canonical URL spelling (`iw_div_2`).  Evaluation lives in
    `edge.url.expr.evaluate` (standard precedence: pow > mul/div/mod > add/sub > comparisons >
    and > or).
    """

    tokens: tuple[Union[str, float], ...]
    text: str

    def __str__(self) -> str:
        return self.text


Numeric = Union[float, Expr]


@dataclass(frozen=True, slots=True)
class Length:
    """A width, height or offset: pixels (`relative=False`) or a ratio (`relative=True`).

    `value` may also be an `Expr` (`w_iw_div_2`), in which case `relative` is False and the
    expression evaluates to pixels.  `text` is the value exactly as it must be serialised.
    """

    value: Numeric
    relative: bool
    text: str


@dataclass(frozen=True, slots=True)
class AutoWidth:
    """`w_auto[:<step>][:<fallback>]`: width from the `Sec-CH-Width`/`Width` client hint.

    `step` (px, default 100) rounds the hint up; `fallback` (px) is used without the hint.
    `breakpoints` is the raw text of a `breakpoints...` option, or None.
    """

    step: int | None
    fallback: int | None
    breakpoints: str | None
    text: str


@dataclass(frozen=True, slots=True)
class Color:
    """An RGBA colour, channels 0..255.  `text` is the URL spelling (`red`, `rgb:ff000080`)."""

    r: int
    g: int
    b: int
    a: int
    text: str


@dataclass(frozen=True, slots=True)
class ObjectName:
    """A detectable thing named in gravity: `cat`, `cats`, `coco_cat`, `coco_v2_cat`, `animal`.

    `name` is the bare name as written (plural kept, e.g. `cats`); `model` is the model/version
    prefix (`coco`, `coco_v2`, `lvis`, `cld-fashion`) or None for the default invocation order.
    """

    name: str
    model: str | None = None

    @property
    def text(self) -> str:
        return f"{self.model}_{self.name}" if self.model else self.name


@dataclass(frozen=True, slots=True)
class Focal:
    """One focal preference inside `g_auto:...`: a name (faces, ocr_text, subject object...)
    optionally `_avoid`-ed and optionally weighted (legacy `:<weight>` form)."""

    name: str  # faces | face | body | ocr_text | object | no_faces | none | custom_no_override | aoi_x_y_w_h | <object>
    model: str | None = None
    avoid: bool = False
    weight: int | None = None


@dataclass(frozen=True, slots=True)
class Gravity:
    """A parsed `g_` value.

    `kind` is one of:
      * ``compass`` (`compass` in north_west..south_east, center),
      * ``auto`` (`algorithm` subject|classic|None, `focals`, `aggressiveness` 0..100, `thirds`),
      * ``objects`` (`objects` in order; `fallback_auto` True when `auto` appears in the list),
      * ``face`` / ``faces`` / ``custom`` / ``adv_face`` / ``adv_faces`` / ``adv_eyes`` /
        ``body`` with optional `fallback` (center|auto|face|faces|...),
      * ``ocr_text`` (optional `fallback` adv_ocr),
      * ``xy_center``, ``liquid``, ``special`` (anything else recognised, kept verbatim in text).
    `text` is the exact URL value (`auto:cat:dog_avoid`).
    """

    kind: str
    text: str
    compass: str | None = None
    algorithm: str | None = None
    focals: tuple[Focal, ...] = ()
    objects: tuple[ObjectName, ...] = ()
    fallback: str | None = None
    fallback_auto: bool = False
    aggressiveness: int | None = None
    thirds: bool = True


@dataclass(frozen=True, slots=True)
class Quality:
    """`q_`: a fixed level 1..100 (`level`), or `auto` with `auto_level`
    (best|good|eco|low; plain `q_auto` is good), optional `chroma` '420'|'444', `sensitive`.
    `q_jpegmini[:0|1|2]` sets `jpegmini` (0..2) and the `auto_level` that approximates it
    (best, good, eco: Edge has no JPEGmini add-on, its perceptual search stands in)."""

    text: str
    level: Numeric | None = None
    auto_level: str | None = None
    chroma: str | None = None
    sensitive: bool = False
    jpegmini: int | None = None


@dataclass(frozen=True, slots=True)
class Effect:
    """`e_<name>[:<arg>...]`.  `args` are the top-level `:`-separated argument texts (colons
    inside parentheses do not split).  `options` maps `k_v;k_v` style arguments (e.g.
    `extract:prompt_earring;multiple_true` -> {'prompt': 'earring', 'multiple': 'true'}),
    with parenthesised lists kept as text (`from_(g_hat;zoom_4.5)` -> {'from': '(g_hat;zoom_4.5)'}).
    """

    name: str
    args: tuple[str, ...]
    text: str
    options: tuple[tuple[str, str], ...] = ()

    def option(self, key: str, default: str | None = None) -> str | None:
        """The value of option `key` (`prompt` in `extract:prompt_earring`), else `default`."""
        for k, v in self.options:
            if k == key:
                return v
        return default


@dataclass(frozen=True, slots=True)
class Flag:
    """One flag of `fl_`: `name` plus an optional `:` argument (`attachment:my_name`)."""

    name: str
    arg: str | None = None

    @property
    def text(self) -> str:
        return f"{self.name}:{self.arg}" if self.arg is not None else self.name


@dataclass(frozen=True, slots=True)
class Border:
    """`bo_<w>px_solid_<color>`: width in px and colour."""

    width: int
    color: Color
    text: str


@dataclass(frozen=True, slots=True)
class Background:
    """`b_`: a plain colour (`color`), or `auto...` (`auto` holds the text after `auto`,
    '' for plain `b_auto`), or `gen_fill...`/`blurred...` kept in `special`."""

    text: str
    color: Color | None = None
    auto: str | None = None
    special: str | None = None


@dataclass(frozen=True, slots=True)
class TextStyle:
    """Style of a text layer: `<font>_<size>[_<weight>][_<style>][_<decoration>][_<align>]...`.

    `size` in px (points as Cloudinary calls them); `letter_spacing`/`line_spacing` in px.
    `extras` keeps any other recognised tokens (stroke, antialias_..., hinting_...).
    """

    font: str
    size: int
    weight: str | None = None  # bold, semibold, light, ...
    style: str | None = None  # italic
    decoration: str | None = None  # underline, strikethrough
    align: str | None = None  # left, center, right, ...
    letter_spacing: float | None = None
    line_spacing: float | None = None
    extras: tuple[str, ...] = ()
    text: str = ""


@dataclass(frozen=True, slots=True)
class Layer:
    """An `l_`/`u_` value.

    `kind`: ``image`` (public_id with `/`, decoded from the URL's `:` form; `format` from a
    trailing known extension), ``text`` (`style`, `content` fully decoded text), ``fetch``
    (`url` decoded from base64url), ``private``/``authenticated`` (image with that delivery
    type), or ``other`` (video, audio, subtitles, lut...: parsed but not renderable).
    `underlay` is True for `u_`.  `text` is the exact URL value.
    """

    kind: str
    text: str
    underlay: bool = False
    public_id: str | None = None
    format: str | None = None
    style: TextStyle | None = None
    content: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Condition:
    """`if_<cond>` / `if_else` / `if_end`.

    `kind`: ``if`` (with `expr` holding the condition as an Expr), ``else`` or ``end``.
    """

    kind: str
    text: str
    expr: Expr | None = None


@dataclass(frozen=True, slots=True)
class Variable:
    """`$<name>_<value>`: a user variable definition; `value` is a number, Expr, or string
    (`!text!` kept with bangs), `text` the value's URL spelling."""

    name: str
    value: Any
    text: str


@dataclass(frozen=True, slots=True)
class Param:
    """One `key_value` token of a component.

    `key` is the URL key (`w`, `c`, `fl`, `$foo` for variables, `if`), `value` the typed value
    (Length, Gravity, Effect, tuple[Flag, ...], ...), `text` the value as serialised.
    """

    key: str
    value: Any
    text: str

    def __str__(self) -> str:
        if self.text == "" and self.key.startswith("$"):  # a bare variable reference `$name`
            return self.key
        return f"{self.key}_{self.text}"


@dataclass(frozen=True, slots=True)
class Component:
    """One transformation component (a `/`-separated segment): params in canonical order.

    Lookup by key with `component.get('w')` (typed value or None) or `'w' in component`.
    Duplicate keys are merged by the parser (`fl` flags joined; for other keys the last wins,
    as Cloudinary does for `e_`).
    """

    params: tuple[Param, ...]

    def get(self, key: str, default: Any = None) -> Any:
        for p in self.params:
            if p.key == key:
                return p.value
        return default

    def __contains__(self, key: object) -> bool:
        return any(p.key == key for p in self.params)

    def __iter__(self) -> Iterator[Param]:
        return iter(self.params)

    @property
    def flags(self) -> frozenset[str]:
        """Names of the flags of this component (`fl_a.b` -> {'a', 'b'})."""
        return frozenset(f.name for f in self.get("fl", ()))

    @property
    def variables(self) -> tuple[Variable, ...]:
        """The `$name` params of this component, in written order (definitions and bare
        references; a bare reference has `value` None)."""
        return tuple(p.value for p in self.params if p.key.startswith("$"))

    def __str__(self) -> str:
        return ",".join(str(p) for p in self.params)


@dataclass(frozen=True, slots=True)
class DeliveryRequest:
    """A parsed delivery URL.

    * `cloud_name`: from the path, or the configured one for cloud-less forms.
    * `resource_type`: image | video | raw (short forms `iu`/`images`/root-path map to image).
    * `delivery_type`: upload | private | authenticated | fetch | ... .
    * `signature`: the 8- or 32-char body of `s--<sig>--`, or None.
    * `components`: transformation components, in order.
    * `version`: int from `v<digits>`, or None.
    * `public_id`: decoded (no percent-escapes), folders with `/`, without the extension; for
      `fetch` the remote URL.  `public_id_raw` is the escaped form as in the URL.
    * `format`: the requested extension (`jpg`), or None.
    * `url_suffix`: the SEO suffix (decoded) for `images/`/`files/` URLs, or None.
    * `transformation`: the raw text of the components as they appear in the URL (what a
      signature covers), '' if none.
    """

    cloud_name: str | None
    resource_type: str
    delivery_type: str
    signature: str | None
    components: tuple[Component, ...]
    version: int | None
    public_id: str
    public_id_raw: str
    format: str | None
    url_suffix: str | None = None
    transformation: str = ""
    short_form: str | None = field(default=None)  # 'iu' | 'images' | 'files' | 'root' | None
