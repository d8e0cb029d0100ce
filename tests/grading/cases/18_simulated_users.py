"""Chapter 18: other correct answers and plausible wrong ones, per solution cell.

Each source replaces the whole solution cell. ``tests/test_grading.py`` grades notebooks built
from them through ``make autograde``: every correct one must earn the exercise's points, every
wrong one must lose them.
"""

CASES = {
    "ex1_simulator_auc": {
        "correct": [
            '''
from sklearn.metrics import roc_auc_score
import numpy as np

def simulator_auc(scores, labels):
    labels = np.asarray(labels).astype(int)
    if labels.min() == labels.max():
        raise ValueError("one class only")
    return float(roc_auc_score(labels, np.asarray(scores, dtype=float)))
''',
            '''
def simulator_auc(scores, labels):
    liked = [s for s, y in zip(scores, labels) if y]
    other = [s for s, y in zip(scores, labels) if not y]
    if not liked or not other:
        raise ValueError("need both classes")
    total = 0.0
    for a in liked:
        for b in other:
            total += 1.0 if a > b else 0.5 if a == b else 0.0
    return total / (len(liked) * len(other))
''',
            '''
import numpy as np
from scipy.stats import rankdata

def simulator_auc(scores, labels):
    labels = np.asarray(labels).astype(bool)
    n_pos, n_neg = labels.sum(), (~labels).sum()
    if n_pos == 0 or n_neg == 0:
        raise ValueError("need both classes")
    ranks = rankdata(np.asarray(scores, dtype=float))
    return float((ranks[labels].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))
''',
        ],
        "wrong": {
            "ties count as wrong": '''
import numpy as np

def simulator_auc(scores, labels):
    scores, labels = np.asarray(scores, dtype=float), np.asarray(labels).astype(bool)
    if labels.all() or not labels.any():
        raise ValueError("one class")
    return float((scores[labels][:, None] > scores[~labels][None, :]).mean())
''',
            "accuracy of a threshold at the median": '''
import numpy as np

def simulator_auc(scores, labels):
    scores, labels = np.asarray(scores, dtype=float), np.asarray(labels).astype(bool)
    if labels.all() or not labels.any():
        raise ValueError("one class")
    return float(((scores > np.median(scores)) == labels).mean())
''',
            "difference of mean scores": '''
import numpy as np

def simulator_auc(scores, labels):
    scores, labels = np.asarray(scores, dtype=float), np.asarray(labels).astype(bool)
    if labels.all() or not labels.any():
        raise ValueError("one class")
    return float(0.5 + scores[labels].mean() - scores[~labels].mean())
''',
            "no error for one class": '''
import numpy as np

def simulator_auc(scores, labels):
    scores, labels = np.asarray(scores, dtype=float), np.asarray(labels).astype(bool)
    if labels.all() or not labels.any():
        return 0.5
    d = scores[labels][:, None] - scores[~labels][None, :]
    return float(((d > 0) + 0.5 * (d == 0)).mean())
''',
        },
    },
    "ex2_score_completion": {
        "correct": [
            '''
import re

def score_completion(completion, year, genres):
    year_found = None
    for match in re.finditer(r"\\d+", completion):
        number = match.group()
        if len(number) == 4 and 1800 <= int(number) <= 2099:
            year_found = int(number)
            break
    def clean(text):
        return re.findall(r"[a-z0-9]+", text.lower().replace("-", "").replace("'", "").replace("’", ""))
    said = clean(completion)
    genre = False
    for g in genres:
        words = clean(g)
        n = len(words)
        if n and any(said[i:i + n] == words for i in range(len(said) - n + 1)):
            genre = True
    return {"year": year_found == int(year), "genre": genre}
''',
            '''
import re

def score_completion(completion, year, genres):
    years = [int(y) for y in re.findall(r"(?<![0-9])[0-9]{4}(?![0-9])", completion)
             if 1800 <= int(y) <= 2099]
    text = re.sub(r"['’-]", "", completion.lower())
    text = " " + re.sub(r"[^a-z0-9]+", " ", text).strip() + " "
    names = [" " + re.sub(r"[^a-z0-9]+", " ", re.sub(r"['’-]", "", g.lower())).strip() + " "
             for g in genres]
    return {"year": bool(years) and years[0] == year,
            "genre": any(n.strip() != "" and n in text for n in names)}
''',
        ],
        "wrong": {
            "any year in the completion counts": '''
import re

def score_completion(completion, year, genres):
    years = [int(y) for y in re.findall(r"(?<!\\d)\\d{4}(?!\\d)", completion)]
    text = " " + " ".join(re.findall(r"[a-z0-9]+", re.sub(r"['-]", "", completion.lower()))) + " "
    genre = any(" " + " ".join(re.findall(r"[a-z0-9]+", re.sub(r"['-]", "", g.lower()))) + " " in text
                for g in genres)
    return {"year": int(year) in years, "genre": genre}
''',
            "substring match for genres": '''
import re

def score_completion(completion, year, genres):
    found = re.search(r"(?<!\\d)(1[89]\\d\\d|20\\d\\d)(?!\\d)", completion)
    text = re.sub(r"['-]", "", completion.lower())
    genre = any(re.sub(r"['-]", "", g.lower()) in text for g in genres)
    return {"year": bool(found) and int(found.group(1)) == year, "genre": genre}
''',
            "digits inside longer numbers count": '''
import re

def score_completion(completion, year, genres):
    found = re.search(r"(1[89]\\d\\d|20\\d\\d)", completion)
    text = " " + " ".join(re.findall(r"[a-z0-9]+", re.sub(r"['-]", "", completion.lower()))) + " "
    genre = any(" " + " ".join(re.findall(r"[a-z0-9]+", re.sub(r"['-]", "", g.lower()))) + " " in text
                for g in genres)
    return {"year": bool(found) and int(found.group(1)) == year, "genre": genre}
''',
            "hyphens kept": '''
import re

def score_completion(completion, year, genres):
    found = re.search(r"(?<!\\d)(1[89]\\d\\d|20\\d\\d)(?!\\d)", completion)
    words = set(re.findall(r"[a-z0-9'-]+", completion.lower()))
    return {"year": bool(found) and int(found.group(1)) == year,
            "genre": any(g.lower() in words for g in genres)}
''',
        },
    },
    "ex3_simulated_turn": {
        "correct": [
            '''
def simulated_turn(genres, decade, similar, target, turn, leak=False, leak_turn=2):
    if leak and turn == leak_turn:
        return ("film", target)
    order = []
    if genres:
        order.append(("genre", genres[0]))
    order.append(("decade", decade))
    if similar:
        order.append(("film", similar[0]))
    for i in range(1, max(len(genres), len(similar))):
        if i < len(genres):
            order.append(("genre", genres[i]))
        if i < len(similar):
            order.append(("film", similar[i]))
    if turn < len(order):
        return order[turn]
    return ("none", None)
''',
            '''
from itertools import zip_longest

def simulated_turn(genres, decade, similar, target, turn, leak=False, leak_turn=2):
    if leak and turn == leak_turn:
        return ("film", target)
    head = [("genre", g) for g in genres[:1]] + [("decade", decade)]
    head += [("film", f) for f in similar[:1]]
    tail = [x for pair in zip_longest([("genre", g) for g in genres[1:]],
                                      [("film", f) for f in similar[1:]])
            for x in pair if x is not None]
    said = head + tail
    return said[turn] if 0 <= turn < len(said) else ("none", None)
''',
        ],
        "wrong": {
            "all genres before the decade": '''
def simulated_turn(genres, decade, similar, target, turn, leak=False, leak_turn=2):
    if leak and turn == leak_turn:
        return ("film", target)
    order = [("genre", g) for g in genres] + [("decade", decade)] + [("film", f) for f in similar]
    return order[turn] if turn < len(order) else ("none", None)
''',
            "the leak postpones the attribute": '''
def simulated_turn(genres, decade, similar, target, turn, leak=False, leak_turn=2):
    order = [("genre", genres[0]), ("decade", decade)] + [("film", f) for f in similar[:1]]
    rest_g, rest_f = list(genres[1:]), list(similar[1:])
    while rest_g or rest_f:
        if rest_g:
            order.append(("genre", rest_g.pop(0)))
        if rest_f:
            order.append(("film", rest_f.pop(0)))
    if leak:
        order.insert(leak_turn, ("film", target))
    return order[turn] if turn < len(order) else ("none", None)
''',
            "films before the remaining genres": '''
def simulated_turn(genres, decade, similar, target, turn, leak=False, leak_turn=2):
    if leak and turn == leak_turn:
        return ("film", target)
    order = [("genre", genres[0]), ("decade", decade)]
    order += [("film", f) for f in similar] + [("genre", g) for g in genres[1:]]
    return order[turn] if turn < len(order) else ("none", None)
''',
            "always leaks": '''
def simulated_turn(genres, decade, similar, target, turn, leak=False, leak_turn=2):
    if turn == leak_turn:
        return ("film", target)
    order = [("genre", genres[0]), ("decade", decade)] + [("film", f) for f in similar[:1]]
    rest_g, rest_f = list(genres[1:]), list(similar[1:])
    while rest_g or rest_f:
        if rest_g:
            order.append(("genre", rest_g.pop(0)))
        if rest_f:
            order.append(("film", rest_f.pop(0)))
    return order[turn] if turn < len(order) else ("none", None)
''',
        },
    },
    "ex4_critique_update": {
        "correct": [
            '''
import numpy as np

def critique_update(candidates, shown, target):
    candidates = np.asarray(candidates)
    if target in list(np.asarray(shown)):
        return candidates
    return candidates[~np.isin(candidates, shown)]
''',
            '''
import numpy as np

def critique_update(candidates, shown, target):
    rejected = set(int(s) for s in shown)
    if int(target) in rejected:
        return np.array(list(candidates), dtype=int)
    return np.array([c for c in candidates if int(c) not in rejected], dtype=int)
''',
        ],
        "wrong": {
            "drops the shown items even after a success": '''
import numpy as np

def critique_update(candidates, shown, target):
    candidates = np.asarray(candidates)
    return candidates[~np.isin(candidates, shown)]
''',
            "sorts the remaining candidates": '''
import numpy as np

def critique_update(candidates, shown, target):
    if target in list(shown):
        return np.asarray(candidates)
    return np.setdiff1d(candidates, shown)
''',
            "keeps the target out of the candidates": '''
import numpy as np

def critique_update(candidates, shown, target):
    candidates = np.asarray(candidates)
    keep = ~np.isin(candidates, shown) & (candidates != target)
    return candidates if target in list(shown) else candidates[keep]
''',
            "removes only the first shown item": '''
import numpy as np

def critique_update(candidates, shown, target):
    candidates = np.asarray(candidates)
    if target in list(shown):
        return candidates
    return candidates[candidates != shown[0]]
''',
        },
    },
    "ex5_recall_by_turn": {
        "correct": [
            '''
import numpy as np

def recall_by_turn(hits):
    hits = np.asarray(hits, dtype=bool)
    return np.array([hits[:, :t + 1].any(axis=1).mean() for t in range(hits.shape[1])])
''',
            '''
import numpy as np

def recall_by_turn(hits):
    hits = np.asarray(hits, dtype=int)
    return (np.cumsum(hits, axis=1) > 0).mean(axis=0)
''',
        ],
        "wrong": {
            "hit rate of each turn alone": '''
import numpy as np

def recall_by_turn(hits):
    return np.asarray(hits, dtype=float).mean(axis=0)
''',
            "counts of conversations, not shares": '''
import numpy as np

def recall_by_turn(hits):
    return (np.cumsum(np.asarray(hits, dtype=int), axis=1) > 0).sum(axis=0).astype(float)
''',
            "cumulative number of hits": '''
import numpy as np

def recall_by_turn(hits):
    return np.cumsum(np.asarray(hits, dtype=float), axis=1).mean(axis=0)
''',
            "averaged over turns instead of conversations": '''
import numpy as np

def recall_by_turn(hits):
    return (np.cumsum(np.asarray(hits, dtype=int), axis=0) > 0).mean(axis=1)
''',
        },
    },
    "ex6_mentions_title": {
        "correct": [
            '''
import re

def mentions_title(utterance, title):
    def words(text):
        return re.findall(r"[a-z0-9]+", text.lower())
    t = words(title)
    if len(t) >= 2 and t[-1] in ("the", "a", "an") and re.search(r",\\s*(the|a|an)\\s*$", title.lower()):
        t = [t[-1]] + t[:-1]
    u = words(utterance)
    n = len(t)
    return any(u[i:i + n] == t for i in range(len(u) - n + 1))
''',
            '''
import re

def mentions_title(utterance, title):
    title = title.strip()
    for article in ("The", "A", "An"):
        if title.lower().endswith(", " + article.lower()):
            title = article + " " + title[: -len(article) - 2]
    norm = lambda s: " " + " ".join(re.split(r"[^a-z0-9]+", s.lower())).strip() + " "
    return " " + norm(title).strip() + " " in norm(utterance)
''',
        ],
        "wrong": {
            "substring, not whole words": '''
def mentions_title(utterance, title):
    return title.lower() in utterance.lower()
''',
            "trailing article not moved": '''
import re

def mentions_title(utterance, title):
    norm = lambda s: " " + " ".join(re.findall(r"[a-z0-9]+", s.lower())) + " "
    return norm(title) in norm(utterance)
''',
            "any shared word counts": '''
import re

def mentions_title(utterance, title):
    t = set(re.findall(r"[a-z0-9]+", title.lower())) - {"the", "a", "an"}
    return bool(t & set(re.findall(r"[a-z0-9]+", utterance.lower())))
''',
            "punctuation kept": '''
def mentions_title(utterance, title):
    title = title.lower()
    if title.endswith(", the"):
        title = "the " + title[:-5]
    return (" " + title + " ") in (" " + utterance.lower() + " ")
''',
        },
    },
    "ex7_rank_change": {
        "correct": [
            '''
import numpy as np
from scipy.stats import rankdata

def rank_change(scores_a, scores_b):
    ra = rankdata(-np.asarray(scores_a, dtype=float))
    rb = rankdata(-np.asarray(scores_b, dtype=float))
    return float(np.mean(np.abs(ra - rb)))
''',
            '''
import pandas as pd

def rank_change(scores_a, scores_b):
    ra = pd.Series(list(scores_a)).rank(ascending=False, method="average")
    rb = pd.Series(list(scores_b)).rank(ascending=False, method="average")
    return float((ra - rb).abs().mean())
''',
        ],
        "wrong": {
            "ties broken by position": '''
import numpy as np

def rank_change(scores_a, scores_b):
    ra = np.argsort(np.argsort(-np.asarray(scores_a, dtype=float), kind="stable"))
    rb = np.argsort(np.argsort(-np.asarray(scores_b, dtype=float), kind="stable"))
    return float(np.abs(ra - rb).mean())
''',
            "mean absolute score change": '''
import numpy as np

def rank_change(scores_a, scores_b):
    return float(np.abs(np.asarray(scores_a, dtype=float) - np.asarray(scores_b, dtype=float)).mean())
''',
            "signed mean change": '''
from scipy.stats import rankdata
import numpy as np

def rank_change(scores_a, scores_b):
    return float(np.mean(rankdata(-np.asarray(scores_a)) - rankdata(-np.asarray(scores_b))))
''',
            "share of candidates whose rank changed": '''
from scipy.stats import rankdata
import numpy as np

def rank_change(scores_a, scores_b):
    return float(np.mean(rankdata(-np.asarray(scores_a)) != rankdata(-np.asarray(scores_b))))
''',
        },
    },
}
