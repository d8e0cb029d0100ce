"""Chapter 02: other correct answers and plausible wrong ones, per solution cell.

Each source replaces the whole solution cell. ``tests/test_grading.py`` grades notebooks built
from them through ``make autograde``: every correct one must earn the exercise's points, every
wrong one must lose them.
"""

CASES = {
    "ex1_f1": {
        "correct": [
            '''
def precision_recall_f1(tp, fp, fn):
    for count in (tp, fp, fn):
        if count < 0:
            raise ValueError("negative count")
    precision = 0.0 if tp + fp == 0 else tp / (tp + fp)
    recall = 0.0 if tp + fn == 0 else tp / (tp + fn)
    if tp == 0:
        return precision, recall, 0.0
    return precision, recall, 2 * tp / (2 * tp + fp + fn)
''',
            '''
import numpy as np

def precision_recall_f1(tp, fp, fn):
    counts = np.array([tp, fp, fn], dtype=np.float32)
    if (counts < 0).any():
        raise ValueError(counts)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.nan_to_num(counts[0] / (counts[0] + counts[1]))
        recall = np.nan_to_num(counts[0] / (counts[0] + counts[2]))
        f1 = np.nan_to_num(2 * precision * recall / (precision + recall))
    return float(precision), float(recall), float(f1)
''',
        ],
        "wrong": {
            "F1 from accuracy, as the source": '''
def precision_recall_f1(tp, fp, fn):
    if min(tp, fp, fn) < 0:
        raise ValueError("negative")
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    accuracy = tp / (tp + fp + fn) if tp + fp + fn else 0.0
    f1 = 2 * accuracy * recall / (accuracy + recall) if accuracy + recall else 0.0
    return precision, recall, f1
''',
            "precision and recall swapped": '''
def precision_recall_f1(tp, fp, fn):
    if min(tp, fp, fn) < 0:
        raise ValueError("negative")
    recall = tp / (tp + fp) if tp + fp else 0.0
    precision = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1
''',
            "arithmetic mean instead of harmonic": '''
def precision_recall_f1(tp, fp, fn):
    if min(tp, fp, fn) < 0:
        raise ValueError("negative")
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return precision, recall, (precision + recall) / 2
''',
            "no check for negative counts": '''
def precision_recall_f1(tp, fp, fn):
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1
''',
            "borrows scikit-learn": '''
import numpy as np
from sklearn.metrics import precision_recall_fscore_support

def precision_recall_f1(tp, fp, fn):
    if min(tp, fp, fn) < 0:
        raise ValueError("negative")
    y_true = np.array([1] * tp + [0] * fp + [1] * fn + [0])
    y_pred = np.array([1] * tp + [1] * fp + [0] * fn + [0])
    p, r, f, _ = precision_recall_fscore_support(
        y_true, y_pred, average="binary", zero_division=0
    )
    return float(p), float(r), float(f)
''',
        },
    },
    "ex2_auc": {
        "correct": [
            '''
import numpy as np
from scipy.stats import rankdata

def auc_by_pairs(y_true, scores):
    y_true = np.asarray(y_true)
    scores = np.asarray(scores, dtype=np.float32)
    n_pos = int((y_true == 1).sum())
    n_neg = int((y_true == 0).sum())
    if n_pos == 0 or n_neg == 0:
        raise ValueError("need both classes")
    ranks = rankdata(scores)
    return float((ranks[y_true == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))
''',
            '''
import numpy as np

def auc_by_pairs(y_true, scores):
    y = np.asarray(y_true).astype(bool)
    s = np.asarray(scores, dtype=float)
    if y.all() or not y.any():
        raise ValueError("y_true must hold positives and negatives")
    wins = np.sign(s[y][:, None] - s[~y][None, :])
    return float((wins.mean() + 1) / 2)
''',
        ],
        "wrong": {
            "ties count as wins": '''
import numpy as np

def auc_by_pairs(y_true, scores):
    y_true, scores = np.asarray(y_true), np.asarray(scores, dtype=float)
    pos, neg = scores[y_true == 1], scores[y_true == 0]
    if pos.size == 0 or neg.size == 0:
        raise ValueError("one class")
    return float((pos[:, None] >= neg[None, :]).mean())
''',
            "the source's formula: AUC - 1/2": '''
import numpy as np

def auc_by_pairs(y_true, scores):
    y_true, scores = np.asarray(y_true), np.asarray(scores, dtype=float)
    pos, neg = scores[y_true == 1], scores[y_true == 0]
    if pos.size == 0 or neg.size == 0:
        raise ValueError("one class")
    diff = pos[:, None] - neg[None, :]
    return float((diff > 0).mean() + 0.5 * (diff == 0).mean() - 0.5)
''',
            "positives and negatives swapped": '''
import numpy as np

def auc_by_pairs(y_true, scores):
    y_true, scores = np.asarray(y_true), np.asarray(scores, dtype=float)
    pos, neg = scores[y_true == 0], scores[y_true == 1]
    if pos.size == 0 or neg.size == 0:
        raise ValueError("one class")
    diff = pos[:, None] - neg[None, :]
    return float((diff > 0).mean() + 0.5 * (diff == 0).mean())
''',
            "borrows scikit-learn": '''
import numpy as np
import sklearn.metrics as skm

def auc_by_pairs(y_true, scores):
    y_true = np.asarray(y_true)
    if y_true.min() == y_true.max():
        raise ValueError("one class")
    return float(skm.roc_auc_score(y_true, scores))
''',
        },
    },
    "ex3_ndcg": {
        "correct": [
            '''
import math

def ndcg(recommended, gains, k):
    ideal_gains = sorted([g for g in gains.values() if g > 0], reverse=True)[:k]
    if not ideal_gains:
        raise ValueError("no positive gain")
    dcg = 0.0
    for rank, item in enumerate(recommended[:k], start=1):
        dcg += gains.get(item, 0) / math.log2(rank + 1)
    idcg = sum(g / math.log2(rank + 1) for rank, g in enumerate(ideal_gains, start=1))
    return dcg / idcg
''',
            '''
import numpy as np

def ndcg(recommended, gains, k):
    values = np.array(list(gains.values()), dtype=np.float32)
    values = np.sort(values[values > 0])[::-1][:k]
    if values.size == 0:
        raise ValueError("NDCG undefined")
    top = list(recommended)[:k]
    got = np.array([gains.get(item, 0.0) for item in top], dtype=np.float32)
    discount = 1 / np.log2(np.arange(2, max(len(top), values.size) + 2))
    return float(got @ discount[: got.size] / (values @ discount[: values.size]))
''',
        ],
        "wrong": {
            "no ValueError without a positive gain": '''
import numpy as np

def ndcg(recommended, gains, k):
    positive = sorted((g for g in gains.values() if g > 0), reverse=True)
    if not positive:
        return 0.0
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    top = list(recommended)[:k]
    dcg = sum(gains.get(item, 0.0) * discounts[i] for i, item in enumerate(top))
    ideal = positive[:k]
    return float(dcg / np.dot(ideal, discounts[: len(ideal)]))
''',
            "discount 1/log2(i + 2): off by one": '''
import numpy as np

def ndcg(recommended, gains, k):
    positive = sorted((g for g in gains.values() if g > 0), reverse=True)
    if not positive:
        raise ValueError("no gain")
    discounts = 1.0 / np.log2(np.arange(2, k + 2) + 1)
    dcg = sum(gains.get(item, 0.0) * discounts[i] for i, item in enumerate(list(recommended)[:k]))
    ideal = positive[:k]
    return float(dcg / np.dot(ideal, discounts[: len(ideal)]))
''',
            "ideal DCG over all gains, not the best k": '''
import numpy as np

def ndcg(recommended, gains, k):
    positive = sorted((g for g in gains.values() if g > 0), reverse=True)
    if not positive:
        raise ValueError("no gain")
    discounts = 1.0 / np.log2(np.arange(2, len(positive) + k + 2))
    dcg = sum(gains.get(item, 0.0) * discounts[i] for i, item in enumerate(list(recommended)[:k]))
    return float(dcg / np.dot(positive, discounts[: len(positive)]))
''',
            "ideal DCG in the recommended order": '''
import numpy as np

def ndcg(recommended, gains, k):
    if not any(g > 0 for g in gains.values()):
        raise ValueError("no gain")
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    top = list(recommended)[:k]
    dcg = sum(gains.get(item, 0.0) * discounts[i] for i, item in enumerate(top))
    ideal = [g for g in gains.values() if g > 0][:k]
    return float(dcg / np.dot(ideal, discounts[: len(ideal)]))
''',
            "borrows the course's helper": '''
import recsys_helpers.metrics as course_metrics

def ndcg(recommended, gains, k):
    if not any(g > 0 for g in gains.values()):
        raise ValueError("no gain")
    return course_metrics.ndcg_at_k(list(recommended), gains, k)
''',
        },
    },
    "ex4_ap": {
        "correct": [
            '''
import numpy as np

def average_precision(recommended, relevant, k):
    relevant = set(relevant)
    if len(relevant) == 0:
        raise ValueError("relevant is empty")
    hits = np.array([item in relevant for item in list(recommended)[:k]], dtype=np.float32)
    if hits.sum() == 0:
        return 0.0
    precision_at = np.cumsum(hits) / np.arange(1, hits.size + 1)
    return float((precision_at * hits).sum() / min(k, len(relevant)))
''',
            '''
def average_precision(recommended, relevant, k):
    if not relevant:
        raise ValueError("no relevant items")
    total, found = 0.0, 0
    top = list(recommended)[:k]
    for i in range(len(top)):
        if top[i] in relevant:
            found += 1
            total += found / (i + 1)
    return total / min(k, len(set(relevant)))
''',
        ],
        "wrong": {
            "divides by the number of hits": '''
def average_precision(recommended, relevant, k):
    relevant = set(relevant)
    if not relevant:
        raise ValueError("empty")
    hits, total = 0, 0.0
    for rank, item in enumerate(list(recommended)[:k], start=1):
        if item in relevant:
            hits += 1
            total += hits / rank
    return total / hits if hits else 0.0
''',
            "divides by |relevant| instead of min(k, |relevant|)": '''
def average_precision(recommended, relevant, k):
    relevant = set(relevant)
    if not relevant:
        raise ValueError("empty")
    hits, total = 0, 0.0
    for rank, item in enumerate(list(recommended)[:k], start=1):
        if item in relevant:
            hits += 1
            total += hits / rank
    return total / len(relevant)
''',
            "ranks counted from 0": '''
def average_precision(recommended, relevant, k):
    relevant = set(relevant)
    if not relevant:
        raise ValueError("empty")
    hits, total = 0, 0.0
    for rank, item in enumerate(list(recommended)[:k]):
        if item in relevant:
            hits += 1
            total += hits / (rank + 2)
    return total / min(k, len(relevant))
''',
            "ignores the cut-off k": '''
def average_precision(recommended, relevant, k):
    relevant = set(relevant)
    if not relevant:
        raise ValueError("empty")
    hits, total = 0, 0.0
    for rank, item in enumerate(list(recommended), start=1):
        if item in relevant:
            hits += 1
            total += hits / rank
    return total / min(k, len(relevant))
''',
            "borrows the course's helper": '''
from recsys_helpers import metrics

def average_precision(recommended, relevant, k):
    if not relevant:
        raise ValueError("empty")
    return metrics.average_precision_at_k(list(recommended), set(relevant), k)
''',
        },
    },
    "ex5_bootstrap_ci": {
        "correct": [
            '''
import numpy as np

def bootstrap_mean_ci(values, num_resamples=2000, confidence=0.95, seed=0):
    values = np.asarray(values, dtype=float)
    if len(values) == 0:
        raise ValueError("empty")
    rng = np.random.default_rng(seed)
    means = [rng.choice(values, size=len(values), replace=True).mean()
             for _ in range(num_resamples)]
    alpha = 100 * (1 - confidence) / 2
    low, high = np.percentile(means, [alpha, 100 - alpha])
    return float(low), float(high)
''',
            '''
import numpy as np

def bootstrap_mean_ci(values, num_resamples=2000, confidence=0.95, seed=0):
    values = np.asarray(values, dtype=np.float32)
    if values.size == 0:
        raise ValueError("no users")
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(values.size, np.full(values.size, 1 / values.size),
                             size=num_resamples)
    means = counts @ values / values.size
    return (float(np.quantile(means, (1 - confidence) / 2)),
            float(np.quantile(means, (1 + confidence) / 2)))
''',
        ],
        "wrong": {
            "resamples without replacement": '''
import numpy as np

def bootstrap_mean_ci(values, num_resamples=2000, confidence=0.95, seed=0):
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        raise ValueError("empty")
    rng = np.random.default_rng(seed)
    means = [rng.permutation(values).mean() for _ in range(num_resamples)]
    tail = (1 - confidence) / 2
    return float(np.quantile(means, tail)), float(np.quantile(means, 1 - tail))
''',
            "percentiles of the values, not of the means": '''
import numpy as np

def bootstrap_mean_ci(values, num_resamples=2000, confidence=0.95, seed=0):
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        raise ValueError("empty")
    rng = np.random.default_rng(seed)
    sample = rng.choice(values, size=(num_resamples, values.size))
    tail = (1 - confidence) / 2
    return float(np.quantile(sample, tail)), float(np.quantile(sample, 1 - tail))
''',
            "ignores confidence": '''
import numpy as np

def bootstrap_mean_ci(values, num_resamples=2000, confidence=0.95, seed=0):
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        raise ValueError("empty")
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, values.size, size=(num_resamples, values.size))
    low, high = np.percentile(values[rows].mean(axis=1), [2.5, 97.5])
    return float(low), float(high)
''',
            "unseeded global random numbers": '''
import numpy as np

def bootstrap_mean_ci(values, num_resamples=2000, confidence=0.95, seed=0):
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        raise ValueError("empty")
    rows = np.random.randint(0, values.size, size=(num_resamples, values.size))
    tail = (1 - confidence) / 2
    low, high = np.quantile(values[rows].mean(axis=1), [tail, 1 - tail])
    return float(low), float(high)
''',
            "borrows the course's helper": '''
from recsys_helpers.uncertainty import bootstrap_ci

def bootstrap_mean_ci(values, num_resamples=2000, confidence=0.95, seed=0):
    result = bootstrap_ci(values, num_resamples=num_resamples, confidence=confidence, seed=seed)
    return result.low, result.high
''',
        },
    },
    "ex6_sampled_rank": {
        "correct": [
            '''
def sampled_rank(scores, positive, negatives):
    target = scores[positive]
    rank = 1
    for item in negatives:
        if scores[item] >= target:
            rank += 1
    return rank
''',
            '''
import numpy as np

def sampled_rank(scores, positive, negatives):
    scores = np.asarray(scores, dtype=np.float32)
    candidates = np.concatenate([[positive], np.asarray(negatives, dtype=int)])
    values = scores[candidates]
    # stable sort of the negated scores after putting the positive last breaks ties against it
    order = np.argsort(-np.concatenate([values[1:], values[:1]]), kind="stable")
    return int(np.flatnonzero(order == len(values) - 1)[0] + 1)
''',
        ],
        "wrong": {
            "ties in favour of the positive": '''
import numpy as np

def sampled_rank(scores, positive, negatives):
    scores = np.asarray(scores, dtype=float)
    return int(1 + np.sum(scores[np.asarray(negatives)] > scores[positive]))
''',
            "0-based rank": '''
import numpy as np

def sampled_rank(scores, positive, negatives):
    scores = np.asarray(scores, dtype=float)
    return int(np.sum(scores[np.asarray(negatives)] >= scores[positive]))
''',
            "rank among all items, not the sample": '''
import numpy as np

def sampled_rank(scores, positive, negatives):
    scores = np.asarray(scores, dtype=float)
    others = np.delete(scores, positive)
    return int(1 + np.sum(others >= scores[positive]))
''',
            "lower score ranked first": '''
import numpy as np

def sampled_rank(scores, positive, negatives):
    scores = np.asarray(scores, dtype=float)
    return int(1 + np.sum(scores[np.asarray(negatives)] <= scores[positive]))
''',
            "borrows the course's next_item_ranks (ties against the target)": '''
import numpy as np
from recsys_helpers.evaluation import next_item_ranks

def sampled_rank(scores, positive, negatives):
    row = np.asarray(scores, dtype=float)[[positive, *negatives]][None]
    return int(next_item_ranks(row, [0], ties="against the target")[0])
''',
            "borrows the course's sampled_ranks": '''
import numpy as np
import scipy.sparse as sp
from recsys_helpers.evaluation import sampled_ranks

def sampled_rank(scores, positive, negatives):
    scores = np.asarray(scores, dtype=float)
    others = np.ones(scores.size)
    others[[positive, *negatives]] = 0  # every item but the candidates counts as seen
    test = np.zeros(scores.size)
    test[positive] = 1
    pairs = sampled_ranks(scores[None], sp.csr_matrix(others), sp.csr_matrix(test), num_negatives=len(negatives))
    return int(pairs["rank"].iloc[0])
''',
        },
    },
}
