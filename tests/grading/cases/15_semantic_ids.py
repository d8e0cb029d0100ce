"""Chapter 15: other correct answers and plausible wrong ones, per solution cell.

Each source replaces the whole solution cell. ``tests/test_grading.py`` grades notebooks built
from them through ``make autograde``: every correct one must earn the exercise's points, every
wrong one must lose them.
"""

CASES = {
    "ex1_residual_kmeans": {
        "correct": [
            '''
import numpy as np

def residual_kmeans(vectors, levels, k, seed=0):
    rng = np.random.default_rng(seed)
    residual = np.array(vectors, dtype=float)
    codes = np.zeros((len(residual), levels), dtype=int)
    books = np.zeros((levels, k, residual.shape[1]))
    for level in range(levels):
        centres = [residual[rng.integers(len(residual))]]
        while len(centres) < k:  # farthest-point start
            gap = ((residual[:, None, :] - np.array(centres)[None]) ** 2).sum(-1).min(1)
            centres.append(residual[gap.argmax()])
        centres = np.array(centres)
        for _ in range(100):
            d = ((residual[:, None, :] - centres[None]) ** 2).sum(-1)
            labels = d.argmin(1)
            new = np.array([residual[labels == c].mean(0) if (labels == c).any()
                            else centres[c] for c in range(k)])
            if np.allclose(new, centres):
                break
            centres = new
        d = ((residual[:, None, :] - centres[None]) ** 2).sum(-1)
        codes[:, level] = d.argmin(1)
        books[level] = centres
        residual = residual - centres[codes[:, level]]
    return codes, books
''',
            '''
import numpy as np
from sklearn.cluster import KMeans

def residual_kmeans(vectors, levels, k, seed=0):
    residual = np.asarray(vectors, dtype=float)
    codes, books = [], []
    for level in range(levels):
        model = KMeans(n_clusters=k, n_init=3, random_state=seed + level).fit(residual)
        labels = model.predict(residual)
        codes.append(labels)
        books.append(model.cluster_centers_)
        residual = residual - model.cluster_centers_[labels]
    return np.stack(codes, axis=1), np.stack(books)
''',
        ],
        "wrong": {
            "clusters the raw vectors at every level": '''
import numpy as np
from sklearn.cluster import KMeans

def residual_kmeans(vectors, levels, k, seed=0):
    vectors = np.asarray(vectors, dtype=float)
    codes, books = [], []
    for level in range(levels):
        model = KMeans(n_clusters=k, n_init=1, random_state=seed + level).fit(vectors)
        codes.append(model.labels_)
        books.append(model.cluster_centers_)
    return np.stack(codes, axis=1), np.stack(books)
''',
            "largest dot product instead of nearest centroid": '''
import numpy as np
from sklearn.cluster import KMeans

def residual_kmeans(vectors, levels, k, seed=0):
    residual = np.asarray(vectors, dtype=float).copy()
    codes = np.zeros((len(residual), levels), dtype=int)
    books = np.zeros((levels, k, residual.shape[1]))
    for level in range(levels):
        books[level] = KMeans(n_clusters=k, n_init=1, random_state=seed).fit(residual).cluster_centers_
        codes[:, level] = (residual @ books[level].T).argmax(axis=1)
        residual -= books[level][codes[:, level]]
    return codes, books
''',
            "codebooks as (levels, dim, k)": '''
import numpy as np
from sklearn.cluster import KMeans

def residual_kmeans(vectors, levels, k, seed=0):
    residual = np.asarray(vectors, dtype=float).copy()
    codes, books = [], []
    for level in range(levels):
        model = KMeans(n_clusters=k, n_init=1, random_state=seed + level).fit(residual)
        codes.append(model.labels_)
        books.append(model.cluster_centers_.T)
        residual -= model.cluster_centers_[model.labels_]
    return np.stack(codes, axis=1), np.stack(books)
''',
        },
    },
    "ex2_perplexity": {
        "correct": [
            '''
import numpy as np
from scipy.stats import entropy

def codebook_perplexity(codes, k):
    codes = np.asarray(codes)
    return np.array([np.exp(entropy(np.bincount(c, minlength=k))) for c in codes.T])
''',
            '''
import numpy as np
from collections import Counter

def codebook_perplexity(codes, k):
    out = []
    for column in np.asarray(codes).T.tolist():
        n = len(column)
        bits = -sum(c / n * np.log2(c / n) for c in Counter(column).values())
        out.append(2.0 ** bits)
    return np.array(out)
''',
        ],
        "wrong": {
            "exp of the entropy in bits": '''
import numpy as np

def codebook_perplexity(codes, k):
    out = []
    for column in np.asarray(codes).T:
        p = np.bincount(column, minlength=k) / len(column)
        p = p[p > 0]
        out.append(np.exp(-(p * np.log2(p)).sum()))
    return np.array(out)
''',
            "number of codes used": '''
import numpy as np

def codebook_perplexity(codes, k):
    return np.array([float(len(np.unique(c))) for c in np.asarray(codes).T])
''',
            "inverse Simpson index": '''
import numpy as np

def codebook_perplexity(codes, k):
    out = []
    for column in np.asarray(codes).T:
        p = np.bincount(column, minlength=k) / len(column)
        out.append(1.0 / (p ** 2).sum())
    return np.array(out)
''',
        },
    },
    "ex3_dedupe": {
        "correct": [
            '''
import numpy as np
import pandas as pd

def dedupe_codes(codes):
    codes = np.asarray(codes)
    frame = pd.DataFrame(codes)
    extra = frame.groupby(list(frame.columns), sort=False).cumcount().to_numpy()
    return np.column_stack([codes, extra])
''',
            '''
import numpy as np

def dedupe_codes(codes):
    codes = np.asarray(codes)
    rows = [tuple(r) for r in codes.tolist()]
    extra = [rows[:i].count(r) for i, r in enumerate(rows)]
    return np.hstack([codes, np.array(extra)[:, None]])
''',
        ],
        "wrong": {
            "numbers collisions from 1": '''
import numpy as np

def dedupe_codes(codes):
    codes = np.asarray(codes)
    rows = [tuple(r) for r in codes.tolist()]
    extra = []
    for i, r in enumerate(rows):
        before = rows[:i].count(r)
        extra.append(before + 1 if rows.count(r) > 1 else 0)
    return np.column_stack([codes, extra])
''',
            "one running counter for all items": '''
import numpy as np

def dedupe_codes(codes):
    codes = np.asarray(codes)
    return np.column_stack([codes, np.arange(len(codes))])
''',
            "numbers in reverse item order": '''
import numpy as np

def dedupe_codes(codes):
    codes = np.asarray(codes)
    rows = [tuple(r) for r in codes.tolist()]
    extra = [rows[i + 1:].count(r) for i, r in enumerate(rows)]
    return np.column_stack([codes, extra])
''',
        },
    },
    "ex4_prefix_tree": {
        "correct": [
            '''
from collections import defaultdict

import numpy as np

def prefix_tree(codes):
    tree = defaultdict(set)
    for row in np.asarray(codes).tolist():
        for n in range(len(row)):
            tree[tuple(row[:n])].add(row[n])
    return {key: sorted(value) for key, value in tree.items()}
''',
            '''
import numpy as np

def prefix_tree(codes):
    rows = [tuple(int(t) for t in r) for r in np.asarray(codes)]
    keys = {r[:n] for r in rows for n in range(len(r))}
    return {p: sorted({r[len(p)] for r in rows if r[:len(p)] == p}) for p in keys}
''',
        ],
        "wrong": {
            "full tuples are keys too": '''
import numpy as np

def prefix_tree(codes):
    tree = {}
    for row in np.asarray(codes).tolist():
        for n in range(len(row) + 1):
            tokens = tree.setdefault(tuple(row[:n]), set())
            if n < len(row):
                tokens.add(row[n])
    return {key: sorted(value) for key, value in tree.items()}
''',
            "repeats tokens": '''
import numpy as np

def prefix_tree(codes):
    tree = {}
    for row in np.asarray(codes).tolist():
        for n in range(len(row)):
            tree.setdefault(tuple(row[:n]), []).append(row[n])
    return {key: sorted(value) for key, value in tree.items()}
''',
            "NumPy integers instead of Python ints": '''
import numpy as np

def prefix_tree(codes):
    tree = {}
    for row in np.asarray(codes):
        for n in range(len(row)):
            tree.setdefault(tuple(row[:n]), set()).add(row[n])
    return {key: sorted(value) for key, value in tree.items()}
''',
        },
    },
    "ex5_constrained_step": {
        "correct": [
            '''
import numpy as np

def constrained_step(prefixes, scores, log_probs, tree, beam):
    options = []
    for i, prefix in enumerate(prefixes):
        for token in sorted(tree.get(tuple(prefix), [])):
            options.append((i, token, scores[i] + log_probs[i][token]))
    order = sorted(range(len(options)), key=lambda j: -options[j][2])  # stable
    chosen = [options[j] for j in order[:beam]]
    return [tuple(prefixes[i]) + (t,) for i, t, _ in chosen], [float(s) for *_, s in chosen]
''',
            '''
import heapq

def constrained_step(prefixes, scores, log_probs, tree, beam):
    pool = [
        (-(scores[i] + float(log_probs[i][t])), i, t)
        for i, p in enumerate(prefixes) for t in tree.get(tuple(p), [])
    ]
    best = heapq.nsmallest(beam, pool)
    return [tuple(prefixes[i]) + (t,) for _, i, t in best], [-s for s, _, _ in best]
''',
        ],
        "wrong": {
            "ignores the tree": '''
import numpy as np

def constrained_step(prefixes, scores, log_probs, tree, beam):
    options = []
    for i, prefix in enumerate(prefixes):
        for token in range(np.shape(log_probs)[1]):
            options.append((scores[i] + log_probs[i][token], i, token))
    options.sort(key=lambda c: (-c[0], c[1], c[2]))
    best = options[:beam]
    return [tuple(prefixes[i]) + (t,) for _, i, t in best], [s for s, _, _ in best]
''',
            "ranks by the next token alone": '''
def constrained_step(prefixes, scores, log_probs, tree, beam):
    options = []
    for i, prefix in enumerate(prefixes):
        for token in tree.get(tuple(prefix), []):
            options.append((float(log_probs[i][token]), i, token))
    options.sort(key=lambda c: (-c[0], c[1], c[2]))
    best = options[:beam]
    return [tuple(prefixes[i]) + (t,) for _, i, t in best], [scores[i] + s for s, i, _ in best]
''',
            "ties to the lower token first": '''
def constrained_step(prefixes, scores, log_probs, tree, beam):
    options = []
    for i, prefix in enumerate(prefixes):
        for token in tree.get(tuple(prefix), []):
            options.append((scores[i] + float(log_probs[i][token]), i, token))
    options.sort(key=lambda c: (-c[0], c[2], c[1]))
    best = options[:beam]
    return [tuple(prefixes[i]) + (t,) for _, i, t in best], [s for s, _, _ in best]
''',
        },
    },
}
