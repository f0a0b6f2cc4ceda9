"""A `d_` default image stored inside a named transformation (`t_<name>`) replaces a missing
asset exactly as a `d_` written in the URL does, over a real uvicorn."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
import pyvips

from edge_live import Live, server_with


@pytest.fixture(scope="module")
def named_server(origin_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    path = tmp_path_factory.mktemp("conf") / "named.toml"
    path.write_text('avatar = "d_hopper.jpg,c_scale,w_40"\nouter = "t_avatar/e_grayscale"\n')
    with server_with(origin_dir, named_transformations=str(path)) as server:
        yield server


@pytest.mark.parametrize("chain", ["t_avatar", "t_outer"])
def test_named_default_image_replaces_a_missing_asset(named_server: Live, chain: str) -> None:
    r = named_server.client.get(f"/demo/image/upload/{chain}/does/not/exist.jpg")
    assert r.status_code == 200, r.headers.get("x-cld-error")
    assert pyvips.Image.new_from_buffer(r.content, "").width == 40
    assert r.headers["x-cld-error"] and r.headers["cache-control"].startswith("private")


def test_named_chain_without_a_default_still_answers_404(named_server: Live) -> None:
    named_server.client.get("/demo/image/upload/t_avatar/hopper.jpg").raise_for_status()
    missing = named_server.client.get("/demo/image/upload/e_grayscale/does/not/exist.jpg")
    assert missing.status_code == 404
