"""The Higgs Twitter dataset's interactions and follow graph.

:func:`load_higgs_activity` reads the activity file of the Higgs Twitter dataset (De Domenico et
al., 2013; distributed by SNAP): one line per interaction, ``userA userB timestamp RT|MT|RE`` (A
retweeted, mentioned or replied to B, Unix seconds), and optionally its follow edge list
(``userA userB``, read as A follows B). Tweets are not identified in that file, so the item a user
engages with is the *account* interacted with, and posts have no text. A user's interactions are
cut into visits where two are more than ``gap_seconds`` apart
(:func:`recsys_helpers.preprocessing.sessionize`).

Introduced in chapter 11 (Social media recommendation).
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recsys_helpers.preprocessing import sessionize

__all__ = ["HIGGS_TYPES", "load_higgs_activity"]

#: Higgs Twitter's interaction codes and the names the loader gives them.
HIGGS_TYPES = {"RT": "share", "RE": "comment", "MT": "mention"}


def load_higgs_activity(path: str | os.PathLike, *, follows_path: str | os.PathLike | None = None,
                        max_rows: int | None = None, gap_seconds: float = 1800):
    """Read Higgs Twitter's activity file (and optionally its follow graph) into the chapter's tables.

    Parameters
    ----------
    path : path to ``higgs-activity_time.txt`` or a file in its format
        One interaction per line, separated by white space: ``userA userB timestamp type`` with
        ``type`` one of RT (A retweeted B), MT (A mentioned B), RE (A replied to B) and the
        timestamp in Unix seconds.
    follows_path : path to ``higgs-social_network.edgelist`` or a file in its format, optional
        ``userA userB`` per line, read as A follows B. Edges between users absent from the
        activity file are dropped.
    max_rows : int, optional
        Read only the first ``max_rows`` lines of the activity file.
    gap_seconds : float, default 1800
        A user's interactions more than this apart belong to different visits.

    Returns
    -------
    events : DataFrame sorted by time
        The columns of the simulated platform's events
        (:class:`recsys_helpers.worlds.social.SocialWorld`): ``user_id``, ``visit_id``,
        ``post_id`` (= the account interacted with: the file does not identify tweets),
        ``author_id`` (the same),
        ``topic_id`` (-1, unknown), ``type`` (share / mention / comment, see :data:`HIGGS_TYPES`),
        ``timestamp``, ``day`` (days since the first line), ``follows_author``, ``age_hours``
        (hours since the account's first line in the log).
    posts : DataFrame, one row per account (``post_id`` 0..num_users-1)
        ``post_id``, ``author_id`` (the same), ``topic_id`` (-1), ``created`` (the account's first
        line in the log, in either column), ``day``, ``text`` (empty).
    follow_matrix : csr_matrix of float64, shape (num_users, num_users)
        Users are numbered jointly over both columns of the activity file (ids sorted as
        integers); all zeros when ``follows_path`` is None.

    Raises
    ------
    ValueError
        A line has an unknown interaction type or a non-integer field, or the file has no lines.

    Introduced in chapter 11 (Social media recommendation).
    """
    frame = pd.read_csv(path, sep=r"\s+", header=None, names=["source", "target", "timestamp", "code"],
                        dtype=str, nrows=max_rows, engine="python")
    frame = frame.dropna()
    if frame.empty:
        raise ValueError(f"{path} holds no interactions")
    unknown = sorted(set(frame["code"]) - set(HIGGS_TYPES))
    if unknown:
        raise ValueError(f"{path}: unknown interaction types {unknown}; expected RT, MT or RE")
    try:
        source = frame["source"].astype(np.int64).to_numpy()
        target = frame["target"].astype(np.int64).to_numpy()
        timestamp = frame["timestamp"].astype(np.int64).to_numpy()
    except ValueError as error:
        raise ValueError(f"{path}: user ids and timestamps must be integers ({error})") from None
    ids = np.unique(np.r_[source, target])
    user_id, author_id = np.searchsorted(ids, source), np.searchsorted(ids, target)
    n = len(ids)
    follow_matrix = sp.csr_matrix((n, n))
    if follows_path is not None:
        edges = pd.read_csv(follows_path, sep=r"\s+", header=None, names=["a", "b"], dtype=np.int64,
                            engine="python").to_numpy()
        known = np.isin(edges[:, 0], ids) & np.isin(edges[:, 1], ids)
        a, b = np.searchsorted(ids, edges[known, 0]), np.searchsorted(ids, edges[known, 1])
        follow_matrix = sp.csr_matrix((np.ones(len(a)), (a, b)), shape=(n, n))
        follow_matrix.data[:] = 1.0  # duplicate edges count once
        follow_matrix.sum_duplicates()
        follow_matrix.data[:] = 1.0
    events = pd.DataFrame({"user_id": user_id.astype(np.int64), "post_id": author_id.astype(np.int64),
                           "author_id": author_id.astype(np.int64), "timestamp": timestamp,
                           "type": frame["code"].map(HIGGS_TYPES).to_numpy()})
    events = events.sort_values(["timestamp", "user_id"], kind="stable").reset_index(drop=True)
    events["visit_id"] = sessionize(events["user_id"], events["timestamp"], gap_seconds=gap_seconds)
    start = int(events["timestamp"].min())
    both = pd.concat([events[["user_id", "timestamp"]].set_axis(["account", "timestamp"], axis=1),
                      events[["post_id", "timestamp"]].set_axis(["account", "timestamp"], axis=1)])
    first_seen = both.groupby("account")["timestamp"].min().reindex(range(n)).astype(np.int64)
    events["topic_id"] = -1
    events["day"] = (events["timestamp"] - start) / 86_400
    events["follows_author"] = np.asarray(follow_matrix[events["user_id"], events["author_id"]]).ravel() > 0
    events["age_hours"] = (events["timestamp"] - events["post_id"].map(first_seen)) / 3_600
    posts = pd.DataFrame({"post_id": first_seen.index.to_numpy(np.int64),
                          "author_id": first_seen.index.to_numpy(np.int64), "topic_id": -1,
                          "created": first_seen.to_numpy(np.int64)})
    posts["day"] = (posts["created"] - start) / 86_400
    posts["text"] = ""
    columns = ["user_id", "visit_id", "post_id", "author_id", "topic_id", "type", "timestamp", "day",
               "follows_author", "age_hours"]
    return events[columns], posts.reset_index(drop=True), follow_matrix
