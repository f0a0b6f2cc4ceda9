"""Malformed and misplaced signature segments answer 401 like any bad signature (issue 9,
item 3), under every signature policy, while well-formed ones keep their meaning."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from edge.url import UrlError, parse, sign_path
from edge.url.errors import SignatureSegmentError
from edge_live import SECRET, Live, server_with

MALFORMED = [
    "/demo/image/upload/s--AGl6-MQ--/hopper.jpg",  # 7 characters
    "/demo/image/upload/s----/hopper.jpg",  # empty
    "/demo/image/upload/s--/hopper.jpg",
    "/demo/image/upload/s--AAAAAAAA--x/hopper.jpg",  # trailing junk
    "/demo/image/upload/s--AAAAAAAAAAAA--/c_scale,w_20/hopper.jpg",  # 12 characters
    "/demo/image/upload/s--AAA%AAAA--/hopper.jpg",  # outside the alphabet
    "/demo/image/upload/c_scale,w_20/s--AAAAAAAA--/hopper.jpg",  # after a component
    "/demo/image/upload/c_scale,w_20/s--AAAAAAAA--/v1/hopper.jpg",
    "/demo/image/upload/s--AAAAAAAA--/s--AAAAAAAA--/hopper.jpg",  # repeated
    "/demo/image/upload/samples/s--AGl6-MQ--/cat.png",  # a folder shaped like one
    "/image/upload/c_scale,w_20/s----/hopper.jpg",  # cloud-less form
]


@pytest.fixture(scope="module")
def open_server(origin_dir: Path) -> Iterator[Live]:
    with server_with(origin_dir, signed="none") as server:
        yield server


@pytest.mark.parametrize("path", MALFORMED)
def test_malformed_signature_segments_answer_401(live: Live, open_server: Live, path: str) -> None:
    for server in (live, open_server):  # signed=addons (secret set) and signed=none
        r = server.raw("GET", path)
        assert r.status_code == 401, (path, r.status_code, r.headers.get("x-cld-error"))
        assert "signature segment" in r.headers["x-cld-error"]


def test_the_parser_names_the_segment() -> None:
    with pytest.raises(SignatureSegmentError, match="Invalid signature segment: s--AGl6-MQ--"):
        parse("/demo/image/upload/s--AGl6-MQ--/x.jpg")
    with pytest.raises(SignatureSegmentError, match="Misplaced signature segment: s--AAAAAAAA--"):
        parse("/demo/image/upload/w_10/s--AAAAAAAA--/x.jpg")
    assert issubclass(SignatureSegmentError, UrlError) and SignatureSegmentError.status == 401


def test_well_formed_signatures_keep_their_meaning(live: Live) -> None:
    path = "/demo/image/upload/c_scale,w_30/hopper.jpg"
    assert live.client.get(sign_path(path, SECRET)).status_code == 200
    assert live.client.get(sign_path(path, SECRET, long=True)).status_code == 200
    wrong = live.client.get("/demo/image/upload/s--AAAAAAAA--/c_scale,w_30/hopper.jpg")
    assert wrong.status_code == 401 and wrong.headers["x-cld-error"] == "Invalid signature"
    # a signature whose body starts with dashes is well formed (SDK vector in tests/url)
    assert parse("/demo/image/upload/s----SjmNDA--/v1234/image.jpg").signature == "--SjmNDA"
    # a public ID that merely ends like one is not a signature segment
    assert parse("/demo/image/upload/s--AAAAAAAA--").public_id == "s--AAAAAAAA--"
