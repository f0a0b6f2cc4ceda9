"""Every seam from a `package.module:callable` (issue 13): the origin, cache store, focus
factory, catalogue and analyzers below are small real classes of this module, named by import
path in the settings (`test_seams:make_origin`, ...) and called as `callable(settings)`; a
real uvicorn serves through them.  Bad forms stop `edge serve` at startup with a message that
names the seam (exit 2, no traceback)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pytest
import pyvips

from edge.analysis import analyze
from edge.analysis import registry
from edge.analysis.request import AnalysisRequest
from edge.assets.sql import SqlCatalogue
from edge.render.focus import Region
from edge.seams import SeamError, build, is_import_path
from edge.storage import WritableDiskOrigin
from edge.url import sign_path
from edge_live import IMAGES, SECRET, Settings, create_app, free_port, make_origin, serve_app

HERE = Path(__file__).resolve().parent
#: What the factories below were given and made, for the assertions (one test at a time).
MADE: dict[str, Any] = {}


# ---- the plug-ins -----------------------------------------------------------------------------
class RecordingOrigin(WritableDiskOrigin):
    """The writable disk origin, recording every public_id it loads."""

    def __init__(self, root: str, *, max_bytes: int) -> None:
        super().__init__(root, max_bytes=max_bytes)
        self.loaded: list[str] = []

    def load(self, public_id: str) -> Any:
        self.loaded.append(public_id)
        return super().load(public_id)


def make_recording_origin(settings: Settings) -> RecordingOrigin:
    MADE["origin"] = RecordingOrigin(MADE["origin_root"], max_bytes=settings.max_source_mb * 1024 * 1024)
    return MADE["origin"]


class DictStore:
    """A ByteStore in a dict, with its own tier name (shown in `X-Edge-Cache`)."""

    name = "dict"

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}

    def get(self, key: str) -> bytes | None:
        return self.blobs.get(key)

    def put(self, key: str, data: bytes) -> None:
        self.blobs[key] = bytes(data)

    def delete(self, key: str) -> bool:
        return self.blobs.pop(key, None) is not None

    def check(self) -> None:
        pass


def make_store(settings: Settings) -> DictStore:
    MADE.setdefault("store", DictStore())
    return MADE["store"]


class GetOnlyStore:
    """Lacks `name`, `delete` and `check`: refused at startup."""

    def get(self, key: str) -> bytes | None:
        return None

    def put(self, key: str, data: bytes) -> None:
        pass


def make_incomplete_store(settings: Settings) -> GetOnlyStore:
    return GetOnlyStore()


class RightEdgeFocus:
    """A FocusProvider that finds any target in the right fifth of the image."""

    def __init__(self, public_id: str) -> None:
        self.public_id = public_id

    def find(self, image: Any, target: str, model: str | None = None) -> list[Region]:
        w, h = image.width, image.height
        return [Region(label=target, score=0.9, box=(w - w // 5, h // 3, w // 5, h // 3), model="test")]


def make_focus(settings: Settings) -> Any:
    MADE["focus_calls"] = []

    def factory(public_id: str, version: str) -> RightEdgeFocus:
        MADE["focus_calls"].append(public_id)
        return RightEdgeFocus(public_id)

    return factory


class CountingCatalogue(SqlCatalogue):
    """The SQLite catalogue, counting lookups by public_id."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.gets = 0

    def get(self, type: str, public_id: str) -> Any:
        self.gets += 1
        return super().get(type, public_id)


def make_catalogue(settings: Settings) -> CountingCatalogue:
    MADE["catalogue"] = CountingCatalogue(f"sqlite:///{MADE['catalogue_dir']}/catalogue.db")
    return MADE["catalogue"]


class MeanBrightness:
    """An Analyzer (`detection=edge_test_brightness`): the mean of the grey image, 0..255."""

    kind = "detection"
    name = "edge_test_brightness"
    side = 64
    auto_tag = False

    def run(self, ctx: Any, request: Any, name: str) -> dict[str, Any]:
        mean = ctx.image(self.side).colourspace("b-w").avg()
        return {"info": {"detection": {"object_detection": {"status": "complete",
                                                            "data": {name: {"mean": round(mean, 1)}}}}}}


def make_analyzers(settings: Settings) -> list[MeanBrightness]:
    return [MeanBrightness()]


# ---- fixtures -------------------------------------------------------------------------------
@pytest.fixture
def origin_dir(tmp_path: Path) -> Path:
    return make_origin(tmp_path / "media")


@pytest.fixture(autouse=True)
def _clean() -> Iterator[None]:
    MADE.clear()
    yield
    MADE.clear()
    registry.unregister("detection", "edge_test_brightness")


def _settings(origin: str, **overrides: Any) -> Settings:
    return Settings(origin=origin, api_secret=SECRET, cloud_name="demo", memory_cache_mb=16, access_log="off",
                    **{"cache": "none", "focus": "none", **overrides})


def _pixels(data: bytes) -> np.ndarray:
    image = pyvips.Image.new_from_buffer(data, "")
    return np.ndarray(buffer=image.write_to_memory(), dtype=np.uint8, shape=(image.height, image.width, image.bands))


# ---- each seam ------------------------------------------------------------------------------
def test_import_path_form() -> None:
    assert is_import_path("test_seams:make_recording_origin") and is_import_path("a.b.c:Outer.make")
    for location in ("./media", "media", "s3://bucket/prefix", "sqlite:///x.db", "postgresql://u@h/db",
                     "none", "vision", "C:/media", "./mod:fn", "a:b:c", ""):
        assert not is_import_path(location), location


def test_origin_from_an_import_path(origin_dir: Path) -> None:
    MADE["origin_root"] = str(origin_dir)
    with serve_app(create_app(_settings("test_seams:make_recording_origin", max_source_mb=7))) as live:
        r = live.client.get("/demo/image/upload/c_fill,w_80,h_60/samples/dog.jpg")
        assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
        assert live.client.get("/demo/image/upload/w_10/samples/nothing.jpg").status_code == 404
        assert live.client.get("/readyz").status_code == 200
    origin = MADE["origin"]
    assert origin.max_bytes == 7 * 1024 * 1024  # built from the settings
    assert origin.loaded[:1] == ["samples/dog"] and "samples/nothing" in origin.loaded


def test_cache_store_from_an_import_path(origin_dir: Path) -> None:
    path = "/demo/image/upload/c_fill,w_90,h_90/samples/cat.jpg"
    settings = _settings(str(origin_dir), cache="test_seams:make_store")
    with serve_app(create_app(settings)) as live:
        first = live.client.get(path)
        assert first.status_code == 200 and first.headers["x-edge-cache"] == "miss"
    assert len(MADE["store"].blobs) == 1
    with serve_app(create_app(settings)) as again:  # a fresh memory tier: the dict store answers
        second = again.client.get(path)
        assert second.headers["x-edge-cache"] == "dict" and second.content == first.content


def test_focus_factory_from_an_import_path(origin_dir: Path) -> None:
    base = "/demo/image/upload/c_fill,w_100,h_100,{g}/samples/landscape.jpg"
    with serve_app(create_app(_settings(str(origin_dir), focus="test_seams:make_focus"))) as live:
        got = {g: live.client.get(sign_path(base.format(g=g), SECRET)) for g in ("g_dog", "g_east", "g_west")}
    assert {r.status_code for r in got.values()} == {200}
    assert MADE["focus_calls"] and set(MADE["focus_calls"]) == {"samples/landscape"}
    dog, east, west = (_pixels(got[g].content).astype(float) for g in ("g_dog", "g_east", "g_west"))
    assert np.abs(dog - east).mean() < 2.0  # the plug-in put the dog at the right edge
    assert np.abs(dog - west).mean() > 10.0


def test_catalogue_from_an_import_path(origin_dir: Path, tmp_path: Path) -> None:
    MADE["catalogue_dir"] = str(tmp_path / "cat")
    with serve_app(create_app(_settings(str(origin_dir), catalogue="test_seams:make_catalogue"))) as live:
        assert live.client.get("/demo/image/upload/w_50/samples/dog.jpg").status_code == 200
        assert live.delivery.deriver.catalogue is MADE["catalogue"]
    assert MADE["catalogue"].gets >= 1  # delivery asked the catalogue before the origin
    assert (tmp_path / "cat" / "jobs.db").exists()  # the job queue went beside it


def test_analyzers_from_an_import_path(origin_dir: Path) -> None:
    create_app(_settings(str(origin_dir), analyzers="test_seams:make_analyzers"))
    entry = registry.lookup("detection", "edge_test_brightness")
    assert entry is not None and entry.side == 64
    request = AnalysisRequest.from_params({"detection": "edge_test_brightness"})
    dark = analyze((IMAGES / "tiny_hopper_128.jpg").read_bytes(), request)
    light = analyze((IMAGES / "alpha_logo_rgba.png").read_bytes(), request)
    means = [r["info"]["detection"]["object_detection"]["data"]["edge_test_brightness"]["mean"] for r in (dark, light)]
    assert all(0 <= m <= 255 for m in means) and means[0] != means[1]


# ---- bad forms ------------------------------------------------------------------------------
def test_build_names_missing_members() -> None:
    from edge.storage import ByteStore

    with pytest.raises(SeamError, match=r"^cache: .* without check, delete, name \(members of ByteStore\)"):
        build("test_seams:make_incomplete_store", "cache", None, ByteStore)
    with pytest.raises(SeamError, match=r"^origin: module 'test_seams' has no attribute 'nope'"):
        build("test_seams:nope", "origin", None)


def _serve(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDGE_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), env.get("PYTHONPATH")]))
    make_origin(tmp_path / "media")
    return subprocess.run(
        [sys.executable, "-m", "edge.cli", "serve", "--port", str(free_port()), "--origin", str(tmp_path / "media"),
         "--cache", "none", "--focus", "none", *args],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )


@pytest.mark.parametrize(("args", "message"), [
    (("--origin", "no_such_module_x:make"), "edge serve: origin: cannot import 'no_such_module_x'"),
    (("--cache", "test_seams:nope"), "edge serve: cache: module 'test_seams' has no attribute 'nope'"),
    (("--cache", "test_seams:make_incomplete_store"), "edge serve: cache: 'test_seams:make_incomplete_store' "
                                                      "returned a GetOnlyStore without check, delete, name"),
    (("--focus", "saliency:x:y"), "edge serve: focus must be vision, none or package.module:callable"),
    (("--analyzers", "test_seams"), "edge serve: analyzers: 'test_seams' is not of the form package.module:callable"),
    (("--catalogue", "mysql://localhost/x"), "edge serve: Unsupported catalogue location 'mysql://localhost/x'"),
])
def test_bad_seams_stop_edge_serve(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    done = _serve(tmp_path, *args)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(message), done.stderr
    assert "Traceback" not in done.stderr
