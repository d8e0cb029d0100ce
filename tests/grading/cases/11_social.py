"""Chapter 11: other correct answers and plausible wrong ones, per solution cell.

Each source replaces the whole solution cell. ``tests/test_grading.py`` grades notebooks built
from them through ``make autograde``: every correct one must earn the exercise's points, every
wrong one must lose them.
"""

CASES = {
    "ex1_homophily": {
        "correct": [
            '''
def homophily_ratio(interests, follower_ids, followee_ids):
    x = np.asarray(interests, dtype=float)
    norms = np.sqrt((x ** 2).sum(axis=1))
    n = len(x)
    def cos(i, j):
        return float(x[i] @ x[j] / (norms[i] * norms[j]))
    edges = [cos(a, b) for a, b in zip(follower_ids, followee_ids)]
    pairs = [cos(i, j) for i in range(n) for j in range(n) if i != j]
    return float(np.mean(edges) / np.mean(pairs))
''',
            '''
def homophily_ratio(interests, follower_ids, followee_ids):
    x = np.asarray(interests, dtype=float)
    x = x / np.linalg.norm(x, axis=1)[:, None]
    c = x @ x.T
    mask = ~np.eye(len(x), dtype=bool)
    return float(c[list(follower_ids), list(followee_ids)].mean() / c[mask].mean())
''',
        ],
        "wrong": {
            "includes self-pairs": '''
def homophily_ratio(interests, follower_ids, followee_ids):
    x = np.asarray(interests, dtype=float)
    x = x / np.linalg.norm(x, axis=1, keepdims=True)
    c = x @ x.T
    return float(c[np.asarray(follower_ids), np.asarray(followee_ids)].mean() / c.mean())
''',
            "dot products instead of cosines": '''
def homophily_ratio(interests, follower_ids, followee_ids):
    x = np.asarray(interests, dtype=float)
    c = x @ x.T
    n = len(x)
    others = (c.sum() - np.trace(c)) / (n * (n - 1))
    return float(c[np.asarray(follower_ids), np.asarray(followee_ids)].mean() / others)
''',
            "difference instead of ratio": '''
def homophily_ratio(interests, follower_ids, followee_ids):
    x = np.asarray(interests, dtype=float)
    x = x / np.linalg.norm(x, axis=1, keepdims=True)
    c = x @ x.T
    n = len(x)
    others = (c.sum() - np.trace(c)) / (n * (n - 1))
    return float(c[np.asarray(follower_ids), np.asarray(followee_ids)].mean() - others)
''',
        },
    },
    "ex2_decayed_popularity": {
        "correct": [
            '''
def decayed_popularity(post_ids, times, now, half_life_hours, num_posts):
    out = np.zeros(num_posts)
    for post, t in zip(post_ids, times):
        if t < now:
            out[post] += 2.0 ** (-(now - t) / (3600.0 * half_life_hours))
    return out
''',
            '''
def decayed_popularity(post_ids, times, now, half_life_hours, num_posts):
    frame = pd.DataFrame({"post": np.asarray(post_ids, dtype=int),
                          "time": np.asarray(times, dtype=float)})
    frame = frame[frame["time"] < now]
    rate = np.log(2) / (half_life_hours * 3600)
    weights = np.exp(-rate * (now - frame["time"]))
    sums = weights.groupby(frame["post"]).sum()
    return sums.reindex(range(num_posts), fill_value=0.0).to_numpy()
''',
        ],
        "wrong": {
            "counts interactions at now": '''
def decayed_popularity(post_ids, times, now, half_life_hours, num_posts):
    post_ids = np.asarray(post_ids, dtype=int)
    times = np.asarray(times, dtype=float)
    past = times <= now
    w = 0.5 ** ((now - times[past]) / (half_life_hours * 3600.0))
    return np.bincount(post_ids[past], weights=w, minlength=num_posts)
''',
            "half-life taken in seconds": '''
def decayed_popularity(post_ids, times, now, half_life_hours, num_posts):
    post_ids = np.asarray(post_ids, dtype=int)
    times = np.asarray(times, dtype=float)
    past = times < now
    w = 0.5 ** ((now - times[past]) / half_life_hours)
    return np.bincount(post_ids[past], weights=w, minlength=num_posts)
''',
            "e-folding time instead of half-life": '''
def decayed_popularity(post_ids, times, now, half_life_hours, num_posts):
    post_ids = np.asarray(post_ids, dtype=int)
    times = np.asarray(times, dtype=float)
    past = times < now
    w = np.exp(-(now - times[past]) / (half_life_hours * 3600.0))
    return np.bincount(post_ids[past], weights=w, minlength=num_posts)
''',
        },
    },
    "ex3_softmax_loss": {
        "correct": [
            '''
def feed_softmax_loss(scores, valid, relevant):
    losses = []
    for row in range(scores.shape[0]):
        if relevant[row].any():
            log_prob = torch.log_softmax(scores[row][valid[row]], dim=0)
            losses.append(-log_prob[relevant[row][valid[row]]].mean())
    return torch.stack(losses).mean()
''',
            '''
def feed_softmax_loss(scores, valid, relevant):
    very_low = torch.finfo(scores.dtype).min
    masked = torch.where(valid, scores, torch.full_like(scores, very_low))
    log_norm = torch.logsumexp(masked, dim=1, keepdim=True)
    picked = ((masked - log_norm) * relevant).sum(dim=1)
    count = relevant.sum(dim=1).to(scores.dtype)
    has = count > 0
    return (-picked[has] / count[has]).mean()
''',
        ],
        "wrong": {
            "softmax includes padding": '''
def feed_softmax_loss(scores, valid, relevant):
    log_prob = torch.log_softmax(scores, dim=1)
    count = relevant.sum(dim=1)
    keep = count > 0
    return (-(log_prob * relevant).sum(dim=1)[keep] / count[keep]).mean()
''',
            "sums instead of averaging over relevant posts": '''
def feed_softmax_loss(scores, valid, relevant):
    masked = scores.masked_fill(~valid, float("-inf"))
    log_prob = torch.log_softmax(masked, dim=1)
    log_prob = torch.where(relevant, log_prob, torch.zeros_like(log_prob))
    keep = relevant.sum(dim=1) > 0
    return (-log_prob.sum(dim=1)[keep]).mean()
''',
            "averages over all visits": '''
def feed_softmax_loss(scores, valid, relevant):
    masked = scores.masked_fill(~valid, float("-inf"))
    log_prob = torch.log_softmax(masked, dim=1)
    log_prob = torch.where(relevant, log_prob, torch.zeros_like(log_prob))
    count = relevant.sum(dim=1).clamp(min=1)
    return (-log_prob.sum(dim=1) / count).mean()
''',
        },
    },
    "ex4_topic_cap": {
        "correct": [
            '''
def cap_per_topic(ranked, topics, k, max_per_topic):
    from collections import Counter
    counts = Counter()
    taken = []
    for post in ranked:
        if len(taken) < k and counts[topics[post]] < max_per_topic:
            taken.append(post)
            counts[topics[post]] += 1
    rest = [post for post in ranked if post not in taken]
    return (taken + rest)[:k]
''',
            '''
def cap_per_topic(ranked, topics, k, max_per_topic):
    chosen, counts = [], {}
    for post in ranked:
        t = topics[post]
        if counts.get(t, 0) >= max_per_topic:
            continue
        counts[t] = counts.get(t, 0) + 1
        chosen.append(post)
        if len(chosen) == k:
            return chosen
    for post in ranked:
        if len(chosen) == k:
            break
        if post not in chosen:
            chosen.append(post)
    return chosen
''',
        ],
        "wrong": {
            "no fill-up": '''
def cap_per_topic(ranked, topics, k, max_per_topic):
    taken, counts = [], {}
    for post in ranked:
        if len(taken) == k:
            break
        if counts.get(topics[post], 0) < max_per_topic:
            taken.append(post)
            counts[topics[post]] = counts.get(topics[post], 0) + 1
    return taken
''',
            "cap off by one": '''
def cap_per_topic(ranked, topics, k, max_per_topic):
    taken, skipped, counts = [], [], {}
    for post in ranked:
        if len(taken) == k:
            break
        if counts.get(topics[post], 0) <= max_per_topic:
            taken.append(post)
            counts[topics[post]] = counts.get(topics[post], 0) + 1
        else:
            skipped.append(post)
    return (taken + skipped)[:k]
''',
            "fills from the end": '''
def cap_per_topic(ranked, topics, k, max_per_topic):
    taken, skipped, counts = [], [], {}
    for post in ranked:
        if len(taken) == k:
            break
        if counts.get(topics[post], 0) < max_per_topic:
            taken.append(post)
            counts[topics[post]] = counts.get(topics[post], 0) + 1
        else:
            skipped.append(post)
    return (taken + skipped[::-1])[:k]
''',
        },
    },
    "ex5_type_transitions": {
        "correct": [
            '''
def type_transitions(sequences, num_types, alpha):
    counts = np.full((num_types, num_types), float(alpha))
    for s in sequences:
        for a, b in zip(s[:-1], s[1:]):
            counts[a, b] += 1
    return counts / counts.sum(axis=1, keepdims=True)
''',
            '''
def type_transitions(sequences, num_types, alpha):
    pairs = [(a, b) for s in sequences for a, b in zip(list(s), list(s)[1:])]
    counts = np.zeros((num_types, num_types))
    if pairs:
        rows, cols = zip(*pairs)
        counts = np.bincount(np.ravel_multi_index((rows, cols), counts.shape),
                             minlength=num_types * num_types).reshape(num_types, num_types)
    totals = counts.sum(axis=1, keepdims=True)
    return (counts + alpha) / (totals + alpha * num_types)
''',
        ],
        "wrong": {
            "pairs cross sequences": '''
def type_transitions(sequences, num_types, alpha):
    flat = [t for s in sequences for t in s]
    counts = np.full((num_types, num_types), float(alpha))
    for a, b in zip(flat[:-1], flat[1:]):
        counts[a, b] += 1
    return counts / counts.sum(axis=1, keepdims=True)
''',
            "columns normalised instead of rows": '''
def type_transitions(sequences, num_types, alpha):
    counts = np.full((num_types, num_types), float(alpha))
    for s in sequences:
        for a, b in zip(s[:-1], s[1:]):
            counts[a, b] += 1
    return counts / counts.sum(axis=0, keepdims=True)
''',
            "smoothing added once per row": '''
def type_transitions(sequences, num_types, alpha):
    counts = np.zeros((num_types, num_types))
    for s in sequences:
        for a, b in zip(s[:-1], s[1:]):
            counts[a, b] += 1
    return (counts + alpha) / (counts.sum(axis=1, keepdims=True) + alpha)
''',
        },
    },
}
