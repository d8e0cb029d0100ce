"""Chapter 01: other correct answers and plausible wrong ones, per solution cell.

Each source replaces the whole solution cell. ``tests/test_grading.py`` grades notebooks built
from them through ``make autograde``: every correct one must earn the exercise's points, every
wrong one must lose them.
"""

CASES = {
    "ex1_sparsity": {
        "correct": [
            '''
def sparsity(interactions):
    if interactions.empty:
        raise ValueError("no interactions")
    observed = len(set(zip(interactions["user_id"], interactions["item_id"])))
    return 1 - observed / (len(set(interactions["user_id"])) * len(set(interactions["item_id"])))
''',
            '''
import numpy as np
import scipy.sparse as sp

def sparsity(interactions):
    if len(interactions) == 0:
        raise ValueError("empty")
    users, u = np.unique(interactions["user_id"].to_numpy(), return_inverse=True)
    items, i = np.unique(interactions["item_id"].to_numpy(), return_inverse=True)
    matrix = sp.coo_matrix((np.ones(len(u), dtype=np.float32), (u, i)), shape=(len(users), len(items))).tocsr()
    matrix.sum_duplicates()
    return float(1 - matrix.nnz / np.prod(matrix.shape))
''',
        ],
        "wrong": {
            "counts repeated pairs": '''
def sparsity(interactions):
    if len(interactions) == 0:
        raise ValueError("empty")
    return 1 - len(interactions) / (interactions["user_id"].nunique() * interactions["item_id"].nunique())
''',
            "returns density": '''
def sparsity(interactions):
    if len(interactions) == 0:
        raise ValueError("empty")
    pairs = interactions[["user_id", "item_id"]].drop_duplicates()
    return len(pairs) / (interactions["user_id"].nunique() * interactions["item_id"].nunique())
''',
            "no check for empty input": '''
def sparsity(interactions):
    pairs = interactions[["user_id", "item_id"]].drop_duplicates()
    cells = interactions["user_id"].nunique() * interactions["item_id"].nunique()
    return 1.0 - len(pairs) / max(cells, 1)
''',
            "divides by max ids instead of counts": '''
def sparsity(interactions):
    if len(interactions) == 0:
        raise ValueError("empty")
    pairs = interactions[["user_id", "item_id"]].drop_duplicates()
    return 1.0 - len(pairs) / (interactions["user_id"].max() * interactions["item_id"].max())
''',
        },
    },
    "ex2_head_share": {
        "correct": [
            '''
import math

def head_share(interactions, top_fraction):
    if not (0 < top_fraction <= 1):
        raise ValueError("top_fraction must be in (0, 1]")
    counts = sorted(interactions.groupby("item_id").size().tolist(), reverse=True)
    head = max(1, math.floor(top_fraction * len(counts)))
    return sum(counts[:head]) / sum(counts)
''',
            '''
import numpy as np

def head_share(interactions, top_fraction):
    if top_fraction <= 0 or top_fraction > 1:
        raise ValueError(top_fraction)
    _, counts = np.unique(interactions["item_id"].to_numpy(), return_counts=True)
    counts = np.sort(counts)[::-1].astype(np.float32)
    head = max(int(top_fraction * counts.size), 1)
    return float(np.cumsum(counts)[head - 1] / counts.sum())
''',
        ],
        "wrong": {
            "rounds the head size up": '''
import math

def head_share(interactions, top_fraction):
    if not 0 < top_fraction <= 1:
        raise ValueError(top_fraction)
    counts = interactions["item_id"].value_counts()
    return float(counts.iloc[: math.ceil(top_fraction * len(counts))].sum() / counts.sum())
''',
            "allows an empty head": '''
def head_share(interactions, top_fraction):
    if not 0 < top_fraction <= 1:
        raise ValueError(top_fraction)
    counts = interactions["item_id"].value_counts()
    return float(counts.iloc[: int(top_fraction * len(counts))].sum() / counts.sum())
''',
            "least popular items as the head": '''
def head_share(interactions, top_fraction):
    if not 0 < top_fraction <= 1:
        raise ValueError(top_fraction)
    counts = interactions["item_id"].value_counts(ascending=True)
    head = max(1, int(top_fraction * len(counts)))
    return float(counts.iloc[:head].sum() / counts.sum())
''',
            "no validation of top_fraction": '''
def head_share(interactions, top_fraction):
    counts = interactions["item_id"].value_counts()
    head = max(1, int(top_fraction * len(counts)))
    return float(counts.iloc[:head].sum() / counts.sum())
''',
        },
    },
    "ex3_similarity": {
        "correct": [
            '''
import math
import warnings

def _pairs(a, b):
    if len(a) != len(b):
        raise ValueError("different lengths")
    return [(float(x), float(y)) for x, y in zip(a, b) if x != 0 and y != 0]

def cosine(a, b):
    pairs = _pairs(a, b)
    dot = sum(x * y for x, y in pairs)
    norm = math.sqrt(sum(x * x for x, _ in pairs)) * math.sqrt(sum(y * y for _, y in pairs))
    return dot / norm if len(pairs) >= 2 and norm > 0 else 0.0

def pearson(a, b):
    pairs = _pairs(a, b)
    if len(pairs) < 2:
        return 0.0
    mx = sum(x for x, _ in pairs) / len(pairs)
    my = sum(y for _, y in pairs) / len(pairs)
    cov = sum((x - mx) * (y - my) for x, y in pairs)
    sx = math.sqrt(sum((x - mx) ** 2 for x, _ in pairs))
    sy = math.sqrt(sum((y - my) ** 2 for _, y in pairs))
    return cov / (sx * sy) if sx and sy else 0.0
''',
            # numpy's corrcoef warns (RuntimeWarning on stderr) for constant input: still correct
            '''
import numpy as np

def cosine(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    m = (a != 0) & (b != 0)
    if m.sum() < 2:
        return 0.0
    d = np.linalg.norm(a[m]) * np.linalg.norm(b[m])
    return float(a[m] @ b[m] / d) if d else 0.0

def pearson(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    m = (a != 0) & (b != 0)
    if m.sum() < 2:
        return 0.0
    r = np.corrcoef(a[m], b[m])[0, 1]
    return 0.0 if np.isnan(r) else float(r)
''',
        ],
        "wrong": {
            "all positions, not co-rated ones": '''
import numpy as np

def cosine(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    d = np.linalg.norm(a) * np.linalg.norm(b)
    return float(a @ b / d) if d else 0.0

def pearson(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    a, b = a - a.mean(), b - b.mean()
    d = np.linalg.norm(a) * np.linalg.norm(b)
    return float(a @ b / d) if d else 0.0
''',
            "pearson without centring": '''
import numpy as np

def cosine(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    m = (a != 0) & (b != 0)
    d = np.linalg.norm(a[m]) * np.linalg.norm(b[m])
    return float(a[m] @ b[m] / d) if m.sum() >= 2 and d else 0.0

def pearson(a, b):
    return cosine(a, b)
''',
            "nan for zero variance": '''
import numpy as np

def cosine(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    m = (a != 0) & (b != 0)
    d = np.linalg.norm(a[m]) * np.linalg.norm(b[m])
    return float(a[m] @ b[m] / d) if m.sum() >= 2 and d else 0.0

def pearson(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    m = (a != 0) & (b != 0)
    if m.sum() < 2:
        return 0.0
    return float(np.corrcoef(a[m], b[m])[0, 1])
''',
            "one co-rated item counts": '''
import numpy as np

def cosine(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    m = (a != 0) & (b != 0)
    d = np.linalg.norm(a[m]) * np.linalg.norm(b[m])
    return float(a[m] @ b[m] / d) if d else 0.0

def pearson(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    m = (a != 0) & (b != 0)
    if m.sum() < 2:
        return 0.0
    x, y = a[m] - a[m].mean(), b[m] - b[m].mean()
    d = np.linalg.norm(x) * np.linalg.norm(y)
    return float(x @ y / d) if d else 0.0
''',
        },
    },
    "ex4_item_scores": {
        "correct": [
            '''
import numpy as np

def item_based_scores(user_row, similarity):
    r = np.asarray(user_row, dtype=np.float32)
    s = np.asarray(similarity, dtype=np.float32)
    scores = (s * r[None, :]).sum(axis=1).astype(float)
    return np.where(r != 0, -np.inf, scores)
''',
            '''
import numpy as np

def item_based_scores(user_row, similarity):
    seen = np.flatnonzero(user_row)
    scores = np.einsum("ij,j->i", np.asarray(similarity)[:, seen], np.asarray(user_row, dtype=float)[seen])
    scores[seen] = -np.inf
    return scores
''',
        ],
        "wrong": {
            "transposed similarity": '''
import numpy as np

def item_based_scores(user_row, similarity):
    user_row = np.asarray(user_row, dtype=float)
    scores = user_row @ np.asarray(similarity, dtype=float)
    scores[user_row != 0] = -np.inf
    return scores
''',
            "seen items not masked": '''
import numpy as np

def item_based_scores(user_row, similarity):
    return np.asarray(similarity, dtype=float) @ np.asarray(user_row, dtype=float)
''',
            "seen items set to zero": '''
import numpy as np

def item_based_scores(user_row, similarity):
    user_row = np.asarray(user_row, dtype=float)
    scores = np.asarray(similarity, dtype=float) @ user_row
    scores[user_row != 0] = 0.0
    return scores
''',
            "normalised by the row sum": '''
import numpy as np

def item_based_scores(user_row, similarity):
    user_row = np.asarray(user_row, dtype=float)
    similarity = np.asarray(similarity, dtype=float)
    scores = similarity @ user_row / np.maximum(similarity.sum(axis=1), 1e-12)
    scores[user_row != 0] = -np.inf
    return scores
''',
        },
    },
    "ex5_leave_last_out": {
        "correct": [
            '''
import pandas as pd

def leave_last_out_split(frame):
    frame = frame.reset_index(drop=True)
    test_rows = []
    for user, rows in frame.groupby("user_idx", sort=False):
        if len(rows) > 1:
            ordered = rows.sort_values("timestamp", kind="stable")
            test_rows.append(ordered.index[-1])
    test = frame.loc[sorted(test_rows)]
    train = frame.drop(index=test.index)
    return train.reset_index(drop=True), test.reset_index(drop=True)
''',
            '''
import numpy as np

def leave_last_out_split(frame):
    frame = frame.reset_index(drop=True)
    order = np.lexsort((np.arange(len(frame)), frame["timestamp"].to_numpy(), frame["user_idx"].to_numpy()))
    users = frame["user_idx"].to_numpy()[order]
    last = np.r_[users[1:] != users[:-1], True]
    first = np.r_[True, users[1:] != users[:-1]]
    in_test = np.zeros(len(frame), dtype=bool)
    in_test[order[last & ~first]] = True
    return frame[~in_test].reset_index(drop=True), frame[in_test].reset_index(drop=True)
''',
        ],
        "wrong": {
            "borrows the course's leave_last_out": '''
leave_last_out_split = leave_last_out
''',
            "wraps the course's implementation": '''
from recsys_helpers import split

def leave_last_out_split(frame):
    return split.leave_last_out(frame)
''',
            "single-row users go to test": '''
def leave_last_out_split(frame):
    frame = frame.reset_index(drop=True)
    ordered = frame.sort_values(["user_idx", "timestamp"], kind="stable")
    in_test = frame.index.isin(ordered.index[~ordered.duplicated("user_idx", keep="last")])
    return frame[~in_test].reset_index(drop=True), frame[in_test].reset_index(drop=True)
''',
            "ties broken by the first row": '''
def leave_last_out_split(frame):
    frame = frame.reset_index(drop=True)
    ordered = frame.sort_values(["user_idx", "timestamp"], kind="stable")
    latest = ordered.groupby("user_idx")["timestamp"].transform("max")
    candidates = ordered[ordered["timestamp"] == latest]
    chosen = candidates[~candidates.duplicated("user_idx", keep="first")]
    sizes = frame.groupby("user_idx")["user_idx"].transform("size")
    in_test = frame.index.isin(chosen.index) & (sizes > 1).to_numpy()
    return frame[~in_test].reset_index(drop=True), frame[in_test].reset_index(drop=True)
''',
            "keeps the original index": '''
def leave_last_out_split(frame):
    ordered = frame.sort_values(["user_idx", "timestamp"], kind="stable")
    is_last = ~ordered.duplicated("user_idx", keep="last")
    many = ordered.groupby("user_idx")["user_idx"].transform("size") > 1
    test = ordered[is_last & many].sort_index()
    return frame.drop(index=test.index), test
''',
        },
    },
}
