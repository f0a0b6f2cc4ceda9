"""Two Edge nodes sharing one PostgreSQL catalogue and one origin (separate caches), driven by
the official SDK: what one node uploads the other lists and updates, concurrent Admin updates
from both nodes lose nothing, a delete on one node is a 404 on the other's delivery."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from api_live import IMAGES, configure_sdk, start_server
from pgserver import pg_server  # noqa: F401  (fixture)

HOPPER = IMAGES / "tiny_hopper_128.jpg"
DOG = IMAGES / "dog_bicycle_truck.jpg"


def call(url: str, fn: str, *args: Any, **kwargs: Any) -> Any:
    """An SDK Admin API call against the node at `url` (per-call upload_prefix: thread-safe)."""
    import cloudinary.api as A

    return getattr(A, fn)(*args, upload_prefix=url, **kwargs)


@pytest.mark.slow
def test_two_nodes_share_the_catalogue(tmp_path: Path, pg_server: Any) -> None:  # noqa: F811
    import cloudinary.uploader as U

    location = pg_server.new_database()
    origin = tmp_path / "origin"
    with start_server(tmp_path / "a", catalogue=location, origin=str(origin)) as a, \
            start_server(tmp_path / "b", catalogue=location, origin=str(origin)) as b:
        configure_sdk(a.url)
        uploaded = [U.upload(str(p), public_id=f"nodes/{i}", upload_prefix=a.url)
                    for i, p in enumerate([HOPPER, DOG, HOPPER])]
        listed = call(b.url, "resources", prefix="nodes/", max_results=10, direction="asc")
        assert [r["public_id"] for r in listed["resources"]] == ["nodes/0", "nodes/1", "nodes/2"]
        assert call(b.url, "resource", "nodes/1")["asset_id"] == uploaded[1]["asset_id"]

        # concurrent metadata updates of one asset, alternating nodes: every key survives
        def update(i: int) -> None:
            node = (a, b)[i % 2]
            call(node.url, "update", "nodes/1", metadata={f"k{i}": f"v{i}"})

        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(update, range(16)))
        meta = call(a.url, "resource", "nodes/1")["metadata"]
        assert meta == {f"k{i}": f"v{i}" for i in range(16)}

        call(b.url, "update", "nodes/0", tags=["from_b"])
        assert [r["public_id"] for r in call(a.url, "resources_by_tag", "from_b")["resources"]] == ["nodes/0"]
        call(b.url, "create_upload_preset", name="nodes_preset", unsigned=True, folder="via_b")
        assert U.unsigned_upload(str(HOPPER), "nodes_preset", upload_prefix=a.url)["public_id"].startswith("via_b/")

        url = uploaded[2]["url"].replace(a.url, "")
        assert a.client.get(url).status_code == 200
        assert call(b.url, "delete_resources", ["nodes/2"])["deleted"] == {"nodes/2": "deleted"}
        time.sleep(1.2)  # a node remembers a lookup for at most edge.derive.RESOLVE_TTL_S (1 s)
        assert a.client.get(url).status_code == 404
        assert call(a.url, "usage")["resources"] == 3  # nodes/0, nodes/1 and the preset upload
