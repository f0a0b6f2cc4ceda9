"""Hypothesis: arbitrary text and mutated valid paths never raise anything but UrlError."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import edge.url as url
from edge.url.parser import clear_cache

SEEDS = [
    "/demo/image/upload/s--T635iX8D--/ar_1,c_thumb,g_auto:skateboard,w_400/e_extract:prompt_earring/f_auto/q_auto/v1768438613/folder/earrings_restored.png",
    "/demo/image/upload/g_south,l_text:Arial_30:Hi%252C%20there%252Fyou,y_20/v1/a%20folder/hello%20world",
    "/demo/image/fetch/c_limit,w_200/v5/https://example.com/pic.jpg%3Fx%3D1",
    "/demo/images/c_scale,w_100/sample/my-seo-name.jpg",
    "/demo/image/upload/$foo_10/if_fc_gt_2/c_scale,w_$foo_mul_200_div_fc/if_end/sample.jpg",
    "/demo/image/upload/l_docs:logo/c_scale,w_100/fl_layer_apply,g_north_east,x_10/e_zoompan:from_(g_hat;zoom_4.5);to_(g_auto;zoom_1)/v1/x.gif",
    "/demo/image/upload/b_rgb:ff000080,bo_4px_solid_red,q_80:420,dpr_2.0,a_hflip.45,r_10:20,g_dog:auto:cat,c_crop/sample.webp",
    "/demo/image/upload/if_w_gt_1000_and_ar_lt_16:9/w_iw_div_2/if_else/h_0.5/if_end/w_auto:100:400/sample.png",
]
ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.,:;!$%/()?#&+=@ ~*^|<>'\"\\\x00é😍"

FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check(path: str) -> None:
    for kwargs in ({}, {"cloud_name": "demo"}, {"root_path": True}):
        try:
            request = url.parse(path, **kwargs)
        except url.UrlError as exc:
            message = str(exc)
            # header-safe: printable ASCII, short
            assert message and len(message) <= 160 and all(" " <= ch <= "~" for ch in message), message
            continue
        # whatever parses must serialize and re-parse to the same canonical form
        text = url.canonical(request)
        again = url.canonical(url.parse(text, cloud_name="demo"))
        assert again == (text if request.cloud_name else "/demo" + text)
    assert url.verify_signature(path, "secret") in (True, False)
    try:
        signed = url.sign_path(path, "secret")
    except url.UrlError:
        return
    # whatever can be signed verifies, and only with its own secret
    assert url.verify_signature(signed, "secret"), signed
    assert not url.verify_signature(signed, "other"), signed


@FUZZ
@given(st.text(alphabet=ALPHABET, max_size=120))
def test_arbitrary_text(text):
    _check(text)
    _check("/" + text)
    _check("/demo/image/upload/" + text)


@FUZZ
@given(st.sampled_from(SEEDS), st.lists(st.tuples(st.integers(0, 400), st.sampled_from(["del", "ins", "rep"]),
                                                   st.sampled_from(ALPHABET)), min_size=1, max_size=4))
def test_mutated_valid_paths(seed, edits):
    path = seed
    for pos, op, ch in edits:
        pos %= len(path)
        if op == "del":
            path = path[:pos] + path[pos + 1 :]
        elif op == "ins":
            path = path[:pos] + ch + path[pos:]
        else:
            path = path[:pos] + ch + path[pos + 1 :]
    _check(path)


@FUZZ
@given(st.sampled_from(SEEDS), st.text(alphabet=ALPHABET, max_size=30), st.integers(0, 10))
def test_spliced_components(seed, junk, where):
    parts = seed.split("/")
    where = 4 + where % max(1, len(parts) - 4)
    _check("/".join(parts[:where] + [junk] + parts[where:]))


def test_seeds_parse():
    clear_cache()
    for seed in SEEDS:
        assert url.parse(seed).public_id
