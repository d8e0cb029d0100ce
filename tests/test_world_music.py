"""recsys_helpers.worlds.music: the music world follows its story, agrees with its own oracle, and its knobs act.

The contract all worlds keep (seeding, config checks) is in tests/test_worlds.py."""

from __future__ import annotations

import numpy as np
import pytest

from recsys_helpers.worlds.music import (
    EPOCH,
    MusicConfig,
    next_track_probabilities,
    simulate_music,
    true_affinity,
)

SMALL = dict(num_users=60, num_artists=16, tracks_per_artist=4, sessions_per_user=5, num_days=20,
             release_window_days=5)


@pytest.fixture(scope="module")
def world():
    return simulate_music(**SMALL, seed=3)


def test_shapes_and_columns(world):
    events, tracks = world.events, world.tracks
    assert len(tracks) == 64 and world.affinity_start.shape == (60, 64) == world.affinity_end.shape
    assert list(events.columns) == ["user_id", "session_id", "position", "day", "hour", "timestamp",
                                    "track_id", "artist_id", "genre_id", "skipped"]
    assert events.groupby("user_id")["session_id"].nunique().eq(5).all()
    lengths = events.groupby("session_id").size()
    assert lengths.between(*MusicConfig().session_length).all()
    assert events["hour"].between(0, 23).all() and events["timestamp"].min() >= EPOCH
    per_user = events.groupby("user_id")["timestamp"]
    assert per_user.apply(lambda t: t.is_monotonic_increasing).all()
    assert (events["artist_id"] == tracks["artist_id"].to_numpy()[events["track_id"]]).all()


def test_no_track_before_its_release(world):
    release = world.tracks["release_day"].to_numpy()[world.events["track_id"]]
    assert (release <= world.events["day"].to_numpy()).all()
    assert (world.tracks["release_day"] > 0).sum() == round(0.1 * 64)


def test_oracle_is_a_distribution_and_respects_its_parts(world):
    n, t = 5, world.num_tracks
    counts = np.zeros((n, t))
    counts[0, 7] = 3
    probs = next_track_probabilities(world, np.arange(n), np.zeros(n), np.full(n, 12), [-1, 3, -1, 3, 10], counts)
    assert probs.shape == (n, t) and np.allclose(probs.sum(axis=1), 1)
    assert (probs[:, world.tracks["release_day"].to_numpy() > 0] == 0).all()
    # row 0: a replay of track 7 gets at least the repeat weight
    assert probs[0, 7] >= MusicConfig().repeat_prob
    # row 1: same-artist continuation puts at least that weight on the other tracks of track 3's artist
    artist = world.tracks["artist_id"].to_numpy()
    siblings = (artist == artist[3]) & (np.arange(t) != 3)
    assert probs[1, siblings].sum() >= MusicConfig().same_artist_prob
    with pytest.raises(ValueError):
        next_track_probabilities(world, [0], [0], [0], [-1], np.zeros((1, t + 1)))


def test_drift_moves_affinity(world):
    assert np.allclose(true_affinity(world, 0), world.affinity_start)
    last = true_affinity(world)
    assert np.allclose(last, 0.5 * world.affinity_start + 0.5 * world.affinity_end)  # drift 0.5
    still = simulate_music(**SMALL, seed=3, drift=0.0)
    assert np.allclose(true_affinity(still), still.affinity_start)


def test_skips_follow_dislike(world):
    events = world.events
    liking = world.affinity_start[events["user_id"], events["track_id"]]
    assert liking[events["skipped"]].mean() < liking[~events["skipped"]].mean() - 0.5


def test_knobs_act():
    no_repeat = simulate_music(**SMALL, repeat_prob=0.0, same_artist_prob=0.0, seed=1).events
    repeat = simulate_music(**SMALL, repeat_prob=0.6, seed=1).events

    def replay_share(events):
        return events.groupby("user_id")["track_id"].apply(lambda s: s.duplicated().mean()).mean()

    assert replay_share(repeat) > replay_share(no_repeat) + 0.2
    same = simulate_music(**SMALL, same_artist_prob=0.8, repeat_prob=0.0, seed=1).events

    def same_artist_share(events):
        same_session = events["session_id"].eq(events["session_id"].shift())
        return (events["artist_id"].eq(events["artist_id"].shift()) & same_session).sum() / same_session.sum()

    assert same_artist_share(same) > same_artist_share(no_repeat) + 0.4
