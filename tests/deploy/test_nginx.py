"""The shipped deploy/nginx.conf with a real nginx in front of a real Edge (issue 9, item 11).

Each test asks nginx, reads `X-Cache-Status` (the config adds it), and where the question is
"which entry", reads the cache keys nginx wrote to disk (`Nginx.cache_entries`)."""

from __future__ import annotations

import time

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge.server.negotiate import accept_class
from edge.url.signing import sign_path
from edge_live import SECRET

LANDSCAPE = "/demo/image/upload/c_scale,w_222/samples/landscape.jpg"
CHROME_ACCEPT = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"


def _get(nginx, path: str, **headers: str) -> httpx.Response:
    with httpx.Client(base_url=nginx.url, timeout=60) as client:
        return client.get(path, headers=headers)


def _status(r: httpx.Response) -> str:
    return r.headers.get("x-cache-status", "")


def test_hit_after_miss_same_bytes(nginx) -> None:
    path = "/demo/image/upload/c_fill,w_120,h_90/samples/landscape.jpg"
    first = _get(nginx, path)
    second = _get(nginx, path)
    assert first.status_code == second.status_code == 200
    assert (_status(first), _status(second)) == ("MISS", "HIT")
    assert first.content == second.content and first.headers["content-type"] == "image/jpeg"
    assert first.headers["etag"] == second.headers["etag"]


def test_query_strings_share_the_entry(nginx) -> None:
    """The SDKs' `?_a=` analytics parameter (cloudinary 1.46.3 adds it by default) and any other
    query string map to the path's entry: Edge ignores query strings."""
    path = "/demo/image/upload/c_scale,w_101/samples/landscape.jpg"
    assert _status(_get(nginx, path)) == "MISS"
    for query in ("?_a=BAMAK+Go0", "?_a=BAMAMiZm0", "?v=2&cache_bust=1", "?"):
        r = _get(nginx, path + query)
        assert r.status_code == 200 and _status(r) == "HIT", query
    assert path + "|||" in nginx.cache_entries()


def test_client_hints_split_only_auto_urls(nginx) -> None:
    """Width/DPR hints are not in the key of a URL without `w_auto`/`dpr_auto` (360, 361, 362
    all hit), and are on a `w_auto` URL, whose answer depends on them."""
    path = LANDSCAPE.replace("222", "223")
    seen = [_status(_get(nginx, path, **{"Sec-CH-Width": str(w), "Sec-CH-DPR": "2"}))
            for w in (360, 361, 362)]
    assert seen == ["MISS", "HIT", "HIT"]

    auto = "/demo/image/upload/c_scale,w_auto/samples/landscape.jpg"
    small = _get(nginx, auto, **{"Sec-CH-Width": "300"})
    large = _get(nginx, auto, **{"Sec-CH-Width": "700"})
    again = _get(nginx, auto, **{"Sec-CH-Width": "700"})
    assert (_status(small), _status(large), _status(again)) == ("MISS", "MISS", "HIT")
    assert small.content != large.content and again.content == large.content
    assert len(small.content) < len(large.content)

    dpr = "/demo/image/upload/c_scale,w_100,dpr_auto/samples/landscape.jpg"
    one = _get(nginx, dpr, **{"Sec-CH-DPR": "1"})
    two = _get(nginx, dpr, **{"Sec-CH-DPR": "2", "Sec-CH-Width": "999"})
    two_again = _get(nginx, dpr, **{"Sec-CH-DPR": "2", "Sec-CH-Width": "5"})  # width: not in this key
    assert (_status(one), _status(two), _status(two_again)) == ("MISS", "MISS", "HIT")
    assert len(one.content) < len(two.content) == len(two_again.content)


@pytest.mark.parametrize("accept, content_type", [
    ("image/avif,image/webp", "image/avif"),
    (CHROME_ACCEPT, "image/avif"),
    ("image/webp,*/*", "image/webp"),
    ("image/jpeg", "image/jpeg"),
    ("image/webp;q=0, image/jpeg", "image/jpeg"),
    ("image/avif;q=0.0,image/webp;q=0.5", "image/webp"),
    ("IMAGE/AVIF; Q=0 , image/webp ; q=0.", "image/jpeg"),
])
def test_f_auto_per_accept(nginx, edge, accept: str, content_type: str) -> None:
    """nginx gives each Accept the format Edge gives it: the cached WebP never reaches a client
    that refuses it with q=0, and Accept headers of one class share an entry."""
    path = "/demo/image/upload/c_scale,w_150/f_auto/samples/landscape.jpg"
    _get(nginx, path, Accept="image/webp")  # a WebP entry exists before any refusing client
    direct = edge.client.get(path, headers={"Accept": accept})
    assert direct.headers["content-type"] == content_type
    r = _get(nginx, path, Accept=accept)
    assert r.status_code == 200 and r.headers["content-type"] == content_type
    assert "Accept" in r.headers.get("vary", "")
    again = _get(nginx, path, Accept=accept)
    assert _status(again) == "HIT" and again.content == r.content


def test_accept_classes_are_few(nginx) -> None:
    """Many Accept spellings end in the four classes Edge distinguishes (AVIF and/or WebP)."""
    path = "/demo/image/upload/c_scale,w_140/f_auto/samples/landscape.jpg"
    for accept in (CHROME_ACCEPT, "image/avif,image/webp,*/*", "image/webp", "image/webp,image/png",
                   "*/*", "image/png", "image/avif", "text/html"):
        _get(nginx, path, Accept=accept)
    keys = {k for k in nginx.cache_entries() if k.startswith(path + "|")}
    assert keys == {f"{path}|f_auto={c}||" for c in ("avif.webp", ".webp", ".", "avif.")}


def test_head_uses_the_get_entry(nginx) -> None:
    path = LANDSCAPE.replace("222", "224")
    assert _status(_get(nginx, path)) == "MISS"
    with httpx.Client(base_url=nginx.url, timeout=60) as client:
        head = client.head(path)
    assert head.status_code == 200 and _status(head) == "HIT" and head.content == b""


def test_not_modified_from_cache(nginx) -> None:
    path = LANDSCAPE.replace("222", "225")
    etag = _get(nginx, path).headers["etag"]
    r = _get(nginx, path, **{"If-None-Match": etag})
    assert r.status_code == 304 and r.content == b"" and _status(r) == "HIT"
    assert r.headers["etag"] == etag
    other = _get(nginx, path, **{"If-None-Match": '"something-else"'})
    assert other.status_code == 200 and other.content


def test_4xx_cached_briefly_401_not(nginx) -> None:
    """404 and 400 are cached for Edge's max-age=60 (the entry expires a minute after it was
    written, where a 200 lives an hour); a 401 for a missing signature is never cached."""
    def written_for(path: str, max_age: int) -> httpx.Response:
        # nginx stores the entry when the first answer arrives, at some instant between the
        # request's start and end (seconds, rounded down): its expiry lies in that window
        # plus the answer's max-age, whatever the machine's load made the request take.
        before = time.time()
        first = _get(nginx, path)
        after = time.time()
        expires = nginx.wait_entry(path + "|||")
        assert before + max_age - 1 <= expires <= after + max_age + 1, (first.status_code, expires - before)
        assert _status(first) == "MISS"
        return first

    missing = "/demo/image/upload/w_100/samples/no_such_photo.jpg"
    first = written_for(missing, 60)
    second = _get(nginx, missing)
    assert first.status_code == second.status_code == 404 and _status(second) == "HIT"
    assert second.headers["x-cld-error"]

    bad = "/demo/image/upload/w_abc/samples/landscape.jpg"
    r1, r2 = written_for(bad, 60), _get(nginx, bad)
    assert r1.status_code == r2.status_code == 400 and _status(r2) == "HIT"

    ok = LANDSCAPE.replace("222", "226")
    assert written_for(ok, 3600).status_code == 200  # Edge's default max-age

    unsigned = "/demo/image/upload/c_crop,g_dog/samples/dog.jpg"
    u1, u2 = _get(nginx, unsigned), _get(nginx, unsigned)
    assert u1.status_code == u2.status_code == 401
    assert _status(u2) == "MISS" and unsigned + "|||" not in nginx.cache_entries()
    signed = _get(nginx, sign_path(unsigned, SECRET))
    assert signed.status_code == 200 and signed.headers["content-type"] == "image/jpeg"


def test_internal_routes_stay_internal(nginx, edge) -> None:
    assert edge.client.get("/readyz").status_code == 200  # Edge is ready...
    ready = _get(nginx, "/readyz")
    assert ready.status_code == 404 and "x-edge-cache" not in ready.headers  # ...nginx says nothing
    assert _get(nginx, "/metrics").status_code == 404
    health = _get(nginx, "/healthz")
    assert health.status_code == 200 and "x-cache-status" not in health.headers


def test_api_paths_are_not_cached(nginx) -> None:
    """Upload/Admin API paths (`/v1_1/...`) pass through uncached: their query strings matter
    and their answers depend on credentials."""
    path = "/v1_1/demo/resources/image/upload/samples/landscape?colors=true"
    r1, r2 = _get(nginx, path), _get(nginx, path)
    assert "x-cache-status" not in r1.headers and "x-cache-status" not in r2.headers
    assert not any(k.startswith("/v1_1/") for k in nginx.cache_entries())


# ---- the Accept classes nginx computes agree with Edge's reading of Accept ---------------------
_MEDIA = st.sampled_from(["image/avif", "image/webp", "image/jpeg", "image/png", "image/*", "*/*",
                          "IMAGE/WEBP", "Image/Avif", "text/html", "image/apng"])
_Q = st.sampled_from(["", ";q=0", ";q=0.0", ";q=0.", ";q=.0", ";q=00", " ; q = 0", ";q=0.5",
                      ";q=1", ";q=0.001", ";Q=0", ";level=1;q=0", ";q=0.9", ";q=.", ";q=0.0.1", ";q=1.2.3",
                      ";q=0.5;q=0", ";q=0;q=1", ";q=abc;q=0", ";q=10"])
_ACCEPT = st.lists(st.tuples(_MEDIA, _Q), min_size=0, max_size=5).map(
    lambda parts: ", ".join(m + q for m, q in parts))


def test_accept_classes_match_edge(nginx) -> None:
    """For any Accept header, the entry nginx serves has the format Edge would pick for it
    (`edge.server.negotiate.accept_class`: AVIF > WebP > the JPEG original)."""
    path = "/demo/image/upload/c_scale,w_90/f_auto/samples/landscape.jpg"
    with httpx.Client(base_url=nginx.url, timeout=60) as client:

        @settings(max_examples=200, deadline=None, database=None)
        @given(accept=_ACCEPT)
        def check(accept: str) -> None:
            allowed = accept_class(accept).split(".")
            expected = "image/avif" if "avif" in allowed else "image/webp" if "webp" in allowed else "image/jpeg"
            r = client.get(path, headers={"Accept": accept})
            assert r.status_code == 200 and r.headers["content-type"] == expected, accept

        check()


def test_request_id_end_to_end(nginx) -> None:
    """nginx passes the client's X-Request-Id to Edge (or makes one), and every answer, a cached
    hit included, carries the id of the request it answers."""
    path = "/demo/image/upload/c_scale,w_133/samples/landscape.jpg"
    miss = _get(nginx, path, **{"X-Request-Id": "client-id-1"})
    hit = _get(nginx, path, **{"X-Request-Id": "client-id-2"})
    made = _get(nginx, path)
    assert (_status(miss), _status(hit)) == ("MISS", "HIT")
    assert miss.headers.get_list("x-request-id") == ["client-id-1"]
    assert hit.headers.get_list("x-request-id") == ["client-id-2"]
    made_ids = made.headers.get_list("x-request-id")
    assert len(made_ids) == 1 and len(made_ids[0]) >= 16 and made_ids[0] not in ("client-id-1", "client-id-2")
