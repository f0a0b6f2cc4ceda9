"""`edge url parse` / `edge url sign` through a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys

S = "X7qLTrsES31MzxxkxPPA-pAGGfU"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "edge.cli", "url", *args], capture_output=True, text=True, timeout=60)


def test_parse_prints_ast_json():
    out = run("parse", "/demo/image/upload/w_400,c_fill,g_auto:dog_avoid/v7/folder/a%20b.png?_a=x")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["node"] == "DeliveryRequest" and data["public_id"] == "folder/a b" and data["version"] == 7
    params = data["components"][0]["params"]
    assert [p["key"] for p in params] == ["c", "g", "w"]
    assert params[1]["value"]["focals"][0] == {"node": "Focal", "name": "dog", "model": None, "avoid": True, "weight": None}
    assert params[2]["value"] == {"node": "Length", "value": 400, "relative": False, "text": "400"}
    assert data["canonical"] == "/demo/image/upload/c_fill,g_auto:dog_avoid,w_400/v7/folder/a%20b.png"


def test_parse_error_exit_status():
    out = run("parse", "/demo/image/upload/w_-5/a.jpg")
    assert out.returncode == 2 and "Invalid value for w: -5" in out.stderr and out.stdout == ""


def test_sign_matches_spec_vectors():
    out = run("sign", "/demo/image/upload/sample.jpg", "--secret", S)
    assert out.returncode == 0 and out.stdout.strip() == "/demo/image/upload/s---p0xahHZ--/sample.jpg"
    p = "/demo/image/upload/c_fill,g_auto:subject,h_200,w_300/v1/products/shoe.webp"
    assert run("sign", p, "--secret", S, "--sha256").stdout.strip() == p.replace("upload/", "upload/s--eMbTgH_H--/")
    assert run("sign", p, "--secret", S, "--long").stdout.strip() == \
        p.replace("upload/", "upload/s--eMbTgH_HFdNYt9I7OQWC10u7nwp5tVoa--/")


def test_cloudless_parse_option():
    out = run("parse", "/image/upload/a.jpg", "--cloud-name", "demo")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["cloud_name"] == "demo"


def test_sign_refuses_an_empty_secret():
    """`edge url sign ... --secret "$EDGE_API_SECRET"` with the variable unset must not print a
    signature no server accepts."""
    r = run("sign", "/demo/image/upload/w_100/sample.jpg", "--secret", "")
    assert r.returncode == 2 and r.stdout == "" and "EDGE_API_SECRET" in r.stderr
