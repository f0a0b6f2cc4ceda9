"""Bad input to the Upload API: each a clean 4xx JSON error (never a 500), nothing stored (no
catalogue row, no stored original), memory flat for an oversized body."""

from __future__ import annotations

import resource
import time
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from api_live import API_KEY, API_SECRET, IMAGES, PHOTO, ApiLive, start_server


def _signed(params: dict[str, Any]) -> dict[str, Any]:
    from cloudinary.utils import api_sign_request

    out = {**params, "timestamp": str(int(time.time()))}
    file = out.pop("file", None)
    out["signature"] = api_sign_request(out, API_SECRET)
    out["api_key"] = API_KEY
    if file is not None:
        out["file"] = file
    return out


def _stored(api: ApiLive) -> list[Path]:
    base = Path(api.settings.origin) / ".edge-originals"
    return sorted(base.glob("[0-9a-f][0-9a-f]/*"))  # stored originals (and temp files) only


def _post(api: ApiLive, params: dict[str, Any], file: Any = None, **kw: Any) -> httpx.Response:
    files = {"file": file} if file is not None else None
    return api.client.post("/v1_1/demo/image/upload", data=params, files=files, **kw)


def _assert_error(resp: httpx.Response, status: int, contains: str) -> None:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/json")
    message = resp.json()["error"]["message"]
    assert contains in message, message
    assert resp.headers.get("x-request-id")


CASES = [
    ("text file", ("notes.jpg", (IMAGES / "broken_text_file.jpg").read_bytes()), 400, "Invalid image file"),
    ("truncated jpeg", ("t.jpg", (IMAGES / "broken_truncated.jpg").read_bytes()), 400, "truncated or corrupt"),
    ("truncated png", ("t.png", (IMAGES / "broken_truncated.png").read_bytes()), 400, "Invalid image file"),
    ("zero bytes", ("z.jpg", b""), 400, "Invalid image file"),
]


@pytest.mark.parametrize("name,file,status,contains", CASES, ids=[c[0] for c in CASES])
def test_bad_files_store_nothing(api: ApiLive, name: str, file: Any, status: int, contains: str) -> None:
    before = _stored(api)
    pid = "bad/" + name.replace(" ", "_")
    _assert_error(_post(api, _signed({"public_id": pid}), file), status, contains)
    assert api.catalogue.get("upload", pid) is None
    assert _stored(api) == before


@pytest.mark.parametrize("params,contains", [
    ({"public_id": "bad/nofile"}, "Missing required parameter - file"),
    ({"public_id": "bad/eval", "eval": "upload_options.tags = 'x'"}, "never executes JavaScript"),
    ({"public_id": "bad/onsuccess", "on_success": "current_asset.update({tags: ['x']})"}, "never executes JavaScript"),
    ({"public_id": "bad/unknown", "frobnicate": "1"}, "Unknown parameter - frobnicate"),
    ({"public_id": "bad/bool", "overwrite": "maybe"}, "Invalid boolean for overwrite"),
    ({"public_id": "bad/type", "type": "fetch"}, "Invalid type"),
    ({"public_id": "../escape"}, "Invalid public_id"),
    ({"public_id": "bad/ftp", "file": "ftp://example.com/a.jpg"}, "http(s) URLs only"),
    ({"public_id": "bad/notbase64", "file": "/etc/passwd"}, "Invalid file"),
    ({"public_id": "bad/datauri", "file": "data:image/png;base64,!!!"}, "data URI"),
    ({"public_id": "bad/eager", "eager": "w_abc"}, "Invalid eager transformation"),
    ({"public_id": "bad/eagerauto", "eager": "f_auto,w_100"}, "depends on the requesting browser"),
    ({"public_id": "bad/model", "detection": "captioning"}, "does not support"),
    ({"public_id": "bad/formats", "allowed_formats": "png"}, "File format not allowed"),
    ({"public_id": "bad/moderation", "moderation": "aws_rek"}, "moderation"),
    ({"public_id": "bad/ssrf", "file": "http://10.1.2.3/a.jpg"}, "Error in loading"),
    ({"public_id": "bad/acl", "access_control": '[{"access_type":"sometimes"}]'}, "Invalid access_control"),
    ({"public_id": "bad/acljson", "access_control": '[{"access_type":'}, "Invalid access_control"),
    ({"public_id": "bad/acldate", "access_control": '[{"access_type":"anonymous","start":"soon"}]'},
     "Invalid access_control"),
    ({"public_id": "bad/mode", "access_mode": "secret"}, "Invalid access_mode"),
    ({"public_id": "bad/headers", "headers": "X-Robots-Tag: noindex"}, "not supported"),
    ({"public_id": "bad/proxy", "proxy": "http://proxy:3128"}, "proxy"),
])
def test_bad_parameters_are_400(api: ApiLive, params: dict[str, Any], contains: str) -> None:
    before = _stored(api)
    needs_file = "file" not in params and params["public_id"] != "bad/nofile"
    resp = _post(api, _signed(params), ("dog.jpg", PHOTO.read_bytes()) if needs_file else None)
    _assert_error(resp, 400, contains)
    assert api.catalogue.get("upload", params["public_id"].lstrip("./")) is None
    assert _stored(api) == before


def test_unknown_preset(api: ApiLive) -> None:
    resp = _post(api, {"upload_preset": "nope", "timestamp": str(int(time.time()))}, ("d.jpg", PHOTO.read_bytes()))
    _assert_error(resp, 400, "Upload preset not found")


def test_malformed_bodies(api: ApiLive) -> None:
    _assert_error(api.client.post("/v1_1/demo/image/upload", content=b"{not json",
                                  headers={"content-type": "application/json"}), 400, "Invalid JSON")
    _assert_error(api.client.post("/v1_1/demo/image/upload", content=b"--x\r\ngarbage",
                                  headers={"content-type": "multipart/form-data; boundary=x"}), 400, "")
    _assert_error(api.client.post("/v1_1/demo/image/upload", content=b"[1,2]",
                                  headers={"content-type": "application/json"}), 400, "expected an object")


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiLive]:
    """A server accepting files up to 1 MiB."""
    with start_server(tmp_path_factory.mktemp("small"), max_upload_mb=1) as live:
        yield live


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024


def test_oversized_body_is_413_memory_flat(small: ApiLive) -> None:
    limit = 1024 * 1024
    # declared too large: refused before the body is read
    big = b"\xff" * (40 * 1024 * 1024)
    resp = _post(small, _signed({"public_id": "big/declared"}), ("big.jpg", big))
    _assert_error(resp, 413, f"exceeds maximum allowed ({limit})")
    del big
    rss0 = _rss_mb()  # server and client share this process: measure the streamed case
    # streamed without Content-Length (chunked): cut while streaming

    def chunks() -> Iterator[bytes]:
        yield (b'--zzz\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n'
               b"Content-Type: image/jpeg\r\n\r\n")
        for _ in range(200):
            yield b"\xff" * (1024 * 1024)

    resp = small.client.post("/v1_1/demo/image/upload", content=chunks(),
                             headers={"content-type": "multipart/form-data; boundary=zzz"})
    _assert_error(resp, 413, "exceeds maximum allowed")
    # a file part just over the limit inside an allowed body
    over = PHOTO.read_bytes() * 8  # ~1.3 MB
    resp = _post(small, _signed({"public_id": "big/part"}), ("o.jpg", over[: limit + 1000]))
    _assert_error(resp, 413, f"File size ({limit + 1000}) exceeds maximum allowed ({limit})")
    assert _rss_mb() - rss0 < 20  # the 200 MB streamed body never sat in memory
    assert small.catalogue.get("upload", "big/part") is None
    # a data URI whose decoded file is over the limit (the body itself is allowed 4/3)
    import base64

    blob = (PHOTO.read_bytes() * 8)[: limit + 5000]
    uri = "data:image/jpeg;base64," + base64.b64encode(blob).decode()
    resp = _post(small, _signed({"public_id": "big/uri", "file": uri}))  # form-urlencoded
    _assert_error(resp, 413, f"exceeds maximum allowed ({limit})")
    resp = small.client.post("/v1_1/demo/image/upload", json=_signed({"public_id": "big/uri", "file": uri}))
    _assert_error(resp, 413, f"File size ({limit + 5000}) exceeds maximum allowed ({limit})")
    # and a photo under the limit still uploads
    resp = _post(small, _signed({"public_id": "big/ok"}), ("d.jpg", PHOTO.read_bytes()))
    assert resp.status_code == 200, resp.text


def test_client_gone_mid_file_leaves_no_staged_file(api: ApiLive) -> None:
    """The file part is streamed into a staging file in the origin; a client that goes away
    after several batches leaves neither an asset nor that file."""
    before = _stored(api)
    big = (IMAGES / "large_5312x2988_seeding.jpg").read_bytes()

    def chunks() -> Iterator[bytes]:
        yield (b'--zzz\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n'
               b"Content-Type: image/jpeg\r\n\r\n")
        for i in range(0, 900_000, 100_000):
            yield big[i:i + 100_000]
        raise RuntimeError("the client went away")

    with pytest.raises(RuntimeError, match="went away"):
        api.client.post("/v1_1/demo/image/upload", content=chunks(),
                        headers={"content-type": "multipart/form-data; boundary=zzz"})
    deadline = time.monotonic() + 10  # new = left by this request (an earlier test's own
    while set(_stored(api)) - set(before) and time.monotonic() < deadline:  # clean-up may still
        time.sleep(0.05)  # remove files of `before` meanwhile)
    assert set(_stored(api)) - set(before) == set()


def test_other_methods_get_a_json_405(api: ApiLive) -> None:
    for method in ("GET", "PUT", "DELETE"):
        resp = api.client.request(method, "/v1_1/demo/image/upload")
        _assert_error(resp, 405, "takes POST")
        assert resp.headers["allow"] == "POST"


def test_refused_parameter_with_a_false_value_asks_nothing(api: ApiLive) -> None:
    resp = _post(api, _signed({"public_id": "bad/falsy", "unique_display_name": "0", "eval": ""}),
                 ("d.jpg", PHOTO.read_bytes()))
    assert resp.status_code == 200, resp.text
    _assert_error(_post(api, _signed({"public_id": "bad/truthy", "unique_display_name": "1"}),
                        ("d.jpg", PHOTO.read_bytes())), 400, "unique_display_name")
