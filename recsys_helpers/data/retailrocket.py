"""RetailRocket's e-commerce event log and item properties.

:func:`load_retailrocket_events` reads RetailRocket's public ``events.csv`` (Kaggle, "Retailrocket
recommender system dataset", 2016): comma-separated with a header ``timestamp,visitorid,event,
itemid,transactionid``; timestamps in milliseconds since 1970; ``event`` is ``view``,
``addtocart`` or ``transaction``; ``transactionid`` only on transactions. Its item properties
files (``item_properties_part1.csv``, ``..._part2.csv``: ``timestamp,itemid,property,value``) give
each item's ``categoryid`` history; :func:`load_retailrocket_categories` keeps the latest. The
files are not shipped with the course (nothing may be downloaded at run time); the course's tests
run the readers on small files written in the same format.

Introduced in chapter 10 (E-commerce recommendation).
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from recsys_helpers.preprocessing import sessionize

__all__ = ["EVENT_TYPES", "RETAILROCKET_COLUMNS", "load_retailrocket_events", "load_retailrocket_categories"]

#: The three event types, in funnel order, as RetailRocket spells them (the simulated shop's too).
EVENT_TYPES = ("view", "addtocart", "transaction")

RETAILROCKET_COLUMNS = ["timestamp", "visitorid", "event", "itemid", "transactionid"]


def load_retailrocket_events(path: str | os.PathLike, *, gap_seconds: float = 1800, max_rows: int | None = None,
                             min_item_events: int = 1) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Read RetailRocket's ``events.csv`` (or any file in its format) into the chapter's event table.

    Parameters
    ----------
    path : path to ``events.csv``
        Header ``timestamp,visitorid,event,itemid,transactionid``; timestamps in milliseconds.
    gap_seconds : float, default 1800
        A visitor's events more than this far apart start a new session
        (:func:`recsys_helpers.preprocessing.sessionize`).
    max_rows : int, optional
        Read only the first ``max_rows`` lines (the full file has about 2.76 million).
    min_item_events : int, default 1
        Drop items with fewer events than this, to shrink the catalogue.

    Returns
    -------
    events : DataFrame sorted by user and time, the columns of the simulated shop's events
        (:class:`recsys_helpers.worlds.shop.ShopWorld`)
        ``user_id`` and ``item_id`` are contiguous (0..n-1); ``position`` counts the views of the
        session (a cart or transaction event takes the position of the session's latest view, or
        0 before any view); ``day`` counts days since the first event; ``hour`` is UTC;
        ``transaction_id`` is -1 except on transactions; ``repurchase_visit`` is always False.
    visitor_ids, item_ids : ndarray
        The original ids of each ``user_id`` and ``item_id`` (``visitor_ids[user_id]``).

    Raises
    ------
    ValueError
        A required column is missing, an event type is not one of :data:`EVENT_TYPES`, or the file
        holds no events.

    Introduced in chapter 10 (E-commerce recommendation).
    """
    frame = pd.read_csv(path, nrows=max_rows, dtype={"event": str})
    missing = [c for c in RETAILROCKET_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {missing}; expected {RETAILROCKET_COLUMNS}")
    frame = frame.dropna(subset=["timestamp", "visitorid", "event", "itemid"])
    if frame.empty:
        raise ValueError(f"{path} holds no events")
    unknown = sorted(set(frame["event"]) - set(EVENT_TYPES))
    if unknown:
        raise ValueError(f"{path}: unknown event type(s) {unknown}; expected {list(EVENT_TYPES)}")
    if min_item_events > 1:
        counts = frame["itemid"].map(frame["itemid"].value_counts())
        frame = frame[counts >= min_item_events]
    user_codes, visitor_ids = pd.factorize(frame["visitorid"], sort=True)
    item_codes, item_ids = pd.factorize(frame["itemid"], sort=True)
    kind = frame["event"].map({e: k for k, e in enumerate(EVENT_TYPES)}).to_numpy()
    seconds = frame["timestamp"].to_numpy(np.int64) // 1000
    events = pd.DataFrame({
        "user_id": user_codes.astype(np.int64),
        "timestamp": seconds,
        "item_id": item_codes.astype(np.int64),
        "kind": kind.astype(np.int64),
        "transaction_id": frame["transactionid"].fillna(-1).to_numpy().astype(np.int64),
    })
    events = events.sort_values(["user_id", "timestamp", "kind"], kind="stable").reset_index(drop=True)
    events["session_id"] = sessionize(events["user_id"], events["timestamp"], gap_seconds=gap_seconds)
    is_view = events["kind"].eq(0)
    events["position"] = (is_view.groupby(events["session_id"]).cumsum() - 1).clip(lower=0)
    events["position"] = events["position"].astype(np.int64)
    events["day"] = (events["timestamp"] - events["timestamp"].min()) // 86_400
    events["hour"] = (events["timestamp"] // 3_600) % 24
    events["event"] = np.array(EVENT_TYPES)[events["kind"].to_numpy()]
    events["repurchase_visit"] = False
    columns = ["user_id", "session_id", "position", "day", "hour", "timestamp", "item_id", "event",
               "transaction_id", "repurchase_visit"]
    return events[columns], np.asarray(visitor_ids), np.asarray(item_ids)


def load_retailrocket_categories(paths, item_ids) -> np.ndarray:
    """Each item's latest ``categoryid`` from RetailRocket's item-properties files.

    Parameters
    ----------
    paths : path or list of paths
        ``item_properties_part1.csv`` and/or ``..._part2.csv`` (header
        ``timestamp,itemid,property,value``).
    item_ids : array-like, shape (num_items,)
        Original item ids in the order of the chapter's ``item_id`` (as returned by
        :func:`load_retailrocket_events`).

    Returns
    -------
    ndarray of int64, shape (num_items,)
        Contiguous category codes (0..), ordered by the original category id; -1 where an item has
        no ``categoryid`` property.

    Introduced in chapter 10 (E-commerce recommendation).
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    frames = [pd.read_csv(p, dtype={"property": str, "value": str}) for p in paths]
    props = pd.concat(frames, ignore_index=True)
    cats = props[props["property"] == "categoryid"].sort_values("timestamp", kind="stable")
    latest = cats.drop_duplicates("itemid", keep="last").set_index("itemid")["value"].astype(np.int64)
    codes = pd.Series(pd.factorize(latest, sort=True)[0], index=latest.index)
    return codes.reindex(np.asarray(item_ids)).fillna(-1).to_numpy(np.int64)
