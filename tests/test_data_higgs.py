"""recsys_helpers.data.higgs: the Higgs Twitter reader on small files written in its format."""

from __future__ import annotations

import numpy as np
import pytest

from recsys_helpers.data import load_higgs_activity

ACTIVITY = [
    "223789 213163 1341100972 MT",
    "223789 213163 1341100972 RE",
    "376989 50329 1341101181 RT",
    "26375 168366 1341101183 MT",
    "376989 13813 1341109000 RT",
]
EDGES = ["223789 213163", "223789 213163", "50329 376989", "13813 26375", "999 223789"]


@pytest.fixture
def higgs_files(tmp_path):
    activity = tmp_path / "higgs-activity_time.txt"
    activity.write_text("\n".join(ACTIVITY) + "\n")
    edges = tmp_path / "higgs-social_network.edgelist"
    edges.write_text("\n".join(EDGES) + "\n")
    return activity, edges


def test_higgs_reader_parses_the_format(higgs_files):
    activity, edges = higgs_files
    events, posts, follows = load_higgs_activity(activity, follows_path=edges)
    ids = sorted({223789, 213163, 376989, 50329, 26375, 168366, 13813})
    assert follows.shape == (7, 7) and len(posts) == 7
    assert events["type"].tolist() == ["mention", "comment", "share", "mention", "share"]
    first = events.iloc[0]
    assert (first["user_id"], first["author_id"]) == (ids.index(223789), ids.index(213163))
    assert first["post_id"] == first["author_id"]
    assert bool(first["follows_author"]) and not bool(events.iloc[2]["follows_author"])
    assert follows.sum() == 3  # the duplicate counts once, the unknown user is dropped
    assert follows[ids.index(50329), ids.index(376989)] == 1
    # visits: 376989's two retweets are 7819 s apart, more than the 1800 s gap
    visits = events[events["user_id"] == ids.index(376989)]["visit_id"]
    assert visits.nunique() == 2
    assert events.loc[events["user_id"] == ids.index(223789), "visit_id"].nunique() == 1
    assert events["day"].iloc[0] == 0 and (events["age_hours"] >= 0).all()
    assert (posts["text"] == "").all() and (posts["post_id"].to_numpy() == np.arange(7)).all()


def test_higgs_reader_without_follows_and_max_rows(higgs_files):
    activity, _ = higgs_files
    events, posts, follows = load_higgs_activity(activity, max_rows=2)
    assert len(events) == 2 and follows.nnz == 0 and len(posts) == 2


def test_higgs_reader_rejects_bad_files(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("1 2 1341100972 XX\n")
    with pytest.raises(ValueError, match="unknown interaction"):
        load_higgs_activity(bad)
    bad.write_text("a 2 1341100972 RT\n")
    with pytest.raises(ValueError, match="integers"):
        load_higgs_activity(bad)
    bad.write_text("")
    with pytest.raises(ValueError):
        load_higgs_activity(bad)
