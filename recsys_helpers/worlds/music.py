"""A seeded music service with a known ground truth, for the music case study (no real data shipped).

:func:`simulate_music` builds a small music service: genres, artists, tracks, and listeners who
play tracks in sessions, skip what they dislike, replay favourites and follow the clock. Because
every probability is known, a chapter can measure how much of the planted preference its models
recover (:func:`true_affinity`) and how well the best possible model would do
(:func:`next_track_probabilities`, the oracle).

The generative story, in the order the code follows it (every knob is a field of
:class:`MusicConfig`):

1. **Catalogue.** ``num_genres`` genres, each with a peak hour of the day spread evenly around the
   clock. ``num_artists`` artists, each in one genre (round robin). Every artist has
   ``tracks_per_artist`` tracks; a track has a quality ~ Normal(0, ``track_quality_sd``). A share
   ``new_release_share`` of tracks are released during the last ``release_window_days`` days
   (freshness); the others exist from day 0.
2. **Listeners.** Each user has a genre taste ``theta`` ~ Dirichlet(``taste_concentration``) (a
   small concentration gives focused tastes), a personal liking of each artist ~
   Normal(0, ``artist_taste_sd``) and a habitual listening hour. The planted affinity of user u for
   track t is ``log(theta[u, genre(t)] + 0.01) + artist_liking[u, artist(t)] + quality[t]``.
   Tastes drift: a second genre taste is drawn, and on day d the affinity is the mix
   ``(1 - w) * start + w * end`` with ``w = drift * d / (num_days - 1)``.
3. **Sessions.** Each user has ``sessions_per_user`` sessions in distinct hours of the
   ``num_days`` days, drawn without replacement with weights ``exp(-d**2 / (2 hour_sd**2))``, d the
   distance of the hour from the user's habitual hour on the clock; each session has a length
   drawn uniformly from ``session_length`` and plays are 200 s apart.
4. **The next track.** Given the day, the hour, the previous track of the session (if any) and the
   user's plays so far, the next track is drawn from a mixture:

   - with weight ``repeat_prob``: a replay, proportional to how often the user played each track
     to the end before (repeat listening);
   - with weight ``same_artist_prob``: another track by the previous track's artist, by affinity;
   - otherwise: an exploration draw, softmax over released tracks of
     ``affinity + time_of_day_strength * cos(2 pi (hour - peak_hour[genre]) / 24)``.

   A component that does not apply (no history yet, first track of a session, an artist with no
   other released track) drops out and the weights are renormalized.
5. **Skips.** The listener skips the track with probability
   ``sigmoid(skip_slope * (skip_threshold - affinity))``: disliked tracks are skipped more often.
   Skipped plays stay in the log (``skipped=True``) but do not count as plays for replays.

Everything is deterministic given ``seed``. The real log it imitates is read by
:func:`recsys_helpers.data.load_lastfm_1k`. Introduced in chapter 12 (Music and video
recommendation).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from recsys_helpers.worlds.core import (
    World,
    affinity_on_day,
    affinity_per_row,
    check_fields,
    drift_weight,
    softmax_rows,
)

__all__ = [
    "MusicConfig",
    "MusicWorld",
    "simulate_music",
    "true_affinity",
    "next_track_probabilities",
    "EPOCH",
]

#: Unix time of day 0 of every simulated log (2009-01-01 00:00 UTC, the Last.fm-1K era).
EPOCH = 1_230_768_000


@dataclass(frozen=True)
class MusicConfig:
    """Knobs of :func:`simulate_music`; see the module docstring for the story they drive."""

    num_users: int = 400
    num_genres: int = 8
    num_artists: int = 80
    tracks_per_artist: int = 6
    num_days: int = 56
    sessions_per_user: int = 12
    session_length: tuple[int, int] = (4, 14)
    taste_concentration: float = 0.3
    artist_taste_sd: float = 1.0
    track_quality_sd: float = 0.5
    repeat_prob: float = 0.2
    same_artist_prob: float = 0.3
    time_of_day_strength: float = 1.0
    hour_sd: float = 4.0
    drift: float = 0.5
    new_release_share: float = 0.1
    release_window_days: int = 14
    skip_threshold: float = -1.5
    skip_slope: float = 1.5
    seed: int = 0

    def __post_init__(self):
        check_fields(
            self,
            positive_ints=("num_users", "num_genres", "num_artists", "tracks_per_artist", "num_days",
                           "sessions_per_user", "release_window_days"),
            count_ranges=("session_length",),
            probabilities=("repeat_prob", "same_artist_prob", "drift", "new_release_share"),
            positive=("taste_concentration",),
        )
        if self.repeat_prob + self.same_artist_prob > 1.0:
            raise ValueError("repeat_prob + same_artist_prob must be at most 1")
        if self.release_window_days > self.num_days:
            raise ValueError(f"release_window_days must lie in [1, num_days], got {self.release_window_days!r}")


@dataclass
class MusicWorld(World):
    """A simulated music service: catalogue, listeners' planted tastes, and the listening log.

    Attributes
    ----------
    config : MusicConfig
    tracks : DataFrame, one row per track in index order
        ``track_id`` (0..num_tracks-1), ``artist_id``, ``genre_id``, ``release_day`` (0 = always
        there), ``quality``, ``title`` (e.g. "artist 12 - track 3").
    artists : DataFrame
        ``artist_id``, ``genre_id``, ``name``.
    events : DataFrame, one row per play, sorted by user then time
        ``user_id``, ``session_id`` (global, increasing in time per user), ``position`` (0-based in
        the session), ``day``, ``hour`` (0..23), ``timestamp`` (Unix seconds), ``track_id``,
        ``artist_id``, ``genre_id``, ``skipped`` (bool).
    affinity_start, affinity_end : ndarray (num_users, num_tracks)
        Planted affinities on day 0 and at full drift (see :func:`true_affinity`).
    genre_peak_hour : ndarray (num_genres,)
    """

    config: MusicConfig
    tracks: pd.DataFrame
    artists: pd.DataFrame
    events: pd.DataFrame
    affinity_start: np.ndarray
    affinity_end: np.ndarray
    genre_peak_hour: np.ndarray

    @property
    def num_tracks(self) -> int:
        return len(self.tracks)


def true_affinity(world: MusicWorld, day: float | None = None, *, users=None) -> np.ndarray:
    """Planted affinity of users for every track on ``day`` (default: the last day).

    Parameters
    ----------
    world : MusicWorld
    day : float, optional
        Day in ``0..num_days-1``; tastes drift linearly with it.
    users : array of int, optional
        Rows to return (default: all users).

    Returns
    -------
    ndarray of float64, shape (len(users), num_tracks)
        Higher = liked more. Affinities are log-scale: a difference of 1 multiplies the odds of an
        exploration draw by e.

    Introduced in chapter 12 (Music and video recommendation).
    """
    return affinity_on_day(world, day, users=users)


def next_track_probabilities(world: MusicWorld, users, days, hours, previous_tracks, play_counts) -> np.ndarray:
    """The simulator's own distribution of the next track: the oracle a model can at best learn.

    Parameters
    ----------
    world : MusicWorld
    users, days, hours : arrays of shape (n,)
        Listener index, day (0..num_days-1) and hour (0..23) of each next play.
    previous_tracks : array of int, shape (n,)
        The previous track of the same session, or -1 at the start of a session.
    play_counts : array of shape (n, num_tracks)
        How many times each listener played each track to the end (not skipped) before.

    Returns
    -------
    ndarray of float64, shape (n, num_tracks)
        Each row sums to 1; unreleased tracks get probability 0.

    Introduced in chapter 12 (Music and video recommendation).
    """
    config = world.config
    users = np.asarray(users, dtype=np.int64)
    days = np.asarray(days, dtype=np.float64)
    hours = np.asarray(hours, dtype=np.float64)
    previous_tracks = np.asarray(previous_tracks, dtype=np.int64)
    play_counts = np.asarray(play_counts, dtype=np.float64)
    n, num_tracks = len(users), world.num_tracks
    if play_counts.shape != (n, num_tracks):
        raise ValueError(f"play_counts must have shape ({n}, {num_tracks}), got {play_counts.shape}")
    genre = world.tracks["genre_id"].to_numpy()
    artist = world.tracks["artist_id"].to_numpy()
    released = world.tracks["release_day"].to_numpy()[None, :] <= days[:, None]
    affinity = affinity_per_row(world, users, days)
    genre_clock = np.cos(2 * np.pi * (hours[:, None] - world.genre_peak_hour[None, :]) / 24)
    logits = affinity + config.time_of_day_strength * genre_clock[:, genre]
    explore = softmax_rows(np.where(released, logits, -np.inf))
    same = np.zeros_like(explore)
    has_previous = previous_tracks >= 0
    if has_previous.any():
        rows = np.flatnonzero(has_previous)
        mask = artist[None, :] == artist[previous_tracks[rows]][:, None]
        mask[np.arange(len(rows)), previous_tracks[rows]] = False
        restricted = explore[rows] * mask  # a softmax restricted to a subset: renormalize
        total = restricted.sum(axis=1, keepdims=True)
        same[rows] = np.divide(restricted, total, out=np.zeros_like(restricted), where=total > 0)
    repeat_total = play_counts.sum(axis=1, keepdims=True)
    repeat = np.divide(play_counts, repeat_total, out=np.zeros_like(play_counts), where=repeat_total > 0)
    weights = np.stack(
        [
            np.where(repeat_total[:, 0] > 0, config.repeat_prob, 0.0),
            np.where(same.any(axis=1), config.same_artist_prob, 0.0),
            np.full(n, 1.0 - config.repeat_prob - config.same_artist_prob),
        ],
        axis=1,
    )
    # with nothing to explore (all weight on components that dropped out) fall back to exploring
    weights[weights.sum(axis=1) == 0, 2] = 1.0
    weights /= weights.sum(axis=1, keepdims=True)
    return weights[:, :1] * repeat + weights[:, 1:2] * same + weights[:, 2:] * explore


def simulate_music(config: MusicConfig | None = None, **overrides) -> MusicWorld:
    """Simulate a music service's catalogue and listening log (see the module docstring).

    Parameters
    ----------
    config : MusicConfig, optional
        Default: ``MusicConfig()``.
    **overrides
        Fields of :class:`MusicConfig` to change, e.g. ``simulate_music(num_users=50, seed=3)``.

    Returns
    -------
    MusicWorld
        Same config, same world: the log is a deterministic function of the config.

    Examples
    --------
    >>> world = simulate_music(num_users=20, num_artists=8, sessions_per_user=3, seed=1)
    >>> bool(world.events.groupby("user_id")["session_id"].nunique().eq(3).all())
    True
    >>> world.affinity_start.shape == (20, len(world.tracks))
    True

    Introduced in chapter 12 (Music and video recommendation).
    """
    config = replace(config or MusicConfig(), **overrides)
    rng = np.random.default_rng(config.seed)
    num_users, num_genres = config.num_users, config.num_genres
    # 1. catalogue
    genre_peak_hour = np.arange(num_genres) * 24.0 / num_genres
    artist_genre = np.arange(config.num_artists) % num_genres
    num_tracks = config.num_artists * config.tracks_per_artist
    track_artist = np.repeat(np.arange(config.num_artists), config.tracks_per_artist)
    track_genre = artist_genre[track_artist]
    quality = rng.normal(0.0, config.track_quality_sd, num_tracks)
    release_day = np.zeros(num_tracks, dtype=np.int64)
    num_new = int(round(config.new_release_share * num_tracks))
    if num_new:
        new = rng.choice(num_tracks, size=num_new, replace=False)
        first = config.num_days - config.release_window_days
        release_day[new] = rng.integers(first, config.num_days, size=num_new)
    # 2. listeners
    theta_start = rng.dirichlet(np.full(num_genres, config.taste_concentration), size=num_users)
    theta_end = rng.dirichlet(np.full(num_genres, config.taste_concentration), size=num_users)
    artist_liking = rng.normal(0.0, config.artist_taste_sd, (num_users, config.num_artists))
    personal = artist_liking[:, track_artist] + quality[None, :]
    affinity_start = np.log(theta_start[:, track_genre] + 0.01) + personal
    affinity_end = np.log(theta_end[:, track_genre] + 0.01) + personal
    habit_hour = rng.uniform(0, 24, num_users)
    tracks = pd.DataFrame(
        {
            "track_id": np.arange(num_tracks),
            "artist_id": track_artist,
            "genre_id": track_genre,
            "release_day": release_day,
            "quality": quality,
            "title": [f"artist {a} - track {i % config.tracks_per_artist}" for i, a in enumerate(track_artist)],
        }
    )
    artists = pd.DataFrame(
        {"artist_id": np.arange(config.num_artists), "genre_id": artist_genre,
         "name": [f"artist {a}" for a in range(config.num_artists)]}
    )
    world = MusicWorld(config, tracks, artists, pd.DataFrame(), affinity_start, affinity_end, genre_peak_hour)
    # 3. sessions
    num_sessions = config.sessions_per_user
    # distinct (day, hour) slots, weighted towards the habitual hour (Gumbel top-k sampling)
    slot_hour = np.arange(config.num_days * 24) % 24
    distance = np.abs(slot_hour[None, :] - habit_hour[:, None])
    distance = np.minimum(distance, 24 - distance)
    keys = -(distance**2) / (2 * config.hour_sd**2) + rng.gumbel(size=distance.shape)
    if num_sessions > keys.shape[1]:
        raise ValueError(f"sessions_per_user={num_sessions} exceeds the {keys.shape[1]} hours of num_days")
    slots = np.sort(np.argpartition(-keys, num_sessions - 1, axis=1)[:, :num_sessions], axis=1)
    session_day, session_hour = slots // 24, slots % 24
    low, high = config.session_length
    lengths = rng.integers(low, high + 1, (num_users, num_sessions))
    # 4-5. plays, all users in step
    counts = np.zeros((num_users, num_tracks))
    users = np.arange(num_users)
    records = []
    for s in range(num_sessions):
        previous = np.full(num_users, -1)
        for position in range(high):
            active = lengths[:, s] > position
            if not active.any():
                break
            rows = users[active]
            days, hours = session_day[rows, s], session_hour[rows, s]
            probs = next_track_probabilities(world, rows, days, hours, previous[rows], counts[rows])
            cumulative = np.cumsum(probs, axis=1)
            draws = rng.random(len(rows))[:, None] * cumulative[:, -1:]
            chosen = np.minimum((cumulative < draws).sum(axis=1), num_tracks - 1)
            weight = drift_weight(config, days)
            liking = (1 - weight) * affinity_start[rows, chosen] + weight * affinity_end[rows, chosen]
            skip_p = 1 / (1 + np.exp(-config.skip_slope * (config.skip_threshold - liking)))
            skipped = rng.random(len(rows)) < skip_p
            counts[rows[~skipped], chosen[~skipped]] += 1
            previous[rows] = chosen
            records.append(np.column_stack([rows, np.full(len(rows), s), np.full(len(rows), position),
                                            days, hours, chosen, skipped]))
    table = np.vstack(records)
    events = pd.DataFrame(table, columns=["user_id", "session", "position", "day", "hour", "track_id", "skipped"])
    events = events.astype({c: "int64" for c in events.columns}).astype({"skipped": bool})
    events = events.sort_values(["user_id", "session", "position"], kind="stable").reset_index(drop=True)
    events["session_id"] = events["user_id"] * num_sessions + events["session"]
    events["timestamp"] = EPOCH + events["day"] * 86_400 + events["hour"] * 3_600 + events["position"] * 200
    events["artist_id"] = track_artist[events["track_id"].to_numpy()]
    events["genre_id"] = track_genre[events["track_id"].to_numpy()]
    world.events = events[
        ["user_id", "session_id", "position", "day", "hour", "timestamp", "track_id", "artist_id", "genre_id",
         "skipped"]
    ]
    return world

