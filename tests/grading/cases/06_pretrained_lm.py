"""Chapter 06: other correct answers and plausible wrong ones, per solution cell.

Each source replaces the whole solution cell. ``tests/test_grading.py`` grades notebooks built
from them through ``make autograde``: every correct one must earn the exercise's points, every
wrong one must lose them.
"""

CASES = {
    "ex1_similar": {
        "correct": [
            '''
import numpy as np

def most_similar(vectors, index, k):
    vectors = np.asarray(vectors, dtype=float)
    keyed = [(-float(vectors[j] @ vectors[index]), j) for j in range(len(vectors)) if j != index]
    keyed.sort()  # by similarity, then by index
    return np.array([j for _, j in keyed[:k]], dtype=np.int64)
''',
            '''
import numpy as np

def most_similar(vectors, index, k):
    unit = np.asarray(vectors, dtype=np.float32)
    similarity = unit @ unit[index]
    order = np.lexsort((np.arange(similarity.size), -similarity))
    return order[order != index][:k]
''',
            '''
import numpy as np
from recsys_helpers.baselines import cosine_similarity_matrix

def most_similar(vectors, index, k):
    similarity = cosine_similarity_matrix(vectors)[index]  # zero diagonal: mask it
    similarity[index] = -np.inf
    return np.argsort(-similarity, kind="mergesort")[:k]
''',
        ],
        "wrong": {
            "drops the first of the sorted order, assuming it is the query": '''
import numpy as np

def most_similar(vectors, index, k):
    similarity = vectors @ vectors[index]
    return np.argsort(-similarity, kind="stable")[1 : k + 1]
''',
            "keeps the query itself": '''
import numpy as np

def most_similar(vectors, index, k):
    return np.argsort(-(vectors @ vectors[index]), kind="stable")[:k]
''',
            "least similar first": '''
import numpy as np

def most_similar(vectors, index, k):
    similarity = vectors @ vectors[index]
    similarity[index] = np.inf
    return np.argsort(similarity, kind="stable")[:k]
''',
            "reversed ascending sort: ties to the higher index": '''
import numpy as np

def most_similar(vectors, index, k):
    similarity = vectors @ vectors[index]
    similarity[index] = -np.inf
    return np.argsort(similarity, kind="stable")[::-1][:k]
''',
        },
    },
    "ex2_text_knn": {
        "correct": [
            '''
import numpy as np
from recsys_helpers.baselines import cosine_similarity_matrix

def text_knn_scores(train, vectors, neighbours):
    similarity = cosine_similarity_matrix(vectors, num_neighbors=neighbours)
    return train.toarray() @ similarity.T
''',
            '''
import numpy as np
import scipy.sparse as sp

def text_knn_scores(train, vectors, neighbours):
    vectors = np.asarray(vectors, dtype=np.float32)
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    similarity = unit @ unit.T
    np.fill_diagonal(similarity, 0.0)
    for row in similarity:
        row[np.argsort(-row, kind="stable")[neighbours:]] = 0.0
    return np.asarray((sp.csr_matrix(train, dtype=np.float32) @ similarity.T))
''',
        ],
        "wrong": {
            "wrong orientation: train @ similarity": '''
import numpy as np
import scipy.sparse as sp
from recsys_helpers.baselines import cosine_similarity_matrix

def text_knn_scores(train, vectors, neighbours):
    similarity = cosine_similarity_matrix(vectors, num_neighbors=neighbours)
    return np.asarray(sp.csr_matrix(train) @ similarity)
''',
            "no neighbourhood cut": '''
import numpy as np
import scipy.sparse as sp
from recsys_helpers.baselines import cosine_similarity_matrix

def text_knn_scores(train, vectors, neighbours):
    similarity = cosine_similarity_matrix(vectors)
    return np.asarray(sp.csr_matrix(train) @ similarity.T)
''',
            "keeps each item as its own neighbour": '''
import numpy as np
import scipy.sparse as sp

def text_knn_scores(train, vectors, neighbours):
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    similarity = unit @ unit.T
    for row in similarity:
        row[np.argsort(-row)[neighbours:]] = 0.0
    return np.asarray(sp.csr_matrix(train) @ similarity.T)
''',
            "returns a sparse matrix": '''
import scipy.sparse as sp
from recsys_helpers.baselines import cosine_similarity_matrix

def text_knn_scores(train, vectors, neighbours):
    similarity = sp.csr_matrix(cosine_similarity_matrix(vectors, num_neighbors=neighbours))
    return sp.csr_matrix(train) @ similarity.T
''',
        },
    },
    "ex3_cold_split": {
        "correct": [
            '''
import numpy as np

def cold_item_split(frame, fraction, seed):
    if not (0 < fraction < 1):
        raise ValueError(f"fraction {fraction} not in (0, 1)")
    items = sorted(set(frame["item_idx"].tolist()))
    picked = np.random.default_rng(seed).permutation(len(items))[: round(fraction * len(items))]
    cold = np.array(sorted(items[i] for i in picked))
    chosen = frame["item_idx"].isin(set(cold.tolist()))
    return frame.loc[~chosen].reset_index(drop=True), frame.loc[chosen].reset_index(drop=True), cold
''',
            '''
import numpy as np
import pandas as pd

def cold_item_split(frame, fraction, seed):
    if fraction <= 0 or fraction >= 1:
        raise ValueError("fraction")
    distinct = pd.unique(frame["item_idx"])
    count = int(np.round(fraction * distinct.size))
    cold = np.sort(np.random.default_rng(seed).choice(distinct, size=count, replace=False))
    in_test = np.isin(frame["item_idx"].to_numpy(), cold)
    train, test = frame[~in_test].copy(), frame[in_test].copy()
    train.index = pd.RangeIndex(len(train))
    test.index = pd.RangeIndex(len(test))
    return train, test, cold
''',
        ],
        "wrong": {
            "floor instead of round": '''
import numpy as np

def cold_item_split(frame, fraction, seed):
    if not 0 < fraction < 1:
        raise ValueError(fraction)
    items = np.unique(frame["item_idx"])
    cold = np.sort(np.random.default_rng(seed).choice(items, size=int(fraction * items.size), replace=False))
    in_test = frame["item_idx"].isin(cold).to_numpy()
    return frame[~in_test].reset_index(drop=True), frame[in_test].reset_index(drop=True), cold
''',
            "random rows, not whole items": '''
import numpy as np

def cold_item_split(frame, fraction, seed):
    if not 0 < fraction < 1:
        raise ValueError(fraction)
    in_test = np.random.default_rng(seed).random(len(frame)) < fraction
    test = frame[in_test].reset_index(drop=True)
    return frame[~in_test].reset_index(drop=True), test, np.sort(test["item_idx"].unique())
''',
            "keeps the original index": '''
import numpy as np

def cold_item_split(frame, fraction, seed):
    if not 0 < fraction < 1:
        raise ValueError(fraction)
    items = np.unique(frame["item_idx"])
    cold = np.sort(np.random.default_rng(seed).choice(items, size=round(fraction * items.size), replace=False))
    in_test = frame["item_idx"].isin(cold).to_numpy()
    return frame[~in_test], frame[in_test], cold
''',
            "draws ids from 0..max, not the items present": '''
import numpy as np

def cold_item_split(frame, fraction, seed):
    if not 0 < fraction < 1:
        raise ValueError(fraction)
    n = frame["item_idx"].nunique()
    cold = np.sort(np.random.default_rng(seed).choice(
        frame["item_idx"].max() + 1, size=round(fraction * n), replace=False))
    in_test = frame["item_idx"].isin(cold).to_numpy()
    return frame[~in_test].reset_index(drop=True), frame[in_test].reset_index(drop=True), cold
''',
            "no check of fraction": '''
import numpy as np

def cold_item_split(frame, fraction, seed):
    items = np.unique(frame["item_idx"])
    size = min(items.size, max(0, round(fraction * items.size)))
    cold = np.sort(np.random.default_rng(seed).choice(items, size=size, replace=False))
    in_test = frame["item_idx"].isin(cold).to_numpy()
    return frame[~in_test].reset_index(drop=True), frame[in_test].reset_index(drop=True), cold
''',
        },
    },
    "ex4_fusion": {
        "correct": [
            '''
import numpy as np
from scipy.stats import zscore

def zscore_fusion(a, b, alpha):
    if alpha < 0 or alpha > 1:
        raise ValueError(f"alpha={alpha}")
    with np.errstate(invalid="ignore", divide="ignore"):
        za = np.nan_to_num(zscore(np.asarray(a, dtype=float), axis=1))
        zb = np.nan_to_num(zscore(np.asarray(b, dtype=float), axis=1))
    return (1 - alpha) * za + alpha * zb
''',
            '''
import numpy as np

def zscore_fusion(a, b, alpha):
    if not 0 <= alpha <= 1:
        raise ValueError("alpha must lie in [0, 1]")

    def z(x):
        x = np.asarray(x, dtype=np.float32)
        out = np.zeros_like(x)
        for i, row in enumerate(x):
            spread = row.std()
            if spread > 0:
                out[i] = (row - row.mean()) / spread
        return out

    return (1 - alpha) * z(a) + alpha * z(b)
''',
        ],
        "wrong": {
            "sample standard deviation (ddof=1)": '''
import numpy as np

def zscore_fusion(a, b, alpha):
    if not 0 <= alpha <= 1:
        raise ValueError(alpha)

    def z(x):
        x = np.asarray(x, dtype=float)
        spread = x.std(axis=1, ddof=1, keepdims=True)
        centred = x - x.mean(axis=1, keepdims=True)
        return np.divide(centred, spread, out=np.zeros_like(centred), where=spread > 0)

    return (1 - alpha) * z(a) + alpha * z(b)
''',
            "standardises columns, not users": '''
import numpy as np

def zscore_fusion(a, b, alpha):
    if not 0 <= alpha <= 1:
        raise ValueError(alpha)

    def z(x):
        x = np.asarray(x, dtype=float)
        spread = x.std(axis=0, keepdims=True)
        centred = x - x.mean(axis=0, keepdims=True)
        return np.divide(centred, spread, out=np.zeros_like(centred), where=spread > 0)

    return (1 - alpha) * z(a) + alpha * z(b)
''',
            "weights swapped": '''
import numpy as np

def zscore_fusion(a, b, alpha):
    if not 0 <= alpha <= 1:
        raise ValueError(alpha)

    def z(x):
        x = np.asarray(x, dtype=float)
        spread = x.std(axis=1, keepdims=True)
        centred = x - x.mean(axis=1, keepdims=True)
        return np.divide(centred, spread, out=np.zeros_like(centred), where=spread > 0)

    return alpha * z(a) + (1 - alpha) * z(b)
''',
            "constant rows become NaN": '''
import numpy as np

def zscore_fusion(a, b, alpha):
    if not 0 <= alpha <= 1:
        raise ValueError(alpha)
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    za = (a - a.mean(axis=1, keepdims=True)) / a.std(axis=1, keepdims=True)
    zb = (b - b.mean(axis=1, keepdims=True)) / b.std(axis=1, keepdims=True)
    return (1 - alpha) * za + alpha * zb
''',
            "no check of alpha": '''
import numpy as np

def zscore_fusion(a, b, alpha):
    def z(x):
        x = np.asarray(x, dtype=float)
        spread = x.std(axis=1, keepdims=True)
        centred = x - x.mean(axis=1, keepdims=True)
        return np.divide(centred, spread, out=np.zeros_like(centred), where=spread > 0)

    return (1 - alpha) * z(a) + alpha * z(b)
''',
        },
    },
    "ex5_profile": {
        "correct": [
            '''
import numpy as np

def profile_vector(liked, vectors):
    if len(liked) == 0:
        raise ValueError("empty")
    total = np.asarray(vectors)[list(liked)].sum(axis=0)  # the sum has the mean's direction
    return total / np.linalg.norm(total)
''',
            '''
import numpy as np
from sklearn.preprocessing import normalize

def profile_vector(liked, vectors):
    liked = list(liked)
    if not liked:
        raise ValueError("liked is empty")
    mean = np.asarray(vectors, dtype=np.float32)[liked].mean(axis=0, keepdims=True)
    return normalize(mean)[0]
''',
            '''
import math

def profile_vector(liked, vectors):
    if not liked:
        raise ValueError("no liked items")
    d = len(vectors[0])
    mean = [sum(float(vectors[i][j]) for i in liked) / len(liked) for j in range(d)]
    length = math.sqrt(sum(x * x for x in mean))
    return [x / length for x in mean]
''',
        ],
        "wrong": {
            "normalises each row first": '''
import numpy as np
from sklearn.preprocessing import normalize

def profile_vector(liked, vectors):
    if len(liked) == 0:
        raise ValueError("empty")
    mean = normalize(np.asarray(vectors)[list(liked)]).mean(axis=0)
    return mean / np.linalg.norm(mean)
''',
            "mean without scaling to unit length": '''
import numpy as np

def profile_vector(liked, vectors):
    if len(liked) == 0:
        raise ValueError("empty")
    return np.asarray(vectors)[list(liked)].mean(axis=0)
''',
            "no check for an empty list": '''
import numpy as np

def profile_vector(liked, vectors):
    mean = np.asarray(vectors)[list(liked)].mean(axis=0)
    return mean / np.linalg.norm(mean)
''',
            "L1 instead of L2 length": '''
import numpy as np

def profile_vector(liked, vectors):
    if len(liked) == 0:
        raise ValueError("empty")
    mean = np.asarray(vectors)[list(liked)].mean(axis=0)
    return mean / np.abs(mean).sum()
''',
        },
    },
}
