"""The forms of issue 14, one test each: the typed AST, the canonical spelling (what the SDKs
write) and what render does with it (real photos from tests/images, Edge's own models)."""

from __future__ import annotations

import base64
import functools
import pathlib

import numpy as np
import pytest
import pyvips

import edge.url as url
from edge.render import render
from edge.render.effects import names as rendered_effects
from edge.render.errors import RenderError
from edge.url import UrlError
from edge.url.effects import EFFECT_NAMES

IMAGES = pathlib.Path(__file__).resolve().parent.parent / "images"
P = "/demo/image/upload/"


@functools.cache
def photo(name: str) -> bytes:
    return (IMAGES / name).read_bytes()


def pixels(data: bytes) -> np.ndarray:
    image = pyvips.Image.new_from_buffer(data, "")
    return image.numpy().reshape(image.height, image.width, -1)


@functools.cache
def vision():
    from edge.vision import VisionFocus

    return VisionFocus()


def parse(t: str, pid: str = "sample.png"):
    return url.parse(P + t + "/" + pid)


def run(t: str, name: str = "face_astronaut_eileen_collins.png", pid: str = "sample.png", **kw):
    kw.setdefault("focus", vision())
    return render(photo(name), parse(t, pid), **kw)


def canon(t: str, pid: str = "sample.png") -> str:
    return url.canonical(parse(t, pid))[len(P):-len(pid) - 1]


# ---------------------------------------------------------------- legacy one-component layers

def _white_logo(_layer) -> bytes:
    return pyvips.Image.black(40, 20, bands=3).new_from_image([255, 255, 255]).cast("uchar").pngsave_buffer()


def test_layer_alone_is_applied_centred():
    assert canon("l_badge") == "l_badge"
    base = pyvips.Image.black(200, 100, bands=3).cast("uchar").pngsave_buffer()  # flat black: known answer
    out = pixels(render(base, parse("l_badge"), load_layer=_white_logo).data)
    assert out.shape[:2] == (100, 200)
    ys, xs = np.nonzero(out[..., 0] > 128)
    assert (xs.min(), xs.max(), ys.min(), ys.max()) == (80, 119, 40, 59)  # 40x20 white, centred


def test_legacy_layer_with_placement_and_size_in_one_component():
    assert canon("l_badge,g_north_east,x_10,w_80,o_60") == "g_north_east,l_badge,o_60,w_80,x_10"
    base = pyvips.Image.black(200, 100, bands=3).cast("uchar").pngsave_buffer()
    out = pixels(render(base, parse("l_badge,g_north_east,x_10,w_80,o_60"), load_layer=_white_logo).data)
    ys, xs = np.nonzero(out[..., 0] > 60)
    assert (xs.min(), xs.max(), ys.min(), ys.max()) == (110, 189, 0, 39)  # 80x40, 10 px from the right
    assert 140 <= int(out[20, 150, 0]) <= 166  # 60 % opacity of white over black


def test_underlay_alone_and_mixed_chains():
    assert url.parse(P + "u_logo/sample.png").components[0].get("u").underlay
    r = parse("l_badge,w_60/l_logo/e_grayscale/fl_layer_apply,g_south")
    assert url.canonical(r).endswith("/l_badge,w_60/l_logo/e_grayscale/fl_layer_apply,g_south/sample.png")
    with pytest.raises(UrlError, match="no open layer"):
        parse("fl_layer_apply")


@pytest.mark.parametrize("pad", ["==", "%3D%3D", ""])
def test_fetch_layer_base64_padding(pad):
    b64 = base64.urlsafe_b64encode(b"https://example.com/logos/edge.png").decode().rstrip("=")
    r = parse(f"l_fetch:{b64}{pad}")
    layer = r.components[0].get("l")
    assert layer.kind == "fetch" and layer.url == "https://example.com/logos/edge.png"
    assert canon(f"l_fetch:{b64}{pad}") == f"l_fetch:{b64}{pad}"  # kept as written (signatures)
    seen = []
    base = pyvips.Image.black(200, 100, bands=3).cast("uchar").pngsave_buffer()
    render(base, r, load_layer=lambda lay: seen.append(lay.url) or _white_logo(lay))
    assert seen == ["https://example.com/logos/edge.png"]


# ---------------------------------------------------------------- text styles

@pytest.mark.parametrize("style,weight,font_style,letter,line", [
    ("Arial_56_600", "600", None, None, None),
    ("Arial_56_300_italic", "300", "italic", None, None),
    ("Arial_40_style_light", "light", None, None, None),
    ("Arial_40_style_italic", None, "italic", None, None),
    ("Roboto@google_40", None, None, None, None),
    ("Arial_40_letter_spacing_-2", None, None, -2.0, None),
    ("Arial_30_line_spacing_-10", None, None, None, -10.0),
])
def test_text_styles(style, weight, font_style, letter, line):
    s = parse(f"l_text:{style}:Hi").components[0].get("l").style
    assert (s.weight, s.style, s.letter_spacing, s.line_spacing) == (weight, font_style, letter, line)
    assert canon(f"l_text:{style}:Hi") == f"l_text:{style}:Hi"
    assert run(f"l_text:{style}:Hi%0Athere,co_black").width == 512


def _ink(t: str) -> int:
    base = pyvips.Image.black(400, 120, bands=3).new_from_image([255, 255, 255]).cast("uchar").pngsave_buffer()
    out = pixels(render(base, parse(t)).data)
    return int((out[..., 0] < 128).sum())


def test_numeric_weight_600_draws_the_bold_face_and_300_the_regular():
    bold, w600, w300, regular = (_ink(f"l_text:Arial_40{w}:Edge,co_black") for w in ("_bold", "_600", "_300", ""))
    assert w600 == bold and w300 == regular and bold > regular * 1.15


def _ink_width(t: str) -> int:
    base = pyvips.Image.black(600, 120, bands=3).new_from_image([255, 255, 255]).cast("uchar").pngsave_buffer()
    xs = np.nonzero((pixels(render(base, parse(t)).data)[..., 0] < 128).any(axis=0))[0]
    return int(xs.max() - xs.min())


def test_negative_spacing_tightens_the_text():
    normal = _ink_width("l_text:Arial_40:Edge%20Edge,co_black")
    assert _ink_width("l_text:Arial_40_letter_spacing_-3:Edge%20Edge,co_black") < normal - 15
    assert _ink_width("l_text:Arial_40_letter_spacing_4:Edge%20Edge,co_black") > normal + 15


def test_text_needing_sdk_double_escaping():
    layer = parse("g_south,l_text:Arial_30:Hi%252C%20there%252Fyou,y_20").components[0].get("l")
    assert layer.content == "Hi, there/you"


def test_unknown_text_style_token_stays_400():
    with pytest.raises(UrlError, match="text style"):
        parse("l_text:Arial_40_sparkly:Hi")


# ---------------------------------------------------------------- q_jpegmini

@pytest.mark.parametrize("text,level", [("jpegmini", "best"), ("jpegmini:0", "best"), ("jpegmini:1", "good"),
                                         ("jpegmini:2", "eco")])
def test_jpegmini(text, level):
    q = parse(f"q_{text}").components[0].get("q")
    assert (q.auto_level, q.jpegmini) == (level, int(text.partition(":")[2] or 0))
    assert canon(f"q_{text}") == f"q_{text}"
    mini = run(f"q_{text}", pid="sample.jpg")
    auto = run(f"q_auto:{level}", pid="sample.jpg")
    assert mini.quality == auto.quality and mini.data == auto.data  # approximated by q_auto:<level>


@pytest.mark.parametrize("text", ["jpegmini:3", "jpegmini:", "jpegmini:1:2"])
def test_bad_jpegmini(text):
    with pytest.raises(UrlError):
        parse(f"q_{text}")


# ---------------------------------------------------------------- _to_i / _to_f

@pytest.mark.parametrize("t,width", [
    ("$w_!200!_to_i/c_scale,w_$w_mul_2", 400),
    ("$w_ctx:!width!_to_i/c_scale,w_$w", 240),
    ("$a_!12.9!_to_i,$b_$a_to_f_div_2/c_scale,w_$b_mul_20", 120),
    ("$r_md:!ratio!_to_f/c_scale,w_$r_mul_100", 150),
])
def test_type_conversions(t, width):
    assert canon(t) == t
    r = run(t, context={"width": "240.7"}, metadata={"ratio": "1.5"})
    assert r.width == width


def test_to_i_truncates_and_bad_strings_are_400():
    from edge.url.expr import evaluate, parse_expr

    assert evaluate(parse_expr("!-3.7!_to_i"), {}) == -3.0
    assert evaluate(parse_expr("!2.5!_to_f_mul_2"), {}) == 5.0
    with pytest.raises(UrlError):
        run("$w_!abc!_to_i/c_scale,w_$w")


# ---------------------------------------------------------------- conditionals

def test_if_else_with_other_params_in_its_component():
    t = "if_w_gt_4000/c_scale,w_400/if_else,c_scale,w_200/if_end"
    assert canon(t) == t
    assert run(t).width == 200
    assert run("if_w_gt_400/c_scale,w_400/if_else,c_scale,w_200/if_end").width == 400


def test_conditional_left_open_at_the_end_is_closed_there():
    assert canon("if_w_gt_400/c_scale,w_100") == "if_w_gt_400/c_scale,w_100"
    assert run("if_w_gt_400/c_scale,w_100").width == 100
    assert run("if_w_gt_4000/c_scale,w_100").width == 512
    assert run("if_w_gt_4000/c_scale,w_100/if_else/c_scale,w_50").width == 50
    with pytest.raises(UrlError):
        parse("if_end")


# ---------------------------------------------------------------- gravity

def test_object_weights_parse_and_pick_the_heavier_object():
    g = parse("c_fill,g_auto:dog_30:bicycle_70,h_200,w_200").components[0].get("g")
    assert [(f.name, f.weight) for f in g.focals] == [("dog", 30), ("bicycle", 70)]
    assert canon("c_fill,g_auto:dog_30:bicycle_70,h_200,w_200") == "c_fill,g_auto:dog_30:bicycle_70,h_200,w_200"
    infos = {}
    for a, b in ((30, 70), (70, 30)):
        r = run(f"c_fill,g_auto:dog_{a}:bicycle_{b},h_150,w_150,fl_getinfo", "dog_bicycle_truck.jpg")
        infos[(a, b)] = r.info["focus"]
    assert infos[(30, 70)] != infos[(70, 30)]  # the weight decides which object the crop keeps
    with pytest.raises(UrlError, match="weight"):
        parse("c_fill,g_auto:cat_300,w_200")


@pytest.mark.parametrize("g", ["adv_face", "adv_faces", "adv_eyes"])
def test_advanced_facial_attribute_gravities_use_the_face_model(g):
    r = run(f"c_thumb,g_{g},h_100,w_300,fl_getinfo")
    assert r.info["gravity"] == g
    face = run("c_thumb,g_face,h_100,w_300,fl_getinfo").info["focus"]
    focus = r.info["focus"]
    if g == "adv_eyes":  # the eye band of the face box (the face model gives no landmarks)
        assert face["x"] < focus["x"] and focus["x"] + focus["width"] < face["x"] + face["width"]
        assert face["y"] < focus["y"] and focus["y"] + focus["height"] < face["y"] + face["height"] * 0.6
    else:
        assert focus == face


@pytest.mark.parametrize("g", ["auto:adv_faces", "auto:adv_face", "auto:adv_eyes", "auto:adv_faces_avoid",
                               "auto:adv_eyes_avoid"])
def test_advanced_facial_attribute_focals(g):
    focal = parse(f"c_fill,g_{g},h_200,w_200").components[0].get("g").focals[0]
    assert focal.name.startswith("adv_") and focal.avoid == g.endswith("_avoid")
    r = run(f"c_fill,g_{g},h_200,w_200,fl_getinfo")
    decision = r.info["components"][0]
    boxes = decision["avoid"] if focal.avoid else [reg for reg in decision["regions"] if reg["model"] == "faces"]
    assert boxes  # the face model answered


@pytest.mark.parametrize("name", ["dining_table", "cell_phone", "traffic_light", "potted_plant", "teddy_bear",
                                  "hot_dog", "wine_glass", "fire_hydrant", "stop_sign", "sports_ball"])
def test_coco_multi_word_names(name):
    for g in (name, f"auto:{name}", f"auto:{name}_avoid", f"auto:{name}_40", f"coco_{name}", f"{name}:auto"):
        gravity = parse(f"c_fill,g_{g},h_10,w_10").components[0].get("g")
        names = [o.name for o in gravity.objects] + [f.name for f in gravity.focals]
        assert name in names, g
    assert parse(f"e_gen_remove:prompt_{name}").components[0].get("e").option("prompt") == name


def test_multi_word_object_gravity_crops_to_the_object():
    r = run("c_crop,g_dining_table,fl_getinfo", "people_family_table_coco_000110.jpg")
    assert r.info["gravity"].startswith("dining_table")
    assert any(reg["label"] == "dining table" for reg in r.info["regions"])


# ---------------------------------------------------------------- effects

def test_every_documented_effect_name_parses_and_renders_or_refuses():
    refused = []
    for name in sorted(EFFECT_NAMES):
        r = parse(f"e_{name}")
        assert r.components[0].get("e").name == name
        if name in ("cut_out", "mask", "multiply", "overlay", "screen"):
            continue  # blend modes of a layer
        assert name in rendered_effects(), name
        try:
            run(f"e_{name}", "tiny_hopper_128.jpg")
        except UrlError as exc:  # an effect whose arguments are required (`e_art:<filter>`): 400 too
            assert f"e_{name}" in str(exc), (name, str(exc))
        except RenderError as exc:
            refused.append(name)
            text = str(exc)
            assert "not available in this Edge" in text or "e_" in text or name in text, (name, text)
    for name in ("style_transfer", "gen_remove", "upscale", "redeye", "loop", "vectorize"):
        assert name in refused


def test_unknown_effect_is_400_at_parse_known_unavailable_at_render():
    with pytest.raises(UrlError, match="Invalid effect"):
        parse("e_sparkle")
    with pytest.raises(RenderError, match="not available in this Edge"):
        run("l_sample/e_style_transfer:preserve_color:60,fl_layer_apply", load_layer=_white_logo)
    with pytest.raises(RenderError, match="not available in this Edge"):
        run("e_gen_replace:from_cell_phone;to_banana")


# ---------------------------------------------------------------- lenient forms

def test_percent_encoded_commas_and_slashes():
    assert canon("w_1000%2Ch_667%2Cc_fill") == "c_fill,h_667,w_1000"
    assert canon("c_fill,h_100,w_100%2Fe_grayscale") == "c_fill,h_100,w_100/e_grayscale"
    r = run("c_fill,h_100,w_100%2Fe_grayscale")
    px = pixels(r.data)
    assert (r.width, r.height) == (100, 100) and np.abs(px[..., 0].astype(int) - px[..., 1]).max() <= 2
    # text keeps its %2C, a layer folder its %2F
    assert parse("l_text:Arial_20:a%2Cb").components[0].get("l").content == "a,b"
    assert parse("l_docs%2Flogo").components[0].get("l").public_id == "docs/logo"


def test_empty_trailing_parameter_and_empty_segment():
    assert canon("c_scale,w_500,") == "c_scale,w_500"
    assert run("c_scale,w_500,").width == 500
    r = url.parse(P + "v1//sample.png")
    assert r.public_id == "sample" and url.canonical(r) == P + "v1/sample.png"
    with pytest.raises(UrlError, match="Empty"):
        parse("w_100,,h_10")


def test_percent_encoded_named_transformation():
    r = parse("t_my%20preset")
    assert r.components[0].get("t") == ("my preset",) and canon("t_my%20preset") == "t_my%20preset"
    out = run("t_my%20preset", named={"my preset": "c_fill,h_120,w_160"})
    assert (out.width, out.height) == (160, 120)


def test_fetch_ids_with_non_utf8_escapes_are_byte_exact():
    r = url.parse("/demo/image/fetch/c_scale,w_200/https://example.com/%FCber.png")
    assert r.public_id == "https://example.com/%FCber.png"  # what Edge fetches: the bytes as sent
    assert url.canonical(r) == "/demo/image/fetch/c_scale,w_200/https://example.com/%FCber.png"
    u = url.parse("/demo/image/fetch/https://example.com/%C3%BCber.png")
    assert u.public_id == "https://example.com/\u00fcber.png"
    assert url.canonical(u) == "/demo/image/fetch/https://example.com/%C3%BCber.png"
    with pytest.raises(UrlError, match="UTF-8"):
        url.parse(P + "%FCber.png")  # an upload public ID must still be UTF-8


def test_default_image_with_folders():
    assert parse("d_placeholders:avatar.png").components[0].get("d") == "placeholders/avatar.png"
    assert parse("d_placeholders%2Favatar.png,c_scale,w_100").components[0].get("d") == "placeholders/avatar.png"
    with pytest.raises(UrlError):
        parse("d_placeholders::avatar.png")


def test_multi_word_name_in_an_effect_finds_the_object():
    r = run("e_extract:prompt_dining_table;mode_mask", "people_family_table_coco_000110.jpg")
    mask = pixels(r.data)[..., 0] > 128
    assert 0.03 < mask.mean() < 0.8  # the table, not nothing and not everything
    assert r.notice is None  # found by the COCO model, no fallback


def test_non_utf8_fetch_id_reaches_the_remote_byte_exact():
    """A real loopback HTTP server records the request line Edge's fetch origin sends."""
    import http.server
    import threading

    from edge.storage.fetch_origin import FetchOrigin

    seen: list[str] = []
    body = photo("tiny_hopper_128.jpg")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server API
            seen.append(self.path)
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        r = url.parse(f"/demo/image/fetch/c_scale,w_50/http://localhost:{port}/a/%FCber.png")
        source = FetchOrigin(["localhost"], allow_private=True, resolver=lambda h, p: ["127.0.0.1"]).load(r.public_id)
        assert source.data == body and seen == ["/a/%FCber.png"]
        assert render(source.data, r).width == 50
    finally:
        server.shutdown()
