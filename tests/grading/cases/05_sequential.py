"""Chapter 05: other correct answers and plausible wrong ones, per solution cell.

Each source replaces the whole solution cell. ``tests/test_grading.py`` grades notebooks built
from them through ``make autograde``: every correct one must earn the exercise's points, every
wrong one must lose them.
"""

CASES = {
    "ex1_next_item_metrics": {
        "correct": [
            '''
import math

def next_item_metrics(scores, target, seen, k):
    seen = set(int(s) for s in seen)
    target_score = scores[target]
    rank = 1
    for item, score in enumerate(scores):
        if item == target or item in seen:
            continue
        if score > target_score or (score == target_score and item < target):
            rank += 1
    if rank <= k:
        return 1.0, math.log(2) / math.log(rank + 1)
    return 0.0, 0.0
''',
            '''
import numpy as np

def next_item_metrics(scores, target, seen, k):
    scores = np.asarray(scores, dtype=np.float32).copy()
    target_score = scores[target]
    scores[list(seen)] = -np.inf
    order = np.argsort(-scores, kind="stable")
    rank = int(np.flatnonzero(order == target)[0]) + 1
    hit = float(rank <= k)
    return hit, hit / float(np.log2(rank + 1))
''',
            '''
import numpy as np

def next_item_metrics(scores, target, seen, k):
    keep = np.setdiff1d(np.arange(len(scores)), np.asarray(seen, dtype=int))
    s = np.asarray(scores)[keep]
    position = int(np.searchsorted(keep, target))
    rank = 1 + int((s > s[position]).sum()) + int((s[:position] == s[position]).sum())
    return (1.0, 1.0 / np.log2(1.0 + rank)) if rank <= k else (0.0, 0.0)
''',
        ],
        "wrong": {
            "does not remove seen items": '''
import numpy as np

def next_item_metrics(scores, target, seen, k):
    scores = np.asarray(scores, dtype=float)
    rank = 1 + int((scores > scores[target]).sum())
    rank += int(((scores == scores[target]) & (np.arange(scores.size) < target)).sum())
    return (1.0, float(1 / np.log2(rank + 1))) if rank <= k else (0.0, 0.0)
''',
            "ties in favour of the target": '''
import numpy as np

def next_item_metrics(scores, target, seen, k):
    scores = np.asarray(scores, dtype=float)
    keep = np.ones(scores.size, dtype=bool)
    keep[list(seen)] = False
    rank = 1 + int((keep & (scores > scores[target])).sum())
    return (1.0, float(1 / np.log2(rank + 1))) if rank <= k else (0.0, 0.0)
''',
            "NDCG off by one (1 / log2(rank))": '''
import numpy as np

def next_item_metrics(scores, target, seen, k):
    scores = np.asarray(scores, dtype=float)
    keep = np.ones(scores.size, dtype=bool)
    keep[list(seen)] = False
    tied = (scores == scores[target]) & (np.arange(scores.size) < target)
    rank = 1 + int((keep & ((scores > scores[target]) | tied)).sum())
    if rank > k:
        return 0.0, 0.0
    return 1.0, (1.0 if rank == 1 else float(1 / np.log2(rank)))
''',
            "hit only when rank < k": '''
import numpy as np

def next_item_metrics(scores, target, seen, k):
    scores = np.asarray(scores, dtype=float)
    keep = np.ones(scores.size, dtype=bool)
    keep[list(seen)] = False
    tied = (scores == scores[target]) & (np.arange(scores.size) < target)
    rank = 1 + int((keep & ((scores > scores[target]) | tied)).sum())
    return (1.0, float(1 / np.log2(rank + 1))) if rank < k else (0.0, 0.0)
''',
            "borrows the course's next_item_ranks": '''
import numpy as np
from recsys_helpers.evaluation import next_item_ranks

def next_item_metrics(scores, target, seen, k):
    rank = next_item_ranks(np.asarray(scores)[None], [target], exclude=[list(seen)])[0]
    return (1.0, float(1 / np.log2(rank + 1))) if rank <= k else (0.0, 0.0)
''',
            "borrows the course's top_k_items (imported later in the notebook)": '''
import numpy as np
import recsys_helpers.evaluation as ev

def next_item_metrics(scores, target, seen, k):
    exclude = np.zeros((1, len(scores)))
    exclude[0, list(seen)] = 1
    top = ev.top_k_items(np.asarray(scores)[None], k, exclude=exclude)[0].tolist()
    if target not in top:
        return 0.0, 0.0
    return 1.0, float(1 / np.log2(top.index(target) + 2))
''',
        },
    },
    "ex2_pairs": {
        "correct": [
            '''
def next_item_pairs(tokens):
    inputs = tokens[:, :-1].clone()
    targets = tokens[:, 1:].masked_fill(inputs == 0, -100)
    return inputs, targets
''',
            '''
import torch

def next_item_pairs(tokens):
    inputs, targets = tokens[:, :-1], tokens[:, 1:]
    return inputs, torch.where(inputs != 0, targets, torch.full_like(targets, -100))
''',
        ],
        "wrong": {
            "masks where the target is padding": '''
def next_item_pairs(tokens):
    inputs = tokens[:, :-1]
    targets = tokens[:, 1:].clone()
    targets[targets == 0] = -100
    return inputs, targets
''',
            "edits the tokens in place (no copy)": '''
def next_item_pairs(tokens):
    inputs = tokens[:, :-1]
    targets = tokens[:, 1:]
    targets[inputs == 0] = -100
    return inputs, targets
''',
            "shifts the wrong way": '''
def next_item_pairs(tokens):
    inputs = tokens[:, 1:]
    targets = tokens[:, :-1].clone()
    targets[inputs == 0] = -100
    return inputs, targets
''',
            "marks padding with 0 instead of -100": '''
def next_item_pairs(tokens):
    inputs = tokens[:, :-1]
    targets = tokens[:, 1:].clone()
    targets[inputs == 0] = 0
    return inputs, targets
''',
        },
    },
    "ex3_mask": {
        "correct": [
            '''
import torch

def causal_mask(length):
    positions = torch.arange(length)
    return positions[None, :] > positions[:, None]
''',
            '''
import numpy as np
import torch

def causal_mask(length):
    return torch.from_numpy(~np.tril(np.ones((length, length), dtype=bool)))
''',
        ],
        "wrong": {
            "borrows the course's causal_attention_mask": '''
from recsys_helpers.models.sequential import causal_attention_mask

causal_mask = causal_attention_mask
''',
            "transposed (blocks the past)": '''
import torch

def causal_mask(length):
    return torch.tril(torch.ones(length, length, dtype=torch.bool), diagonal=-1)
''',
            "blocks the diagonal too": '''
import torch

def causal_mask(length):
    return torch.triu(torch.ones(length, length, dtype=torch.bool), diagonal=0)
''',
            "True = may attend (the opposite convention)": '''
import torch

def causal_mask(length):
    return torch.tril(torch.ones(length, length, dtype=torch.bool))
''',
            "a float 0/1 mask": '''
import torch

def causal_mask(length):
    return torch.triu(torch.ones(length, length), diagonal=1)
''',
        },
    },
    "ex4_attention": {
        "correct": [
            '''
import math
import torch

def masked_attention(q, k, v, blocked):
    q, k, v = q.float(), k.float(), v.float()
    scores = torch.einsum("bid,bjd->bij", q, k) / math.sqrt(q.size(-1))
    scores = torch.where(blocked, torch.tensor(float("-inf")), scores)
    weights = torch.exp(scores - scores.max(dim=-1, keepdim=True).values)
    weights = weights / weights.sum(dim=-1, keepdim=True)
    return torch.bmm(weights, v)
''',
            '''
import torch

def masked_attention(q, k, v, blocked):
    d = q.shape[-1]
    scores = torch.matmul(q, k.transpose(1, 2)) * d ** -0.5
    scores = scores + torch.zeros_like(scores).masked_fill(blocked, -float("inf"))
    return torch.nn.functional.softmax(scores, dim=2).matmul(v)
''',
        ],
        "wrong": {
            "borrows scaled_dot_product_attention": '''
import torch.nn.functional as F

def masked_attention(q, k, v, blocked):
    return F.scaled_dot_product_attention(q, k, v, attn_mask=~blocked)
''',
            "no scaling by sqrt(d)": '''
import torch

def masked_attention(q, k, v, blocked):
    scores = (q @ k.transpose(-2, -1)).masked_fill(blocked, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v
''',
            "softmax over the query axis": '''
import torch

def masked_attention(q, k, v, blocked):
    scores = q @ k.transpose(-2, -1) / q.shape[-1] ** 0.5
    scores = scores.masked_fill(blocked, float("-inf"))
    return torch.softmax(scores, dim=-2).nan_to_num() @ v
''',
            "mask applied inverted": '''
import torch

def masked_attention(q, k, v, blocked):
    scores = q @ k.transpose(-2, -1) / q.shape[-1] ** 0.5
    scores = scores.masked_fill(~blocked, float("-inf"))
    return torch.softmax(scores, dim=-1).nan_to_num() @ v
''',
            "ignores the given mask and builds a causal one": '''
import torch

def masked_attention(q, k, v, blocked):
    n = q.shape[1]
    own = torch.ones(n, n, dtype=torch.bool).triu(diagonal=1)
    scores = (q @ k.transpose(-2, -1) / q.shape[-1] ** 0.5).masked_fill(own, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v
''',
            "scales by the sequence length": '''
import torch

def masked_attention(q, k, v, blocked):
    scores = q @ k.transpose(-2, -1) / q.shape[1] ** 0.5
    scores = scores.masked_fill(blocked, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v
''',
        },
    },
    "ex5_positions": {
        "correct": [
            '''
import math
import torch

def sinusoidal_positions(length, dim):
    if dim % 2 != 0:
        raise ValueError("dim must be even")
    pe = torch.zeros(length, dim)
    position = torch.arange(length, dtype=torch.float32).unsqueeze(1)
    div_term = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10000.0) / dim))
    pe[:, 0::2] = torch.sin(position * div_term)
    pe[:, 1::2] = torch.cos(position * div_term)
    return pe
''',
            '''
import math
import torch

def sinusoidal_positions(length, dim):
    if dim % 2 == 1:
        raise ValueError(dim)
    rows = []
    for p in range(length):
        row = []
        for i in range(dim // 2):
            angle = p / 10000 ** (2 * i / dim)
            row += [math.sin(angle), math.cos(angle)]
        rows.append(row)
    return torch.tensor(rows, dtype=torch.float64).reshape(length, dim)
''',
        ],
        "wrong": {
            "sine and cosine swapped": '''
import torch

def sinusoidal_positions(length, dim):
    if dim % 2:
        raise ValueError(dim)
    angle = torch.arange(length)[:, None] / 10000 ** (torch.arange(0, dim, 2) / dim)
    pe = torch.zeros(length, dim)
    pe[:, 0::2], pe[:, 1::2] = torch.cos(angle), torch.sin(angle)
    return pe
''',
            "exponent i/d instead of 2i/d": '''
import torch

def sinusoidal_positions(length, dim):
    if dim % 2:
        raise ValueError(dim)
    angle = torch.arange(length)[:, None] / 10000 ** (torch.arange(dim // 2) / dim)
    pe = torch.zeros(length, dim)
    pe[:, 0::2], pe[:, 1::2] = torch.sin(angle), torch.cos(angle)
    return pe
''',
            "sines and cosines in two halves": '''
import torch

def sinusoidal_positions(length, dim):
    if dim % 2:
        raise ValueError(dim)
    angle = torch.arange(length)[:, None] / 10000 ** (torch.arange(0, dim, 2) / dim)
    return torch.cat([torch.sin(angle), torch.cos(angle)], dim=1)
''',
            "positions start at 1": '''
import torch

def sinusoidal_positions(length, dim):
    if dim % 2:
        raise ValueError(dim)
    angle = torch.arange(1, length + 1)[:, None] / 10000 ** (torch.arange(0, dim, 2) / dim)
    pe = torch.zeros(length, dim)
    pe[:, 0::2], pe[:, 1::2] = torch.sin(angle), torch.cos(angle)
    return pe
''',
            "no ValueError for an odd dim": '''
import torch

def sinusoidal_positions(length, dim):
    angle = torch.arange(length)[:, None] / 10000 ** (torch.arange(0, dim, 2) / dim)
    pe = torch.zeros(length, 2 * angle.shape[1])
    pe[:, 0::2], pe[:, 1::2] = torch.sin(angle), torch.cos(angle)
    return pe[:, :dim]
''',
        },
    },
}
