"""Chapter 16: other correct answers and plausible wrong ones, per solution cell.

Each source replaces the whole solution cell. ``tests/test_grading.py`` grades notebooks built
from them through ``make autograde``: every correct one must earn the exercise's points, every
wrong one must lose them.
"""

CASES = {
    "ex1_pointwise_attention": {
        "correct": [
            '''
import torch

def pointwise_attention(q, k, bias, valid):
    batch, n, _ = q.shape
    out = torch.zeros(batch, n, n)
    for b in range(batch):
        for i in range(n):
            for j in range(i + 1):
                if valid[b, j]:
                    score = q[b, i] @ k[b, j] + bias[i, j]
                    out[b, i, j] = score * torch.sigmoid(score) / n
    return out
''',
            '''
import torch
import torch.nn.functional as F

def pointwise_attention(q, k, bias, valid):
    n = q.size(-2)
    scores = torch.einsum("bid,bjd->bij", q, k) + bias
    blocked = torch.triu(torch.ones(n, n, dtype=torch.bool), diagonal=1)[None] | ~valid[:, None, :]
    return F.silu(scores).masked_fill(blocked, 0.0) / n
''',
        ],
        "wrong": {
            "softmax instead of SiLU": '''
import torch

def pointwise_attention(q, k, bias, valid):
    n = q.shape[1]
    scores = q @ k.transpose(1, 2) + bias
    blocked = ~(torch.ones(n, n, dtype=torch.bool).tril()[None] & valid[:, None, :])
    return scores.masked_fill(blocked, float("-inf")).softmax(-1)
''',
            "no causal mask": '''
import torch

def pointwise_attention(q, k, bias, valid):
    n = q.shape[1]
    weights = torch.nn.functional.silu(q @ k.transpose(1, 2) + bias) / n
    return weights * valid[:, None, :]
''',
            "padding masks queries, not keys": '''
import torch

def pointwise_attention(q, k, bias, valid):
    n = q.shape[1]
    weights = torch.nn.functional.silu(q @ k.transpose(1, 2) + bias) / n
    return weights * torch.ones(n, n).tril()[None] * valid[:, :, None]
''',
            "scaled by sqrt(d) instead of divided by n": '''
import math
import torch

def pointwise_attention(q, k, bias, valid):
    n, d = q.shape[1], q.shape[2]
    weights = torch.nn.functional.silu(q @ k.transpose(1, 2) / math.sqrt(d) + bias)
    return weights * torch.ones(n, n).tril()[None] * valid[:, None, :]
''',
            "bias added after the SiLU": '''
import torch

def pointwise_attention(q, k, bias, valid):
    n = q.shape[1]
    weights = (torch.nn.functional.silu(q @ k.transpose(1, 2)) + bias) / n
    return weights * torch.ones(n, n).tril()[None] * valid[:, None, :]
''',
        },
    },
    "ex2_gated_output": {
        "correct": [
            '''
import torch

def gated_output(weights, v, u):
    mixed = torch.bmm(weights, v)
    return torch.nn.functional.layer_norm(mixed, mixed.shape[-1:]) * u
''',
            '''
import torch

def gated_output(weights, v, u):
    mixed = weights @ v
    centred = mixed - mixed.mean(-1, keepdim=True)
    return centred * torch.rsqrt((centred ** 2).mean(-1, keepdim=True) + 1e-5) * u
''',
        ],
        "wrong": {
            "gate before the normalisation": '''
import torch

def gated_output(weights, v, u):
    mixed = (weights @ v) * u
    return torch.nn.functional.layer_norm(mixed, mixed.shape[-1:])
''',
            "normalised over the positions, not the features": '''
import torch

def gated_output(weights, v, u):
    mixed = weights @ v
    mean = mixed.mean(1, keepdim=True)
    var = mixed.var(1, unbiased=False, keepdim=True)
    return (mixed - mean) / torch.sqrt(var + 1e-5) * u
''',
            "no normalisation": '''
def gated_output(weights, v, u):
    return (weights @ v) * u
''',
            "added instead of multiplied by the gate": '''
import torch

def gated_output(weights, v, u):
    mixed = weights @ v
    return torch.nn.functional.layer_norm(mixed, mixed.shape[-1:]) + u
''',
        },
    },
    "ex3_non_embedding": {
        "correct": [
            '''
def sasrec_non_embedding(hidden, num_blocks):
    return num_blocks * (6 * hidden ** 2 + 10 * hidden) + 2 * hidden
''',
            '''
def sasrec_non_embedding(hidden, num_blocks):
    def linear(a, b):
        return a * b + b
    block = linear(hidden, 3 * hidden) + linear(hidden, hidden) + 2 * linear(hidden, hidden)
    block += 2 * 2 * hidden
    return int(num_blocks * block + 2 * hidden)
''',
        ],
        "wrong": {
            "weights only, no biases or norms": '''
def sasrec_non_embedding(hidden, num_blocks):
    return num_blocks * 6 * hidden ** 2
''',
            "forgets the final layer norm": '''
def sasrec_non_embedding(hidden, num_blocks):
    return num_blocks * (6 * hidden ** 2 + 10 * hidden)
''',
            "feed-forward four times wider, as in BERT": '''
def sasrec_non_embedding(hidden, num_blocks):
    ffn = hidden * 4 * hidden + 4 * hidden + 4 * hidden * hidden + hidden
    return num_blocks * (4 * hidden ** 2 + 4 * hidden + ffn + 4 * hidden) + 2 * hidden
''',
            "counts the position table of 50": '''
def sasrec_non_embedding(hidden, num_blocks):
    return num_blocks * (6 * hidden ** 2 + 10 * hidden) + 2 * hidden + 50 * hidden
''',
        },
    },
    "ex4_irreducible_loss": {
        "correct": [
            '''
import numpy as np
from scipy.stats import entropy

def irreducible_loss(probabilities):
    return float(np.mean(entropy(np.asarray(probabilities), axis=1)))
''',
            '''
import numpy as np

def irreducible_loss(probabilities):
    p = np.asarray(probabilities, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log(p), 0.0)
    return float(-terms.sum() / len(p))
''',
        ],
        "wrong": {
            "log base 2": '''
import numpy as np

def irreducible_loss(probabilities):
    p = np.asarray(probabilities, dtype=float)
    terms = np.where(p > 0, p * np.log2(np.where(p > 0, p, 1.0)), 0.0)
    return float(-terms.sum(axis=1).mean())
''',
            "sum over rows instead of the mean": '''
import numpy as np

def irreducible_loss(probabilities):
    p = np.asarray(probabilities, dtype=float)
    terms = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    return float(-terms.sum())
''',
            "entropy of the average distribution": '''
import numpy as np

def irreducible_loss(probabilities):
    p = np.asarray(probabilities, dtype=float).mean(axis=0)
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())
''',
            "log of the number of possible items": '''
import numpy as np

def irreducible_loss(probabilities):
    p = np.asarray(probabilities, dtype=float)
    return float(np.log((p > 0).sum(axis=1)).mean())
''',
        },
    },
    "ex5_fit_power_law": {
        "correct": [
            '''
import numpy as np
from scipy.optimize import least_squares

def fit_power_law(compute, loss):
    compute = np.asarray(compute, float)
    loss = np.asarray(loss, float)
    x = np.log(compute / compute.min())

    def residual(p):
        return p[0] + np.exp(p[1] - p[2] * x) - loss

    start = [0.9 * loss.min(), np.log(loss.max() - 0.9 * loss.min()), 0.5]
    fit = least_squares(residual, start, bounds=([0, -50, 0], [loss.min(), 50, 10]),
                        xtol=1e-14, ftol=1e-14, gtol=1e-14)
    E, log_a, alpha = fit.x
    return float(E), float(np.exp(log_a) * compute.min() ** alpha), float(alpha)
''',
            '''
import numpy as np

def fit_power_law(compute, loss):
    compute = np.asarray(compute, float)
    loss = np.asarray(loss, float)
    logc = np.log(compute)
    best = None
    for E in np.linspace(0, loss.min() - 1e-9, 4001):
        slope, intercept = np.polyfit(logc, np.log(loss - E), 1)
        error = ((E + np.exp(intercept + slope * logc) - loss) ** 2).sum()
        if best is None or error < best[0]:
            best = (error, E, np.exp(intercept), -slope)
    return float(best[1]), float(best[2]), float(best[3])
''',
        ],
        "wrong": {
            "no offset: a straight line on log-log axes": '''
import numpy as np

def fit_power_law(compute, loss):
    slope, intercept = np.polyfit(np.log(compute), np.log(loss), 1)
    return 0.0, float(np.exp(intercept)), float(-slope)
''',
            "returns the exponent with its sign": '''
import numpy as np
from scipy.optimize import curve_fit

def fit_power_law(compute, loss):
    compute, loss = np.asarray(compute, float), np.asarray(loss, float)
    scale = compute.min()
    law = lambda x, E, A, alpha: E + A * x ** (-alpha)
    (E, A, alpha), _ = curve_fit(law, compute / scale, loss,
                                 p0=(0.9 * loss.min(), 1.0, 0.5),
                                 bounds=([0, 0, 0], [loss.min(), np.inf, 10]))
    return float(E), float(A * scale ** alpha), float(-alpha)
''',
            "A left in the rescaled units": '''
import numpy as np
from scipy.optimize import curve_fit

def fit_power_law(compute, loss):
    compute, loss = np.asarray(compute, float), np.asarray(loss, float)
    scale = compute.min()
    law = lambda x, E, A, alpha: E + A * x ** (-alpha)
    (E, A, alpha), _ = curve_fit(law, compute / scale, loss,
                                 p0=(0.9 * loss.min(), 1.0, 0.5),
                                 bounds=([0, 0, 0], [loss.min(), np.inf, 10]))
    return float(E), float(A), float(alpha)
''',
            "offset fixed at the smallest loss": '''
import numpy as np

def fit_power_law(compute, loss):
    compute, loss = np.asarray(compute, float), np.asarray(loss, float)
    E = loss.min()
    keep = loss > E
    slope, intercept = np.polyfit(np.log(compute[keep]), np.log(loss[keep] - E), 1)
    return float(E), float(np.exp(intercept)), float(-slope)
''',
        },
    },
    "ex6_compute_optimal": {
        "correct": [
            '''
import math

def compute_optimal(budget, sizes, tokens_per_epoch, law, max_epochs):
    options = []
    for size in sizes:
        epochs = min(math.floor(budget / (6 * size * tokens_per_epoch)), max_epochs)
        if epochs >= 1:
            d = epochs * tokens_per_epoch
            loss = law["E"] + law["A"] / size ** law["a"] + law["B"] / d ** law["b"]
            options.append((loss, size, epochs))
    loss, size, epochs = min(options)
    return size, epochs, loss
''',
            '''
import numpy as np

def compute_optimal(budget, sizes, tokens_per_epoch, law, max_epochs):
    sizes = np.sort(np.asarray(sizes, dtype=float))
    epochs = np.minimum(np.floor(budget / (6 * sizes * tokens_per_epoch)), max_epochs)
    ok = epochs >= 1
    sizes, epochs = sizes[ok], epochs[ok]
    loss = law["E"] + law["A"] * sizes ** -law["a"] + law["B"] * (epochs * tokens_per_epoch) ** -law["b"]
    best = int(np.argmin(loss))
    return int(sizes[best]), int(epochs[best]), float(loss[best])
''',
        ],
        "wrong": {
            "forgets the 6 of 6ND": '''
def compute_optimal(budget, sizes, tokens_per_epoch, law, max_epochs):
    best = None
    for size in sorted(sizes):
        epochs = min(int(budget // (size * tokens_per_epoch)), max_epochs)
        if epochs < 1:
            continue
        loss = law["E"] + law["A"] * size ** -law["a"] + law["B"] * (epochs * tokens_per_epoch) ** -law["b"]
        if best is None or loss < best[2]:
            best = (size, epochs, loss)
    return best
''',
            "rounds the epochs up, past the budget": '''
import math

def compute_optimal(budget, sizes, tokens_per_epoch, law, max_epochs):
    best = None
    for size in sorted(sizes):
        epochs = min(math.ceil(budget / (6 * size * tokens_per_epoch)), max_epochs)
        loss = law["E"] + law["A"] * size ** -law["a"] + law["B"] * (epochs * tokens_per_epoch) ** -law["b"]
        if best is None or loss < best[2]:
            best = (size, epochs, loss)
    return best
''',
            "always the largest affordable size": '''
def compute_optimal(budget, sizes, tokens_per_epoch, law, max_epochs):
    for size in sorted(sizes, reverse=True):
        epochs = min(int(budget // (6 * size * tokens_per_epoch)), max_epochs)
        if epochs >= 1:
            loss = law["E"] + law["A"] * size ** -law["a"] + law["B"] * (epochs * tokens_per_epoch) ** -law["b"]
            return size, epochs, loss
''',
            "data term uses one epoch's tokens": '''
def compute_optimal(budget, sizes, tokens_per_epoch, law, max_epochs):
    best = None
    for size in sorted(sizes):
        epochs = min(int(budget // (6 * size * tokens_per_epoch)), max_epochs)
        if epochs < 1:
            continue
        loss = law["E"] + law["A"] * size ** -law["a"] + law["B"] * tokens_per_epoch ** -law["b"]
        if best is None or loss < best[2]:
            best = (size, epochs, loss)
    return best
''',
        },
    },
}
