"""Chapter 12: other correct answers and plausible wrong ones, per solution cell.

Each source replaces the whole solution cell. ``tests/test_grading.py`` grades notebooks built
from them through ``make autograde``: every correct one must earn the exercise's points, every
wrong one must lose them.
"""

CASES = {
    "ex1_sessionize": {
        "correct": [
            '''
def sessionize_plays(user_ids, timestamps, gap):
    users = np.asarray(user_ids)
    times = np.asarray(timestamps, dtype=float)
    order = np.lexsort((times, users))
    result = np.empty(len(times), dtype=np.int64)
    session = -1
    for position, index in enumerate(order):
        if position == 0 or users[index] != users[order[position - 1]] or \\
                times[index] - times[order[position - 1]] > gap:
            session += 1
        result[index] = session
    return result
''',
            '''
def sessionize_plays(user_ids, timestamps, gap):
    rows = sorted(range(len(user_ids)), key=lambda i: (user_ids[i], timestamps[i], i))
    out = [0] * len(rows)
    current, last = -1, None
    for i in rows:
        if last is None or user_ids[i] != user_ids[last] or timestamps[i] - timestamps[last] > gap:
            current += 1
        out[i] = current
        last = i
    return np.array(out)
''',
        ],
        "wrong": {
            "gap compared with >=": '''
def sessionize_plays(user_ids, timestamps, gap):
    frame = pd.DataFrame({"user": list(user_ids), "time": np.asarray(timestamps)})
    frame = frame.sort_values(["user", "time"], kind="stable")
    start = frame["user"].ne(frame["user"].shift()) | (frame["time"].diff() >= gap)
    frame["session"] = start.cumsum() - 1
    return frame["session"].sort_index().to_numpy()
''',
            "returns sessions in sorted order": '''
def sessionize_plays(user_ids, timestamps, gap):
    frame = pd.DataFrame({"user": list(user_ids), "time": np.asarray(timestamps)})
    frame = frame.sort_values(["user", "time"], kind="stable")
    start = frame["user"].ne(frame["user"].shift()) | (frame["time"].diff() > gap)
    return (start.cumsum() - 1).to_numpy()
''',
            "does not sort by time": '''
def sessionize_plays(user_ids, timestamps, gap):
    frame = pd.DataFrame({"user": list(user_ids), "time": np.asarray(timestamps)})
    frame = frame.sort_values(["user"], kind="stable")
    start = frame["user"].ne(frame["user"].shift()) | (frame["time"].diff().abs() > gap)
    frame["session"] = start.cumsum() - 1
    return frame["session"].sort_index().to_numpy()
''',
            "ignores the user": '''
def sessionize_plays(user_ids, timestamps, gap):
    times = np.asarray(timestamps, dtype=float)
    order = np.argsort(times, kind="stable")
    start = np.r_[True, np.diff(times[order]) > gap]
    result = np.empty(len(times), dtype=int)
    result[order] = np.cumsum(start) - 1
    return result
''',
        },
    },
    "ex2_transitions": {
        "correct": [
            '''
def transition_counts(sessions, num_items):
    counts = np.zeros((num_items, num_items))
    for session in sessions:
        for a, b in zip(session[:-1], session[1:]):
            counts[a, b] += 1
    return counts
''',
            '''
import scipy.sparse as sp

def transition_counts(sessions, num_items):
    sources = [a for s in sessions for a in list(s)[:-1]]
    targets = [b for s in sessions for b in list(s)[1:]]
    matrix = sp.coo_matrix((np.ones(len(sources)), (sources, targets)), shape=(num_items, num_items))
    return matrix.toarray()
''',
        ],
        "wrong": {
            "transposed": '''
def transition_counts(sessions, num_items):
    counts = np.zeros((num_items, num_items))
    for session in sessions:
        for a, b in zip(session[:-1], session[1:]):
            counts[b, a] += 1
    return counts
''',
            "pairs cross sessions": '''
def transition_counts(sessions, num_items):
    flat = [i for s in sessions for i in s]
    counts = np.zeros((num_items, num_items))
    for a, b in zip(flat[:-1], flat[1:]):
        counts[a, b] += 1
    return counts
''',
            "fancy-index assignment loses repeats": '''
def transition_counts(sessions, num_items):
    counts = np.zeros((num_items, num_items))
    for session in sessions:
        session = np.asarray(session, dtype=int)
        counts[session[:-1], session[1:]] += 1
    return counts
''',
            "symmetric co-occurrence": '''
def transition_counts(sessions, num_items):
    counts = np.zeros((num_items, num_items))
    for session in sessions:
        for a, b in zip(session[:-1], session[1:]):
            counts[a, b] += 1
            counts[b, a] += 1
    return counts
''',
        },
    },
    "ex3_spearman": {
        "correct": [
            '''
def mean_spearman(learned, true):
    values = []
    for x, y in zip(np.asarray(learned, float), np.asarray(true, float)):
        rx, ry = pd.Series(x).rank().to_numpy(), pd.Series(y).rank().to_numpy()
        if rx.std() == 0 or ry.std() == 0:
            values.append(0.0)
        else:
            values.append(float(np.corrcoef(rx, ry)[0, 1]))
    return float(np.mean(values))
''',
            '''
def _average_ranks(row):
    order = np.argsort(row, kind="stable")
    ranks = np.empty(len(row))
    sorted_row = row[order]
    i = 0
    while i < len(row):
        j = i
        while j + 1 < len(row) and sorted_row[j + 1] == sorted_row[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return ranks

def mean_spearman(learned, true):
    total = 0.0
    learned, true = np.asarray(learned, float), np.asarray(true, float)
    for x, y in zip(learned, true):
        a, b = _average_ranks(x), _average_ranks(y)
        a, b = a - a.mean(), b - b.mean()
        norm = np.sqrt((a * a).sum() * (b * b).sum())
        total += (a * b).sum() / norm if norm > 0 else 0.0
    return total / len(learned)
''',
        ],
        "wrong": {
            "Pearson on raw values": '''
def mean_spearman(learned, true):
    values = []
    for x, y in zip(np.asarray(learned, float), np.asarray(true, float)):
        if x.std() == 0 or y.std() == 0:
            values.append(0.0)
        else:
            values.append(float(np.corrcoef(x, y)[0, 1]))
    return float(np.mean(values))
''',
            "ordinal ranks, ties broken by position": '''
def mean_spearman(learned, true):
    values = []
    for x, y in zip(np.asarray(learned, float), np.asarray(true, float)):
        rx = np.argsort(np.argsort(x, kind="stable"), kind="stable").astype(float)
        ry = np.argsort(np.argsort(y, kind="stable"), kind="stable").astype(float)
        if x.std() == 0 or y.std() == 0:
            values.append(0.0)
        else:
            values.append(float(np.corrcoef(rx, ry)[0, 1]))
    return float(np.mean(values))
''',
            "correlates whole matrices, not rows": '''
def mean_spearman(learned, true):
    a = pd.Series(np.asarray(learned, float).ravel()).rank().to_numpy()
    b = pd.Series(np.asarray(true, float).ravel()).rank().to_numpy()
    return float(np.corrcoef(a, b)[0, 1])
''',
            "ranks along columns": '''
def mean_spearman(learned, true):
    a = pd.DataFrame(np.asarray(learned, float)).rank(axis=0).to_numpy()
    b = pd.DataFrame(np.asarray(true, float)).rank(axis=0).to_numpy()
    a, b = a - a.mean(axis=1, keepdims=True), b - b.mean(axis=1, keepdims=True)
    norm = np.sqrt((a**2).sum(axis=1) * (b**2).sum(axis=1))
    return float(np.mean(np.divide((a * b).sum(axis=1), norm, out=np.zeros(len(a)), where=norm > 0)))
''',
        },
    },
    "ex4_decay": {
        "correct": [
            '''
def decayed_counts(items, ages, num_items, half_life):
    out = np.zeros(num_items)
    for item, age in zip(items, ages):
        out[item] += 2.0 ** (-age / half_life)
    return out
''',
            '''
def decayed_counts(items, ages, num_items, half_life):
    out = np.zeros(num_items)
    np.add.at(out, np.asarray(items, int), np.exp(-np.log(2) * np.asarray(ages, float) / half_life))
    return out
''',
        ],
        "wrong": {
            "exp(-age / half_life)": '''
def decayed_counts(items, ages, num_items, half_life):
    weights = np.exp(-np.asarray(ages, float) / half_life)
    return np.bincount(np.asarray(items, int), weights=weights, minlength=num_items)
''',
            "plain counts": '''
def decayed_counts(items, ages, num_items, half_life):
    return np.bincount(np.asarray(items, int), minlength=num_items).astype(float)
''',
            "fancy-index assignment loses repeats": '''
def decayed_counts(items, ages, num_items, half_life):
    out = np.zeros(num_items)
    out[np.asarray(items, int)] += 0.5 ** (np.asarray(ages, float) / half_life)
    return out
''',
            "length is the largest item + 1": '''
def decayed_counts(items, ages, num_items, half_life):
    weights = 0.5 ** (np.asarray(ages, float) / half_life)
    return np.bincount(np.asarray(items, int), weights=weights)
''',
        },
    },
    "ex5_rerank": {
        "correct": [
            '''
def rerank_by_artist(scores, item_artist, k, penalty):
    chosen = []
    for _ in range(k):
        best, best_value = None, None
        for i, s in enumerate(scores):
            if i in chosen:
                continue
            same = sum(1 for j in chosen if item_artist[j] == item_artist[i])
            value = s - penalty * same
            if best_value is None or value > best_value:
                best, best_value = i, value
        chosen.append(best)
    return chosen
''',
            '''
def rerank_by_artist(scores, item_artist, k, penalty):
    scores = np.asarray(scores, dtype=float)
    artists = list(item_artist)
    counts = {}
    taken = np.zeros(len(scores), dtype=bool)
    out = []
    for _ in range(k):
        penalties = np.array([counts.get(a, 0) for a in artists], dtype=float)
        value = scores - penalty * penalties
        value[taken] = -np.inf
        pick = int(np.flatnonzero(value == value.max())[0])
        out.append(pick)
        taken[pick] = True
        counts[artists[pick]] = counts.get(artists[pick], 0) + 1
    return out
''',
            # equivalent to the greedy rule: an artist's items are always chosen in score order
            '''
def rerank_by_artist(scores, item_artist, k, penalty):
    scores = np.asarray(scores, dtype=float)
    item_artist = np.asarray(item_artist)
    order = np.argsort(-scores, kind="stable")
    seen, adjusted = {}, scores.copy()
    for i in order:
        adjusted[i] -= penalty * seen.get(item_artist[i], 0)
        seen[item_artist[i]] = seen.get(item_artist[i], 0) + 1
    return np.argsort(-adjusted, kind="stable")[:k].tolist()
''',
        ],
        "wrong": {
            "penalty only once per artist": '''
def rerank_by_artist(scores, item_artist, k, penalty):
    scores = np.asarray(scores, dtype=float)
    item_artist = np.asarray(item_artist)
    chosen = []
    for _ in range(k):
        used = np.isin(item_artist, item_artist[chosen]) if chosen else np.zeros(len(scores), bool)
        value = scores - penalty * used
        value[chosen] = -np.inf
        chosen.append(int(np.argmax(value)))
    return chosen
''',
            "penalty by catalogue size of the artist": '''
def rerank_by_artist(scores, item_artist, k, penalty):
    scores = np.asarray(scores, dtype=float)
    item_artist = np.asarray(item_artist)
    sizes = np.array([(item_artist == a).sum() for a in item_artist])
    return np.argsort(-(scores - penalty * (sizes - 1)), kind="stable")[:k].tolist()
''',
            "ties go to the higher index": '''
def rerank_by_artist(scores, item_artist, k, penalty):
    scores = np.asarray(scores, dtype=float)
    item_artist = np.asarray(item_artist)
    chosen, counts = [], {}
    for _ in range(k):
        value = scores - penalty * np.array([counts.get(a, 0) for a in item_artist.tolist()])
        value[chosen] = -np.inf
        best = int(len(value) - 1 - np.argmax(value[::-1]))
        chosen.append(best)
        counts[item_artist[best]] = counts.get(item_artist[best], 0) + 1
    return chosen
''',
            "ignores the penalty": '''
def rerank_by_artist(scores, item_artist, k, penalty):
    return np.argsort(-np.asarray(scores, dtype=float), kind="stable")[:k].tolist()
''',
        },
    },
}
