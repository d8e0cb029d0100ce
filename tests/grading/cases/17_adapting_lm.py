"""Chapter 17: other correct answers and plausible wrong ones, per solution cell.

Each source replaces the whole solution cell. ``tests/test_grading.py`` grades notebooks built
from them through ``make autograde``: every correct one must earn the exercise's points, every
wrong one must lose them.
"""

CASES = {
    "ex1_tallrec_message": {
        "correct": [
            '''
def tallrec_message(titles, ratings, target, threshold=3):
    titles, ratings = list(titles), list(ratings)
    if not titles or len(titles) != len(ratings):
        raise ValueError("bad history")
    liked, disliked = [], []
    for title, rating in zip(titles, ratings):
        (liked if rating > threshold else disliked).append(title)
    def words(names):
        return "; ".join(names) if names else "none"
    return ("Liked: " + words(liked) + ". Disliked: " + words(disliked)
            + ". Will the user like " + target + "? Answer Yes or No.")
''',
            '''
import numpy as np

def tallrec_message(titles, ratings, target, threshold=3):
    titles, ratings = np.asarray(titles, dtype=object), np.asarray(ratings, dtype=float)
    if titles.size == 0 or titles.shape != ratings.shape:
        raise ValueError("one rating per title, at least one")
    up = ratings > threshold
    parts = ["; ".join(map(str, titles[m])) or "none" for m in (up, ~up)]
    return "Liked: {}. Disliked: {}. Will the user like {}? Answer Yes or No.".format(
        parts[0], parts[1], target)
''',
        ],
        "wrong": {
            "liked from the threshold up (>= 3)": '''
def tallrec_message(titles, ratings, target, threshold=3):
    if len(titles) != len(ratings) or len(titles) == 0:
        raise ValueError("bad")
    liked = [t for t, r in zip(titles, ratings) if r >= threshold]
    disliked = [t for t, r in zip(titles, ratings) if r < threshold]
    return (f"Liked: {'; '.join(liked) or 'none'}. Disliked: {'; '.join(disliked) or 'none'}. "
            f"Will the user like {target}? Answer Yes or No.")
''',
            "empty list left empty instead of 'none'": '''
def tallrec_message(titles, ratings, target, threshold=3):
    if len(titles) != len(ratings) or len(titles) == 0:
        raise ValueError("bad")
    liked = [t for t, r in zip(titles, ratings) if r > threshold]
    disliked = [t for t, r in zip(titles, ratings) if r <= threshold]
    return (f"Liked: {'; '.join(liked)}. Disliked: {'; '.join(disliked)}. "
            f"Will the user like {target}? Answer Yes or No.")
''',
            "titles joined with commas": '''
def tallrec_message(titles, ratings, target, threshold=3):
    if len(titles) != len(ratings) or len(titles) == 0:
        raise ValueError("bad")
    liked = [t for t, r in zip(titles, ratings) if r > threshold]
    disliked = [t for t, r in zip(titles, ratings) if r <= threshold]
    return (f"Liked: {', '.join(liked) or 'none'}. Disliked: {', '.join(disliked) or 'none'}. "
            f"Will the user like {target}? Answer Yes or No.")
''',
            "no check of the lengths": '''
def tallrec_message(titles, ratings, target, threshold=3):
    liked = [t for t, r in zip(titles, ratings) if r > threshold]
    disliked = [t for t, r in zip(titles, ratings) if r <= threshold]
    return (f"Liked: {'; '.join(liked) or 'none'}. Disliked: {'; '.join(disliked) or 'none'}. "
            f"Will the user like {target}? Answer Yes or No.")
''',
        },
    },
    "ex2_auc": {
        "correct": [
            '''
import numpy as np
from scipy.stats import rankdata

def auc(scores, labels):
    scores = np.asarray(scores, dtype=float)
    labels = np.asarray(labels).astype(bool)
    n_pos, n_neg = labels.sum(), (~labels).sum()
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(scores)
    return float((ranks[labels].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))
''',
            '''
def auc(scores, labels):
    pos = [s for s, y in zip(scores, labels) if y]
    neg = [s for s, y in zip(scores, labels) if not y]
    if not pos or not neg:
        return float("nan")
    total = 0.0
    for p in pos:
        for n in neg:
            total += 1.0 if p > n else 0.5 if p == n else 0.0
    return total / (len(pos) * len(neg))
''',
        ],
        "wrong": {
            "ties count as losses": '''
import numpy as np

def auc(scores, labels):
    scores, labels = np.asarray(scores, float), np.asarray(labels).astype(bool)
    pos, neg = scores[labels], scores[~labels]
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    return float((pos[:, None] > neg[None, :]).mean())
''',
            "ranks without sharing ties (argsort)": '''
import numpy as np

def auc(scores, labels):
    scores, labels = np.asarray(scores, float), np.asarray(labels).astype(bool)
    n_pos, n_neg = labels.sum(), (~labels).sum()
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = np.argsort(np.argsort(scores)) + 1
    return float((ranks[labels].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))
''',
            "accuracy of a 0.5 threshold": '''
import numpy as np

def auc(scores, labels):
    scores, labels = np.asarray(scores, float), np.asarray(labels).astype(bool)
    if labels.all() or not labels.any():
        return float("nan")
    return float(((scores > 0.5) == labels).mean())
''',
            "returns 0.5 when a class is missing": '''
import numpy as np

def auc(scores, labels):
    scores, labels = np.asarray(scores, float), np.asarray(labels).astype(bool)
    pos, neg = scores[labels], scores[~labels]
    if len(pos) == 0 or len(neg) == 0:
        return 0.5
    return float(((pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])).mean())
''',
        },
    },
    "ex3_yes_probability": {
        "correct": [
            '''
import numpy as np
from scipy.special import expit

def yes_probability(logits, yes_id, no_id):
    logits = np.asarray(logits, dtype=float)
    return expit(logits[:, yes_id] - logits[:, no_id])
''',
            '''
import numpy as np

def yes_probability(logits, yes_id, no_id):
    two = np.asarray(logits, dtype=float)[:, [yes_id, no_id]]
    two = two - two.max(axis=1, keepdims=True)
    e = np.exp(two)
    return e[:, 0] / e.sum(axis=1)
''',
        ],
        "wrong": {
            "softmax over the whole vocabulary": '''
import numpy as np

def yes_probability(logits, yes_id, no_id):
    logits = np.asarray(logits, dtype=float)
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e[:, yes_id] / e.sum(axis=1)
''',
            "exponentials without subtracting the maximum": '''
import numpy as np

def yes_probability(logits, yes_id, no_id):
    logits = np.asarray(logits, dtype=float)
    a, b = np.exp(logits[:, yes_id]), np.exp(logits[:, no_id])
    return a / (a + b)
''',
            "sigmoid of the Yes logit alone": '''
import numpy as np

def yes_probability(logits, yes_id, no_id):
    logits = np.asarray(logits, dtype=float)
    return 1 / (1 + np.exp(-np.clip(logits[:, yes_id], -500, 500)))
''',
            "the No probability": '''
import numpy as np
from scipy.special import expit

def yes_probability(logits, yes_id, no_id):
    logits = np.asarray(logits, dtype=float)
    return expit(logits[:, no_id] - logits[:, yes_id])
''',
        },
    },
    "ex4_lora_forward": {
        "correct": [
            '''
import numpy as np

def lora_forward(x, weight, a, b, alpha):
    delta = (alpha / len(a)) * (np.asarray(b) @ np.asarray(a))  # (d_out, d_in)
    return np.asarray(x) @ (np.asarray(weight) + delta).T
''',
            '''
import torch

def lora_forward(x, weight, a, b, alpha):
    x, w, a, b = (torch.as_tensor(v, dtype=torch.float64) for v in (x, weight, a, b))
    r = a.shape[0]
    return (torch.nn.functional.linear(x, w) + alpha / r * (x @ a.T @ b.T)).numpy()
''',
        ],
        "wrong": {
            "no alpha / r scale": '''
import numpy as np

def lora_forward(x, weight, a, b, alpha):
    x = np.asarray(x, dtype=float)
    return x @ np.asarray(weight).T + x @ np.asarray(a).T @ np.asarray(b).T
''',
            "scaled by alpha, not alpha / r": '''
import numpy as np

def lora_forward(x, weight, a, b, alpha):
    x = np.asarray(x, dtype=float)
    return x @ np.asarray(weight).T + alpha * (x @ np.asarray(a).T @ np.asarray(b).T)
''',
            "scaled by r / alpha": '''
import numpy as np

def lora_forward(x, weight, a, b, alpha):
    x, a = np.asarray(x, dtype=float), np.asarray(a, dtype=float)
    return x @ np.asarray(weight).T + (a.shape[0] / alpha) * (x @ a.T @ np.asarray(b).T)
''',
            "the update alone, the frozen weight forgotten": '''
import numpy as np

def lora_forward(x, weight, a, b, alpha):
    x, a = np.asarray(x, dtype=float), np.asarray(a, dtype=float)
    return (alpha / a.shape[0]) * (x @ a.T @ np.asarray(b).T)
''',
        },
    },
    "ex5_select_history": {
        "correct": [
            '''
import numpy as np

def select_history(history_vectors, candidate_vector, k):
    h = np.asarray(history_vectors, dtype=float)
    c = np.asarray(candidate_vector, dtype=float)
    cos = (h / np.linalg.norm(h, axis=1, keepdims=True)) @ (c / np.linalg.norm(c))
    ranked = sorted(range(len(h)), key=lambda i: (-cos[i], -i))
    return np.array(sorted(ranked[:k]), dtype=int)
''',
            '''
import numpy as np

def select_history(history_vectors, candidate_vector, k):
    h = np.asarray(history_vectors, dtype=float)[::-1]  # most recent first
    c = np.asarray(candidate_vector, dtype=float)
    cos = h @ c / (np.linalg.norm(h, axis=1) * np.linalg.norm(c))
    picked = np.argsort(-cos, kind="stable")[:k]  # stable: the more recent wins a tie
    return np.sort(len(h) - 1 - picked)
''',
        ],
        "wrong": {
            "dot product instead of cosine": '''
import numpy as np

def select_history(history_vectors, candidate_vector, k):
    h, c = np.asarray(history_vectors, float), np.asarray(candidate_vector, float)
    score = h @ c
    order = np.lexsort((-np.arange(len(h)), -score))
    return np.sort(order[:k])
''',
            "returned in order of similarity": '''
import numpy as np

def select_history(history_vectors, candidate_vector, k):
    h, c = np.asarray(history_vectors, float), np.asarray(candidate_vector, float)
    cos = h @ c / (np.linalg.norm(h, axis=1) * np.linalg.norm(c))
    return np.lexsort((-np.arange(len(h)), -cos))[:k]
''',
            "ties go to the older position": '''
import numpy as np

def select_history(history_vectors, candidate_vector, k):
    h, c = np.asarray(history_vectors, float), np.asarray(candidate_vector, float)
    cos = h @ c / (np.linalg.norm(h, axis=1) * np.linalg.norm(c))
    return np.sort(np.argsort(-cos, kind="stable")[:k])
''',
            "the k most recent, whatever the candidate": '''
import numpy as np

def select_history(history_vectors, candidate_vector, k):
    n = len(history_vectors)
    return np.arange(max(0, n - k), n)
''',
        },
    },
    "ex6_distillation": {
        "correct": [
            '''
import numpy as np
from scipy.special import logsumexp

def ranking_distillation_loss(logits, teacher_items, weights):
    logits = np.asarray(logits, dtype=float)
    items = np.asarray(teacher_items, dtype=int)
    w = np.broadcast_to(np.asarray(weights, dtype=float), items.shape)
    w = w / w.sum(axis=1, keepdims=True)
    log_p = logits - logsumexp(logits, axis=1, keepdims=True)
    picked = np.take_along_axis(log_p, items, axis=1)
    return float(-(w * picked).sum(axis=1).mean())
''',
            '''
import torch

def ranking_distillation_loss(logits, teacher_items, weights):
    logits = torch.as_tensor(logits, dtype=torch.float64)
    items = torch.as_tensor(teacher_items, dtype=torch.long)
    w = torch.as_tensor(weights, dtype=torch.float64)
    if w.ndim == 1:
        w = w.unsqueeze(0).repeat(len(items), 1)
    total = 0.0
    for row in range(len(items)):
        log_p = torch.log_softmax(logits[row], dim=0)
        total = total - (w[row] / w[row].sum() * log_p[items[row]]).sum()
    return total / len(items)
''',
        ],
        "wrong": {
            "weights not normalised": '''
import torch

def ranking_distillation_loss(logits, teacher_items, weights):
    logits = torch.as_tensor(logits, dtype=torch.float64)
    items = torch.as_tensor(teacher_items, dtype=torch.long)
    w = torch.as_tensor(weights, dtype=torch.float64).expand(items.shape)
    return -(w * torch.log_softmax(logits, 1).gather(1, items)).sum(1).mean()
''',
            "softmax over the teacher's items only": '''
import torch

def ranking_distillation_loss(logits, teacher_items, weights):
    logits = torch.as_tensor(logits, dtype=torch.float64)
    items = torch.as_tensor(teacher_items, dtype=torch.long)
    w = torch.as_tensor(weights, dtype=torch.float64).expand(items.shape)
    w = w / w.sum(1, keepdim=True)
    return -(w * torch.log_softmax(logits.gather(1, items), 1)).sum(1).mean()
''',
            "summed over rows, not averaged": '''
import torch

def ranking_distillation_loss(logits, teacher_items, weights):
    logits = torch.as_tensor(logits, dtype=torch.float64)
    items = torch.as_tensor(teacher_items, dtype=torch.long)
    w = torch.as_tensor(weights, dtype=torch.float64).expand(items.shape)
    w = w / w.sum(1, keepdim=True)
    return -(w * torch.log_softmax(logits, 1).gather(1, items)).sum()
''',
            "log of a softmax computed without the shift": '''
import numpy as np

def ranking_distillation_loss(logits, teacher_items, weights):
    logits = np.asarray(logits, dtype=float)
    items = np.asarray(teacher_items, dtype=int)
    w = np.broadcast_to(np.asarray(weights, dtype=float), items.shape)
    w = w / w.sum(axis=1, keepdims=True)
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return float(-(w * np.log(np.take_along_axis(p, items, axis=1))).sum(axis=1).mean())
''',
        },
    },
}
