"""The cache lifetime of an answer whose access window ends: an `upload`-type asset public only
inside an `access_control` anonymous window that ends at T is answered, while the window is
open, with a max-age of at most the seconds left until T and never `immutable` (so no CDN keeps
serving it after T); without an end the versioned answer stays immutable.  A real uvicorn, the
official SDK uploading with `access_control` and building the delivery URLs."""

from __future__ import annotations

import re
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

import pytest

API_TESTS = Path(__file__).resolve().parents[1] / "api"
if str(API_TESTS) not in sys.path:
    sys.path.insert(0, str(API_TESTS))

from api_live import PHOTO, ApiLive, configure_sdk, start_server  # noqa: E402


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiLive]:
    with start_server(tmp_path_factory.mktemp("lifetime")) as live:
        module = configure_sdk(live.url)
        try:
            yield live
        finally:
            module.reset_config()


def _max_age(cache_control: str) -> int:
    found = re.fullmatch(r"public, max-age=(\d+)", cache_control)
    assert found, cache_control  # (no `immutable`)
    return int(found.group(1))


def _url(public_id: str, **options: Any) -> str:
    import cloudinary.utils

    url, _ = cloudinary.utils.cloudinary_url(public_id, format="jpg", **options)
    return url


def test_an_ending_window_caps_the_cache_lifetime(api: ApiLive) -> None:
    import cloudinary.uploader as up

    now = datetime.now(timezone.utc)
    window = [{"access_type": "anonymous", "start": now - timedelta(hours=1), "end": now + timedelta(minutes=10)}]
    res = up.upload(str(PHOTO), public_id="life/ending", access_control=window)
    left = (datetime.fromisoformat(res["access_control"][0]["end"].replace("Z", "+00:00")) - now).total_seconds()
    versioned = _url("life/ending", version=res["version"], width=120, crop="scale")
    first = api.get(versioned)
    again = api.get(versioned)
    assert first.status_code == again.status_code == 200
    assert first.headers["x-edge-cache"] == "miss" and again.headers["x-edge-cache"] == "memory"
    for answer in (first, again):  # a versioned URL, yet not immutable: the window ends
        assert "immutable" not in answer.headers["cache-control"]
        assert left - 30 < _max_age(answer.headers["cache-control"]) <= left
    not_modified = api.get(versioned, headers={"If-None-Match": first.headers["etag"]})
    assert not_modified.status_code == 304 and _max_age(not_modified.headers["cache-control"]) <= left
    unversioned = api.get(_url("life/ending", width=130, crop="scale"))
    assert _max_age(unversioned.headers["cache-control"]) <= min(left, api.settings.max_age)
    original = api.get(_url("life/ending", version=res["version"]))
    assert original.status_code == 200 and _max_age(original.headers["cache-control"]) <= left
    signed = api.get(_url("life/ending", version=res["version"], width=120, crop="scale", sign_url=True))
    assert signed.status_code == 200  # a signed URL is answered after the end too: no cap needed
    assert signed.headers["cache-control"] == "public, max-age=31536000, immutable"


def test_a_window_without_an_end_keeps_versioned_answers_immutable(api: ApiLive) -> None:
    import cloudinary.uploader as up

    now = datetime.now(timezone.utc)
    res = up.upload(str(PHOTO), public_id="life/open",
                    access_control=[{"access_type": "anonymous", "start": now - timedelta(hours=1)}])
    answer = api.get(_url("life/open", version=res["version"], width=120, crop="scale"))
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
    # two windows open now: the later end is when the asset stops being public
    both = [{"access_type": "anonymous", "end": now + timedelta(minutes=5)},
            {"access_type": "anonymous", "start": now - timedelta(minutes=1), "end": now + timedelta(minutes=20)}]
    res = up.upload(str(PHOTO), public_id="life/two", access_control=both)
    answer = api.get(_url("life/two", version=res["version"], width=120, crop="scale"))
    assert 19 * 60 - 30 < _max_age(answer.headers["cache-control"]) <= 20 * 60
