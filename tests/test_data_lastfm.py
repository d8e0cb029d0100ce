"""recsys_helpers.data.lastfm: the Last.fm-1K reader on a small file in its format."""

from __future__ import annotations

import numpy as np
import pytest

from recsys_helpers.data import load_lastfm_1k

LINES = [
    # user, time, artist mbid, artist, track mbid, track
    "user_000002\t2009-05-04T23:40:00Z\tA1\tThe Band\tT2\tSecond Song",
    "user_000001\t2009-05-04T23:08:57Z\tA1\tThe Band\tT1\tFirst Song",
    "user_000001\t2009-05-04T23:12:00Z\t\tNo Id Artist\t\tUntracked",
    "user_000001\t2009-05-05T09:00:00Z\tA1\tThe Band\tT1\tFirst Song",
    "broken line without tabs",
    "user_000002\t2009-05-04T23:45:00Z\tA1\tThe Band\tT1\tFirst Song",
    'user_000002\t2009-05-04T23:50:00Z\tA2\tQuote "Artist\tT3\tA "quoted" title',
]


@pytest.fixture
def log_file(tmp_path):
    path = tmp_path / "userid-timestamp-artid-artname-traid-traname.tsv"
    path.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    return path


def test_reader_parses_the_format(log_file):
    events, tracks = load_lastfm_1k(log_file)
    assert len(events) == 6  # the broken line is skipped
    assert list(events.columns) == ["user_id", "session_id", "position", "day", "hour", "timestamp",
                                    "track_id", "artist_id", "skipped"]
    first = events.iloc[0]
    assert first["user_id"] == 0 and first["timestamp"] == 1241478537 and first["hour"] == 23
    # user 1: two plays 3 minutes apart, then a play ten hours later -> two sessions
    assert events.loc[events["user_id"] == 0, "session_id"].tolist() == [0, 0, 1]
    assert events.loc[events["user_id"] == 0, "position"].tolist() == [0, 1, 0]
    assert events.loc[events["user_id"] == 1, "session_id"].nunique() == 1
    # T1 appears three times, under one id; the track without an mbid gets its own id
    assert events["track_id"].nunique() == 4 == len(tracks)
    t1 = tracks.loc[tracks["track_name"] == "First Song", "track_id"].item()
    assert (events["track_id"] == t1).sum() == 3
    assert tracks.loc[tracks["track_name"] == 'A "quoted" title', "artist_name"].item() == 'Quote "Artist'
    assert events["day"].tolist()[:3] == [0, 0, 0] and not events["skipped"].any()
    assert np.all(np.diff(events["timestamp"].to_numpy()[:3]) > 0)


def test_reader_options(log_file):
    events, tracks = load_lastfm_1k(log_file, min_track_plays=2)
    assert len(tracks) == 1 and len(events) == 3
    events, _ = load_lastfm_1k(log_file, max_rows=2)
    assert len(events) == 2
    events, _ = load_lastfm_1k(log_file, gap_seconds=10 * 3600)
    assert events.loc[events["user_id"] == 0, "session_id"].nunique() == 1


def test_reader_rejects_bad_timestamps(tmp_path):
    path = tmp_path / "bad.tsv"
    path.write_text("u\t04/05/2009 23:08\ta\tA\tt\tT\n", encoding="utf-8")
    with pytest.raises(ValueError, match="ISO 8601"):
        load_lastfm_1k(path)
