"""Chapter 13: other correct answers and plausible wrong ones, per solution cell.

Each source replaces the whole solution cell. ``tests/test_grading.py`` grades notebooks built
from them through ``make autograde``: every correct one must earn the exercise's points, every
wrong one must lose them.
"""

CASES = {
    "ex1_prune_mask": {
        "correct": [
            '''
import numpy as np

def prune_mask(weights, sparsity):
    if sparsity < 0 or sparsity > 1:
        raise ValueError("sparsity out of range")
    flat = np.abs(np.asarray(weights, dtype=float)).ravel()
    n = int(round(sparsity * flat.size))
    ranks = np.empty(flat.size, dtype=int)
    ranks[np.lexsort((np.arange(flat.size), flat))] = np.arange(flat.size)
    return (ranks >= n).reshape(np.shape(weights))
''',
            '''
import numpy as np

def prune_mask(weights, sparsity):
    if not (0.0 <= sparsity <= 1.0):
        raise ValueError(sparsity)
    w = np.asarray(weights)
    pairs = sorted(range(w.size), key=lambda i: (abs(w.flat[i]), i))
    keep = np.ones(w.size, dtype=bool)
    for i in pairs[: int(round(sparsity * w.size))]:
        keep[i] = False
    return keep.reshape(w.shape)
''',
        ],
        "wrong": {
            "prunes per row": '''
import numpy as np

def prune_mask(weights, sparsity):
    if not 0 <= sparsity <= 1:
        raise ValueError(sparsity)
    w = np.abs(np.asarray(weights))
    keep = np.ones(w.shape, dtype=bool)
    n = int(round(sparsity * w.shape[-1]))
    order = np.argsort(w, axis=-1, kind="stable")[..., :n]
    np.put_along_axis(keep, order, False, axis=-1)
    return keep
''',
            "prunes by signed value": '''
import numpy as np

def prune_mask(weights, sparsity):
    if not 0 <= sparsity <= 1:
        raise ValueError(sparsity)
    w = np.asarray(weights)
    keep = np.ones(w.size, dtype=bool)
    keep[np.argsort(w.ravel(), kind="stable")[: int(round(sparsity * w.size))]] = False
    return keep.reshape(w.shape)
''',
            "threshold keeps all ties": '''
import numpy as np

def prune_mask(weights, sparsity):
    if not 0 <= sparsity <= 1:
        raise ValueError(sparsity)
    w = np.abs(np.asarray(weights))
    n = int(round(sparsity * w.size))
    if n == 0:
        return np.ones(w.shape, dtype=bool)
    threshold = np.sort(w.ravel())[n - 1]
    return w > threshold
''',
            "no range check": '''
import numpy as np

def prune_mask(weights, sparsity):
    w = np.asarray(weights)
    n = min(int(round(sparsity * w.size)), w.size)
    keep = np.ones(w.size, dtype=bool)
    keep[np.argsort(np.abs(w).ravel(), kind="stable")[:n]] = False
    return keep.reshape(w.shape)
''',
        },
    },
    "ex2_quantize": {
        "correct": [
            '''
import numpy as np

def quantize_int8(x):
    x = np.asarray(x, dtype=float)
    m = np.max(np.abs(x)) if x.size else 0.0
    scale = float(m / 127) if m else 1.0
    return np.rint(x / scale).astype(np.int8), scale
''',
            '''
import numpy as np

def quantize_int8(x):
    x = np.array(x, dtype=np.float64)
    scale = np.abs(x).max() / 127.0
    if scale == 0:
        scale = 1.0
    q = np.clip(np.round(x / scale), -128, 127).astype(np.int8)
    return q, float(scale)
''',
        ],
        "wrong": {
            "scale uses 128": '''
import numpy as np

def quantize_int8(x):
    x = np.asarray(x, dtype=float)
    scale = np.abs(x).max() / 128 or 1.0
    return np.clip(np.round(x / scale), -128, 127).astype(np.int8), float(scale)
''',
            "truncates instead of rounding": '''
import numpy as np

def quantize_int8(x):
    x = np.asarray(x, dtype=float)
    scale = np.abs(x).max() / 127 or 1.0
    return (x / scale).astype(np.int8), float(scale)
''',
            "asymmetric min-max": '''
import numpy as np

def quantize_int8(x):
    x = np.asarray(x, dtype=float)
    scale = (x.max() - x.min()) / 254 or 1.0
    return np.round(x / scale).clip(-127, 127).astype(np.int8), float(scale)
''',
            "zero vector divides by zero": '''
import numpy as np

def quantize_int8(x):
    x = np.asarray(x, dtype=float)
    scale = np.abs(x).max() / 127
    return np.nan_to_num(np.round(x / scale)).astype(np.int8), float(scale)
''',
        },
    },
    "ex3_recall": {
        "correct": [
            '''
import numpy as np

def recall_against_exact(approx_ids, exact_ids):
    exact_ids = np.asarray(exact_ids)
    hits = [np.isin(e, a).sum() for a, e in zip(np.asarray(approx_ids), exact_ids)]
    return float(np.mean(hits) / exact_ids.shape[1])
''',
            '''
def recall_against_exact(approx_ids, exact_ids):
    total, count = 0.0, 0
    for a, e in zip(approx_ids, exact_ids):
        e = list(e)
        total += sum(1 for x in set(a) if x in e) / len(e)
        count += 1
    return total / count
''',
        ],
        "wrong": {
            "order matters": '''
import numpy as np

def recall_against_exact(approx_ids, exact_ids):
    return float((np.asarray(approx_ids) == np.asarray(exact_ids)).mean())
''',
            "divides by answer length without padding": '''
import numpy as np

def recall_against_exact(approx_ids, exact_ids):
    out = []
    for a, e in zip(np.asarray(approx_ids), np.asarray(exact_ids)):
        a = a[a >= 0]
        out.append(len(set(a) & set(e)) / max(len(a), 1))
    return float(np.mean(out))
''',
            "pools all queries": '''
import numpy as np

def recall_against_exact(approx_ids, exact_ids):
    a, e = set(np.ravel(approx_ids)), set(np.ravel(exact_ids))
    return len(a & e) / len(e)
''',
        },
    },
    "ex4_lru": {
        "correct": [
            '''
def lru_hits(requests, capacity):
    order, hits = [], []
    for key in requests:
        if key in order:
            order.remove(key)
            order.append(key)
            hits.append(True)
        else:
            hits.append(False)
            if capacity:
                order.append(key)
                if len(order) > capacity:
                    order.pop(0)
    return hits
''',
            '''
def lru_hits(requests, capacity):
    last_used, hits = {}, []
    for t, key in enumerate(requests):
        hit = key in last_used
        hits.append(hit)
        if capacity == 0:
            continue
        last_used[key] = t
        if len(last_used) > capacity:
            del last_used[min(last_used, key=last_used.get)]
    return hits
''',
        ],
        "wrong": {
            "FIFO eviction": '''
def lru_hits(requests, capacity):
    order, hits = [], []
    for key in requests:
        if key in order:
            hits.append(True)
            continue
        hits.append(False)
        if capacity:
            order.append(key)
            if len(order) > capacity:
                order.pop(0)
    return hits
''',
            "evicts most recent": '''
def lru_hits(requests, capacity):
    order, hits = [], []
    for key in requests:
        if key in order:
            order.remove(key)
            order.append(key)
            hits.append(True)
            continue
        hits.append(False)
        if capacity:
            if len(order) >= capacity:
                order.pop()
            order.append(key)
    return hits
''',
            "capacity off by one": '''
def lru_hits(requests, capacity):
    order, hits = [], []
    for key in requests:
        if key in order:
            order.remove(key)
            order.append(key)
            hits.append(True)
            continue
        hits.append(False)
        order.append(key)
        if len(order) > capacity + 1:
            order.pop(0)
    return hits
''',
        },
    },
    "ex5_percentile": {
        "correct": [
            '''
import numpy as np

def percentile_nearest_rank(values, p):
    return float(np.percentile(np.asarray(values, dtype=float), p, method="inverted_cdf"))
''',
            '''
import math

def percentile_nearest_rank(values, p):
    ordered = sorted(float(v) for v in values)
    return ordered[max(1, math.ceil(p * len(ordered) / 100)) - 1]
''',
        ],
        "wrong": {
            "interpolates (numpy default)": '''
import numpy as np

def percentile_nearest_rank(values, p):
    return float(np.percentile(values, p))
''',
            "rounds the rank": '''
import numpy as np

def percentile_nearest_rank(values, p):
    ordered = np.sort(np.asarray(values, dtype=float))
    return float(ordered[max(int(round(p / 100 * len(ordered))), 1) - 1])
''',
            "forgets to sort": '''
import math

def percentile_nearest_rank(values, p):
    values = [float(v) for v in values]
    return values[max(1, math.ceil(p / 100 * len(values))) - 1]
''',
            "floor instead of ceil": '''
import numpy as np

def percentile_nearest_rank(values, p):
    ordered = np.sort(np.asarray(values, dtype=float))
    return float(ordered[min(int(p / 100 * len(ordered)), len(ordered) - 1)])
''',
        },
    },
}
