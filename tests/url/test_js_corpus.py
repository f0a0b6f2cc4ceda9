"""The official JavaScript SDKs as a second oracle (issue 14): >= 800 URLs built with a fixed
seed by @cloudinary/url-gen 1.22.0 and the Node `cloudinary` 2.11.0 package (tests/url/js,
pinned by its package-lock.json; `.ci/run` installs them with `npm ci`).  Every URL parses, its
canonical form equals the SDK's URL (path, analytics query dropped), every signed one verifies
and a one-character change of it does not.  Skips only when node is absent.
"""

from __future__ import annotations

import json
import pathlib
import shutil
import subprocess

import pytest

import edge.url as url
from edge.url.signing import verify_signature

JS = pathlib.Path(__file__).resolve().parent / "js"
N = 900
SECRET = "Js0racleSecret-XyZ"

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")


def _path(sdk_url: str) -> str:
    rest = sdk_url.split("://", 1)[1]
    return rest[rest.index("/") :].split("?", 1)[0]


@pytest.fixture(scope="module")
def js_urls() -> list[dict]:
    if not (JS / "node_modules" / "@cloudinary" / "url-gen").is_dir():
        # CI runs `npm ci` in .ci/run; locally do the same from the committed lock file (offline cache or registry)
        assert shutil.which("npm"), "tests/url/js/node_modules is missing and npm is not installed to run `npm ci`"
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=JS, check=True, capture_output=True, timeout=300)
    out = subprocess.run(["node", "corpus.js", str(N), SECRET], cwd=JS, check=True, capture_output=True, text=True,
                         timeout=120).stdout
    return [json.loads(line) for line in out.splitlines()]


def test_corpus_is_large_and_varied(js_urls):
    assert len(js_urls) >= 800
    joined = "\n".join(u["url"] for u in js_urls)
    for needle in ("/s--", "l_text:", "fl_layer_apply", "if_end", "$w_", "_avoid", "/images/", "/iu/", "g_auto:",
                   "q_jpegmini", "t_", "r_max", "dpr_", "g_adv_", "/image/authenticated/", "_bold", "letter_spacing_-",
                   "Open%20Sans", "Roboto@google", "_600", "/u_", "/image/fetch/", "%FC", "%3A"):
        assert needle in joined, needle
    assert sum(u["sdk"] == "url-gen" for u in js_urls) >= 250
    assert sum(u["signed"] for u in js_urls) >= 250


def _canonical_of_sdk(path: str) -> str:
    """The SDK path in Edge's canonical spelling conventions: short form `iu` is image/upload."""
    return path.replace("/demo/iu/", "/demo/image/upload/", 1)


def test_every_url_parses_and_is_canonical(js_urls):
    bad = []
    for item in js_urls:
        path = _path(item["url"])
        try:
            request = url.parse(path)
        except url.UrlError as exc:
            bad.append((path, str(exc)))
            continue
        unsigned = path
        if request.signature:
            unsigned = path.replace(f"/s--{request.signature}--", "", 1)
        if url.canonical(request) != _canonical_of_sdk(unsigned):
            bad.append((path, url.canonical(request)))
    assert not bad, bad[:10]


def _mutate(path: str) -> str:
    """One character of the signed part changed (a digit or letter of the transformation)."""
    request = url.parse(path)
    target = request.transformation or request.public_id_raw
    start = path.index(target)
    for i in range(len(target) - 1, -1, -1):
        ch = target[i]
        if ch.isdigit():
            return path[: start + i] + str((int(ch) + 1) % 10) + path[start + i + 1 :]
        if ch.isalpha():
            return path[: start + i] + ("a" if ch != "a" else "b") + path[start + i + 1 :]
    raise AssertionError(path)


def test_signed_urls_verify_and_a_changed_character_fails(js_urls):
    signed = [_path(u["url"]) for u in js_urls if u["signed"]]
    assert len(signed) >= 250
    failed = [p for p in signed if not verify_signature(p, SECRET)]
    assert not failed, failed[:5]
    forged = [p for p in signed if verify_signature(_mutate(p), SECRET)]
    assert not forged, forged[:5]
    assert not verify_signature(signed[0], SECRET + "x")
