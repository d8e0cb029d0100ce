"""Chapter 03: other correct answers and plausible wrong ones, per solution cell.

Each source replaces the whole solution cell. ``tests/test_grading.py`` grades notebooks built
from them through ``make autograde``: every correct one must earn the exercise's points, every
wrong one must lose them.
"""

CASES = {
    "ex1_sigmoid": {
        "correct": [
            '''
import numpy as np

def sigmoid(z):
    z = np.asarray(z, dtype=float)
    return 0.5 * (1.0 + np.tanh(0.5 * z))

def sigmoid_grad(z):
    s = sigmoid(z)
    return s - s * s
''',
            '''
import numpy as np

def sigmoid(z):
    z = np.asarray(z, dtype=np.float32)
    out = np.empty_like(z)
    positive = z >= 0
    out[positive] = 1 / (1 + np.exp(-z[positive]))
    e = np.exp(z[~positive])
    out[~positive] = e / (1 + e)
    return out

def sigmoid_grad(z):
    return sigmoid(z) * sigmoid(-np.asarray(z, dtype=np.float32))
''',
        ],
        "wrong": {
            "textbook form, nan for large z": '''
import numpy as np

def sigmoid(z):
    z = np.asarray(z, dtype=float)
    return np.exp(z) / (1 + np.exp(z))

def sigmoid_grad(z):
    s = sigmoid(z)
    return s * (1 - s)
''',
            "sign of z flipped": '''
import numpy as np

def sigmoid(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, e / (1 + e), 1 / (1 + e))

def sigmoid_grad(z):
    s = sigmoid(z)
    return s * (1 - s)
''',
            "derivative in terms of z, not sigma(z)": '''
import numpy as np

def sigmoid(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))

def sigmoid_grad(z):
    z = np.asarray(z, dtype=float)
    return sigmoid(z) * (1 - z)
''',
            "borrows SciPy's expit": '''
import numpy as np
from scipy.special import expit

def sigmoid(z):
    return expit(np.asarray(z, dtype=float))

def sigmoid_grad(z):
    s = sigmoid(z)
    return s * (1 - s)
''',
        },
    },
    "ex2_cross_entropy": {
        "correct": [
            '''
import numpy as np

def softmax_cross_entropy(logits, targets):
    logits = np.asarray(logits, dtype=np.float64)
    targets = np.asarray(targets, dtype=int)
    n, c = logits.shape
    if np.any((targets < 0) | (targets >= c)):
        raise ValueError("target out of range")
    total = 0.0
    for row, target in zip(logits, targets):
        m = row.max()
        total += m + np.log(np.sum(np.exp(row - m))) - row[target]
    return total / n
''',
            '''
import numpy as np

def softmax_cross_entropy(logits, targets):
    logits = np.asarray(logits, dtype=np.float32)
    targets = np.asarray(targets)
    if not np.all((0 <= targets) & (targets < logits.shape[1])):
        raise ValueError(targets)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    picked = np.take_along_axis(log_probs, targets[:, None], axis=1)
    return float(-picked.mean())
''',
        ],
        "wrong": {
            "no max subtraction: overflows": '''
import numpy as np

def softmax_cross_entropy(logits, targets):
    logits, targets = np.asarray(logits, dtype=float), np.asarray(targets)
    if targets.min() < 0 or targets.max() >= logits.shape[1]:
        raise ValueError("out of range")
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return float(-np.mean(np.log(probs[np.arange(len(targets)), targets])))
''',
            "sum over the batch instead of the mean": '''
import numpy as np

def softmax_cross_entropy(logits, targets):
    logits, targets = np.asarray(logits, dtype=float), np.asarray(targets)
    if targets.min() < 0 or targets.max() >= logits.shape[1]:
        raise ValueError("out of range")
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(shifted).sum(axis=1))
    return float(np.sum(log_norm - shifted[np.arange(len(targets)), targets]))
''',
            "subtracts the global maximum, not each row's": '''
import numpy as np

def softmax_cross_entropy(logits, targets):
    logits, targets = np.asarray(logits, dtype=float), np.asarray(targets)
    if targets.min() < 0 or targets.max() >= logits.shape[1]:
        raise ValueError("out of range")
    shifted = logits - logits.max()
    log_norm = np.log(np.exp(shifted).sum(axis=1))
    return float(np.mean(log_norm - shifted[np.arange(len(targets)), targets]))
''',
            "no range check (negative targets wrap around)": '''
import numpy as np

def softmax_cross_entropy(logits, targets):
    logits, targets = np.asarray(logits, dtype=float), np.asarray(targets)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(shifted).sum(axis=1))
    return float(np.mean(log_norm - shifted[np.arange(len(targets)), targets % logits.shape[1]]))
''',
            "borrows PyTorch": '''
import numpy as np
import torch

def softmax_cross_entropy(logits, targets):
    logits, targets = np.asarray(logits, dtype=float), np.asarray(targets)
    if targets.min() < 0 or targets.max() >= logits.shape[1]:
        raise ValueError("out of range")
    scores, labels = torch.from_numpy(logits), torch.from_numpy(targets)
    return torch.nn.functional.cross_entropy(scores, labels).item()
''',
        },
    },
    "ex3_linear_step": {
        "correct": [
            '''
def linear_regression_step(w, b, x, y, lr):
    n = len(x)
    grad_w = sum(-2 * (yi - (w * xi + b)) * xi for xi, yi in zip(x, y)) / n
    grad_b = sum(-2 * (yi - (w * xi + b)) for xi, yi in zip(x, y)) / n
    return w - lr * grad_w, b - lr * grad_b
''',
            '''
import numpy as np
import torch

def linear_regression_step(w, b, x, y, lr):
    wt = torch.tensor(float(w), dtype=torch.float64, requires_grad=True)
    bt = torch.tensor(float(b), dtype=torch.float64, requires_grad=True)
    x = torch.tensor(np.asarray(x, dtype=float))
    y = torch.tensor(np.asarray(y, dtype=float))
    ((y - (wt * x + bt)) ** 2).mean().backward()
    return (wt - lr * wt.grad).item(), (bt - lr * bt.grad).item()
''',
        ],
        "wrong": {
            "001's sign: gradient ascent": '''
import numpy as np

def linear_regression_step(w, b, x, y, lr):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    residual = y - (w * x + b)
    return float(w + lr * -2 * np.mean(residual * x)), float(b + lr * -2 * np.mean(residual))
''',
            "missing factor 2": '''
import numpy as np

def linear_regression_step(w, b, x, y, lr):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    residual = y - (w * x + b)
    return float(w + lr * np.mean(residual * x)), float(b + lr * np.mean(residual))
''',
            "sum instead of mean": '''
import numpy as np

def linear_regression_step(w, b, x, y, lr):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    residual = y - (w * x + b)
    return float(w + 2 * lr * np.sum(residual * x)), float(b + 2 * lr * np.sum(residual))
''',
            "bias gradient multiplied by x": '''
import numpy as np

def linear_regression_step(w, b, x, y, lr):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    residual = y - (w * x + b)
    grad = -2 * np.mean(residual * x)
    return float(w - lr * grad), float(b - lr * grad)
''',
        },
    },
    "ex4_dense_backward": {
        "correct": [
            '''
import numpy as np

def dense_forward(x, w, b):
    return x @ w + b

def dense_backward(x, w, grad_out):
    grad_x = np.einsum("bo,io->bi", grad_out, w)
    grad_w = np.einsum("bi,bo->io", x, grad_out)
    grad_b = np.einsum("bo->o", grad_out)
    return grad_x, grad_w, grad_b
''',
            '''
import numpy as np

def dense_forward(x, w, b):
    return x @ w + b

def dense_backward(x, w, grad_out):
    x, w, grad_out = (np.asarray(a, dtype=np.float32) for a in (x, w, grad_out))
    grad_w = np.zeros_like(w)
    for row_x, row_g in zip(x, grad_out):
        grad_w += np.outer(row_x, row_g)
    return grad_out @ w.T, grad_w, grad_out.sum(axis=0)
''',
        ],
        "wrong": {
            "grad_w transposed": '''
def dense_forward(x, w, b):
    return x @ w + b

def dense_backward(x, w, grad_out):
    return grad_out @ w.T, grad_out.T @ x, grad_out.sum(axis=0)
''',
            "bias gradient averaged over the batch": '''
def dense_forward(x, w, b):
    return x @ w + b

def dense_backward(x, w, grad_out):
    return grad_out @ w.T, x.T @ grad_out, grad_out.mean(axis=0)
''',
            "grad_x from w instead of its transpose": '''
def dense_forward(x, w, b):
    return x @ w + b

def dense_backward(x, w, grad_out):
    return grad_out @ w, x.T @ grad_out, grad_out.sum(axis=0)
''',
            "bias gradient summed over outputs": '''
def dense_forward(x, w, b):
    return x @ w + b

def dense_backward(x, w, grad_out):
    return grad_out @ w.T, x.T @ grad_out, grad_out.sum(axis=1)
''',
        },
    },
    "ex5_numerical_gradient": {
        "correct": [
            '''
import numpy as np

def numerical_gradient(f, theta, eps=1e-6):
    flat = np.array(theta, dtype=float).ravel()
    grad = np.empty_like(flat)
    for i in range(flat.size):
        up, down = flat.copy(), flat.copy()
        up[i] += eps
        down[i] -= eps
        grad[i] = (f(up.reshape(np.shape(theta))) - f(down.reshape(np.shape(theta)))) / (2 * eps)
    return grad.reshape(np.shape(theta))
''',
            '''
import numpy as np

def numerical_gradient(f, theta, eps=1e-6):
    theta = np.asarray(theta, dtype=float)
    grad = np.zeros(theta.shape)
    it = np.nditer(theta, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        saved = theta[i]
        theta[i] = saved + eps
        plus = float(f(theta))
        theta[i] = saved - eps
        minus = float(f(theta))
        theta[i] = saved
        grad[i] = (plus - minus) / (2 * eps)
    return grad
''',
        ],
        "wrong": {
            "forward differences": '''
import numpy as np

def numerical_gradient(f, theta, eps=1e-6):
    grad = np.zeros_like(theta, dtype=float)
    base = f(theta)
    for index in np.ndindex(theta.shape):
        original = theta[index]
        theta[index] = original + eps
        grad[index] = (f(theta) - base) / eps
        theta[index] = original
    return grad
''',
            "theta not restored": '''
import numpy as np

def numerical_gradient(f, theta, eps=1e-6):
    grad = np.zeros_like(theta, dtype=float)
    for index in np.ndindex(theta.shape):
        original = theta[index]
        theta[index] = original + eps
        up = f(theta)
        theta[index] = original - eps
        down = f(theta)
        grad[index] = (up - down) / (2 * eps)
    return grad
''',
            "divides by eps instead of 2 eps": '''
import numpy as np

def numerical_gradient(f, theta, eps=1e-6):
    grad = np.zeros_like(theta, dtype=float)
    for index in np.ndindex(theta.shape):
        original = theta[index]
        theta[index] = original + eps
        up = f(theta)
        theta[index] = original - eps
        down = f(theta)
        theta[index] = original
        grad[index] = (up - down) / eps
    return grad
''',
            "returns a flat gradient": '''
import numpy as np

def numerical_gradient(f, theta, eps=1e-6):
    flat = theta.ravel().copy()
    grad = []
    for i in range(flat.size):
        step = np.zeros_like(flat)
        step[i] = eps
        grad.append((f((flat + step).reshape(theta.shape)) - f((flat - step).reshape(theta.shape))) / (2 * eps))
    return np.array(grad)
''',
            "ignores eps": '''
import numpy as np

def numerical_gradient(f, theta, eps=1e-6):
    grad = np.zeros_like(theta, dtype=float)
    h = 1e-5
    for index in np.ndindex(theta.shape):
        original = theta[index]
        theta[index] = original + h
        up = f(theta)
        theta[index] = original - h
        down = f(theta)
        theta[index] = original
        grad[index] = (up - down) / (2 * h)
    return grad
''',
        },
    },
    "ex6_embedding": {
        "correct": [
            '''
import numpy as np

def embedding_lookup(table, ids):
    ids = np.asarray(ids, dtype=int)
    for i in ids.ravel():
        if not 0 <= i < len(table):
            raise IndexError(f"bad id {i}")
    return np.take(table, ids, axis=0)
''',
            '''
import numpy as np

def embedding_lookup(table, ids):
    ids = np.asarray(ids)
    flat = ids.reshape(-1)
    bad = flat[(flat < 0) | (flat >= table.shape[0])]
    if len(bad):
        raise IndexError(f"{int(bad[0])} is not an id of a table with {table.shape[0]} rows")
    one_hot = np.eye(table.shape[0])[flat]
    return (one_hot @ table).reshape(ids.shape + (table.shape[1],))
''',
        ],
        "wrong": {
            "accepts negative ids": '''
import numpy as np

def embedding_lookup(table, ids):
    ids = np.asarray(ids)
    if (ids >= table.shape[0]).any():
        raise IndexError(f"id {ids.max()} too large")
    return table[ids]
''',
            "message does not name the id": '''
import numpy as np

def embedding_lookup(table, ids):
    ids = np.asarray(ids)
    if ((ids < 0) | (ids >= table.shape[0])).any():
        raise IndexError("id out of range")
    return table[ids]
''',
            "flattens the result": '''
import numpy as np

def embedding_lookup(table, ids):
    ids = np.asarray(ids).ravel()
    bad = ids[(ids < 0) | (ids >= table.shape[0])]
    if bad.size:
        raise IndexError(f"id {bad[0]}")
    return table[ids]
''',
            "clips bad ids instead of raising": '''
import numpy as np

def embedding_lookup(table, ids):
    return np.take(table, np.asarray(ids), axis=0, mode="clip")
''',
        },
    },
}
