"""Signing vectors of spec §17.3 (delivery URLs) and §18.1 (upload API requests)."""

from __future__ import annotations

import cloudinary.utils
import pytest

import edge.url as url
from edge.url.signing import delivery_signature

S = "X7qLTrsES31MzxxkxPPA-pAGGfU"

# (path, expected string hashed) from spec §17.3, cloud `demo`
SPEC_VECTORS = [
    ("/demo/image/upload/s---p0xahHZ--/sample.jpg", "sample.jpg"),
    ("/demo/image/upload/s--T635iX8D--/ar_1,c_thumb,g_auto:skateboard,w_400/e_extract:prompt_earring/f_auto/q_auto/v1768438613/folder/earrings_restored.png",
     "ar_1,c_thumb,g_auto:skateboard,w_400/e_extract:prompt_earring/f_auto/q_auto/folder/earrings_restored.png"),
    ("/demo/image/upload/s--eMbTgH_H--/c_fill,g_auto:subject,h_200,w_300/v1/products/shoe.webp",
     "c_fill,g_auto:subject,h_200,w_300/products/shoe.webp"),
    ("/demo/image/upload/s--eMbTgH_HFdNYt9I7OQWC10u7nwp5tVoa--/c_fill,g_auto:subject,h_200,w_300/v1/products/shoe.webp",
     "c_fill,g_auto:subject,h_200,w_300/products/shoe.webp"),
    ("/demo/image/upload/s--rHMuYPxG--/g_south,l_text:Arial_30:Hi%252C%20there%252Fyou,y_20/v1/a%20folder/hello%20world",
     "g_south,l_text:Arial_30:Hi%252C%20there%252Fyou,y_20/a%20folder/hello%20world"),
    ("/demo/image/authenticated/s--wvuA0CSz--/c_scale,w_100/sample.jpg", "c_scale,w_100/sample.jpg"),
    ("/images/s--wvuA0CSz--/c_scale,w_100/sample/my-seo-name.jpg", "c_scale,w_100/sample.jpg"),
    ("/demo/image/fetch/s--hrCMohGo--/c_limit,w_200/v5/https://example.com/pic.jpg%3Fx%3D1",
     "c_limit,w_200/https://example.com/pic.jpg%3Fx%3D1"),
]


@pytest.mark.parametrize("path,hashed", SPEC_VECTORS)
def test_spec_delivery_vectors_verify(path, hashed):
    assert url.verify_signature(path, S)
    from edge.url.path import split_path
    from edge.url.signing import string_to_sign

    assert string_to_sign(split_path(path, cloud_name="\x00detect")) == hashed
    assert not url.verify_signature(path, S[:-1])


def test_spec_vectors_sign_path():
    assert url.sign_path("/demo/image/upload/sample.jpg", S) == "/demo/image/upload/s---p0xahHZ--/sample.jpg"
    p = "/demo/image/upload/c_fill,g_auto:subject,h_200,w_300/v1/products/shoe.webp"
    assert url.sign_path(p, S, algorithm="sha256") == p.replace("upload/", "upload/s--eMbTgH_H--/")
    assert url.sign_path(p, S, long=True) == p.replace("upload/", "upload/s--eMbTgH_HFdNYt9I7OQWC10u7nwp5tVoa--/")
    # re-signing replaces an existing signature; a query string is dropped
    assert url.sign_path(p.replace("upload/", "upload/s--AAAAAAAA--/") + "?_a=B", S, algorithm="sha256") == \
        p.replace("upload/", "upload/s--eMbTgH_H--/")
    assert url.sign_path("/images/c_scale,w_100/sample/my-seo-name.jpg", S) == \
        "/images/s--wvuA0CSz--/c_scale,w_100/sample/my-seo-name.jpg"


@pytest.mark.parametrize("hashed,algorithm,long,sig", [
    ("c_crop,h_20,w_10/image.jpg", "sha1", False, "Ai4Znfl3"),
    ("image.jpg", "sha1", False, "--SjmNDA"),
    ("sample.jpg", "sha1", False, "v2fTPYTu"),
    ("sample.jpg", "sha256", False, "2hbrSMPO"),
    ("sample.jpg", "sha256", True, "2hbrSMPOjj5BJ4xV7SgFbRDevFaQNUFf"),
    ("co_red,l_text:Times_70_bold:Cool%25F0%259F%2598%258D/image.jpg", "sha1", False, "Uqk1a-5W"),
    ("http://google.com/path/to/image.png", "sha1", False, "hH_YcbiS"),
])
def test_sdk_test_suite_vectors(hashed, algorithm, long, sig):
    assert delivery_signature(hashed, "b", algorithm=algorithm, long=long) == sig


def test_sdk_suite_vectors_as_urls():
    assert url.verify_signature("/test123/image/upload/s--Ai4Znfl3--/c_crop,h_20,w_10/v1234/image.jpg", "b")
    assert url.verify_signature("/test123/image/upload/s--Ai4Znfl3--/c_crop,h_20,w_10/image.jpg", "b")
    assert url.verify_signature("/test123/image/upload/s----SjmNDA--/v1234/image.jpg", "b")
    assert url.verify_signature("/test123/image/fetch/s--hH_YcbiS--/v1234/http://google.com/path/to/image.png", "b")
    assert url.verify_signature(
        "/test123/image/authenticated/s--Uqk1a-5W--/co_red,l_text:Times_70_bold:Cool%25F0%259F%2598%258D/image.jpg", "b")
    assert not url.verify_signature("/test123/image/upload/s--Ai4Znfl3--/c_crop,h_21,w_10/image.jpg", "b")


def test_verify_without_signature_or_malformed_is_false():
    assert not url.verify_signature("/demo/image/upload/sample.jpg", S)
    assert not url.verify_signature("not a path", S)
    assert not url.verify_signature("", S)
    assert not url.verify_signature("/demo/image/upload/s--short--/x.jpg", S)


def test_node_sdk_font_with_space_is_accepted():
    payload = "l_text:Open Sans_30:Hello/sample.jpg"
    sig = delivery_signature(payload, S)
    path = f"/demo/image/upload/s--{sig}--/l_text:Open%20Sans_30:Hello/sample.jpg"
    assert url.verify_signature(path, S)


API_VECTORS = [
    ({"timestamp": 1315060510, "public_id": "sample_image", "eager": "w_400,h_300,c_pad|w_260,h_200,c_crop"}, "abcd",
     "bfd09f95f331f558cbd1320e67aa8d488770583e", "cc927e1290f9e3ae4c1a741eda21a4630b4ce80f9ce0bc0296337d25cf40f91e"),
    ({"cloud_name": "dn6ot3ged", "timestamp": 1568810420, "username": "user@cloudinary.com"}, "hdcixPpR2iKERPwqvH6sHdK9cyac",
     "14c00ba6d0dfdedbc86b316847d95b9e6cd46d94", "45ddaa4fa01f0c2826f32f669d2e4514faf275fe6df053f1a150e7beae58a3bd"),
]


@pytest.mark.parametrize("params,secret,sha1,sha256", API_VECTORS)
def test_api_signature_vectors(params, secret, sha1, sha256):
    assert url.sign_api_params(params, secret) == sha1
    assert url.sign_api_params(params, secret, "sha256") == sha256


def test_api_signature_ampersand_vector_and_sdk_agreement():
    params = {"cloud_name": "dn6ot3ged", "timestamp": 1568810420,
              "notification_url": "https://fake.com/callback?a=1&tags=hello,world"}
    assert url.sign_api_params(params, "hdcixPpR2iKERPwqvH6sHdK9cyac") == "4fdf465dd89451cc1ed8ec5b3e314e8a51695704"
    more = {"timestamp": 1700000000, "tags": ["a", "b"], "overwrite": True, "invalidate": False, "folder": "x&y",
            "eager": "c_fill,w_100"}
    for algorithm in ("sha1", "sha256"):
        assert url.sign_api_params(more, "s3cr3t", algorithm) == \
            cloudinary.utils.api_sign_request(dict(more), "s3cr3t", algorithm)
    # file and api_key are never signed
    assert url.sign_api_params({**more, "file": "x", "api_key": "1"}, "s3cr3t") == url.sign_api_params(more, "s3cr3t")
