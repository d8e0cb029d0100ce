"""Chapter 14: other correct answers and plausible wrong ones, per solution cell.

Each source replaces the whole solution cell. ``tests/test_grading.py`` grades notebooks built
from them through ``make autograde``: every correct one must earn the exercise's points, every
wrong one must lose them.
"""

CASES = {
    "ex1_noise_scale": {
        "correct": [
            '''
import math

def gaussian_noise_scale(sensitivity, epsilon, delta):
    if epsilon <= 0 or epsilon >= 1 or delta <= 0 or delta >= 1 or sensitivity <= 0:
        raise ValueError("bad arguments")
    return sensitivity / epsilon * (2 * math.log(1.25) - 2 * math.log(delta)) ** 0.5
''',
            '''
import numpy as np

def gaussian_noise_scale(sensitivity, epsilon, delta):
    for name, value, low, high in (("epsilon", epsilon, 0, 1), ("delta", delta, 0, 1)):
        if not low < value < high:
            raise ValueError(f"{name} out of range: {value}")
    if sensitivity <= 0:
        raise ValueError("sensitivity must be positive")
    return float(np.sqrt(2 * np.log(1.25 / delta)) * sensitivity / epsilon)
''',
        ],
        "wrong": {
            "no square root": '''
import math

def gaussian_noise_scale(sensitivity, epsilon, delta):
    if not 0 < epsilon < 1 or not 0 < delta < 1 or sensitivity <= 0:
        raise ValueError("bad arguments")
    return sensitivity * 2 * math.log(1.25 / delta) / epsilon
''',
            "ln(1 / delta) instead of ln(1.25 / delta)": '''
import math

def gaussian_noise_scale(sensitivity, epsilon, delta):
    if not 0 < epsilon < 1 or not 0 < delta < 1 or sensitivity <= 0:
        raise ValueError("bad arguments")
    return sensitivity * math.sqrt(2 * math.log(1 / delta)) / epsilon
''',
            "no argument checks": '''
import math

def gaussian_noise_scale(sensitivity, epsilon, delta):
    return sensitivity * math.sqrt(2 * math.log(1.25 / delta)) / epsilon
''',
            "accepts epsilon >= 1": '''
import math

def gaussian_noise_scale(sensitivity, epsilon, delta):
    if epsilon <= 0 or not 0 < delta < 1 or sensitivity <= 0:
        raise ValueError("bad arguments")
    return sensitivity * math.sqrt(2 * math.log(1.25 / delta)) / epsilon
''',
        },
    },
    "ex2_fedavg": {
        "correct": [
            '''
import numpy as np

def fedavg(client_params, client_sizes):
    total = float(sum(client_sizes))
    out = {}
    for name in client_params[0]:
        out[name] = np.zeros_like(np.asarray(client_params[0][name], dtype=float))
        for params, size in zip(client_params, client_sizes):
            out[name] = out[name] + size / total * np.asarray(params[name], dtype=float)
    return out
''',
            '''
import numpy as np

def fedavg(client_params, client_sizes):
    return {
        name: np.average(np.stack([np.asarray(p[name], float) for p in client_params]),
                         axis=0, weights=np.asarray(client_sizes, float))
        for name in client_params[0]
    }
''',
        ],
        "wrong": {
            "unweighted mean": '''
import numpy as np

def fedavg(client_params, client_sizes):
    return {n: np.mean([np.asarray(p[n], float) for p in client_params], axis=0)
            for n in client_params[0]}
''',
            "weighted sum not normalised": '''
import numpy as np

def fedavg(client_params, client_sizes):
    return {n: sum(s * np.asarray(p[n], float) for s, p in zip(client_sizes, client_params))
            for n in client_params[0]}
''',
            "weights by inverse size": '''
import numpy as np

def fedavg(client_params, client_sizes):
    w = 1 / np.asarray(client_sizes, float)
    w = w / w.sum()
    return {n: sum(x * np.asarray(p[n], float) for x, p in zip(w, client_params))
            for n in client_params[0]}
''',
        },
    },
    "ex3_because": {
        "correct": [
            '''
def because_you_liked(history, weights, item, top):
    history = list(history)
    ranked = sorted(range(len(history)), key=lambda i: (-weights[history[i], item], i))
    return [int(history[i]) for i in ranked[:top]]
''',
            '''
import numpy as np

def because_you_liked(history, weights, item, top):
    h = np.asarray(list(history))
    c = np.asarray(weights)[h, item]
    order = np.lexsort((np.arange(len(h)), -c))
    return h[order][:top].tolist()
''',
        ],
        "wrong": {
            "transposed weights": '''
import numpy as np

def because_you_liked(history, weights, item, top):
    history = list(history)
    c = np.asarray(weights)[item, history]
    return [int(history[i]) for i in np.argsort(-c, kind="stable")[:top]]
''',
            "smallest first": '''
import numpy as np

def because_you_liked(history, weights, item, top):
    history = list(history)
    c = np.asarray(weights)[history, item]
    return [int(history[i]) for i in np.argsort(c, kind="stable")[:top]]
''',
            "returns positions, not items": '''
import numpy as np

def because_you_liked(history, weights, item, top):
    c = np.asarray(weights)[list(history), item]
    return np.argsort(-c, kind="stable")[:top].tolist()
''',
            "ties to the larger item index": '''
import numpy as np

def because_you_liked(history, weights, item, top):
    h = sorted(history, reverse=True)
    c = np.asarray(weights)[h, item]
    return [int(h[i]) for i in np.argsort(-c, kind="stable")[:top]]
''',
        },
    },
    "ex4_exposure": {
        "correct": [
            '''
import numpy as np

def exposure_by_group(top_items, item_group, num_groups):
    groups = np.asarray(item_group)[np.asarray(top_items)]
    return np.array([(groups == g).mean() for g in range(num_groups)])
''',
            '''
import numpy as np
from collections import Counter

def exposure_by_group(top_items, item_group, num_groups):
    flat = [int(item_group[i]) for row in np.asarray(top_items) for i in row]
    counts = Counter(flat)
    return np.array([counts[g] / len(flat) for g in range(num_groups)], dtype=float)
''',
        ],
        "wrong": {
            "distinct items instead of slots": '''
import numpy as np

def exposure_by_group(top_items, item_group, num_groups):
    shown = np.unique(np.asarray(top_items))
    counts = np.bincount(np.asarray(item_group)[shown], minlength=num_groups)
    return counts / counts.sum()
''',
            "share of the catalogue": '''
import numpy as np

def exposure_by_group(top_items, item_group, num_groups):
    counts = np.bincount(np.asarray(item_group), minlength=num_groups)
    return counts / counts.sum()
''',
            "counts, not shares": '''
import numpy as np

def exposure_by_group(top_items, item_group, num_groups):
    groups = np.asarray(item_group)[np.asarray(top_items).ravel()]
    return np.bincount(groups, minlength=num_groups).astype(float)
''',
            "drops empty groups": '''
import numpy as np

def exposure_by_group(top_items, item_group, num_groups):
    groups = np.asarray(item_group)[np.asarray(top_items).ravel()]
    _, counts = np.unique(groups, return_counts=True)
    return counts / counts.sum()
''',
        },
    },
    "ex5_mmr": {
        "correct": [
            '''
def mmr_rerank(relevance, similarity, k, lam):
    n = len(relevance)
    chosen = []
    while len(chosen) < min(k, n):
        best, best_value = None, None
        for i in range(n):
            if i in chosen:
                continue
            penalty = max((similarity[i][j] for j in chosen), default=0.0)
            value = lam * relevance[i] - (1 - lam) * penalty if chosen else relevance[i]
            if best_value is None or value > best_value:
                best, best_value = i, value
        chosen.append(best)
    return chosen
''',
            '''
import numpy as np

def mmr_rerank(relevance, similarity, k, lam):
    r = np.asarray(relevance, float)
    s = np.asarray(similarity, float)
    chosen = [int(np.argmax(r))]
    for _ in range(k - 1):
        rest = [i for i in range(len(r)) if i not in chosen]
        values = [lam * r[i] - (1 - lam) * s[i, chosen].max() for i in rest]
        chosen.append(rest[int(np.argmax(values))])
    return chosen
''',
        ],
        "wrong": {
            "mean similarity instead of max": '''
import numpy as np

def mmr_rerank(relevance, similarity, k, lam):
    r = np.asarray(relevance, float)
    s = np.asarray(similarity, float)
    chosen = [int(np.argmax(r))]
    for _ in range(k - 1):
        rest = [i for i in range(len(r)) if i not in chosen]
        values = [lam * r[i] - (1 - lam) * s[i, chosen].mean() for i in rest]
        chosen.append(rest[int(np.argmax(values))])
    return chosen
''',
            "lambda on the wrong term": '''
import numpy as np

def mmr_rerank(relevance, similarity, k, lam):
    r = np.asarray(relevance, float)
    s = np.asarray(similarity, float)
    chosen = [int(np.argmax(r))]
    for _ in range(k - 1):
        rest = [i for i in range(len(r)) if i not in chosen]
        values = [(1 - lam) * r[i] - lam * s[i, chosen].max() for i in rest]
        chosen.append(rest[int(np.argmax(values))])
    return chosen
''',
            "similarity to the last item only": '''
import numpy as np

def mmr_rerank(relevance, similarity, k, lam):
    r = np.asarray(relevance, float)
    s = np.asarray(similarity, float)
    chosen = [int(np.argmax(r))]
    for _ in range(k - 1):
        rest = [i for i in range(len(r)) if i not in chosen]
        values = [lam * r[i] - (1 - lam) * s[i, chosen[-1]] for i in rest]
        chosen.append(rest[int(np.argmax(values))])
    return chosen
''',
            "sorts by relevance only": '''
import numpy as np

def mmr_rerank(relevance, similarity, k, lam):
    return np.argsort(-np.asarray(relevance), kind="stable")[:k].tolist()
''',
        },
    },
    "ex6_ucb": {
        "correct": [
            '''
import math

def ucb_choice(counts, reward_sums, t):
    counts = list(counts)
    for arm, n in enumerate(counts):
        if n == 0:
            return arm
    bounds = [s / n + math.sqrt(2 * math.log(t) / n) for s, n in zip(reward_sums, counts)]
    return max(range(len(bounds)), key=lambda a: (bounds[a], -a))
''',
            '''
import numpy as np

def ucb_choice(counts, reward_sums, t):
    n = np.asarray(counts, float)
    s = np.asarray(reward_sums, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        bound = np.where(n > 0, s / n + np.sqrt(2 * np.log(t) / n), np.inf)
    return int(np.argmax(bound))
''',
        ],
        "wrong": {
            "greedy, no bonus": '''
import numpy as np

def ucb_choice(counts, reward_sums, t):
    n = np.asarray(counts, float)
    if (n == 0).any():
        return int(np.flatnonzero(n == 0)[0])
    return int(np.argmax(np.asarray(reward_sums) / n))
''',
            "bonus without the factor 2": '''
import numpy as np

def ucb_choice(counts, reward_sums, t):
    n = np.asarray(counts, float)
    if (n == 0).any():
        return int(np.flatnonzero(n == 0)[0])
    return int(np.argmax(np.asarray(reward_sums) / n + np.sqrt(np.log(t) / n)))
''',
            "reward sums instead of means": '''
import numpy as np

def ucb_choice(counts, reward_sums, t):
    n = np.asarray(counts, float)
    if (n == 0).any():
        return int(np.flatnonzero(n == 0)[0])
    return int(np.argmax(np.asarray(reward_sums) + np.sqrt(2 * np.log(t) / n)))
''',
            "untried arms never chosen first": '''
import numpy as np

def ucb_choice(counts, reward_sums, t):
    n = np.maximum(np.asarray(counts, float), 1)
    return int(np.argmax(np.asarray(reward_sums) / n + np.sqrt(2 * np.log(t) / n)))
''',
        },
    },
}
