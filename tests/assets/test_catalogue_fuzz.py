"""Property tests: prefix listing and tag prefixes match Python's `str.startswith` for any
public_id text (LIKE wildcards, backslashes, unicode), on SQLite and PostgreSQL."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edge.assets.catalogue import AssetDraft, new_version_id

ALPHABET = st.sampled_from(list("aA_%\\/.-é字 0"))
IDS = st.lists(st.text(ALPHABET, min_size=1, max_size=8), min_size=1, max_size=8, unique=True)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ids=IDS, prefix=st.text(ALPHABET, min_size=1, max_size=4), page=st.integers(1, 3))
def test_prefix_listing_matches_startswith(catalogue, ids: list[str], prefix: str, page: int) -> None:
    catalogue.delete("upload", all=True)
    for pid in ids:
        catalogue.publish(AssetDraft(type="upload", public_id=pid, version_id=new_version_id(), format="jpg",
                                     width=1, height=1, bytes=1, etag="0" * 32, tags=[pid]))
    got, cursor = catalogue.list(type="upload", prefix=prefix, max_results=page, direction="asc")
    seen = [r.public_id for r in got]
    while cursor:
        more, cursor = catalogue.list(type="upload", prefix=prefix, max_results=page, direction="asc", cursor=cursor)
        seen += [r.public_id for r in more]
    assert seen == [p for p in ids if p.startswith(prefix)]
    tags, _ = catalogue.tags_list(prefix=prefix, max_results=500)
    assert set(tags) == {p for p in ids if p.startswith(prefix)}
    for pid in ids:
        assert catalogue.get("upload", pid).public_id == pid
