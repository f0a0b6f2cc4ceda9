"""The official SDK as oracle: >= 2,000 random SDK URLs parse, round-trip and verify (spec §21)."""

from __future__ import annotations

import dataclasses
import random
import re
import zlib

import cloudinary.utils
import pytest

import edge.url as url
from edge.url.path import split_path
from url_sdk_corpus import SECRET, corpus

N = 2400
_SIG = re.compile(r"/s--[A-Za-z0-9_-]{8}--/|/s--[A-Za-z0-9_-]{32}--/")


def _path(sdk_url: str) -> str:
    rest = sdk_url.split("://", 1)[1]
    return rest[rest.index("/") :]


@pytest.fixture(scope="module")
def sdk_urls() -> list[tuple[str, dict, str]]:
    return [(pid, opts, _path(u)) for pid, opts, u in corpus(N)]


def test_corpus_is_large_and_varied(sdk_urls):
    paths = [p for _, _, p in sdk_urls]
    assert len(paths) >= 2000
    joined = "\n".join(paths)
    for needle in ("/s--", "/v", "l_text:", "fl_layer_apply", "if_end", "$", "_avoid", "/images/",
                   "/image/fetch/", "/image/private/", "/image/authenticated/", "e_extract:", "e_zoompan:",
                   "q_auto:", "dpr_", "u_", "t_", "/video/upload/", "w_auto", "c_fill_pad", "g_auto:subject", ":auto:", "coco_v2_"):
        assert needle in joined, needle
    assert sum(1 for p in paths if _SIG.search(p)) > 600
    from url_sdk_corpus import CROPS

    for mode in CROPS:
        assert f"c_{mode}," in joined or f"c_{mode}/" in joined, mode


def test_every_sdk_url_parses_and_canonical_equals_sdk_path(sdk_urls):
    for public_id, options, path in sdk_urls:
        request = url.parse(path)
        expected = _SIG.sub("/", path, count=1)
        assert url.canonical(request) == expected, (public_id, options)
        assert request.cloud_name == "demo"
        assert request.delivery_type == options.get("type", "upload")
        assert request.resource_type == options.get("resource_type", "image")
        if options.get("version"):
            assert request.version == options["version"]
        if options.get("type") != "fetch" and options.get("format"):
            assert request.format == options["format"]


def test_parse_of_canonical_is_identity(sdk_urls):
    for _, _, path in sdk_urls[:800]:
        request = url.parse(path)
        again = url.parse(url.canonical(request))
        expected = dataclasses.replace(request, signature=None,
                                       transformation=url.canonical_transformation(request.components))
        assert again == expected


def test_permuting_params_inside_components_keeps_canonical(sdk_urls):
    r = random.Random(7)
    for _, _, path in sdk_urls[:600]:
        request = url.parse(path)
        if not request.transformation:
            continue
        comps = request.transformation.split("/")
        shuffled = []
        for comp in comps:
            tokens = comp.split(",")
            # variables depend on the order they are written in; keep them, permute the rest
            fixed = [t for t in tokens if t.startswith("$")]
            free = [t for t in tokens if not t.startswith("$")]
            r.shuffle(free)
            shuffled.append(",".join(fixed + free) if not free or not free[0].startswith("if_") else ",".join(free + fixed))
        mutated = path.replace(request.transformation, "/".join(shuffled), 1)
        assert url.canonical(url.parse(mutated)) == url.canonical(request)


def test_signed_sdk_urls_verify(sdk_urls):
    signed = [(o, p) for _, o, p in sdk_urls if o.get("sign_url")]
    assert len(signed) > 600
    for options, path in signed:
        assert url.verify_signature(path, SECRET), path
        assert not url.verify_signature(path, SECRET + "x"), path


def test_sign_path_reproduces_sdk_signatures(sdk_urls):
    for _, options, path in sdk_urls:
        if not options.get("sign_url"):
            continue
        unsigned = _SIG.sub("/", path, count=1)
        algorithm = options.get("signature_algorithm", "sha1")
        assert url.sign_path(unsigned, SECRET, algorithm=algorithm,
                             long=bool(options.get("long_url_signature"))) == path


def _signed_spans(path: str) -> list[int]:
    """Positions of characters covered by the signature: transformation and public ID."""
    raw = split_path(path)
    sig_end = _SIG.search(path).end() - 1
    positions: list[int] = []
    transformation = "/".join(raw.components)
    if transformation:
        start = path.index(transformation, sig_end)
        positions += range(start, start + len(transformation))
    body = path.split("?", 1)[0]
    id_start = body.rindex(raw.public_id_text + ("/" + raw.suffix if raw.suffix else ""))
    positions += range(id_start, id_start + len(raw.public_id_text))
    if raw.suffix and "." in raw.suffix:
        dot = len(body) - len(raw.suffix.rpartition(".")[2]) - 1
        positions += range(dot, len(body))
    return positions


def test_any_one_character_change_breaks_the_signature(sdk_urls):
    r = random.Random(11)
    alphabet = "abcxyzABC0129_-.,:;!$%"
    checked = 0
    for _, options, path in sdk_urls:
        if not options.get("sign_url"):
            continue
        positions = _signed_spans(path)
        for pos in r.sample(positions, min(4, len(positions))):
            new = r.choice([c for c in alphabet if c != path[pos]])
            mutated = path[:pos] + new + path[pos + 1 :]
            assert not url.verify_signature(mutated, SECRET), (path, mutated)
            checked += 1
    assert checked > 2000


def test_every_single_character_change_breaks_some_signatures(sdk_urls):
    """Exhaustive over positions for a subset: every signed character, every replacement class."""
    signed = [p for _, o, p in sdk_urls if o.get("sign_url")][:40]
    for path in signed:
        for pos in _signed_spans(path):
            for new in ("a", "0", "_", ","):
                if new == path[pos]:
                    continue
                mutated = path[:pos] + new + path[pos + 1 :]
                assert not url.verify_signature(mutated, SECRET), (path, mutated)


@pytest.mark.parametrize("variant", [
    {"private_cdn": True},
    {"private_cdn": True, "use_root_path": True},
    {"shorten": True},
    {"cname": "img.example.com"},
    {"secure_distribution": "x.example.org", "secure": True},
])
def test_host_forms(variant):
    """Cloud-less (private CDN), root-path, `iu` and CNAME forms parse, normalise and verify."""
    checked = 0
    for public_id, options, _ in corpus(250, seed=zlib.crc32(repr(sorted(variant.items())).encode()) % 1000):
        options = {**options, **variant}
        if variant.get("use_root_path") or variant.get("shorten"):
            if options.get("type", "upload") != "upload" or options.get("url_suffix") or options.get("resource_type"):
                continue
        sdk_url, _ = cloudinary.utils.cloudinary_url(public_id, **dict(options))
        path = _path(sdk_url)
        root = bool(variant.get("use_root_path"))
        request = url.parse(path, cloud_name="demo", root_path=root)
        expected = _SIG.sub("/", path, count=1)
        if root:
            expected = expected.replace("/", "/image/upload/", 1) if not expected.startswith("/s--") else expected
        expected = expected.replace("/iu/", "/image/upload/", 1)
        if variant.get("private_cdn"):
            expected = "/demo" + (expected if not root else "/image/upload" + expected[len("/image/upload"):])
        assert url.canonical(request) == expected, (path, options)
        if options.get("sign_url"):
            assert url.verify_signature(path, SECRET, root_path=root), path
            raw = split_path(path, cloud_name="demo", root_path=root)
            start = path.rindex(raw.public_id_text)
            mutated = path[:start] + ("X" if path[start] != "X" else "Y") + path[start + 1 :]
            assert not url.verify_signature(mutated, SECRET, root_path=root)
        checked += 1
    assert checked > 150
