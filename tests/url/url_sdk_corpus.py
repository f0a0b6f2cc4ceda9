"""Random valid option sets fed to the official SDK (`cloudinary.utils.cloudinary_url`).

`corpus(n, seed)` yields `(public_id, options, url)`; the SDK is the oracle for spelling,
ordering and signatures (spec §21).  Helper module of tests/url (not a test file).
"""

from __future__ import annotations

import random
from fractions import Fraction
from typing import Any, Iterator

import cloudinary
import cloudinary.utils

SECRET = "X7qLTrsES31MzxxkxPPA-pAGGfU"
CLOUD = "demo"

CROPS = ["scale", "fit", "limit", "mfit", "fill", "lfill", "pad", "lpad", "mpad", "fill_pad",
         "crop", "thumb", "auto", "auto_pad", "imagga_scale", "imagga_crop"]
COMPASS = ["north_west", "north", "north_east", "west", "center", "east", "south_west", "south", "south_east"]
OBJECTS = ["cat", "dog", "skateboard", "bicycle", "person", "cats", "coco_cat", "coco_v2_car", "lvis_sofa",
           "cld-fashion_shoe", "earring"]
GRAVITIES = COMPASS + [
    "auto", "auto:subject", "auto:classic", "auto:faces", "auto:face", "auto:ocr_text_avoid", "auto:no_faces",
    "auto:none", "auto:custom_no_override", "auto:aoi_10_20_300_400", "auto:thirds_0", "auto:40",
    "face", "faces", "face:center", "faces:auto", "custom", "custom:faces", "ocr_text", "ocr_text:adv_ocr",
    "xy_center", "adv_face", "adv_eyes", "body", "liquid",
]
FORMATS = ["jpg", "png", "webp", "avif", "gif", "jxl", "tiff", "bmp", "heic", "jp2", "ico", "pdf", "svg"]
EFFECTS: list[Any] = [
    "grayscale", "negate", "sepia", "sepia:50", ["sepia", 10], {"sepia": -10}, "blur:300", "blur_faces",
    "blur_region:200", "pixelate:5", "pixelate_faces", "sharpen:100", "unsharp_mask:200", "brightness:30",
    "brightness_hsb:-20", "contrast:level_70;type_linear", "contrast:50", "saturation:-50", "gamma:20",
    "hue:40", "red:20", "green:-30", "blue:10", "vibrance:50", "auto_brightness", "auto_color:80",
    "auto_contrast", "improve:indoor:50", "improve:50", "fill_light:70:20", "vignette:30", "oil_paint:40",
    "cartoonify:30:bw", "art:al_dente", "art:zorro", "colorize:40", "tint:equalize:80:red:blue",
    "replace_color:maroon:80:2b38aa", "make_transparent:20", "background_removal", "trim:20:white",
    "outline:outer:15:200", "shadow:50", "dropshadow:azimuth_90;elevation_30;spread_40",
    "opacity_threshold:40", "ordered_dither:3", "gradient_fade:symmetric:30", "distort:arc:180",
    "shear:20:0", "assist_colorblind:20", "simulate_colorblind:deuteranopia", "vectorize:colors:15:detail:200",
    "extract:prompt_earring", "extract:prompt_earring;multiple_true", "extract:prompt_(cat;dog);mode_mask",
    "gen_remove:prompt_text", "gen_replace:from_cat;to_dog", "gen_recolor:prompt_shirt;to-color_red",
    "gen_background_replace:prompt_beach", "upscale", "enhance", "gen_restore", "redeye",
    "zoompan:from_(g_hat;zoom_4.5);to_(g_auto;zoom_1)", "zoompan:mode_ofc;maxzoom_2;du_5",
    "morphology:method_dilate;iterations_2", "theme:color_black:photosensitivity_110",
]
FLAGS = ["lossy", "progressive", "progressive:semi", "keep_iptc", "strip_profile", "awebp", "animated",
         "ignore_aspect_ratio", "preserve_transparency", "png8", "attachment:my_file", "force_strip",
         "tiled", "no_overflow", "relative", "getinfo", "any_format", "immutable_cache", "text_no_trim"]
COLORS = ["red", "blue", "lightblue", "transparent", "#ff0000", "#0f0", "rgb:ff000080", "white", "black",
          "#336699cc", "gold", "none"]
FONTS = ["Arial", "Roboto", "Times", "Verdana"]
TEXTS = ["Hello", "Hi, there/you", "50% off!", "Größe ß", "a:b;c", "Hello world", "Tom & Jerry?", "smile 😍"]
PUBLIC_IDS = ["sample", "folder/earrings_restored", "a folder/hello world", "products/shoe", "deep/er/path/img",
              "file.name.with.dots", "über/straße", "cats_and_dogs", "x+y=z", "v2_notversion/pic", "a%20b",
              "sample.jpg", "docs/logo.png", "dir/sub-dir/image_1"]
FETCH_URLS = ["https://example.com/pic.jpg", "https://example.com/pic.jpg?x=1&y=2", "http://upload.wikimedia.org/a/b/c.png",
              "https://example.com/a b/c.webp", "https://example.com/p%20q.jpg"]
CONDITIONS = ["w > 1000", "w_gt_1000", "h < 300", "ar >= 1.5", "fc > 0", "w_gt_100_and_h_lt_500",
              "width > 500 || height > 500", "iw_lte_200", "pc_gt_1", "ctx:!productType!_eq_!shoes!",
              "!sale!_in_tags", "ils_gt_0.5"]


def _length(r: random.Random, key: str) -> Any:
    c = r.random()
    if c < 0.55:
        return r.randint(1, 2000)
    if c < 0.75:
        return r.choice(["0.5", "1.0", "1.5", "0.25", 0.3, "2.0"])
    if c < 0.9:
        return r.choice([f"i{key[0]} / 2", f"i{key[0]}_mul_0.5", f"i{key[0]} * 2", "iw_div_3_add_10"])
    return r.choice(["$wv", "$wv_mul_2"])


def _gravity(r: random.Random) -> str:
    c = r.random()
    if c < 0.55:
        return r.choice(GRAVITIES)
    if c < 0.7:
        return "auto:" + r.choice(OBJECTS) + r.choice(["", "_avoid"])
    if c < 0.8:
        return "auto:" + ":".join(r.choice(OBJECTS) + r.choice(["", "_avoid"]) for _ in range(r.randint(2, 3)))
    if c < 0.9:
        objs = r.sample(OBJECTS, r.randint(1, 3))
        if r.random() < 0.5:
            objs.insert(r.randint(0, len(objs)), "auto")
        return ":".join(objs)
    return r.choice(OBJECTS)


def _overlay(r: random.Random) -> Any:
    c = r.random()
    if c < 0.3:
        return r.choice(["logo", "docs:logo", "logo.png", "brand:small-logo"])
    if c < 0.45:
        return {"public_id": r.choice(["docs/logo", "badge", "w/x/y"]), "format": r.choice([None, "png"])}
    if c < 0.55:
        return {"public_id": "secret_logo", "type": r.choice(["private", "authenticated"])}
    if c < 0.65:
        return {"url": r.choice(["https://example.com/logo.png", "https://x.org/a b.png"])}
    style: dict[str, Any] = {"font_family": r.choice(FONTS), "font_size": r.randint(8, 90), "text": r.choice(TEXTS)}
    if r.random() < 0.3:
        style["font_weight"] = "bold"
    if r.random() < 0.2:
        style["font_style"] = "italic"
    if r.random() < 0.2:
        style["text_decoration"] = "underline"
    if r.random() < 0.2:
        style["text_align"] = r.choice(["left", "center", "right"])
    if r.random() < 0.2:
        style["letter_spacing"] = r.randint(1, 20)
    if r.random() < 0.1:
        style["line_spacing"] = r.randint(-5, 20)
    if r.random() < 0.1:
        style["stroke"] = "stroke"
    return style


def _simple(r: random.Random, k: int) -> dict[str, Any]:
    """One component's options with about `k` random keys."""
    opts: dict[str, Any] = {}
    makers = {
        "width": lambda: r.choice([_length(r, "width")] * 8 + ["auto", "auto:100", "auto:50:400"]),
        "height": lambda: _length(r, "height"),
        "crop": lambda: r.choice(CROPS),
        "gravity": lambda: _gravity(r),
        "aspect_ratio": lambda: r.choice(["16:9", "1.5", "1", 1, "4:3", Fraction(3, 2), "0.75"]),
        "x": lambda: r.choice([r.randint(-300, 300), "0.1", "-0.2", "w_add_20"]),
        "y": lambda: r.choice([r.randint(-300, 300), "0.3"]),
        "zoom": lambda: r.choice(["1.5", 0.8, "2", 1.2]),
        "dpr": lambda: r.choice([1.0, 2.0, "2.0", 3, "auto", "1.5"]),
        "quality": lambda: r.choice([r.randint(1, 100), "auto", "auto:good", "auto:best", "auto:eco",
                                     "auto:low", "80:420", "60:444", "auto:sensitive"]),
        "fetch_format": lambda: r.choice(FORMATS + ["auto", "auto:image", "auto:animated"]),
        "effect": lambda: r.choice(EFFECTS),
        "flags": lambda: r.sample(FLAGS, r.randint(1, 3)),
        "angle": lambda: r.choice([r.randint(-359, 359), "hflip", "vflip", "auto_right", "auto_left",
                                   ["hflip", 45], "ignore"]),
        "radius": lambda: r.choice([r.randint(0, 100), "max", [10, 20], [5, 10, 15, 20], "iw_div_10"]),
        "background": lambda: r.choice(COLORS + ["auto", "auto:predominant", "auto:border_contrast",
                                                  "gen_fill", "auto:predominant_gradient:2:diagonal_desc"]),
        "border": lambda: r.choice(["4px_solid_red", "1px_solid_rgb:00ff0080",
                                    {"width": r.randint(1, 20), "color": r.choice(["#f00", "blue"])}]),
        "color": lambda: r.choice(COLORS),
        "opacity": lambda: r.randint(0, 100),
        "default_image": lambda: r.choice(["avatar.png", "docs:placeholders:avatar.png"]),
        "delay": lambda: r.randint(0, 500),
        "density": lambda: r.choice([72, 150, 300]),
        "page": lambda: r.choice([1, 2, "3-5", "5-", "3;5;7", "name:layer1", "embedded:2"]),
        "color_space": lambda: r.choice(["srgb", "tinysrgb", "no_cmyk", "keep_cmyk", "srgb:truecolor"]),
        "transformation": lambda: r.choice(["thumb", "my_named", ["a", "b"]]),
        "prefix": lambda: "pre",
        "custom_function": lambda: r.choice([{"function_type": "wasm", "source": "my_example.wasm"},
                                             {"function_type": "remote", "source": "https://df34ra4a.execute-api.us-west-2.amazonaws.com/default/cloudinaryFunction"}]),
    }
    for name in r.sample(sorted(makers), k):
        opts[name] = makers[name]()
    if any("$wv" in str(v) for v in opts.values()):
        opts["$wv"] = r.choice([100, 250])
    return opts


def _component(r: random.Random) -> list[dict[str, Any]]:
    """One or more component dicts (layers and conditionals come with their closing parts)."""
    c = r.random()
    if c < 0.6:
        return [_simple(r, r.randint(1, 5))]
    if c < 0.72:  # legacy one-component layer
        opts = _simple(r, r.randint(0, 2))
        opts.pop("transformation", None)
        opts["overlay" if r.random() < 0.8 else "underlay"] = _overlay(r)
        opts.setdefault("gravity", r.choice(COMPASS))
        return [opts]
    if c < 0.84:  # multi-component layer closed by fl_layer_apply
        key = "overlay" if r.random() < 0.8 else "underlay"
        opening: dict[str, Any] = {key: _overlay(r)}
        body = [{"width": r.randint(10, 400), "crop": "scale"}] if r.random() < 0.5 else []
        apply: dict[str, Any] = {"flags": ["layer_apply"] + (["no_overflow"] if r.random() < 0.2 else []),
                                 "gravity": r.choice(COMPASS)}
        if r.random() < 0.5:
            apply["x"] = r.randint(0, 50)
            apply["y"] = r.randint(0, 50)
        if r.random() < 0.2:
            apply["effect"] = r.choice(["multiply", "screen", "overlay", "cut_out"])
        return [opening, *body, apply]
    if c < 0.93:  # conditional block
        cond = r.choice(CONDITIONS)
        body = [_simple(r, r.randint(1, 3)) for _ in range(r.randint(1, 2))]
        tail: list[dict[str, Any]] = []
        if r.random() < 0.4:
            tail = [{"if": "else"}, _simple(r, r.randint(1, 2))]
        return [{"if": cond}, *body, *tail, {"if": "end"}]
    # inline condition and variables
    opts = _simple(r, r.randint(1, 3))
    if r.random() < 0.6:
        opts["if"] = r.choice(CONDITIONS)
    if r.random() < 0.6:
        opts["$size"] = r.choice([200, "iw_div_2", "!small!", 1.5])
    if r.random() < 0.5:
        opts["variables"] = [("$img", r.choice(["!logo!", 10])), ("$zz", "$img_mul_2")]
    return [opts]


def make_options(r: random.Random) -> tuple[str, dict[str, Any]]:
    """Draw one (public_id, options) pair."""
    options: dict[str, Any] = {"cloud_name": CLOUD, "secure": r.random() < 0.5}
    chain: list[dict[str, Any]] = []
    for _ in range(r.choice([0, 1, 1, 2, 2, 3, 4])):
        chain.extend(_component(r))
    if chain:
        options["transformation"] = chain
    kind = r.random()
    if r.random() < 0.04:  # video: parses far enough to be refused by the server
        options["resource_type"] = "video"
        video = {"start_offset": r.choice(["2.5", "10p", "auto"]), "duration": r.choice([5, "30p"]),
                 "end_offset": "12", "video_codec": r.choice(["h264:baseline:3.1", "auto", {"codec": "h265"}]),
                 "fps": r.choice(["24-29.97", 25, [24, 30]]), "keyframe_interval": 2, "audio_codec": "aac",
                 "bit_rate": "1m", "audio_frequency": 44100, "streaming_profile": "hd"}
        for k in r.sample(sorted(video), 3):
            options[k] = video[k]
        return r.choice(["dog", "clips/surf"]), options
    if kind < 0.1:
        public_id = r.choice(FETCH_URLS)
        options["type"] = "fetch"
    else:
        public_id = r.choice(PUBLIC_IDS)
        if kind < 0.2:
            options["type"] = r.choice(["private", "authenticated"])
        if kind > 0.9:
            options["url_suffix"] = r.choice(["my-seo-name", "shoe_red", "beach"])
        if r.random() < 0.6:
            options["format"] = r.choice(FORMATS)
    if r.random() < 0.5:
        options["version"] = r.randint(1, 1_800_000_000)
    if r.random() < 0.5:
        options["sign_url"] = True
        options["api_secret"] = SECRET
        c = r.random()
        if c < 0.3:
            options["signature_algorithm"] = "sha256"
        elif c < 0.45:
            options["long_url_signature"] = True
    return public_id, options


def corpus(n: int, seed: int = 20261121) -> Iterator[tuple[str, dict[str, Any], str]]:
    """Yield `n` (public_id, options, url) triples built by the official SDK."""
    r = random.Random(seed)
    made = 0
    while made < n:
        public_id, options = make_options(r)
        url, _ = cloudinary.utils.cloudinary_url(public_id, **dict(options))
        if not url.startswith(("http://res.", "https://res.")):
            continue  # the SDK returned the source unchanged (e.g. an http source with type upload)
        made += 1
        yield public_id, options, url
