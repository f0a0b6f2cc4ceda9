"""`edge analyze FILE|URL --model <m> [--json]` as a subprocess (issue 12): the readable
summary, the exact API JSON (the same analysis the server answers), URLs, and errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from api_live import API_KEY, API_SECRET, IMAGES, ApiLive

CAT = IMAGES / "cat_coco_000443.jpg"
BUS = IMAGES / "bus_coco_000532.jpg"


def edge(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run([sys.executable, "-m", "edge.cli", "analyze", *args], capture_output=True, text=True,
                          timeout=120, env=env)


def test_cli_summary_lists_boxes_and_scores() -> None:
    r = edge(str(BUS), "--model", "coco")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "model coco (model_version 2)"
    assert "source 640x480 px jpg" in r.stdout
    bus = [l for l in lines if l.strip().startswith("bus ")]
    assert bus and "box [" in bus[0] and float(bus[0].split()[1]) > 0.5
    q = edge(str(IMAGES / "kodim03_hats.png"), "--model", "image_quality")
    assert q.returncode == 0 and "quality high" in q.stdout
    t = edge(str(IMAGES / "signage_street_sign_coco_000250.jpg"), "--model", "cld_text")
    assert t.returncode == 0 and "VESEY" in t.stdout.upper() and "box(es)" in t.stdout


def test_cli_json_is_the_api_answer(api: ApiLive, photos_http: str) -> None:
    r = edge(str(CAT), "--model", "coco", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert set(out) == {"request_id", "limits", "data"} and out["data"]["entity"] == str(CAT)
    server = api.client.post("/v2/analysis/demo/analyze/coco", json={"source": {"uri": f"{photos_http}/{CAT.name}"}},
                             auth=(API_KEY, API_SECRET)).json()
    assert out["data"]["analysis"] == server["data"]["analysis"]
    assert out["limits"] == server["limits"]
    assert "cat" in out["data"]["analysis"]["tags"]


def test_cli_reads_urls_with_the_fetch_rules(photos_http: str) -> None:
    r = edge(f"{photos_http}/{CAT.name}", "--model", "phash", "--allow-private")
    assert r.returncode == 0 and r.stdout.strip().endswith(tuple("0123456789abcdef")) and "phash " in r.stdout
    refused = edge(f"{photos_http}/{CAT.name}", "--model", "phash")
    assert refused.returncode == 1 and "non-public address" in refused.stderr


def test_cli_errors(tmp_path: Any) -> None:
    r = edge(str(CAT), "--model", "captioning")
    assert r.returncode == 2 and "not available" in r.stderr and "coco" in r.stderr and not r.stdout
    r = edge(str(IMAGES / "broken_truncated.jpg"), "--model", "coco")
    assert r.returncode == 1 and "Invalid image" in r.stderr and not r.stdout
    r = edge(str(tmp_path / "missing.jpg"), "--model", "coco")
    assert r.returncode == 1 and "missing.jpg" in r.stderr
