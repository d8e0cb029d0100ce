"""Chapter 09: other correct answers and plausible wrong ones, per solution cell.

Each source replaces the whole solution cell. ``tests/test_grading.py`` grades notebooks built
from them through ``make autograde``: every correct one must earn the exercise's points, every
wrong one must lose them.
"""

CASES = {
    "ex1_stratified": {
        "correct": [
            '''
def stratified_split_by_item(ratings, train_fraction=0.75, seed=42):
    frame = ratings.reset_index(drop=True)
    draws = np.random.RandomState(seed).random_sample(len(frame))
    order = np.lexsort((draws, frame["item_id"].to_numpy()))
    ranked = frame.iloc[order]
    position = ranked.groupby("item_id").cumcount().to_numpy() + 1
    size = ranked.groupby("item_id")["item_id"].transform("count").to_numpy()
    keep = np.zeros(len(frame), dtype=bool)
    keep[order] = position / size <= train_fraction
    return frame[keep].reset_index(drop=True), frame[~keep].reset_index(drop=True)
''',
            '''
def stratified_split_by_item(ratings, train_fraction=0.75, seed=42):
    np.random.seed(seed)
    data = ratings.reset_index(drop=True).copy()
    data["random"] = np.random.rand(len(data))
    data["row"] = np.arange(len(data))
    data = data.sort_values(["item_id", "random"])
    data["rank"] = data.groupby("item_id").cumcount() + 1
    data["count"] = data.groupby("item_id")["item_id"].transform("count")
    data["train"] = data["rank"] / data["count"] <= train_fraction
    data = data.sort_values("row")
    columns = list(ratings.columns)
    train = data[data["train"]][columns].reset_index(drop=True)
    test = data[~data["train"]][columns].reset_index(drop=True)
    return train, test
''',
        ],
        "wrong": {
            "global random split, not per item": '''
def stratified_split_by_item(ratings, train_fraction=0.75, seed=42):
    frame = ratings.reset_index(drop=True)
    draws = np.random.RandomState(seed).random_sample(len(frame))
    keep = draws <= train_fraction
    return frame[keep].reset_index(drop=True), frame[~keep].reset_index(drop=True)
''',
            "strict inequality sends r/n == 0.75 to test": '''
def stratified_split_by_item(ratings, train_fraction=0.75, seed=42):
    frame = ratings.reset_index(drop=True)
    draws = np.random.RandomState(seed).random_sample(len(frame))
    rank = pd.Series(draws).groupby(frame["item_id"]).rank(method="first")
    size = frame.groupby("item_id")["item_id"].transform("size")
    keep = (rank / size < train_fraction).to_numpy()
    return frame[keep].reset_index(drop=True), frame[~keep].reset_index(drop=True)
''',
            "new-style generator draws other numbers": '''
def stratified_split_by_item(ratings, train_fraction=0.75, seed=42):
    frame = ratings.reset_index(drop=True)
    draws = np.random.default_rng(seed).random(len(frame))
    rank = pd.Series(draws).groupby(frame["item_id"]).rank(method="first")
    size = frame.groupby("item_id")["item_id"].transform("size")
    keep = (rank / size <= train_fraction).to_numpy()
    return frame[keep].reset_index(drop=True), frame[~keep].reset_index(drop=True)
''',
            "returns rows sorted by item": '''
def stratified_split_by_item(ratings, train_fraction=0.75, seed=42):
    frame = ratings.reset_index(drop=True)
    frame = frame.assign(d=np.random.RandomState(seed).random_sample(len(frame)))
    frame = frame.sort_values(["item_id", "d"])
    rank = frame.groupby("item_id").cumcount() + 1
    size = frame.groupby("item_id")["item_id"].transform("size")
    keep = (rank / size <= train_fraction).to_numpy()
    frame = frame.drop(columns="d")
    return frame[keep].reset_index(drop=True), frame[~keep].reset_index(drop=True)
''',
        },
    },
    "ex2_user_folds": {
        "correct": [
            '''
def user_folds(user_ids, num_folds, seed=0):
    user_ids = np.asarray(user_ids)
    users, inverse = np.unique(user_ids, return_inverse=True)
    position = np.empty(users.size, dtype=np.int64)
    position[np.random.default_rng(seed).permutation(users.size)] = np.arange(users.size)
    return (position % num_folds)[inverse]
''',
            '''
def user_folds(user_ids, num_folds, seed=0):
    users = sorted(set(np.asarray(user_ids).tolist()))
    rng = np.random.default_rng(seed)
    rng.shuffle(users)
    fold = {}
    for i, u in enumerate(users):
        fold[u] = i % num_folds
    return np.array([fold[u] for u in np.asarray(user_ids).tolist()])
''',
        ],
        "wrong": {
            "folds over rows, not users": '''
def user_folds(user_ids, num_folds, seed=0):
    n = len(user_ids)
    return np.random.default_rng(seed).permutation(n) % num_folds
''',
            "balances rows, users unbalanced": '''
def user_folds(user_ids, num_folds, seed=0):
    user_ids = np.asarray(user_ids)
    users, counts = np.unique(user_ids, return_counts=True)
    order = np.argsort(-counts, kind="stable")
    load = np.zeros(num_folds)
    fold = {}
    for u in users[order].tolist():
        f = int(np.argmin(load))
        fold[u] = f
        load[f] += counts[users.tolist().index(u)]
    return np.array([fold[u] for u in user_ids.tolist()])
''',
            "ignores the seed": '''
def user_folds(user_ids, num_folds, seed=0):
    user_ids = np.asarray(user_ids)
    users, inverse = np.unique(user_ids, return_inverse=True)
    return (np.arange(users.size) % num_folds)[inverse]
''',
            "random fold per user, unbalanced": '''
def user_folds(user_ids, num_folds, seed=0):
    user_ids = np.asarray(user_ids)
    users, inverse = np.unique(user_ids, return_inverse=True)
    return np.random.default_rng(seed).integers(0, num_folds, users.size)[inverse]
''',
        },
    },
    "ex3_log_uniform": {
        "correct": [
            '''
def sample_log_uniform(low, high, size, seed=0):
    rng = np.random.default_rng(seed)
    return 10 ** rng.uniform(np.log10(low), np.log10(high), size)
''',
            '''
def sample_log_uniform(low, high, size, seed=0):
    u = np.random.default_rng(seed).random(size)
    return low * (high / low) ** u
''',
        ],
        "wrong": {
            "uniform, not log-uniform": '''
def sample_log_uniform(low, high, size, seed=0):
    return np.random.default_rng(seed).uniform(low, high, size)
''',
            "log of the bounds forgotten in exp": '''
def sample_log_uniform(low, high, size, seed=0):
    return np.exp(np.random.default_rng(seed).uniform(low, high, size))
''',
            "unseeded": '''
def sample_log_uniform(low, high, size, seed=0):
    return np.exp(np.random.uniform(np.log(low), np.log(high), size))
''',
            "float32": '''
def sample_log_uniform(low, high, size, seed=0):
    rng = np.random.default_rng(seed)
    return np.exp(rng.uniform(np.log(low), np.log(high), size)).astype(np.float32)
''',
        },
    },
    "ex4_median_prune": {
        "correct": [
            '''
def should_prune(history, current, step, warmup_steps=1, min_trials=2):
    reached = sorted(t[step] for t in history if len(t) > step)
    if step < warmup_steps or len(reached) < min_trials:
        return False
    n = len(reached)
    median = reached[n // 2] if n % 2 else (reached[n // 2 - 1] + reached[n // 2]) / 2
    return current < median
''',
            '''
import statistics

def should_prune(history, current, step, warmup_steps=1, min_trials=2):
    if step < warmup_steps:
        return False
    reached = [t[step] for t in history if step < len(t)]
    return len(reached) >= min_trials and current < statistics.median(reached)
''',
        ],
        "wrong": {
            "mean instead of median": '''
def should_prune(history, current, step, warmup_steps=1, min_trials=2):
    reached = [t[step] for t in history if len(t) > step]
    if step < warmup_steps or len(reached) < min_trials:
        return False
    return current < float(np.mean(reached))
''',
            "prunes at the median too": '''
def should_prune(history, current, step, warmup_steps=1, min_trials=2):
    reached = [t[step] for t in history if len(t) > step]
    if step < warmup_steps or len(reached) < min_trials:
        return False
    return current <= float(np.median(reached))
''',
            "no warm-up": '''
def should_prune(history, current, step, warmup_steps=1, min_trials=2):
    reached = [t[step] for t in history if len(t) > step]
    if len(reached) < min_trials:
        return False
    return current < float(np.median(reached))
''',
            "compares with each trial's last value": '''
def should_prune(history, current, step, warmup_steps=1, min_trials=2):
    if step < warmup_steps or len(history) < min_trials:
        return False
    return current < float(np.median([t[-1] for t in history]))
''',
        },
    },
    "ex5_budget": {
        "correct": [
            '''
def trials_within_budget(trial_seconds, max_trials, max_seconds):
    spent, run = 0.0, 0
    for s in list(trial_seconds)[:max_trials]:
        if spent >= max_seconds:
            break
        spent += s
        run += 1
    return run, float(spent)
''',
            '''
def trials_within_budget(trial_seconds, max_trials, max_seconds):
    times = np.asarray(list(trial_seconds), dtype=float)
    started_before = np.concatenate([[0.0], np.cumsum(times)])[:-1]
    allowed = (np.arange(times.size) < max_trials) & (started_before < max_seconds)
    run = int(np.argmin(allowed)) if not allowed.all() else times.size
    return run, float(times[:run].sum())
''',
        ],
        "wrong": {
            "stops before a trial that would overrun": '''
def trials_within_budget(trial_seconds, max_trials, max_seconds):
    run, spent = 0, 0.0
    for s in trial_seconds:
        if run >= max_trials or spent + s > max_seconds:
            break
        run += 1
        spent += s
    return run, spent
''',
            "caps the seconds at the limit": '''
def trials_within_budget(trial_seconds, max_trials, max_seconds):
    run, spent = 0, 0.0
    for s in trial_seconds:
        if run >= max_trials or spent >= max_seconds:
            break
        run += 1
        spent += s
    return run, min(spent, max_seconds)
''',
            "ignores the trial limit": '''
def trials_within_budget(trial_seconds, max_trials, max_seconds):
    run, spent = 0, 0.0
    for s in trial_seconds:
        if spent >= max_seconds:
            break
        run += 1
        spent += s
    return run, spent
''',
            "starts at exactly the limit": '''
def trials_within_budget(trial_seconds, max_trials, max_seconds):
    run, spent = 0, 0.0
    for s in trial_seconds:
        if run >= max_trials or spent > max_seconds:
            break
        run += 1
        spent += s
    return run, spent
''',
        },
    },
}
