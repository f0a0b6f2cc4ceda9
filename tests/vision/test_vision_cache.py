"""The detection cache: one model run per (public_id, version, model), any rendition size."""

from __future__ import annotations

import pytest

from edge.vision import VisionFocus, detect
from edge.vision import detector as detect_module
from edge.vision.cache import DetectionCache
from edge.vision.detection import Found, decode, encode, to_pixels


@pytest.fixture
def runs(monkeypatch):
    """Counts real model runs per model name."""
    counts: dict[str, int] = {}
    for name, fn in list(detect_module.MODELS.items()):
        def counting(frame, _fn=fn, _name=name):
            counts[_name] = counts.get(_name, 0) + 1
            return _fn(frame)
        monkeypatch.setitem(detect_module.MODELS, name, counting)
    return counts


def test_second_rendition_of_the_same_asset_runs_no_model(photo, store, runs):
    cache = DetectionCache()
    image = photo("dog_bicycle_truck.jpg")
    first = VisionFocus("samples/dog", 17, store, cache=cache).find(image, "dog")
    small = image.resize(0.25)
    second = VisionFocus("samples/dog", 17, store, cache=cache).find(small, "dog")
    assert runs == {"coco": 1}
    assert second[0].label == "dog"
    # same normalised box, expressed in the pixels of each rendition
    for a, b in zip(first[0].box, second[0].box):
        assert abs(a / 4 - b) <= 1
    assert store.puts == 1 and len(store.data) == 1


def test_store_feeds_a_fresh_process(photo, store, runs):
    image = photo("coffee.png")
    VisionFocus("coffee", 1, store, cache=DetectionCache()).find(image, "cup")
    # a new memory cache (another process) reads the bytes from the store
    again = VisionFocus("coffee", 1, store, cache=DetectionCache()).find(image, "cup")
    assert runs == {"coco": 1}
    assert again and again[0].label == "cup"


def test_saliency_mask_survives_the_store(photo, store, runs):
    image = photo("cat_chelsea.png")
    a = VisionFocus("cat", 1, store, cache=DetectionCache()).find(image, "saliency")[0]
    b = VisionFocus("cat", 1, store, cache=DetectionCache()).find(image, "saliency")[0]
    assert runs == {"saliency": 1}
    assert a.box == b.box and a.mask.shape == b.mask.shape
    assert abs(float(a.mask.mean()) - float(b.mask.mean())) < 0.01


def test_other_version_or_model_runs_again(photo, store, runs):
    cache = DetectionCache()
    image = photo("coffee.png")
    VisionFocus("coffee", 1, store, cache=cache).find(image, "cup")
    VisionFocus("coffee", 2, store, cache=cache).find(image, "cup")
    VisionFocus("coffee", 2, store, cache=cache).find(image, "faces")
    assert runs == {"coco": 2, "faces": 1}


def test_a_differently_shaped_image_is_not_served_from_nor_written_to_the_cache(photo, store, runs):
    cache = DetectionCache()
    image = photo("dog_bicycle_truck.jpg")
    VisionFocus("dog", 1, store, cache=cache).find(image, "dog")
    crop = image.crop(0, 0, 300, 576)  # a crop made by an earlier component
    regions = VisionFocus("dog", 1, store, cache=cache).find(crop, "dog")
    assert runs == {"coco": 2}
    assert all(r.box[0] + r.box[2] <= 300 for r in regions)
    assert store.puts == 1  # the crop's detections were not stored


def test_without_public_id_nothing_is_cached(photo, store, runs):
    image = photo("coffee.png")
    focus = VisionFocus(store=store, cache=DetectionCache())
    focus.find(image, "cup")
    focus.find(image, "cup")
    assert runs == {"coco": 2}
    assert store.puts == 0 and store.gets == 0


def test_a_broken_store_never_fails_the_render(photo, runs):
    class Broken:
        def get(self, key):
            raise OSError("disk gone")

        def put(self, key, data):
            raise OSError("disk gone")

    regions = VisionFocus("coffee", 1, Broken(), cache=DetectionCache()).find(photo("coffee.png"), "cup")
    assert regions and regions[0].label == "cup"


def test_garbage_in_the_store_is_a_miss(photo, store, runs):
    focus = VisionFocus("coffee", 1, store, cache=DetectionCache())
    focus.find(photo("coffee.png"), "cup")
    for key in store.data:
        store.data[key] = b"\x00not json"
    regions = VisionFocus("coffee", 1, store, cache=DetectionCache()).find(photo("coffee.png"), "cup")
    assert runs == {"coco": 2} and regions[0].label == "cup"


def test_encode_decode_round_trip():
    import numpy as np

    mask = (np.arange(12, dtype=np.uint8) * 20).reshape(3, 4)
    found = [Found("cat", 0.5, (0.1, 0.2, 0.3, 0.4), "coco"), Found("saliency", 0.9, (0, 0, 1, 1), "saliency", mask)]
    back, aspect, side = decode(encode(found, 1.5))
    assert (aspect, side) == (1.5, None)
    assert back[0] == found[0]
    assert (back[1].mask == mask).all()
    assert decode(encode(found, 1.5, 640))[2] == 640
    # one-pixel masks keep two dimensions, both ways through libvips
    (dot,) = decode(encode([Found("saliency", 1.0, (0, 0, 1, 1), "saliency", mask[:1, :1])], 1.0))[0]
    assert dot.mask.shape == (1, 1)
    assert to_pixels([dot], 7, 5)[0].mask.shape == (5, 7)
    assert to_pixels(found[1:], 1, 1)[0].mask.shape == (1, 1)
    assert decode(b"{}") is None and decode(b"[1,2]") is None and decode(b"\xff\xfe") is None
    # a corrupt mask (not base64, not an image, not one band) is a miss, never an exception
    good = encode(found, 1.5).decode()
    b64 = good.split('"mask":"')[1].split('"')[0]
    for bad in ("!!!", "aGVsbG8=", _rgb_png_base64()):
        assert decode(good.replace(b64, bad).encode()) is None


def _rgb_png_base64() -> str:
    import base64

    import pyvips

    return base64.b64encode(pyvips.Image.black(4, 3, bands=3).pngsave_buffer()).decode()


def test_detect_returns_pixel_boxes(photo):
    image = photo("coffee.png")
    (d,) = [d for d in detect(image, "coco") if d.label == "cup"][:1]
    assert all(isinstance(v, int) for v in d.box)
    assert d.model == "coco" and d.mask is None


def test_store_keys_use_the_byte_store_alphabet():
    import re

    from edge.vision.cache import cache_key

    a = cache_key("folder/sub dir/ünïcode?.jpg", 1712345, "coco", "v2")
    assert re.fullmatch(r"[A-Za-z0-9._-]+", a)
    assert a != cache_key("folder/sub dir/ünïcode?.jpg", 1712346, "coco", "v2")
    assert a != cache_key("folder/sub dir/ünïcode?.jpg", 1712345, "faces", "v1")


def test_works_with_the_storage_disk_store(tmp_path, photo, runs):
    from edge.storage.disk_store import DiskStore

    disk = DiskStore(tmp_path, fsync=False)
    VisionFocus("coffee", 3, disk, cache=DetectionCache()).find(photo("coffee.png"), "cup")
    again = VisionFocus("coffee", 3, disk, cache=DetectionCache()).find(photo("coffee.png"), "cup")
    assert runs == {"coco": 1} and again[0].label == "cup"


def test_keyed_locks_serialise_one_key_and_not_others():
    import threading
    import time

    from edge.vision.locks import KeyedLocks

    locks = KeyedLocks()
    inside: list[int] = []
    most = [0]
    guard = threading.Lock()

    def same_key() -> None:
        with locks.hold("asset"):
            with guard:
                inside.append(1)
                most[0] = max(most[0], len(inside))
            time.sleep(0.02)
            with guard:
                inside.pop()

    threads = [threading.Thread(target=same_key) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert most[0] == 1 and len(locks) == 0  # one at a time; the table empties

    other_entered = threading.Event()

    def other_key() -> None:
        with locks.hold("other"):
            other_entered.set()

    with locks.hold("asset"):
        t = threading.Thread(target=other_key)
        t.start()
        assert other_entered.wait(5)  # another key is not blocked by this one
        t.join()
        assert len(locks) == 1
    assert len(locks) == 0
