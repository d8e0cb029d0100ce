"""Simulated users: their fidelity, a conversation with a known target, and counterfactual prompts.

A **simulated user** stands in for a person when a recommender is evaluated: an LLM given a user's
liked titles (Agent4Rec, RecAgent), or a plain model of the user's taste. The pieces here are the
ones a course chapter needs to measure such simulators instead of trusting them:

- :func:`simulator_auc` -- how well a simulator's scores separate a user's held-out liked films
  from the disliked ones (1.0 perfect, 0.5 chance), per user;
- :class:`TargetUser` and :func:`user_turn` -- a simulated user who wants one known target item
  and reveals one attribute of it per turn (a genre, a decade, a similar film it liked); a
  ``leak`` switch makes it name the target itself, the leakage Zhu et al. (WWW 2024) found in
  LLM-based simulators;
- :func:`critique_update`, :func:`retrieve`, :func:`run_conversation` -- a recommender that
  accumulates the revealed constraints, retrieves with item vectors and drops every item the
  user rejected (a critique);
- :func:`recall_by_turn`, :func:`turns_to_success` -- the conversation's metrics;
- :func:`mentions_title` -- does an utterance leak a title?
- :func:`score_completion` -- does a model's completion of "Title (" name the film's year and
  genre (the memorisation probe of Di Palma et al., SIGIR 2025)?
- :func:`rank_change`, :func:`counterfactual_prompts` -- prompts that differ in one stated
  attribute, and how far the ranking of the same candidates moves between them.

None of these functions loads a language model: they take scores, vectors and texts.

Introduced in chapter 18 (Simulated users, conversation and memorisation).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from recsys_helpers.metrics import roc_auc_score

__all__ = [
    "simulator_auc",
    "TargetUser",
    "user_turn",
    "critique_update",
    "retrieve",
    "run_conversation",
    "recall_by_turn",
    "turns_to_success",
    "mentions_title",
    "score_completion",
    "rank_change",
    "counterfactual_prompts",
]


# --------------------------------------------------------------------------- fidelity
def simulator_auc(scores, labels) -> float:
    """Share of (liked, disliked) pairs that the scores order correctly; ties count one half.

    Parameters
    ----------
    scores : array-like of float, shape (n,)
        The simulator's scores of one user's held-out items (higher = more liked).
    labels : array-like of bool or {0, 1}, shape (n,)
        1 for an item the user liked, 0 for one the user disliked; both must occur.

    Returns
    -------
    float in [0, 1]; 0.5 is what a scorer that knows nothing gets.
    """
    scores = np.asarray(scores, dtype=float)
    labels = np.asarray(labels)
    if scores.ndim != 1 or scores.shape != labels.shape:
        raise ValueError(f"scores and labels must be 1-D of the same length, got {scores.shape} and {labels.shape}")
    if not np.isin(labels, (0, 1)).all():
        raise ValueError("labels must be 0/1 or booleans")
    if not np.isfinite(scores).all():
        raise ValueError("scores must be finite")
    labels = labels.astype(bool)
    if labels.all() or not labels.any():
        raise ValueError("a user needs at least one liked and one disliked item")
    return roc_auc_score(labels, scores)  # chapter 02's AUC: the same pairs, counted from ranks


# --------------------------------------------------------------------------- the simulated user
@dataclass
class TargetUser:
    """A simulated user who wants ``target`` and knows some of its attributes.

    Attributes
    ----------
    target : int
        Item index of the film the user wants.
    title : str
        The target's title (said only when the simulator leaks).
    genres : sequence of str
        The target's genres, revealed in this order.
    decade : int
        The decade of the target's release, e.g. 1990.
    similar : sequence of int
        Items the user liked that resemble the target, most similar first (never the target).
    similar_titles : sequence of str
        Their titles, same order.
    """

    target: int
    title: str
    genres: Sequence[str]
    decade: int
    similar: Sequence[int] = field(default_factory=list)
    similar_titles: Sequence[str] = field(default_factory=list)

    def attributes(self) -> list[tuple[str, object, str]]:
        """The attributes the user reveals, in order: ``(kind, value, utterance)``.

        Kinds: ``"genre"`` (value a genre name), ``"decade"`` (value an int), ``"film"`` (value an
        item index). Order: first genre, decade, most similar film, then further genres and
        similar films alternately.
        """
        if len(self.similar) != len(self.similar_titles):
            raise ValueError("similar and similar_titles must have the same length")
        if self.target in list(self.similar):
            raise ValueError("the target cannot be one of its own similar films")
        genres = [("genre", g, f"I'd like a {g.lower()} film.") for g in self.genres]
        films = [("film", int(i), f"Something like {t}.") for i, t in zip(self.similar, self.similar_titles)]
        order = genres[:1] + [("decade", int(self.decade), f"Something from the {int(self.decade)}s.")] + films[:1]
        rest_g, rest_f = genres[1:], films[1:]
        while rest_g or rest_f:
            if rest_g:
                order.append(rest_g.pop(0))
            if rest_f:
                order.append(rest_f.pop(0))
        return order


def user_turn(user: TargetUser, turn: int, *, leak: bool = False, leak_turn: int = 2) -> tuple[str, object, str]:
    """What the simulated user says at ``turn`` (0-based): one new attribute of the target.

    With ``leak=True`` the user names the target itself at turn ``leak_turn`` instead
    (``("film", target, "Something like <title>.")``), the way an LLM simulator that was shown the
    target can let it slip. After the attributes run out the user repeats ``("none", None,
    "Nothing else comes to mind.")``.
    """
    if turn < 0:
        raise ValueError(f"turn must be >= 0, got {turn}")
    if leak and turn == leak_turn:
        return ("film", int(user.target), f"Something like {user.title}.")
    revealed = user.attributes()
    if turn < len(revealed):
        return revealed[turn]
    return ("none", None, "Nothing else comes to mind.")


# --------------------------------------------------------------------------- the recommender
def critique_update(candidates, shown, target: int | None = None) -> np.ndarray:
    """The candidate set after the user rejects a shown list.

    Every shown item leaves the set, unless the list held the ``target`` (a success: the set is
    returned unchanged). Order of the remaining candidates is kept.

    Parameters
    ----------
    candidates : array-like of int, shape (n,)
    shown : array-like of int
        The items the recommender showed this turn.
    target : int or None
        The item the user wants; None when the caller does not know it (then all shown items go).

    Returns
    -------
    np.ndarray of int64
    """
    candidates = np.asarray(candidates, dtype=np.int64)
    shown = np.asarray(shown, dtype=np.int64)
    if candidates.ndim != 1 or shown.ndim != 1:
        raise ValueError("candidates and shown must be 1-D")
    if target is not None and target in set(shown.tolist()):
        return candidates.copy()
    return candidates[~np.isin(candidates, shown)]


def retrieve(vectors, candidates, *, liked=(), genres=(), decade=None, item_genres=None, item_decades=None,
             prior=None, k: int = 10) -> np.ndarray:
    """The ``k`` best candidates for the constraints revealed so far.

    Candidates that lack a revealed genre or decade are ranked after those that satisfy all
    constraints (a soft filter: with too few matches the list is filled from the rest). Within each
    group the score is the cosine of the item vector to the mean vector of the ``liked`` items, or
    ``prior`` (e.g. popularity) when no film has been named; ties keep the candidates' order.

    Parameters
    ----------
    vectors : float array (num_items, d), unit rows
    candidates : int array (n,)
    liked : items the user named as liked (their vectors form the query)
    genres, decade : revealed constraints
    item_genres : sequence of sets of genre names, one per item (needed when ``genres``)
    item_decades : int array (num_items,) (needed when ``decade`` is not None)
    prior : float array (num_items,) or None
    k : list length

    Returns
    -------
    np.ndarray of int64, shape (min(k, n),)
    """
    candidates = np.asarray(candidates, dtype=np.int64)
    if len(candidates) == 0:
        return candidates
    vectors = np.asarray(vectors, dtype=float)
    liked = [int(i) for i in liked]
    if liked:
        query = vectors[liked].mean(axis=0)
        score = vectors[candidates] @ query
    elif prior is not None:
        score = np.asarray(prior, dtype=float)[candidates]
    else:
        score = np.zeros(len(candidates))
    fits = np.ones(len(candidates), dtype=bool)
    if genres:
        if item_genres is None:
            raise ValueError("item_genres is needed to filter by genre")
        wanted = set(genres)
        fits &= np.array([wanted <= set(item_genres[i]) for i in candidates])
    if decade is not None:
        if item_decades is None:
            raise ValueError("item_decades is needed to filter by decade")
        fits &= np.asarray(item_decades)[candidates] == decade
    order = np.lexsort((np.arange(len(candidates)), -score, ~fits))
    return candidates[order[:k]]


def run_conversation(user: TargetUser, vectors, candidates, *, item_genres, item_decades, prior=None,
                     turns: int = 5, k: int = 10, critique: bool = True, leak: bool = False,
                     leak_turn: int = 2) -> np.ndarray:
    """Play ``turns`` turns; return a bool array (turns,), True where the list held the target.

    Each turn the user reveals one attribute (:func:`user_turn`), the recommender adds it to its
    constraints and shows :func:`retrieve`'s top ``k``; with ``critique`` the rejected items leave
    the candidate set (:func:`critique_update`). The conversation goes on after a success, so the
    result is the hit of every turn (a caller wanting "turns to success" takes the first True).
    """
    candidates = np.asarray(candidates, dtype=np.int64)
    liked, genres, decade = [], [], None
    hits = np.zeros(turns, dtype=bool)
    for turn in range(turns):
        kind, value, _ = user_turn(user, turn, leak=leak, leak_turn=leak_turn)
        if kind == "genre":
            genres.append(value)
        elif kind == "decade":
            decade = value
        elif kind == "film":
            liked.append(value)
        shown = retrieve(vectors, candidates, liked=liked, genres=genres, decade=decade,
                         item_genres=item_genres, item_decades=item_decades, prior=prior, k=k)
        hits[turn] = user.target in set(shown.tolist())
        if critique:
            candidates = critique_update(candidates, shown, user.target)
    return hits


# --------------------------------------------------------------------------- metrics
def recall_by_turn(hits) -> np.ndarray:
    """Share of conversations whose target was shown at or before each turn.

    ``hits``: bool array (conversations, turns), True where that turn's list held the target.
    Returns a float array (turns,), non-decreasing.
    """
    hits = np.asarray(hits)
    if hits.ndim != 2 or hits.shape[0] == 0:
        raise ValueError(f"hits must be a non-empty 2-D array (conversations, turns), got shape {hits.shape}")
    return np.logical_or.accumulate(hits.astype(bool), axis=1).mean(axis=0)


def turns_to_success(hits) -> np.ndarray:
    """1-based turn of each conversation's first hit; ``np.inf`` where the target never appeared."""
    hits = np.asarray(hits, dtype=bool)
    if hits.ndim != 2:
        raise ValueError(f"hits must be 2-D (conversations, turns), got shape {hits.shape}")
    first = hits.argmax(axis=1).astype(float) + 1
    first[~hits.any(axis=1)] = np.inf
    return first


def _normalise(text: str) -> str:
    text = text.lower()
    text = re.sub(r"^(.*), (the|a|an)$", r"\2 \1", text.strip())  # 'Godfather, The' -> 'the godfather'
    return " ".join(re.findall(r"[a-z0-9]+", text))


def mentions_title(utterance: str, title: str) -> bool:
    """Whether ``utterance`` names ``title``: case, punctuation and a trailing ', The' ignored.

    The title must appear as whole words (``"Heat"`` is not in ``"Cheaters"``).
    """
    if not isinstance(utterance, str) or not isinstance(title, str):
        raise ValueError("utterance and title must be strings")
    wanted = _normalise(title)
    if not wanted:
        raise ValueError("title has no letters or digits")
    return f" {wanted} " in f" {_normalise(utterance)} "


def score_completion(completion: str, year: int, genres: Sequence[str]) -> dict[str, bool]:
    """Does a completion of ``"Title ("`` give the film's year, and one of its genres?

    ``year``: the first four-digit number (1800-2099) in the completion equals the true year;
    ``genre``: one of the true genres appears in it as a word (case ignored; "Sci-Fi" and
    "Film-Noir" count with or without the hyphen).
    """
    if not isinstance(completion, str):
        raise ValueError("completion must be a string")
    found = re.search(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)", completion)

    def words(text):
        return " " + " ".join(re.findall(r"[a-z0-9]+", re.sub(r"['’-]", "", text.lower()))) + " "

    said = words(completion)
    genre = any(words(g).strip() and words(g) in said for g in genres)
    return {"year": bool(found) and int(found.group(1)) == int(year), "genre": bool(genre)}


# --------------------------------------------------------------------------- counterfactual prompts
def rank_change(scores_a, scores_b) -> float:
    """Mean absolute change of the candidates' ranks between two score vectors of the same candidates.

    Ranks are 1 = best, ties share the mean rank. 0 means the same order; for n candidates the
    largest value (a reversed order) is about n / 2.
    """
    a = np.asarray(scores_a, dtype=float)
    b = np.asarray(scores_b, dtype=float)
    if a.ndim != 1 or a.shape != b.shape or len(a) == 0:
        raise ValueError(f"two non-empty 1-D score vectors of the same length are needed, got {a.shape}, {b.shape}")

    def ranks(s):
        higher = (s[None, :] > s[:, None]).sum(axis=1)
        tied = (s[None, :] == s[:, None]).sum(axis=1)
        return higher + (tied + 1) / 2

    return float(np.abs(ranks(a) - ranks(b)).mean())


def counterfactual_prompts(history_text: str, statements: Sequence[str], *, template: str = "{statement} {history}"
                           ) -> list[str]:
    """The same history preceded by each statement ("I am a woman.", "I am a man.", ...).

    Only the statement differs between the prompts, so any change of the ranking they cause is
    the statement's doing.
    """
    if isinstance(statements, str) or len(statements) < 2:
        raise ValueError("give at least two statements")
    return [template.format(statement=s.strip(), history=history_text.strip()).strip() for s in statements]
