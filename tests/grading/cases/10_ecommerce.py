"""Chapter 10: other correct answers and plausible wrong ones, per solution cell.

Each source replaces the whole solution cell. ``tests/test_grading.py`` grades notebooks built
from them through ``make autograde``: every correct one must earn the exercise's points, every
wrong one must lose them.
"""

CASES = {
    "ex1_funnel": {
        "correct": [
            '''
def funnel_rates(events):
    pairs = events.drop_duplicates(["user_id", "item_id", "event"])
    flags = pd.crosstab([pairs["user_id"], pairs["item_id"]], pairs["event"]) > 0
    for kind in ("view", "addtocart", "transaction"):
        if kind not in flags:
            flags[kind] = False
    viewed, carted = flags["view"], flags["addtocart"]
    return {
        "view_to_cart": float((viewed & carted).sum() / viewed.sum()) if viewed.any() else 0.0,
        "cart_to_purchase": float((carted & flags["transaction"]).sum() / carted.sum())
        if carted.any() else 0.0,
    }
''',
            '''
def funnel_rates(events):
    seen = {}
    for user, item, kind in zip(events["user_id"], events["item_id"], events["event"]):
        seen.setdefault((user, item), set()).add(kind)
    views = [k for k in seen.values() if "view" in k]
    carts = [k for k in seen.values() if "addtocart" in k]
    v2c = sum("addtocart" in k for k in views) / len(views) if views else 0.0
    c2p = sum("transaction" in k for k in carts) / len(carts) if carts else 0.0
    return {"view_to_cart": v2c, "cart_to_purchase": c2p}
''',
        ],
        "wrong": {
            "counts events, not pairs": '''
def funnel_rates(events):
    counts = events["event"].value_counts()
    views, carts = counts.get("view", 0), counts.get("addtocart", 0)
    return {"view_to_cart": carts / views if views else 0.0,
            "cart_to_purchase": counts.get("transaction", 0) / carts if carts else 0.0}
''',
            "does not require the view or cart of the same pair": '''
def funnel_rates(events):
    def pairs(kind):
        rows = events[events["event"] == kind]
        return set(zip(rows["user_id"], rows["item_id"]))
    viewed, carted, bought = pairs("view"), pairs("addtocart"), pairs("transaction")
    return {"view_to_cart": len(carted) / len(viewed) if viewed else 0.0,
            "cart_to_purchase": len(bought) / len(carted) if carted else 0.0}
''',
            "purchase rate over viewed pairs": '''
def funnel_rates(events):
    def pairs(kind):
        rows = events[events["event"] == kind]
        return set(zip(rows["user_id"], rows["item_id"]))
    viewed, carted, bought = pairs("view"), pairs("addtocart"), pairs("transaction")
    return {"view_to_cart": len(viewed & carted) / len(viewed) if viewed else 0.0,
            "cart_to_purchase": len(viewed & bought) / len(viewed) if viewed else 0.0}
''',
        },
    },
    "ex2_fusion": {
        "correct": [
            '''
def fuse_zscores(score_list, weights):
    out = 0.0
    for scores, weight in zip(score_list, weights):
        frame = pd.DataFrame(np.asarray(scores, dtype=float))
        z = frame.sub(frame.mean(axis=1), axis=0).div(frame.std(axis=1, ddof=0), axis=0)
        out = out + weight * z.fillna(0.0).to_numpy()
    return np.asarray(out, dtype=np.float64)
''',
            '''
def fuse_zscores(score_list, weights):
    stacked = np.stack([np.asarray(s, dtype=np.float64) for s in score_list])
    mean = stacked.mean(axis=2, keepdims=True)
    std = stacked.std(axis=2, keepdims=True)
    z = np.where(std > 0, (stacked - mean) / np.where(std > 0, std, 1.0), 0.0)
    return np.tensordot(np.asarray(weights, dtype=np.float64), z, axes=1)
''',
        ],
        "wrong": {
            "standardizes the whole matrix": '''
def fuse_zscores(score_list, weights):
    total = 0.0
    for scores, weight in zip(score_list, weights):
        scores = np.asarray(scores, dtype=float)
        spread = scores.std()
        total = total + weight * ((scores - scores.mean()) / spread if spread > 0 else 0 * scores)
    return total
''',
            "sample standard deviation (ddof=1)": '''
def fuse_zscores(score_list, weights):
    total = 0.0
    for scores, weight in zip(score_list, weights):
        scores = np.asarray(scores, dtype=float)
        spread = scores.std(axis=1, ddof=1, keepdims=True)
        centred = scores - scores.mean(axis=1, keepdims=True)
        total = total + weight * np.divide(centred, spread, out=np.zeros_like(centred),
                                           where=spread > 0)
    return total
''',
            "constant rows give NaN": '''
def fuse_zscores(score_list, weights):
    total = 0.0
    for scores, weight in zip(score_list, weights):
        scores = np.asarray(scores, dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            z = (scores - scores.mean(axis=1, keepdims=True)) / scores.std(axis=1, keepdims=True)
        total = total + weight * z
    return total
''',
            "adds raw scores": '''
def fuse_zscores(score_list, weights):
    return sum(w * np.asarray(s, dtype=float) for s, w in zip(score_list, weights))
''',
        },
    },
    "ex3_category_cap": {
        "correct": [
            '''
def cap_per_category(scores, item_category, k, cap):
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    counts, taken = {}, []
    for item in order:
        if counts.get(item_category[item], 0) < cap and len(taken) < k:
            taken.append(item)
            counts[item_category[item]] = counts.get(item_category[item], 0) + 1
    rest = [i for i in order if i not in taken]
    return (taken + rest)[:k]
''',
            '''
def cap_per_category(scores, item_category, k, cap):
    order = np.lexsort((np.arange(len(scores)), -np.asarray(scores, dtype=float)))
    categories = np.asarray(item_category)[order]
    rank_in_category = pd.Series(categories).groupby(categories).cumcount().to_numpy()
    first = order[rank_in_category < cap].tolist()
    second = order[rank_in_category >= cap].tolist()
    return [int(i) for i in (first + second)[:k]]
''',
        ],
        "wrong": {
            "plain top k": '''
def cap_per_category(scores, item_category, k, cap):
    return np.argsort(-np.asarray(scores, dtype=float), kind="stable")[:k].tolist()
''',
            "stops short instead of filling": '''
def cap_per_category(scores, item_category, k, cap):
    order = np.argsort(-np.asarray(scores, dtype=float), kind="stable")
    taken, counts = [], {}
    for item in order.tolist():
        c = item_category[item]
        if counts.get(c, 0) < cap:
            taken.append(item)
            counts[c] = counts.get(c, 0) + 1
        if len(taken) == k:
            break
    return taken
''',
            "fills with the worst skipped items": '''
def cap_per_category(scores, item_category, k, cap):
    order = np.argsort(-np.asarray(scores, dtype=float), kind="stable")
    taken, skipped, counts = [], [], {}
    for item in order.tolist():
        c = item_category[item]
        if counts.get(c, 0) < cap and len(taken) < k:
            taken.append(item)
            counts[c] = counts.get(c, 0) + 1
        else:
            skipped.append(item)
    return (taken + skipped[::-1])[:k]
''',
            "ties broken by the higher index": '''
def cap_per_category(scores, item_category, k, cap):
    scores = np.asarray(scores, dtype=float)
    order = np.lexsort((-np.arange(len(scores)), -scores))
    taken, skipped, counts = [], [], {}
    for item in order.tolist():
        c = item_category[item]
        if counts.get(c, 0) < cap and len(taken) < k:
            taken.append(item)
            counts[c] = counts.get(c, 0) + 1
        else:
            skipped.append(item)
    return (taken + skipped)[:k]
''',
        },
    },
    "ex4_encode_ids": {
        "correct": [
            '''
def encode_ids(raw_ids):
    codes, classes = pd.factorize(pd.Series(list(raw_ids)), sort=True)
    return codes.astype(np.int64), np.array(list(classes))
''',
            '''
def encode_ids(raw_ids):
    raw = list(np.asarray(raw_ids).tolist())
    classes = sorted(set(raw))
    index = {value: position for position, value in enumerate(classes)}
    return np.array([index[value] for value in raw], dtype=np.int64), np.array(classes)
''',
        ],
        "wrong": {
            "order of first appearance": '''
def encode_ids(raw_ids):
    codes, classes = pd.factorize(pd.Series(list(raw_ids)), sort=False)
    return codes.astype(np.int64), np.asarray(classes)
''',
            "codes are the raw ids": '''
def encode_ids(raw_ids):
    raw = np.asarray(raw_ids)
    return raw, np.unique(raw)
''',
            "classes and codes swapped": '''
def encode_ids(raw_ids):
    classes, codes = np.unique(np.asarray(raw_ids), return_inverse=True)
    return classes, codes.astype(np.int64)
''',
        },
    },
    "ex5_auc": {
        "correct": [
            '''
def auc_with_ties(labels, scores):
    from scipy.stats import rankdata
    labels = np.asarray(labels).astype(bool)
    n_pos, n_neg = labels.sum(), (~labels).sum()
    if n_pos == 0 or n_neg == 0:
        raise ValueError("both classes are needed")
    ranks = rankdata(np.asarray(scores, dtype=float))
    return float((ranks[labels].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))
''',
            '''
def auc_with_ties(labels, scores):
    labels = np.asarray(labels)
    scores = np.asarray(scores, dtype=float)
    pos, neg = scores[labels == 1], scores[labels == 0]
    if len(pos) == 0 or len(neg) == 0:
        raise ValueError("need both labels")
    greater = (pos[:, None] > neg[None, :]).sum()
    equal = (pos[:, None] == neg[None, :]).sum()
    return float((greater + 0.5 * equal) / (len(pos) * len(neg)))
''',
        ],
        "wrong": {
            "ties count as wins": '''
def auc_with_ties(labels, scores):
    labels = np.asarray(labels)
    scores = np.asarray(scores, dtype=float)
    pos, neg = scores[labels == 1], scores[labels == 0]
    if len(pos) == 0 or len(neg) == 0:
        raise ValueError("need both labels")
    return float((pos[:, None] >= neg[None, :]).mean())
''',
            "ties count as losses": '''
def auc_with_ties(labels, scores):
    labels = np.asarray(labels)
    scores = np.asarray(scores, dtype=float)
    pos, neg = scores[labels == 1], scores[labels == 0]
    if len(pos) == 0 or len(neg) == 0:
        raise ValueError("need both labels")
    return float((pos[:, None] > neg[None, :]).mean())
''',
            "no error without both classes": '''
def auc_with_ties(labels, scores):
    labels = np.asarray(labels)
    scores = np.asarray(scores, dtype=float)
    pos, neg = scores[labels == 1], scores[labels == 0]
    if len(pos) == 0 or len(neg) == 0:
        return 0.5
    greater = (pos[:, None] > neg[None, :]).sum()
    equal = (pos[:, None] == neg[None, :]).sum()
    return float((greater + 0.5 * equal) / (len(pos) * len(neg)))
''',
            "accuracy at threshold 0.5": '''
def auc_with_ties(labels, scores):
    labels = np.asarray(labels)
    if labels.min() == labels.max():
        raise ValueError("need both labels")
    return float(((np.asarray(scores) > 0.5) == (labels == 1)).mean())
''',
        },
    },
}
