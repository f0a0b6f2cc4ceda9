"""FetchOrigin against a real loopback HTTP server: allow-list, address checks after DNS,
redirect re-checks, size limit, remote errors."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import pytest

from edge.storage import AssetNotFound, FetchDenied, FetchOrigin, OriginUnavailable, SourceTooLarge
from edge.storage.fetch_origin import is_public_address


@pytest.fixture(scope="module")
def remote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 serving a photo, a redirect and a 404."""
    photo = (Path(__file__).resolve().parents[1] / "images" / "tiny_hopper_128.jpg").read_bytes()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            if self.path == "/photo.jpg":
                self.send_response(200)
                self.send_header("Content-Type", "image/jpeg")
                self.send_header("ETag", '"v42"')
                self.send_header("Content-Length", str(len(photo)))
                self.end_headers()
                self.wfile.write(photo)
            elif self.path.startswith("/redirect"):
                self.send_response(302)
                self.send_header("Location", self.path.split("to=", 1)[1])
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.mark.parametrize("ip,public", [
    ("8.8.8.8", True), ("2606:4700:4700::1111", True), ("127.0.0.1", False), ("0.0.0.0", False),
    ("10.1.2.3", False), ("192.168.1.1", False), ("172.16.0.1", False), ("169.254.169.254", False),
    ("::1", False), ("fe80::1", False), ("::ffff:127.0.0.1", False), ("100.64.0.1", False),
    ("224.0.0.1", False), ("not-an-ip", False),
])
def test_is_public_address(ip: str, public: bool) -> None:
    assert is_public_address(ip) is public


def test_fetch_disabled_without_allow_list(remote: str) -> None:
    with pytest.raises(FetchDenied):
        FetchOrigin().load(f"{remote}/photo.jpg")


def test_loopback_refused_even_when_host_allowed(remote: str) -> None:
    with pytest.raises(FetchDenied, match="non-public"):
        FetchOrigin(["*"]).load(f"{remote}/photo.jpg")
    with pytest.raises(FetchDenied):
        FetchOrigin(["*"]).load("http://0.0.0.0/photo.jpg")


def test_dns_answer_checked_after_resolution() -> None:
    origin = FetchOrigin(["*.example.com"], resolver=lambda host, port: ["93.184.215.14", "10.0.0.5"])
    with pytest.raises(FetchDenied, match="non-public"):
        origin.load("https://img.example.com/a.jpg")
    with pytest.raises(FetchDenied, match="not allowed"):
        origin.load("https://evil.org/a.jpg")


@pytest.mark.parametrize("url", ["ftp://example.com/a.jpg", "file:///etc/passwd", "http://user:pw@example.com/a",
                                 "http://[::1/a", "javascript:alert(1)"])
def test_bad_schemes_refused(url: str) -> None:
    with pytest.raises(FetchDenied):
        FetchOrigin(["*"]).load(url)


@pytest.mark.parametrize("path", ["/a\x00b.jpg", "/lone\ud800.jpg", "/" + "a" * 70000],
                         ids=["nul", "surrogate", "too-long"])
def test_urls_the_http_client_refuses_are_denied(remote: str, path: str) -> None:
    """Control characters (the fetch URL of `/image/fetch/http://h/%00`), lone surrogates and
    over-long URLs pass the host checks but no HTTP client sends them: a 403, never a 500."""
    with pytest.raises(FetchDenied, match="Invalid fetch URL"):
        FetchOrigin(["127.0.0.1"], allow_private=True).load(remote + path)


def test_fetch_success_with_private_allowed(remote: str) -> None:
    src = FetchOrigin(["127.0.0.1"], allow_private=True).load(f"{remote}/photo.jpg")
    assert src.data[:3] == b"\xff\xd8\xff" and src.version == "v42" and len(src.etag) == 40


def test_remote_errors_and_limits(remote: str) -> None:
    origin = FetchOrigin(["127.0.0.1"], allow_private=True, max_bytes=1000)
    with pytest.raises(SourceTooLarge):
        origin.load(f"{remote}/photo.jpg")
    with pytest.raises(AssetNotFound):
        origin.load(f"{remote}/missing.jpg")
    with pytest.raises(OriginUnavailable):
        FetchOrigin(["127.0.0.1"], allow_private=True, timeout_s=2).load("http://127.0.0.1:1/x.jpg")


def test_each_redirect_is_rechecked(remote: str) -> None:
    origin = FetchOrigin(["127.0.0.1"], allow_private=True)
    assert origin.load(f"{remote}/redirect?to={remote}/photo.jpg").data[:2] == b"\xff\xd8"
    with pytest.raises(FetchDenied, match="not allowed"):
        origin.load(f"{remote}/redirect?to=http://localhost.evil.example/x.jpg")
