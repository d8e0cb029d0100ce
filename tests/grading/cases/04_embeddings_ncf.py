"""Chapter 04: other correct answers and plausible wrong ones, per solution cell.

Each source replaces the whole solution cell. ``tests/test_grading.py`` grades notebooks built
from them through ``make autograde``: every correct one must earn the exercise's points, every
wrong one must lose them.
"""

CASES = {
    "ex1_bpr": {
        "correct": [
            '''
import torch.nn.functional as F

def bpr_loss(pos_scores, neg_scores):
    return -F.logsigmoid(pos_scores - neg_scores).mean()
''',
            '''
import torch

def bpr_loss(pos_scores, neg_scores):
    x = (pos_scores - neg_scores).float()
    # -log sigmoid(x) = max(-x, 0) + log(1 + exp(-|x|)), stable for any x
    return (torch.clamp(-x, min=0) + torch.log1p(torch.exp(-x.abs()))).sum() / x.numel()
''',
            '''
import torch

def bpr_loss(pos_scores, neg_scores):
    return torch.nn.functional.softplus(-(pos_scores - neg_scores)).mean()
''',
        ],
        "wrong": {
            "sign of the difference flipped": '''
import torch.nn.functional as F

def bpr_loss(pos_scores, neg_scores):
    return F.softplus(pos_scores - neg_scores).mean()
''',
            "sum instead of mean": '''
import torch.nn.functional as F

def bpr_loss(pos_scores, neg_scores):
    return F.softplus(neg_scores - pos_scores).sum()
''',
            "naive log of sigmoid overflows": '''
import torch

def bpr_loss(pos_scores, neg_scores):
    return -torch.log(torch.sigmoid(pos_scores - neg_scores)).mean()
''',
            "missing minus sign": '''
import torch.nn.functional as F

def bpr_loss(pos_scores, neg_scores):
    return F.logsigmoid(pos_scores - neg_scores).mean()
''',
        },
    },
    "ex2_factor_scores": {
        "correct": [
            '''
import numpy as np
import scipy.sparse as sp

def factor_scores(user_vectors, item_vectors, seen):
    scores = np.einsum("ud,id->ui", user_vectors, item_vectors)
    return np.where(sp.csr_matrix(seen).toarray() != 0, -np.inf, scores)
''',
            '''
import numpy as np
import torch

def factor_scores(user_vectors, item_vectors, seen):
    scores = torch.as_tensor(user_vectors) @ torch.as_tensor(item_vectors).T
    coo = seen.tocoo()
    mask = coo.data != 0
    scores[coo.row[mask], coo.col[mask]] = float("-inf")
    return scores.numpy()
''',
            '''
import numpy as np

def factor_scores(user_vectors, item_vectors, seen):
    scores = np.dot(item_vectors, user_vectors.T).T.astype(np.float32)
    scores[seen.toarray() != 0] = -np.inf
    return scores
''',
        ],
        "wrong": {
            "items x users (transposed)": '''
import numpy as np

def factor_scores(user_vectors, item_vectors, seen):
    scores = item_vectors @ user_vectors.T
    scores[seen.T.toarray() != 0] = -np.inf
    return scores
''',
            "seen cells set to zero": '''
import numpy as np

def factor_scores(user_vectors, item_vectors, seen):
    scores = user_vectors @ item_vectors.T
    scores[seen.toarray() != 0] = 0.0
    return scores
''',
            "masks the seen items' columns for every user": '''
import numpy as np
import scipy.sparse as sp

def factor_scores(user_vectors, item_vectors, seen):
    scores = user_vectors @ item_vectors.T
    scores[:, sp.csr_matrix(seen).indices] = -np.inf
    return scores
''',
            "masks the unseen cells": '''
import numpy as np

def factor_scores(user_vectors, item_vectors, seen):
    scores = user_vectors @ item_vectors.T
    scores[seen.toarray() == 0] = -np.inf
    return scores
''',
        },
    },
    "ex3_in_batch": {
        "correct": [
            '''
import torch

def in_batch_softmax_loss(user_vectors, item_vectors):
    logits = user_vectors @ item_vectors.T
    return (torch.logsumexp(logits, dim=1) - torch.diagonal(logits)).mean()
''',
            '''
import torch
import torch.nn.functional as F

def in_batch_softmax_loss(user_vectors, item_vectors):
    logits = torch.einsum("bd,cd->bc", user_vectors.float(), item_vectors.float())
    log_probs = F.log_softmax(logits, dim=-1)
    targets = torch.arange(logits.shape[0]).unsqueeze(1)
    return -log_probs.gather(1, targets).squeeze(1).mean()
''',
        ],
        "wrong": {
            "softmax over users (columns)": '''
import torch
import torch.nn.functional as F

def in_batch_softmax_loss(user_vectors, item_vectors):
    logits = item_vectors @ user_vectors.T
    return F.cross_entropy(logits, torch.arange(len(user_vectors)))
''',
            "sum instead of mean": '''
import torch
import torch.nn.functional as F

def in_batch_softmax_loss(user_vectors, item_vectors):
    logits = user_vectors @ item_vectors.T
    return F.cross_entropy(logits, torch.arange(len(user_vectors)), reduction="sum")
''',
            "sigmoid on the positives only": '''
import torch.nn.functional as F

def in_batch_softmax_loss(user_vectors, item_vectors):
    positives = (user_vectors * item_vectors).sum(-1)
    return F.softplus(-positives).mean()
''',
            "target is always the first column": '''
import torch
import torch.nn.functional as F

def in_batch_softmax_loss(user_vectors, item_vectors):
    logits = user_vectors @ item_vectors.T
    return F.cross_entropy(logits, torch.zeros(len(user_vectors), dtype=torch.long))
''',
        },
    },
    "ex4_adjacency": {
        "correct": [
            '''
import numpy as np
import scipy.sparse as sp

def bipartite_normalized_adjacency(train):
    r = sp.coo_matrix(train)
    keep = r.data != 0
    rows, cols = r.row[keep], r.col[keep]
    num_users, num_items = r.shape
    n = num_users + num_items
    a = sp.coo_matrix(
        (np.ones(2 * rows.size), (np.r_[rows, cols + num_users], np.r_[cols + num_users, rows])),
        shape=(n, n),
    ).tocsr()
    a.data[:] = 1.0  # duplicates summed: back to 0/1
    degree = np.asarray(a.sum(axis=1)).ravel()
    with np.errstate(divide="ignore"):
        inv = np.where(degree > 0, 1.0 / np.sqrt(degree), 0.0)
    return sp.diags(inv) @ a @ sp.diags(inv)
''',
            '''
import numpy as np
import scipy.sparse as sp

def bipartite_normalized_adjacency(train):
    r = (np.asarray(sp.csr_matrix(train).toarray()) != 0).astype(np.float32)
    u, i = r.shape
    a = np.zeros((u + i, u + i), dtype=np.float32)
    a[:u, u:] = r
    a[u:, :u] = r.T
    d = a.sum(axis=1)
    inv = np.zeros_like(d)
    inv[d > 0] = 1 / np.sqrt(d[d > 0])
    return sp.csr_matrix(inv[:, None] * a * inv[None, :])
''',
        ],
        "wrong": {
            "borrows the course's implementation": '''
from recsys_helpers.models.lightgcn import normalized_adjacency

bipartite_normalized_adjacency = normalized_adjacency
''',
            "row normalisation D^-1 A": '''
import numpy as np
import scipy.sparse as sp

def bipartite_normalized_adjacency(train):
    binary = (sp.csr_matrix(train) != 0).astype(np.float64)
    a = sp.bmat([[None, binary], [binary.T, None]], format="csr")
    degree = np.asarray(a.sum(axis=1)).ravel()
    inv = np.zeros_like(degree)
    inv[degree > 0] = 1 / degree[degree > 0]
    return sp.csr_matrix(sp.diags(inv) @ a)
''',
            "dense division gives NaN for isolated nodes": '''
import numpy as np
import scipy.sparse as sp

def bipartite_normalized_adjacency(train):
    r = (sp.csr_matrix(train) != 0).astype(np.float64).toarray()
    u, i = r.shape
    a = np.block([[np.zeros((u, u)), r], [r.T, np.zeros((i, i))]])
    d = a.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return sp.csr_matrix(a / np.sqrt(np.outer(d, d)))
''',
            "keeps the rating values as weights": '''
import numpy as np
import scipy.sparse as sp

def bipartite_normalized_adjacency(train):
    r = sp.csr_matrix(train, dtype=np.float64)
    a = sp.bmat([[None, r], [r.T, None]], format="csr")
    degree = np.asarray(a.sum(axis=1)).ravel()
    inv = np.zeros_like(degree)
    inv[degree > 0] = degree[degree > 0] ** -0.5
    return sp.csr_matrix(sp.diags(inv) @ a @ sp.diags(inv))
''',
            "self-loops added": '''
import numpy as np
import scipy.sparse as sp

def bipartite_normalized_adjacency(train):
    binary = (sp.csr_matrix(train) != 0).astype(np.float64)
    a = sp.bmat([[None, binary], [binary.T, None]], format="csr") + sp.eye(sum(binary.shape))
    degree = np.asarray(a.sum(axis=1)).ravel()
    inv = degree ** -0.5
    return sp.csr_matrix(sp.diags(inv) @ a @ sp.diags(inv))
''',
        },
    },
    "ex5_ease": {
        "correct": [
            '''
import numpy as np
import scipy.sparse as sp

def ease_weights(train, l2):
    if l2 <= 0:
        raise ValueError("l2 must be > 0")
    x = sp.csr_matrix(train).astype(np.float64)
    gram = (x.T @ x).toarray() + l2 * np.eye(x.shape[1])
    p = np.linalg.solve(gram, np.eye(x.shape[1]))
    b = p / (-np.diag(p))
    b[np.arange(len(b)), np.arange(len(b))] = 0.0
    return b
''',
            '''
import numpy as np
import scipy.linalg

def ease_weights(train, l2):
    if not l2 > 0:
        raise ValueError(l2)
    x = train.toarray().astype(np.float32)
    p = scipy.linalg.inv(x.T @ x + np.float32(l2) * np.eye(x.shape[1], dtype=np.float32))
    b = -p / np.diag(p)
    np.fill_diagonal(b, 0)
    return b
''',
            '''
import numpy as np

def ease_weights(train, l2):
    if l2 <= 0:
        raise ValueError("l2")
    x = train.toarray()
    n = x.shape[1]
    b = np.zeros((n, n))
    for j in range(n):  # one ridge regression per item
        others = [i for i in range(n) if i != j]
        a = x[:, others]
        b[others, j] = np.linalg.solve(a.T @ a + l2 * np.eye(n - 1), a.T @ x[:, j])
    return b
''',
        ],
        "wrong": {
            "borrows the course's implementation": '''
from recsys_helpers.models.ease import EASE

def ease_weights(train, l2):
    return EASE(l2=l2).fit(train).weights_
''',
            "divides by the row's diagonal": '''
import numpy as np

def ease_weights(train, l2):
    if l2 <= 0:
        raise ValueError("l2")
    x = train.toarray()
    p = np.linalg.inv(x.T @ x + l2 * np.eye(x.shape[1]))
    b = -p / np.diag(p)[:, None]
    np.fill_diagonal(b, 0)
    return b
''',
            "diagonal left at -1": '''
import numpy as np

def ease_weights(train, l2):
    if l2 <= 0:
        raise ValueError("l2")
    x = train.toarray()
    p = np.linalg.inv(x.T @ x + l2 * np.eye(x.shape[1]))
    return -p / np.diag(p)
''',
            "no check of l2": '''
import numpy as np

def ease_weights(train, l2):
    x = train.toarray()
    p = np.linalg.pinv(x.T @ x + l2 * np.eye(x.shape[1]))
    b = -p / np.diag(p)
    np.fill_diagonal(b, 0)
    return b
''',
            "l2 added to every entry": '''
import numpy as np

def ease_weights(train, l2):
    if l2 <= 0:
        raise ValueError("l2")
    x = train.toarray()
    p = np.linalg.inv(x.T @ x + l2)
    b = -p / np.diag(p)
    np.fill_diagonal(b, 0)
    return b
''',
        },
    },
}
