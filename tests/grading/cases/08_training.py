"""Chapter 08: other correct answers and plausible wrong ones, per solution cell.

Each source replaces the whole solution cell. ``tests/test_grading.py`` grades notebooks built
from them through ``make autograde``: every correct one must earn the exercise's points, every
wrong one must lose them.
"""

CASES = {
    "ex1_batches": {
        "correct": [
            '''
import numpy as np

def epoch_batches(num_examples, batch_size, seed, epoch):
    rng = np.random.default_rng([seed, epoch])
    order = rng.permutation(num_examples)
    count = -(-num_examples // batch_size)
    return [order[i * batch_size : (i + 1) * batch_size] for i in range(count)]
''',
            '''
import numpy as np

def epoch_batches(num_examples, batch_size, seed, epoch):
    order = np.random.default_rng([seed, epoch]).permutation(np.arange(num_examples))
    cuts = np.arange(batch_size, num_examples, batch_size)
    return list(np.split(order, cuts))
''',
        ],
        "wrong": {
            "global generator seeded once": '''
import numpy as np

def epoch_batches(num_examples, batch_size, seed, epoch):
    np.random.seed(seed + epoch)
    order = np.random.permutation(num_examples)
    return [order[s : s + batch_size] for s in range(0, num_examples, batch_size)]
''',
            "same order every epoch": '''
import numpy as np

def epoch_batches(num_examples, batch_size, seed, epoch):
    order = np.random.default_rng(seed).permutation(num_examples)
    return [order[s : s + batch_size] for s in range(0, num_examples, batch_size)]
''',
            "drops the last, shorter batch": '''
import numpy as np

def epoch_batches(num_examples, batch_size, seed, epoch):
    order = np.random.default_rng([seed, epoch]).permutation(num_examples)
    full = num_examples // batch_size
    return [order[i * batch_size : (i + 1) * batch_size] for i in range(full)]
''',
            "array_split into equal-ish parts": '''
import numpy as np

def epoch_batches(num_examples, batch_size, seed, epoch):
    order = np.random.default_rng([seed, epoch]).permutation(num_examples)
    return np.array_split(order, -(-num_examples // batch_size))
''',
        },
    },
    "ex2_popularity": {
        "correct": [
            '''
import numpy as np

def popularity_probabilities(counts, alpha):
    weights = np.power(np.asarray(counts, dtype=float), alpha)
    return weights / np.sum(weights)
''',
            '''
import numpy as np

def popularity_probabilities(counts, alpha):
    counts = np.asarray(counts, dtype=np.float64)
    if alpha == 0:
        return np.full(counts.shape, 1.0 / counts.size)
    logw = np.where(counts > 0, alpha * np.log(np.maximum(counts, 1e-300)), -np.inf)
    w = np.exp(logw - logw.max())
    return w / w.sum()
''',
        ],
        "wrong": {
            "normalises before the power": '''
import numpy as np

def popularity_probabilities(counts, alpha):
    counts = np.asarray(counts, dtype=float)
    return (counts / counts.sum()) ** alpha
''',
            "multiplies by alpha": '''
import numpy as np

def popularity_probabilities(counts, alpha):
    weights = np.asarray(counts, dtype=float) * alpha
    return weights / weights.sum() if weights.sum() else np.ones(len(weights)) / len(weights)
''',
            "add-one smoothing": '''
import numpy as np

def popularity_probabilities(counts, alpha):
    weights = (np.asarray(counts, dtype=float) + 1) ** alpha
    return weights / weights.sum()
''',
            "ignores alpha": '''
import numpy as np

def popularity_probabilities(counts, alpha):
    counts = np.asarray(counts, dtype=float)
    return counts / counts.sum()
''',
        },
    },
    "ex3_softmax_grad": {
        "correct": [
            '''
import numpy as np

def softmax_xent_grad(logits, targets):
    z = np.asarray(logits, dtype=np.float64)
    log_probs = z - z.max(axis=1, keepdims=True)
    log_probs -= np.log(np.exp(log_probs).sum(axis=1, keepdims=True))
    one_hot = np.eye(z.shape[1])[np.asarray(targets)]
    return (np.exp(log_probs) - one_hot) / z.shape[0]
''',
            '''
import numpy as np
from scipy.special import logsumexp

def softmax_xent_grad(logits, targets):
    z = np.asarray(logits, dtype=np.float64)
    grad = np.exp(z - logsumexp(z, axis=1, keepdims=True))
    for row, target in enumerate(np.asarray(targets)):
        grad[row, target] -= 1
    return grad / len(z)
''',
        ],
        "wrong": {
            "sum instead of mean over the batch": '''
import numpy as np

def softmax_xent_grad(logits, targets):
    z = np.asarray(logits, dtype=np.float64)
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(len(z)), targets] -= 1
    return p
''',
            "one-hot minus softmax (the sign flipped)": '''
import numpy as np

def softmax_xent_grad(logits, targets):
    z = np.asarray(logits, dtype=np.float64)
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    one_hot = np.eye(z.shape[1])[targets]
    return (one_hot - p) / len(z)
''',
            "naive exp overflows": '''
import numpy as np

def softmax_xent_grad(logits, targets):
    z = np.asarray(logits, dtype=np.float64)
    with np.errstate(all="ignore"):
        p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    p[np.arange(len(z)), targets] -= 1
    return p / len(z)
''',
            "softmax over the batch axis": '''
import numpy as np

def softmax_xent_grad(logits, targets):
    z = np.asarray(logits, dtype=np.float64)
    p = np.exp(z - z.max(axis=0, keepdims=True))
    p /= p.sum(axis=0, keepdims=True)
    p[np.arange(len(z)), targets] -= 1
    return p / len(z)
''',
        },
    },
    "ex4_sampled_softmax": {
        "correct": [
            '''
import numpy as np
from scipy.special import logsumexp

def sampled_softmax_loss(logits, log_q):
    corrected = np.asarray(logits, dtype=float) - np.asarray(log_q, dtype=float)
    return float(np.mean(logsumexp(corrected, axis=1) - corrected[:, 0]))
''',
            '''
import math
import numpy as np

def sampled_softmax_loss(logits, log_q):
    total = 0.0
    for row, lq in zip(np.asarray(logits, dtype=float), np.asarray(log_q, dtype=float)):
        c = row - lq
        top = c.max()
        total += top + math.log(np.exp(c - top).sum()) - c[0]
    return total / len(logits)
''',
        ],
        "wrong": {
            "adds log_q": '''
import numpy as np
from scipy.special import logsumexp

def sampled_softmax_loss(logits, log_q):
    corrected = np.asarray(logits, dtype=float) + np.asarray(log_q, dtype=float)
    return float(np.mean(logsumexp(corrected, axis=1) - corrected[:, 0]))
''',
            "no correction": '''
import numpy as np
from scipy.special import logsumexp

def sampled_softmax_loss(logits, log_q):
    z = np.asarray(logits, dtype=float)
    return float(np.mean(logsumexp(z, axis=1) - z[:, 0]))
''',
            "positive column left uncorrected": '''
import numpy as np
from scipy.special import logsumexp

def sampled_softmax_loss(logits, log_q):
    c = np.asarray(logits, dtype=float) - np.asarray(log_q, dtype=float)
    c[:, 0] = np.asarray(logits, dtype=float)[:, 0]
    return float(np.mean(logsumexp(c, axis=1) - c[:, 0]))
''',
            "unstable exponentials": '''
import numpy as np

def sampled_softmax_loss(logits, log_q):
    c = np.asarray(logits, dtype=float) - np.asarray(log_q, dtype=float)
    with np.errstate(all="ignore"):
        return float(np.mean(np.log(np.exp(c).sum(axis=1)) - c[:, 0]))
''',
            "sum over rows": '''
import numpy as np
from scipy.special import logsumexp

def sampled_softmax_loss(logits, log_q):
    c = np.asarray(logits, dtype=float) - np.asarray(log_q, dtype=float)
    return float(np.sum(logsumexp(c, axis=1) - c[:, 0]))
''',
        },
    },
    "ex5_adamw": {
        "correct": [
            '''
import numpy as np

def adamw_step(param, grad, m, v, step, *, lr, weight_decay, betas=(0.9, 0.999), eps=1e-8):
    b1, b2 = betas
    g = np.asarray(grad, dtype=float)
    m = b1 * np.asarray(m, dtype=float) + (1 - b1) * g
    v = b2 * np.asarray(v, dtype=float) + (1 - b2) * g * g
    update = (m / (1 - b1**step)) / (np.sqrt(v / (1 - b2**step)) + eps)
    param = np.asarray(param, dtype=float)
    return param - lr * weight_decay * param - lr * update, m, v
''',
            '''
import numpy as np

def adamw_step(param, grad, m, v, step, *, lr, weight_decay, betas=(0.9, 0.999), eps=1e-8):
    beta1, beta2 = betas
    new_m = beta1 * m + (1.0 - beta1) * grad
    new_v = beta2 * v + (1.0 - beta2) * np.square(grad)
    step_size = lr / (1.0 - beta1**step)
    denom = np.sqrt(new_v) / np.sqrt(1.0 - beta2**step) + eps
    decayed = np.multiply(param, 1.0 - lr * weight_decay)
    return decayed - step_size * new_m / denom, new_m, new_v
''',
        ],
        "wrong": {
            "L2 added to the gradient (Adam, not AdamW)": '''
import numpy as np

def adamw_step(param, grad, m, v, step, *, lr, weight_decay, betas=(0.9, 0.999), eps=1e-8):
    b1, b2 = betas
    g = np.asarray(grad, dtype=float) + weight_decay * np.asarray(param, dtype=float)
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g**2
    return param - lr * (m / (1 - b1**step)) / (np.sqrt(v / (1 - b2**step)) + eps), m, v
''',
            "decay not scaled by lr": '''
import numpy as np

def adamw_step(param, grad, m, v, step, *, lr, weight_decay, betas=(0.9, 0.999), eps=1e-8):
    b1, b2 = betas
    param = np.asarray(param, dtype=float) * (1 - weight_decay)
    m = b1 * m + (1 - b1) * grad
    v = b2 * v + (1 - b2) * np.square(grad)
    return param - lr * (m / (1 - b1**step)) / (np.sqrt(v / (1 - b2**step)) + eps), m, v
''',
            "no bias correction": '''
import numpy as np

def adamw_step(param, grad, m, v, step, *, lr, weight_decay, betas=(0.9, 0.999), eps=1e-8):
    b1, b2 = betas
    param = np.asarray(param, dtype=float) * (1 - lr * weight_decay)
    m = b1 * m + (1 - b1) * grad
    v = b2 * v + (1 - b2) * np.square(grad)
    return param - lr * m / (np.sqrt(v) + eps), m, v
''',
            "no weight decay at all": '''
import numpy as np

def adamw_step(param, grad, m, v, step, *, lr, weight_decay, betas=(0.9, 0.999), eps=1e-8):
    b1, b2 = betas
    m = b1 * m + (1 - b1) * grad
    v = b2 * v + (1 - b2) * np.square(grad)
    return param - lr * (m / (1 - b1**step)) / (np.sqrt(v / (1 - b2**step)) + eps), m, v
''',
        },
    },
    "ex6_early_stop": {
        "correct": [
            '''
def should_stop(scores, patience, min_delta=0.0):
    best, since = float("-inf"), 0
    for score in scores:
        if score > best + min_delta:
            best, since = score, 0
        else:
            since += 1
    return bool(scores) and since >= patience
''',
            '''
import math

def should_stop(scores, patience, min_delta=0.0):
    improving = []
    best = -math.inf
    for epoch, score in enumerate(scores):
        if score - min_delta > best:
            best = score
            improving.append(epoch)
    return bool(improving) and (len(scores) - 1 - improving[-1]) >= patience
''',
        ],
        "wrong": {
            "compares with the previous epoch": '''
def should_stop(scores, patience, min_delta=0.0):
    since = 0
    for previous, score in zip(scores, scores[1:]):
        since = 0 if score > previous + min_delta else since + 1
    return since >= patience
''',
            "compares with the maximum, ignoring min_delta": '''
def should_stop(scores, patience, min_delta=0.0):
    if not scores:
        return False
    best_epoch = max(range(len(scores)), key=lambda e: (scores[e], -e))
    return len(scores) - 1 - best_epoch >= patience
''',
            "off by one (patience + 1 epochs)": '''
def should_stop(scores, patience, min_delta=0.0):
    best, best_epoch = float("-inf"), None
    for epoch, score in enumerate(scores):
        if score > best + min_delta:
            best, best_epoch = score, epoch
    return best_epoch is not None and len(scores) - 1 - best_epoch > patience
''',
            "a tie counts as an improvement": '''
def should_stop(scores, patience, min_delta=0.0):
    best, best_epoch = float("-inf"), None
    for epoch, score in enumerate(scores):
        if score >= best + min_delta:
            best, best_epoch = score, epoch
    return best_epoch is not None and len(scores) - 1 - best_epoch >= patience
''',
        },
    },
}
