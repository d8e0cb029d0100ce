"""Chapter 07: other correct answers and plausible wrong ones, per solution cell.

Each source replaces the whole solution cell. The grading tests build notebooks from them: every
correct one must earn the exercise's points, every wrong one must lose them.
"""

CASES = {
    "ex1_candidates": {
        "correct": [
            '''
def sample_candidates(target, seen, num_items, num_candidates, seed):
    seen = set(int(i) for i in seen)
    if target in seen:
        raise ValueError("target is in the history")
    eligible = [i for i in range(num_items) if i not in seen and i != target]
    if len(eligible) < num_candidates - 1:
        raise ValueError("not enough eligible items")
    rng = np.random.default_rng(seed)
    picked = [eligible[j] for j in rng.permutation(len(eligible))[:num_candidates - 1]]
    out = np.array(picked + [target], dtype=np.int64)
    rng.shuffle(out)
    return out
''',
            '''
import random

def sample_candidates(target, seen, num_items, num_candidates, seed):
    seen = {int(s) for s in seen}
    if int(target) in seen:
        raise ValueError(f"leak: {target}")
    pool = sorted(set(range(num_items)) - seen - {int(target)})
    if len(pool) < num_candidates - 1:
        raise ValueError("too few")
    rng = random.Random(int(np.random.default_rng(seed).integers(2**31)))
    chosen = rng.sample(pool, num_candidates - 1) + [int(target)]
    rng.shuffle(chosen)
    return np.asarray(chosen, dtype=np.int64)
''',
            '''
def sample_candidates(target, seen, num_items, num_candidates, seed):
    rng = np.random.default_rng(seed)
    blocked = np.zeros(num_items, dtype=bool)
    blocked[np.asarray(list(seen), dtype=int)] = True
    if blocked[target]:
        raise ValueError("target in seen")
    blocked[target] = True
    if (~blocked).sum() < num_candidates - 1:
        raise ValueError("not enough items")
    chosen = []
    while len(chosen) < num_candidates - 1:  # rejection sampling
        item = int(rng.integers(num_items))
        if not blocked[item]:
            blocked[item] = True
            chosen.append(item)
    chosen.insert(int(rng.integers(num_candidates)), target)
    return np.array(chosen, dtype=np.int64)
''',
        ],
        "wrong": {
            "target always first": '''
def sample_candidates(target, seen, num_items, num_candidates, seed):
    seen = set(seen)
    if target in seen:
        raise ValueError("leak")
    eligible = np.array([i for i in range(num_items) if i not in seen and i != target])
    if len(eligible) < num_candidates - 1:
        raise ValueError("few")
    rng = np.random.default_rng(seed)
    return np.append([target], rng.choice(eligible, num_candidates - 1, replace=False)).astype(np.int64)
''',
            "negatives may be items the user has seen": '''
def sample_candidates(target, seen, num_items, num_candidates, seed):
    if target in set(seen):
        raise ValueError("leak")
    eligible = np.setdiff1d(np.arange(num_items), [target])
    if len(eligible) < num_candidates - 1:
        raise ValueError("few")
    rng = np.random.default_rng(seed)
    return rng.permutation(np.append(rng.choice(eligible, num_candidates - 1, replace=False), target)).astype(np.int64)
''',
            "sampling with replacement": '''
def sample_candidates(target, seen, num_items, num_candidates, seed):
    seen = set(seen)
    if target in seen:
        raise ValueError("leak")
    eligible = np.array([i for i in range(num_items) if i not in seen and i != target])
    if len(eligible) < num_candidates - 1:
        raise ValueError("few")
    rng = np.random.default_rng(seed)
    return rng.permutation(np.append(rng.choice(eligible, num_candidates - 1, replace=True), target)).astype(np.int64)
''',
            "the target can be drawn again as a negative": '''
def sample_candidates(target, seen, num_items, num_candidates, seed):
    seen = set(seen)
    if target in seen:
        raise ValueError("leak")
    eligible = np.array([i for i in range(num_items) if i not in seen])
    if len(eligible) < num_candidates - 1:
        raise ValueError("few")
    rng = np.random.default_rng(seed)
    return rng.permutation(np.append(rng.choice(eligible, num_candidates - 1, replace=False), target)).astype(np.int64)
''',
            "no check that the target leaked into the history": '''
def sample_candidates(target, seen, num_items, num_candidates, seed):
    eligible = np.setdiff1d(np.arange(num_items), np.append(np.asarray(list(seen), dtype=int), target))
    if len(eligible) < num_candidates - 1:
        raise ValueError("few")
    rng = np.random.default_rng(seed)
    return rng.permutation(np.append(rng.choice(eligible, num_candidates - 1, replace=False), target)).astype(np.int64)
''',
        },
    },
    "ex2_random_ndcg": {
        "correct": [
            '''
import math

def random_ranking_ndcg(num_candidates, k):
    total = 0.0
    for rank in range(1, min(k, num_candidates) + 1):
        total += 1 / math.log2(rank + 1)
    return total / num_candidates
''',
            '''
def random_ranking_ndcg(num_candidates, k):
    ranks = np.arange(1, num_candidates + 1, dtype=np.float32)
    gains = np.where(ranks <= k, 1.0 / np.log2(ranks + 1), 0.0).astype(np.float32)
    return float(gains.mean())
''',
        ],
        "wrong": {
            "log2 of the rank instead of rank + 1": '''
def random_ranking_ndcg(num_candidates, k):
    ranks = np.arange(1, min(k, num_candidates) + 1)
    with np.errstate(divide="ignore"):
        return float(np.sum(1.0 / np.log2(ranks + (ranks == 1))) / num_candidates)
''',
            "divides by k instead of the number of candidates": '''
def random_ranking_ndcg(num_candidates, k):
    ranks = np.arange(1, min(k, num_candidates) + 1)
    return float(np.sum(1.0 / np.log2(ranks + 1)) / k)
''',
            "off by one: stops at rank k - 1": '''
def random_ranking_ndcg(num_candidates, k):
    ranks = np.arange(1, min(k, num_candidates))
    return float(np.sum(1.0 / np.log2(ranks + 1)) / num_candidates)
''',
            "does not cap k at the number of candidates": '''
def random_ranking_ndcg(num_candidates, k):
    ranks = np.arange(1, k + 1)
    return float(np.sum(1.0 / np.log2(ranks + 1)) / num_candidates)
''',
        },
    },
    "ex3_candidate_ndcg": {
        "correct": [
            '''
import math

def candidate_ndcg(scores, target, k):
    scores = [float(s) for s in scores]
    mine = scores[target]
    higher = sum(s > mine for s in scores)
    tied = sum(s == mine for s in scores) - 1
    total = 0.0
    for rank in range(higher + 1, higher + tied + 2):
        if rank <= k:
            total += 1 / math.log2(rank + 1)
    return total / (tied + 1)
''',
            '''
def candidate_ndcg(scores, target, k):
    scores = np.asarray(scores, dtype=np.float64)
    order = np.sort(scores)[::-1]
    first = int(np.searchsorted(-order, -scores[target], side="left")) + 1
    last = int(np.searchsorted(-order, -scores[target], side="right"))
    ranks = np.arange(first, last + 1, dtype=np.float64)
    return float(np.mean(np.where(ranks <= k, 1 / np.log2(ranks + 1), 0)))
''',
        ],
        "wrong": {
            "optimistic ties: the target wins every tie": '''
def candidate_ndcg(scores, target, k):
    scores = np.asarray(scores, dtype=float)
    rank = 1 + int(np.sum(scores > scores[target]))
    return float(1 / np.log2(rank + 1)) if rank <= k else 0.0
''',
            "pessimistic ties: the target loses every tie": '''
def candidate_ndcg(scores, target, k):
    scores = np.asarray(scores, dtype=float)
    rank = int(np.sum(scores >= scores[target]))
    return float(1 / np.log2(rank + 1)) if rank <= k else 0.0
''',
            "NDCG of the mean rank instead of the mean NDCG": '''
def candidate_ndcg(scores, target, k):
    scores = np.asarray(scores, dtype=float)
    higher = np.sum(scores > scores[target])
    tied = np.sum(scores == scores[target]) - 1
    rank = higher + 1 + tied / 2
    return float(1 / np.log2(rank + 1)) if rank <= k else 0.0
''',
            "ignores the cut-off k": '''
def candidate_ndcg(scores, target, k):
    scores = np.asarray(scores, dtype=float)
    higher = int(np.sum(scores > scores[target]))
    tied = int(np.sum(scores == scores[target])) - 1
    ranks = np.arange(higher + 1, higher + tied + 2)
    return float(np.mean(1.0 / np.log2(ranks + 1)))
''',
        },
    },
    "ex4_history_prompt": {
        "correct": [
            '''
def history_prompt(titles, max_tokens, count_tokens=count_words):
    titles = list(titles)
    if not titles:
        raise ValueError("no titles")
    kept = []
    for title in reversed(titles):
        candidate = [title] + kept
        if count_tokens("I recently watched: " + "; ".join(candidate) + ".") > max_tokens:
            break
        kept = candidate
    if not kept:
        raise ValueError("nothing fits")
    return "I recently watched: " + "; ".join(kept) + "."
''',
            '''
def history_prompt(titles, max_tokens, count_tokens=count_words):
    titles = list(titles)
    sentences = ["I recently watched: " + "; ".join(titles[start:]) + "." for start in range(len(titles))]
    fitting = [s for s in sentences if count_tokens(s) <= max_tokens]
    # token counts only grow with more titles, so the first fitting sentence is the longest suffix
    if not fitting:
        raise ValueError(f"nothing fits in {max_tokens} tokens")
    for start in range(len(titles) - 1, -1, -1):
        if count_tokens(sentences[start]) > max_tokens:
            return sentences[start + 1]
    return sentences[0]
''',
        ],
        "wrong": {
            "keeps the oldest titles": '''
def history_prompt(titles, max_tokens, count_tokens=count_words):
    titles = list(titles)
    kept = []
    for title in titles:
        if count_tokens("I recently watched: " + "; ".join(kept + [title]) + ".") > max_tokens:
            break
        kept.append(title)
    if not kept:
        raise ValueError("nothing fits")
    return "I recently watched: " + "; ".join(kept) + "."
''',
            "newest first": '''
def history_prompt(titles, max_tokens, count_tokens=count_words):
    kept = []
    for title in reversed(list(titles)):
        if count_tokens("I recently watched: " + "; ".join(kept + [title]) + ".") > max_tokens:
            break
        kept.append(title)
    if not kept:
        raise ValueError("nothing fits")
    return "I recently watched: " + "; ".join(kept) + "."
''',
            "strict budget (< instead of <=)": '''
def history_prompt(titles, max_tokens, count_tokens=count_words):
    titles = list(titles)
    best = None
    for start in range(len(titles) - 1, -1, -1):
        sentence = "I recently watched: " + "; ".join(titles[start:]) + "."
        if count_tokens(sentence) >= max_tokens:
            break
        best = sentence
    if best is None:
        raise ValueError("nothing fits")
    return best
''',
            "skips a long title and keeps older ones": '''
def history_prompt(titles, max_tokens, count_tokens=count_words):
    kept = []
    for title in reversed(list(titles)):
        if count_tokens("I recently watched: " + "; ".join([title] + kept) + ".") <= max_tokens:
            kept = [title] + kept
    if not kept:
        raise ValueError("nothing fits")
    return "I recently watched: " + "; ".join(kept) + "."
''',
        },
    },
    "ex5_match_titles": {
        "correct": [
            '''
import difflib
import re

def match_titles(text, catalogue, cutoff=0.8):
    lowered = [t.lower().strip() for t in catalogue]
    out = []
    for piece in re.split(r"[\\n;]", text):
        m = piece.strip()
        m = re.sub(r"^(?:\\d+[.)]|[-*•])\\s*", "", m).strip().strip('"\\'“”').strip()
        m = re.sub(r"\\s*\\(\\d{4}\\)$", "", m).strip()
        if not m:
            continue
        m = m.lower()
        if m in lowered:
            out.append(lowered.index(m))
            continue
        best, best_ratio = -1, -1.0
        for i, t in enumerate(lowered):
            r = difflib.SequenceMatcher(None, m, t).ratio()
            if r > best_ratio:
                best, best_ratio = i, r
        out.append(best if best_ratio >= cutoff else -1)
    return out
''',
            '''
import difflib
import re

MARKER = re.compile(r"^\\s*(?:[0-9]+[.)]|[-*•])?\\s*[\\"'“”]*(.*?)[\\"'“”]*\\s*(?:\\([0-9]{4}\\))?\\s*$")

def match_titles(text, catalogue, cutoff=0.8):
    keys = {}
    for i, t in reversed(list(enumerate(catalogue))):
        keys[t.strip().lower()] = i
    result = []
    for line in text.replace(";", "\\n").splitlines():
        mention = MARKER.match(line).group(1).strip().strip('"\\'“”').strip().lower()
        if not mention:
            continue
        if mention in keys:
            result.append(keys[mention])
            continue
        scores = np.array([difflib.SequenceMatcher(None, mention, t.strip().lower()).ratio() for t in catalogue])
        result.append(int(scores.argmax()) if scores.max() >= cutoff else -1)
    return result
''',
        ],
        "wrong": {
            "keeps the list numbering": '''
import difflib
import re

def match_titles(text, catalogue, cutoff=0.8):
    lowered = [t.lower() for t in catalogue]
    out = []
    for piece in re.split(r"[\\n;]", text):
        m = piece.strip().strip('"\\'“”')
        m = re.sub(r"\\s*\\(\\d{4}\\)$", "", m).strip().lower()
        if not m:
            continue
        ratios = [difflib.SequenceMatcher(None, m, t).ratio() for t in lowered]
        best = int(np.argmax(ratios))
        out.append(best if ratios[best] >= cutoff else -1)
    return out
''',
            "case-sensitive comparison": '''
import difflib
import re

def match_titles(text, catalogue, cutoff=0.8):
    out = []
    for piece in re.split(r"[\\n;]", text):
        m = re.sub(r"^(\\d+[.)]|[-*•])\\s*", "", piece.strip()).strip().strip('"\\'“”').strip()
        m = re.sub(r"\\s*\\(\\d{4}\\)$", "", m).strip()
        if not m:
            continue
        ratios = [difflib.SequenceMatcher(None, m, t).ratio() for t in catalogue]
        best = int(np.argmax(ratios))
        out.append(best if ratios[best] >= cutoff else -1)
    return out
''',
            "no cut-off: every mention matches something": '''
import difflib
import re

def match_titles(text, catalogue, cutoff=0.8):
    lowered = [t.lower() for t in catalogue]
    out = []
    for piece in re.split(r"[\\n;]", text):
        m = re.sub(r"^(\\d+[.)]|[-*•])\\s*", "", piece.strip()).strip().strip('"\\'“”').strip()
        m = re.sub(r"\\s*\\(\\d{4}\\)$", "", m).strip().lower()
        if not m:
            continue
        out.append(int(np.argmax([difflib.SequenceMatcher(None, m, t).ratio() for t in lowered])))
    return out
''',
            "splits at newlines only": '''
import difflib
import re

def match_titles(text, catalogue, cutoff=0.8):
    lowered = [t.lower() for t in catalogue]
    out = []
    for piece in text.split("\\n"):
        m = re.sub(r"^(\\d+[.)]|[-*•])\\s*", "", piece.strip()).strip().strip('"\\'“”').strip()
        m = re.sub(r"\\s*\\(\\d{4}\\)$", "", m).strip().lower()
        if not m:
            continue
        ratios = [difflib.SequenceMatcher(None, m, t).ratio() for t in lowered]
        best = int(np.argmax(ratios))
        out.append(best if ratios[best] >= cutoff else -1)
    return out
''',
        },
    },
    "ex6_aggregate_orders": {
        "correct": [
            '''
from scipy.stats import rankdata

def aggregate_orders(shown_scores, orders):
    shown_scores = np.asarray(shown_scores, dtype=float)
    orders = np.asarray(orders)
    ranks = np.zeros(shown_scores.shape, dtype=float)
    for o in range(len(orders)):
        ranks[o, orders[o]] = rankdata(-shown_scores[o], method="average")
    return ranks.mean(axis=0)
''',
            '''
def aggregate_orders(shown_scores, orders):
    num_orders, n = len(shown_scores), len(shown_scores[0])
    total = [0.0] * n
    for scores, order in zip(shown_scores, orders):
        for j in range(n):
            higher = sum(1 for s in scores if s > scores[j])
            equal = sum(1 for s in scores if s == scores[j])
            total[int(order[j])] += higher + (equal + 1) / 2
    return np.array(total, dtype=np.float64) / num_orders
''',
        ],
        "wrong": {
            "forgets to undo the permutation": '''
from scipy.stats import rankdata

def aggregate_orders(shown_scores, orders):
    shown_scores = np.asarray(shown_scores, dtype=float)
    return np.mean([rankdata(-row, method="average") for row in shown_scores], axis=0)
''',
            "rank 1 = lowest score": '''
from scipy.stats import rankdata

def aggregate_orders(shown_scores, orders):
    shown_scores = np.asarray(shown_scores, dtype=float)
    orders = np.asarray(orders)
    ranks = np.zeros(shown_scores.shape)
    for o in range(len(orders)):
        ranks[o, orders[o]] = rankdata(shown_scores[o], method="average")
    return ranks.mean(axis=0)
''',
            "ties broken by position instead of averaged": '''
def aggregate_orders(shown_scores, orders):
    shown_scores = np.asarray(shown_scores, dtype=float)
    orders = np.asarray(orders)
    ranks = np.zeros(shown_scores.shape)
    for o in range(len(orders)):
        position_ranks = np.empty(shown_scores.shape[1])
        position_ranks[np.argsort(-shown_scores[o], kind="stable")] = np.arange(1, shown_scores.shape[1] + 1)
        ranks[o, orders[o]] = position_ranks
    return ranks.mean(axis=0)
''',
            "indexes by the permutation the wrong way round": '''
from scipy.stats import rankdata

def aggregate_orders(shown_scores, orders):
    shown_scores = np.asarray(shown_scores, dtype=float)
    orders = np.asarray(orders)
    ranks = np.zeros(shown_scores.shape)
    for o in range(len(orders)):
        ranks[o] = rankdata(-shown_scores[o], method="average")[orders[o]]
    return ranks.mean(axis=0)
''',
        },
    },
}
