"""The SQL catalogue against SQLite and a real PostgreSQL (every test runs on both)."""

from __future__ import annotations

import hashlib
from datetime import timezone
from pathlib import Path

import pytest

from edge.assets.catalogue import (
    AssetDraft, AssetExists, AssetMissing, Catalogue, PresetExists, PresetMissing, new_version_id,
)
from edge.assets.factory import catalogue_from_location, default_catalogue_location, sibling_path

PHOTO = Path(__file__).resolve().parents[1] / "images" / "birds_coco_000143.jpg"


def draft(public_id: str, **kw) -> AssetDraft:
    data = PHOTO.read_bytes()
    base = dict(type="upload", public_id=public_id, version_id=new_version_id(), format="jpg",
                width=640, height=427, bytes=len(data), etag=hashlib.md5(data).hexdigest())
    base.update(kw)
    return AssetDraft(**base)


def test_protocol_and_new_asset(catalogue) -> None:
    assert isinstance(catalogue, Catalogue)
    pub = catalogue.publish(draft("animals/birds", tags=["b", "a"], context={"alt": "two birds"},
                                  coordinates_custom=[[1, 2, 30, 40]], original_filename="birds"))
    rec = pub.record
    assert pub.created and not pub.existing and pub.previous is None
    assert len(rec.asset_id) == 32 and int(rec.asset_id, 16) >= 0
    assert rec.tags == ("a", "b") and rec.context == {"alt": "two birds"}
    assert rec.display_name == "birds" and rec.asset_folder == "" and rec.access_mode == "public"
    assert rec.coordinates_custom == [[1, 2, 30, 40]] and rec.original_filename == "birds"
    assert rec.created_at.tzinfo is not None and rec.created_at.utcoffset() == timezone.utc.utcoffset(None)
    assert abs(rec.version - int(rec.created_at.timestamp())) <= 1
    assert catalogue.get("upload", "animals/birds") == rec
    assert catalogue.get_by_asset_id(rec.asset_id) == rec
    assert catalogue.get("private", "animals/birds") is None
    assert catalogue.get("upload", "animals/bird") is None


def test_new_asset_record_is_what_is_stored(catalogue) -> None:
    """publish answers a new asset's record without reading it back: it must equal the stored
    row read back, for every field (tags repeated and unsorted, auto_tags, JSON columns with
    tuples, context values as text)."""
    pub = catalogue.publish(draft(
        "animals/every-field", tags=["z", "a", "z", "kiwi"], auto_tags=["kiwi", "kiwi"],
        context={"alt": "birds", "n": 3}, metadata={"sku": "A-1", "sizes": (1, 2)},
        coordinates_custom=[[1, 2, 30, 40]], coordinates_faces=[(5, 6, 7, 8)], asset_folder="zoo",
        display_name="Every field", original_filename="every", access_mode="authenticated",
        moderation=[{"kind": "manual", "status": "pending"}],
        analysis={"colors": [("#112233", 40.5)], "phash": "ab" * 8}, extra={"regions": {"r": [(1, 2)]}},
        pages=3))
    rec = pub.record
    assert pub.created and rec.tags == ("a", "kiwi", "z") and rec.auto_tags == ("kiwi",)
    assert rec.context == {"alt": "birds", "n": "3"} and rec.revision == 0
    assert catalogue.get("upload", "animals/every-field") == rec
    assert catalogue.get_by_asset_id(rec.asset_id) == rec


def test_versions_strictly_increase_within_one_second(catalogue) -> None:
    first = catalogue.publish(draft("v")).record
    seen = [first.version]
    vids = {first.version_id}
    for i in range(5):
        pub = catalogue.publish(draft("v", format="png", width=10 + i))
        assert pub.record.asset_id == first.asset_id and not pub.created
        assert pub.previous is not None and pub.previous.version == seen[-1] and not pub.previous.kept
        seen.append(pub.record.version)
        vids.add(pub.record.version_id)
    assert seen == sorted(seen) and len(set(seen)) == 6
    assert len(vids) == 6
    versions = catalogue.versions(first.asset_id)
    assert [v.version for v in versions] == sorted(seen, reverse=True)
    assert versions[0].kept and not any(v.kept for v in versions[1:])
    assert catalogue.get_version(first.asset_id, seen[2]).version_id == versions[3].version_id
    assert catalogue.get_version(first.asset_id, 12345) is None


def test_overwrite_false_returns_existing_and_backup_keeps_previous(catalogue) -> None:
    a = catalogue.publish(draft("p", tags=["keep"])).record
    again = catalogue.publish(draft("p", tags=["new"]), overwrite=False)
    assert again.existing and again.record == a
    b = catalogue.publish(draft("p", format="png"), keep_previous=True)
    assert b.previous.version_id == a.version_id and b.previous.kept
    # fields not given keep the previous values; given ones replace them
    assert b.record.tags == ("keep",) and b.record.format == "png"
    c = catalogue.publish(draft("p", tags=["x"], context={"k": "v"}))
    assert c.record.tags == ("x",) and c.record.context == {"k": "v"}
    assert [v.kept for v in catalogue.versions(a.asset_id)] == [True, False, True]


def test_unknown_type_is_refused(catalogue) -> None:
    with pytest.raises(ValueError):
        catalogue.publish(draft("x", type="fetch"))


def test_list_filters_and_cursor(catalogue) -> None:
    ids = [f"f/img{i:02d}" for i in range(7)] + ["f_x", "g/one"]
    for i, pid in enumerate(ids):
        catalogue.publish(draft(pid, tags=["even"] if i % 2 == 0 else ["odd"], context={"n": str(i)}))
    catalogue.publish(draft("f/private", type="private"))
    got, cur = catalogue.list(type="upload", prefix="f/", max_results=3, direction="asc")
    pages = [p.public_id for p in got]
    while cur:
        more, cur = catalogue.list(type="upload", prefix="f/", max_results=3, direction="asc", cursor=cur)
        pages += [p.public_id for p in more]
    assert pages == ids[:7]  # `_` in "f_x" is not a wildcard; private one filtered by type
    assert catalogue.list(prefix="F/")[0] == [] and catalogue.list(prefix="G/")[0] == []  # case-sensitive
    desc, _ = catalogue.list(type="upload", prefix="f/", max_results=500)
    assert [r.public_id for r in desc] == ids[:7][::-1]
    tagged, cur = catalogue.list(tag="even", max_results=500)
    assert {r.public_id for r in tagged} == {ids[i] for i in range(0, 9, 2)} and cur is None
    ctx, _ = catalogue.list(context_key="n", context_value="3")
    assert [r.public_id for r in ctx] == [ids[3]]
    assert len(catalogue.list(max_results=500)[0]) == 10
    assert {r.public_id for r in catalogue.list(public_ids=["g/one", "nope"])[0]} == {"g/one"}
    with pytest.raises(ValueError):
        catalogue.list(cursor="not-a-cursor!")
    with pytest.raises(ValueError):
        catalogue.list(max_results=0)
    with pytest.raises(ValueError):
        catalogue.list(max_results=501)


def test_tag_and_context_ops(catalogue) -> None:
    for pid in ("t1", "t2"):
        catalogue.publish(draft(pid, tags=["old"]))
    r = catalogue.add_tags("upload", ["t1", "t2", "missing"], ["x", "y"])
    assert r.public_ids == ("t1", "t2") and r.missing == ("missing",)
    assert catalogue.get("upload", "t1").tags == ("old", "x", "y")
    catalogue.remove_tags("upload", ["t1"], ["x", "absent"])
    assert catalogue.get("upload", "t1").tags == ("old", "y")
    catalogue.replace_tags("upload", ["t1", "t2"], ["z"])
    assert catalogue.get("upload", "t2").tags == ("z",)
    catalogue.remove_all_tags("upload", ["t2"])
    assert catalogue.get("upload", "t2").tags == ()
    catalogue.add_context("upload", ["t1"], {"a": "1", "b": "x=y|z"})
    catalogue.add_context("upload", ["t1"], {"a": "2"})
    assert catalogue.get("upload", "t1").context == {"a": "2", "b": "x=y|z"}
    catalogue.remove_context("upload", ["t1"], ["a"])
    assert catalogue.get("upload", "t1").context == {"b": "x=y|z"}
    catalogue.remove_context("upload", ["t1"])
    assert catalogue.get("upload", "t1").context == {}
    catalogue.add_tags("upload", ["t2"], ["za", "zb", "q%"])
    tags, cur = catalogue.tags_list(prefix="z", max_results=2)
    assert tags == ["z", "za"]
    tags2, cur2 = catalogue.tags_list(prefix="z", max_results=2, cursor=cur)
    assert tags2 == ["zb"] and cur2 is None
    assert catalogue.tags_list(prefix="q%")[0] == ["q%"]
    assert catalogue.tags_list(prefix="q_")[0] == []


def test_update_and_analysis(catalogue) -> None:
    rec = catalogue.publish(draft("u", tags=["a"], metadata={"m1": "x"})).record
    up = catalogue.update("upload", "u", tags=["b", "c"], context={"k": "v"}, metadata={"m2": 2, "m1": None},
                          coordinates_faces=[[5, 6, 7, 8.4]], display_name="Nice", asset_folder="af",
                          moderation=[{"kind": "manual", "status": "approved"}])
    assert up.tags == ("b", "c") and up.context == {"k": "v"} and up.metadata == {"m2": 2}
    assert up.coordinates_faces == [[5, 6, 7, 8]] and up.display_name == "Nice" and up.asset_folder == "af"
    assert up.moderation == [{"kind": "manual", "status": "approved"}] and up.version == rec.version
    with pytest.raises(ValueError):
        catalogue.update("upload", "u", version=1)
    with pytest.raises(AssetMissing):
        catalogue.update("upload", "nope", tags=[])
    a1 = catalogue.set_analysis(rec.asset_id, rec.version, {"phash": "abc", "info": {"detection": {"coco": 1}}},
                                auto_tags=["bird"])
    a2 = catalogue.set_analysis(rec.asset_id, rec.version, {"colors": [["#FFFFFF", 100.0]],
                                                            "info": {"detection": {"lvis": 2}, "ocr": {}}})
    assert a1.auto_tags == ("bird",) and "bird" in a1.tags
    assert a2.analysis == {"phash": "abc", "colors": [["#FFFFFF", 100.0]],
                           "info": {"detection": {"coco": 1, "lvis": 2}, "ocr": {}}}
    new = catalogue.publish(draft("u")).record
    assert new.analysis == {} and new.auto_tags == ()
    assert catalogue.set_analysis(rec.asset_id, rec.version, {"late": True}) is None
    assert "late" not in catalogue.get("upload", "u").analysis


def test_rename(catalogue) -> None:
    a = catalogue.publish(draft("r/a", tags=["t"])).record
    b = catalogue.publish(draft("r/b")).record
    catalogue.add_derived(b.asset_id, b.version_id, transformation="w_10", format="jpg", bytes=10, width=10,
                          height=7, cache_key="kb")
    with pytest.raises(AssetExists):
        catalogue.rename("upload", "r/a", "r/b")
    with pytest.raises(AssetMissing):
        catalogue.rename("upload", "r/none", "r/c")
    moved = catalogue.rename("upload", "r/a", "r/c").record
    assert (moved.asset_id, moved.version, moved.tags) == (a.asset_id, a.version, ("t",))
    assert catalogue.get("upload", "r/a") is None and catalogue.get("upload", "r/c") == moved
    res = catalogue.rename("upload", "r/c", "r/b", overwrite=True)
    assert res.replaced.record.asset_id == b.asset_id and [d.cache_key for d in res.replaced.derived] == ["kb"]
    assert catalogue.get("upload", "r/b").asset_id == a.asset_id
    assert catalogue.get_by_asset_id(b.asset_id) is None
    priv = catalogue.rename("upload", "r/b", "r/b", to_type="private").record
    assert priv.type == "private" and catalogue.get("upload", "r/b") is None


def test_delete_and_derived(catalogue) -> None:
    recs = [catalogue.publish(draft(f"d/{i}")).record for i in range(4)]
    catalogue.publish(draft("d/0"), keep_previous=True)
    catalogue.publish(draft("keep"))
    d1 = catalogue.add_derived(recs[0].asset_id, recs[0].version_id, transformation="c_fill,h_10,w_10",
                               format="webp", bytes=100, width=10, height=10, cache_key="k0")
    d1b = catalogue.add_derived(recs[0].asset_id, recs[0].version_id, transformation="c_fill,h_10,w_10",
                                format="webp", bytes=120, width=10, height=10, cache_key="k0")
    assert d1b.id == d1.id and d1b.bytes == 120
    catalogue.add_derived(recs[0].asset_id, recs[0].version_id, transformation="e_sepia", format="jpg",
                          bytes=50, width=640, height=427, cache_key="k1")
    assert catalogue.add_derived("0" * 32, "1" * 32, transformation="x", format="jpg", bytes=1, width=1,
                                 height=1, cache_key="k9") is None
    listed, cur = catalogue.list_derived(recs[0].asset_id, max_results=1)
    assert [d.cache_key for d in listed] == ["k0"] and cur
    assert [d.cache_key for d in catalogue.list_derived(recs[0].asset_id, cursor=cur)[0]] == ["k1"]
    gone = catalogue.delete_derived(recs[0].asset_id, transformations=["e_sepia"])
    assert [d.cache_key for d in gone] == ["k1"]
    u = catalogue.usage()
    assert u.resources == 5 and u.derived_resources == 1 and u.derived_bytes == 120
    assert u.storage_bytes == 6 * recs[0].bytes
    removed = catalogue.delete("upload", public_ids=["d/0", "d/1", "nope"])
    assert sorted(r.record.public_id for r in removed) == ["d/0", "d/1"]
    r0 = next(r for r in removed if r.record.public_id == "d/0")
    assert len(r0.versions) == 2 and [d.cache_key for d in r0.derived] == ["k0"]
    assert [r.record.public_id for r in catalogue.delete("upload", prefix="d/", limit=1)] == ["d/2"]
    assert [r.record.public_id for r in catalogue.delete("upload", prefix="d/", limit=5)] == ["d/3"]
    with pytest.raises(ValueError):
        catalogue.delete("upload", prefix="d/", all=True)
    with pytest.raises(ValueError):
        catalogue.delete("upload")
    assert catalogue.versions(recs[0].asset_id) == []
    assert [r.record.public_id for r in catalogue.delete("upload", all=True)] == ["keep"]
    assert catalogue.usage().resources == 0 and catalogue.usage().storage_bytes == 0


def test_presets(catalogue) -> None:
    p = catalogue.create_preset("mine", unsigned=True, settings={"folder": "f", "tags": "a,b"})
    assert p.unsigned and p.settings == {"folder": "f", "tags": "a,b"}
    with pytest.raises(PresetExists):
        catalogue.create_preset("mine")
    for n in ("b", "c", "a"):
        catalogue.create_preset(n)
    names, cur = catalogue.list_presets(max_results=2)
    assert [x.name for x in names] == ["a", "b"]
    assert [x.name for x in catalogue.list_presets(max_results=2, cursor=cur)[0]] == ["c", "mine"]
    up = catalogue.update_preset("mine", unsigned=False, settings={"tags": None, "eager": "w_10"})
    assert not up.unsigned and up.settings == {"folder": "f", "eager": "w_10"}
    assert catalogue.update_preset("mine", settings={"x": 1}, replace=True).settings == {"x": 1}
    with pytest.raises(PresetMissing):
        catalogue.update_preset("nope", settings={})
    assert catalogue.delete_preset("mine") and not catalogue.delete_preset("mine")
    assert catalogue.get_preset("mine") is None and catalogue.get_preset("a").name == "a"


def test_reopen_keeps_data_and_schema_is_at_head(catalogue_location: str) -> None:
    from edge.assets import migrate

    cat = catalogue_from_location(catalogue_location)
    rec = cat.publish(draft("persist", tags=["t"])).record
    cat.close()
    cat = catalogue_from_location(catalogue_location)
    assert cat.get("upload", "persist") == rec
    with cat.engine.connect() as conn:
        assert migrate.current_revision(conn) == migrate.head_revision() == migrate.HEAD_REVISION
    cat.check()
    cat.close()


def test_locations() -> None:
    assert default_catalogue_location(".edge-cache") == "sqlite:///.edge-cache/catalogue.db"
    assert sibling_path("sqlite:////tmp/x/catalogue.db", "jobs.db") == Path("/tmp/x/jobs.db")
    assert sibling_path("postgresql://h/db", "jobs.db") is None
    with pytest.raises(ValueError):
        catalogue_from_location("mysql://localhost/x")


def test_migrations_match_the_schema_module(catalogue) -> None:
    """The Alembic revisions create exactly the tables `edge.assets.schema` describes."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from edge.assets.schema import metadata

    from edge.assets.jobs import JobQueue, jobs_location_for

    jobs = JobQueue(jobs_location_for(catalogue.location))  # shares a PostgreSQL database
    jobs.close()
    with catalogue.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"include_name": lambda n, t, p: not (
            t == "table" and n and n.startswith("edge_jobs_"))})
        diff = compare_metadata(ctx, metadata)
    assert diff == []


def test_threads_share_one_catalogue(catalogue_location: str) -> None:
    """Eight threads publishing and tagging through one catalogue object (the server's
    thread pool) see one database; also for `sqlite:///:memory:` (one shared connection)."""
    from concurrent.futures import ThreadPoolExecutor

    for location in (catalogue_location, "sqlite:///:memory:"):
        cat = catalogue_from_location(location)
        cat.publish(draft("th"))

        def work(i: int) -> int:
            cat.publish(draft(f"th/{i}"))
            cat.add_tags("upload", ["th"], [f"t{i}"])
            return cat.publish(draft("th")).record.version

        with ThreadPoolExecutor(8) as pool:
            versions = list(pool.map(work, range(16)))
        assert len(set(versions)) == 16
        assert cat.usage().resources == 17
        assert set(cat.get("upload", "th").tags) == {f"t{i}" for i in range(16)}
        cat.close()


def test_sqlite_fast_publish_stores_what_the_general_path_stores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On SQLite a new public_id is published on the DB-API connection (`edge.assets.sql_fast`);
    the stored rows (asset, version, tags, context) are the very values the SQLAlchemy path
    stores for the same draft, and a re-upload of that public_id still makes a new version."""
    import sqlalchemy as sa

    cat = catalogue_from_location(f"sqlite:///{tmp_path / 'c.db'}")
    fields = dict(tags=["z", "a", "z"], auto_tags=["a"], context={"alt": "birds", "n": 3},
                  metadata={"sku": "A-1", "sizes": (1, 2)}, coordinates_custom=[[1, 2, 30, 40]],
                  coordinates_faces=[(5, 6, 7, 8)], asset_folder="zoo", original_filename="every",
                  access_mode="authenticated", moderation=[{"kind": "manual", "status": "pending"}],
                  analysis={"colors": [("#112233", 40.5)]}, extra={"regions": {"r": [(1, 2)]}}, pages=3)
    fast = cat.publish(draft("fast/one", **fields))
    with monkeypatch.context() as m:
        m.setattr(type(cat), "_publish_new_sqlite", lambda self, d: None)
        general = cat.publish(draft("general/one", **fields))
    varying = {"id", "asset_id", "public_id", "version_id", "version", "created_at", "updated_at", "display_name",
               "asset_pk"}

    def rows(record) -> dict:  # type: ignore[no-untyped-def]
        with cat.engine.connect() as conn:
            pk = conn.execute(sa.text("SELECT id FROM assets WHERE asset_id = :a"), {"a": record.asset_id}).scalar()
            out = {}
            for table in ("assets", "asset_versions", "asset_tags", "asset_context"):
                key = "id" if table == "assets" else "asset_pk"
                got = conn.execute(sa.text(f"SELECT * FROM {table} WHERE {key} = :pk ORDER BY 1, 2"), {"pk": pk})
                out[table] = [{k: v for k, v in r._mapping.items() if k not in varying} for r in got]
                if table in ("assets", "asset_versions"):  # stored as the same SQLite type too
                    out[table + ".created_at"] = conn.execute(sa.text(
                        f"SELECT typeof(created_at) FROM {table} WHERE {key} = :pk"), {"pk": pk}).scalar()
            return out

    assert rows(fast.record) == rows(general.record)
    assert cat.get("upload", "fast/one") == fast.record
    again = cat.publish(draft("fast/one"))
    assert not again.created and again.record.asset_id == fast.record.asset_id
    assert again.record.version > fast.record.version and again.previous is not None
    cat.close()
