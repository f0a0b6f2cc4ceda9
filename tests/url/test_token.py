"""`__cld_token__` delivery tokens (url-spec §18.4) checked against tokens the official Python
SDK (`cloudinary` 1.46.3, `auth_token={"key": ...}`) puts on its URLs."""

from __future__ import annotations

from urllib.parse import urlsplit

import cloudinary.utils
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge.url.token import TOKEN_NAME, TokenError, parse_token, token_form, token_from, verify_token

KEY = "3d8f2c61a9b04e7f8a5c1d2e3f405162"
OTHER_KEY = "00112233445566778899aabbccddeeff"
START = 1_800_000_000


def _sdk_url(public_id: str, **token: object) -> tuple[str, str]:
    """(path, query) of an SDK-built URL for `public_id` with the given auth_token options."""
    url, _ = cloudinary.utils.cloudinary_url(public_id, cloud_name="demo", api_secret="s",
                                             type="authenticated", sign_url=True,
                                             auth_token={"key": KEY, **token}, width=200, crop="scale")
    parts = urlsplit(url)
    return parts.path, parts.query


def _verify(path: str, query: str, **kw: object) -> None:
    text = token_from(query, None)
    assert text is not None
    verify_token(parse_token(text), path, kw.pop("key", KEY), **kw)


def test_url_bound_token_from_the_sdk_verifies_within_its_window_only() -> None:
    path, query = _sdk_url("pets/kitty.jpg", start_time=START, duration=300)
    assert query.startswith(TOKEN_NAME + "=st=1800000000~exp=1800000300~hmac=")
    _verify(path, query, now=START + 10)
    with pytest.raises(TokenError, match="expired"):
        _verify(path, query, now=START + 300)
    with pytest.raises(TokenError, match="not yet valid"):
        _verify(path, query, now=START - 1)


def test_token_is_bound_to_its_path_and_key() -> None:
    path, query = _sdk_url("pets/kitty.jpg", start_time=START, duration=300)
    with pytest.raises(TokenError, match="Invalid token"):
        _verify(path.replace("w_200", "w_201"), query, now=START + 1)
    with pytest.raises(TokenError, match="Invalid token"):
        _verify(path, query, now=START + 1, key=OTHER_KEY)
    tampered = query.replace("exp=1800000300", "exp=1900000300")
    with pytest.raises(TokenError, match="Invalid token"):
        _verify(path, tampered, now=START + 1)


def test_escaped_public_id_is_signed_in_token_form() -> None:
    path, query = _sdk_url("folder/my photo & more.jpg", start_time=START, duration=60)
    assert "my%20photo%20%26%20more.jpg" in path  # the SDK escapes the public ID in the URL...
    _verify(path, query, now=START)  # ...and signs that text escaped once more
    assert token_form("/a b%20") == "%2fa%20b%2520"


def test_acl_token_covers_every_path_under_its_pattern() -> None:
    text = cloudinary.utils.generate_auth_token(key=KEY, start_time=START, duration=600,
                                                acl="/demo/image/authenticated/*")
    token = parse_token(text)
    assert token.acl == ("%2fdemo%2fimage%2fauthenticated%2f*",)
    for path in ("/demo/image/authenticated/c_fill,w_10/a.jpg", "/demo/image/authenticated/v1/b/c.png"):
        verify_token(token, path, KEY, now=START + 1)
    with pytest.raises(TokenError, match="ACL"):
        verify_token(token, "/demo/image/upload/a.jpg", KEY, now=START + 1)


def test_ip_bound_token_needs_that_client() -> None:
    path, query = _sdk_url("pets/kitty.jpg", start_time=START, duration=300, ip="10.1.2.3")
    _verify(path, query, now=START, client_ip="10.1.2.3")
    with pytest.raises(TokenError, match="another address"):
        _verify(path, query, now=START, client_ip="10.1.2.4")


def test_token_from_query_or_cookie() -> None:
    assert token_from("a=1&__cld_token__=exp=1~hmac=" + "0" * 64, None) == "exp=1~hmac=" + "0" * 64
    assert token_from("", 'x=1; __cld_token__="exp=2~hmac=ab"') == "exp=2~hmac=ab"
    assert token_from("a=1", "x=1") is None
    assert token_from("exp%3D1", None) is None
    acl = "__cld_token__=exp=9~acl=%2fdemo%2f*~hmac=" + "0" * 64
    assert token_from(acl, None) == acl.split("=", 1)[1]  # the ACL stays in token form


@pytest.mark.parametrize("text", [
    "", "hmac=" + "0" * 64, "exp=1~hmac=zz", "exp=1", "exp=1~hmac=" + "0" * 63,
    "exp=1~exp=2~hmac=" + "0" * 64, "exp=1~st=0~hmac=" + "0" * 64, "foo=1~exp=1~hmac=" + "0" * 64,
    "exp=soon~hmac=" + "0" * 64, "exp~hmac=" + "0" * 64, "x" * 5000,
])
def test_malformed_tokens_are_refused(text: str) -> None:
    with pytest.raises(TokenError):
        parse_token(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_text_is_parsed_or_refused_with_token_error(text: str) -> None:
    try:
        token = parse_token(text)
    except TokenError:
        return
    with pytest.raises(TokenError):
        verify_token(token, "/demo/image/authenticated/a.jpg", KEY, now=START)
