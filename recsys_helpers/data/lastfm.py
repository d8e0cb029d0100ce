"""Listening logs in the Last.fm-1K format.

Last.fm-1K (Celma, 2010) is a public log of about 19 million plays by 992 Last.fm users,
distributed as ``userid-timestamp-artid-artname-traid-traname.tsv``: tab-separated, no header,
one play per line with the columns

``user id``, ``timestamp`` (ISO 8601 UTC, e.g. ``2009-05-04T23:08:57Z``), ``artist MusicBrainz
id``, ``artist name``, ``track MusicBrainz id``, ``track name``.

MusicBrainz ids are missing on some lines; a track is then identified by artist and track name.
The file is not shipped with the course (its licence forbids redistribution here, and nothing may
be downloaded at run time): :func:`load_lastfm_1k` reads a copy a learner has, and the course's
tests run it on small files written in the same format.

Sessions are cut where two plays are more than ``gap_seconds`` apart
(:func:`recsys_helpers.preprocessing.sessionize`).

Introduced in chapter 12 (Music and video recommendation).
"""

from __future__ import annotations

import csv
import os

import numpy as np
import pandas as pd

from recsys_helpers.preprocessing import sessionize

__all__ = ["LASTFM_1K_COLUMNS", "load_lastfm_1k"]

LASTFM_1K_COLUMNS = ["user", "time", "artist_mbid", "artist_name", "track_mbid", "track_name"]


def load_lastfm_1k(path: str | os.PathLike, *, gap_seconds: float = 1800, max_rows: int | None = None,
                   min_track_plays: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read a Last.fm-1K play log into the event table the music chapter uses.

    Parameters
    ----------
    path : path to ``userid-timestamp-artid-artname-traid-traname.tsv`` (or any file in its format)
    gap_seconds : float, default 1800
        Session gap passed to :func:`recsys_helpers.preprocessing.sessionize`.
    max_rows : int, optional
        Read only the first ``max_rows`` lines (the full file has about 19 million).
    min_track_plays : int, default 1
        Drop tracks played fewer times than this (after reading), to shrink the catalogue.

    Returns
    -------
    events : DataFrame sorted by user and time
        ``user_id`` (int64, 0..), ``session_id`` (int64), ``position`` (in the session), ``day``
        (days since the first play), ``hour`` (0..23, UTC), ``timestamp`` (Unix seconds),
        ``track_id`` and ``artist_id`` (int64, 0..), ``skipped`` (always False: the log records
        no skips).
    tracks : DataFrame, one row per ``track_id`` in order
        ``track_id``, ``artist_id``, ``artist_name``, ``track_name``, ``title``.

    Raises
    ------
    ValueError
        A line has a timestamp that is not ISO 8601, or the file has no rows.

    Lines with the wrong number of fields are skipped (the real file has a few).

    Introduced in chapter 12 (Music and video recommendation).
    """
    frame = pd.read_csv(path, sep="\t", header=None, names=LASTFM_1K_COLUMNS, dtype=str,
                        quoting=csv.QUOTE_NONE, on_bad_lines="skip", nrows=max_rows,
                        keep_default_na=False, engine="python")
    frame = frame.dropna()  # lines with too few fields
    if frame.empty:
        raise ValueError(f"{path} holds no plays")
    try:
        time = pd.to_datetime(frame["time"], format="%Y-%m-%dT%H:%M:%SZ", utc=True)
    except ValueError as error:
        raise ValueError(f"{path}: a timestamp is not ISO 8601 like 2009-05-04T23:08:57Z ({error})") from None
    artist_key = frame["artist_mbid"].where(frame["artist_mbid"] != "", "name:" + frame["artist_name"])
    track_key = frame["track_mbid"].where(
        frame["track_mbid"] != "", "name:" + frame["artist_name"] + "\x1f" + frame["track_name"]
    )
    frame = frame.assign(seconds=(time - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1), hour=time.dt.hour,
                         artist_key=artist_key, track_key=track_key)
    if min_track_plays > 1:
        counts = frame["track_key"].map(frame["track_key"].value_counts())
        frame = frame[counts >= min_track_plays]
    track_codes, track_keys = pd.factorize(frame["track_key"], sort=True)
    artist_codes, _ = pd.factorize(frame["artist_key"], sort=True)
    user_codes, _ = pd.factorize(frame["user"], sort=True)
    events = pd.DataFrame(
        {
            "user_id": user_codes.astype(np.int64),
            "timestamp": frame["seconds"].to_numpy(np.int64),
            "hour": frame["hour"].to_numpy(np.int64),
            "track_id": track_codes.astype(np.int64),
            "artist_id": artist_codes.astype(np.int64),
        }
    )
    events = events.sort_values(["user_id", "timestamp"], kind="stable").reset_index(drop=True)
    events["session_id"] = sessionize(events["user_id"], events["timestamp"], gap_seconds=gap_seconds)
    events["position"] = events.groupby("session_id").cumcount().astype(np.int64)
    events["day"] = (events["timestamp"] - events["timestamp"].min()) // 86_400
    events["skipped"] = False
    first = frame.assign(track_id=track_codes, artist_id=artist_codes).drop_duplicates("track_id")
    tracks = first.sort_values("track_id")[["track_id", "artist_id", "artist_name", "track_name"]]
    tracks = tracks.astype({"track_id": np.int64, "artist_id": np.int64}).reset_index(drop=True)
    tracks["title"] = tracks["artist_name"] + " - " + tracks["track_name"]
    columns = ["user_id", "session_id", "position", "day", "hour", "timestamp", "track_id", "artist_id", "skipped"]
    return events[columns], tracks
