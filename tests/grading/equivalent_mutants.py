"""Surviving mutants of the reference solutions that cannot change an answer (``make mutants``).

chapter -> {the mutant's description, as course/grading/mutants.py prints it: why no test can kill it}.
A survivor that is a real mistake gets a test instead; tests/test_mutants.py fails while a recorded
survivor is in neither place, and when an entry here no longer names a recorded survivor.
"""

_CE_RAISE = 'in `raise ValueError(f"targets must lie in [0, {logits.shape[1] - 1}]")`'
_EMBEDDING_RAISE = 'in `raise IndexError(f"id {bad.ravel()[0]} is outside [0, {table.shape[0] - 1}]")`'

_CANDIDATES_MESSAGE = 'in `f"only {eligible.size} eligible items for {num_candidates - 1} negatives"`'
_PROMPT_MESSAGE = 'in `f"no title fits in {max_tokens} tokens (titles: {titles[-1:]})"`'

_FIT_START = "`start = (0.9 * floor, max(loss.max() - 0.9 * floor, 1e-6), 0.5)`"
_FIT_BOUNDS = "`bounds=([0.0, 0.0, 1e-6], [floor, np.inf, 10.0]), maxfev=20_000,`"

EQUIVALENT: dict[str, dict[str, str]] = {
    "02_evaluation": {
        "ex3_ndcg line 6: 1.0 -> 2.0 in `discounts = 1.0 / np.log2(np.arange(2, k + 2))`": (
            "every discount doubles, in the DCG and in the ideal DCG alike: their ratio is unchanged"
        ),
        "ex3_ndcg line 6: 2 -> 3 in `discounts = 1.0 / np.log2(np.arange(2, k + 2))` (#2)": (
            "one extra discount at position k + 1, which neither the top k nor the ideal's first k gains use"
        ),
    },
    "01_basics": {
        "ex3_similarity line 13: 0 -> -1 in `if len(x) < 2 or norm == 0:`": (
            "co-rated values are non-zero, so with two or more of them both norms are positive: "
            "`norm == 0` and `norm == -1` are both never true where the first clause has not returned"
        ),
        "ex3_similarity line 21: 2 -> 1 in `if len(x) < 2:`": (
            "with exactly one co-rated item both centred vectors are 0, so the zero-norm branch "
            "returns the same 0.0"
        ),
    },
    "03_deep_learning": {
        "ex1_sigmoid line 5: GtE -> Gt in `return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))`": (
            "at z = 0 both branches give 0.5: the boundary can go to either"
        ),
        **dict.fromkeys(
            [f"ex2_cross_entropy line 6: {change} {_CE_RAISE}" for change in ("1 -> 0", "1 -> 2", "Sub -> Add")]
            + [f"ex2_cross_entropy line 6: 1 -> 0 {_CE_RAISE} (#2)"],
            "the valid range the error message states is wording, not graded: any ValueError is correct",
        ),
        "ex6_embedding line 4: GtE -> Gt in `bad = ids[(ids < 0) | (ids >= table.shape[0])]`": (
            "an id equal to the number of rows then reaches `table[ids]`, where NumPy raises the required "
            "IndexError, naming that id"
        ),
        f"ex6_embedding line 6: 0 -> -1 {_EMBEDDING_RAISE}": (
            "naming any offending id is correct, the first or the last"
        ),
        **dict.fromkeys(
            [f"ex6_embedding line 6: {change} {_EMBEDDING_RAISE}" for change in ("1 -> 0", "1 -> 2", "Sub -> Add")]
            + [f"ex6_embedding line 6: {change} {_EMBEDDING_RAISE} (#2)" for change in ("0 -> -1", "0 -> 1")],
            "the valid range the error message states is wording, not graded (the id it names is)",
        ),
    },
    "04_embeddings_ncf": {
        "ex4_adjacency line 5: 1 -> 0 in `degree = np.asarray(adjacency.sum(axis=1)).ravel()`": (
            "the bipartite adjacency is symmetric: its column sums are its row sums"
        ),
    },
    "06_pretrained_lm": {
        "ex5_profile line 6: .mean -> .sum in `mean = vectors[liked].mean(axis=0)`": (
            "the sum is the mean times the number of liked items, and the result is scaled to length 1"
        ),
    },
    "07_generative_llm": {
        "ex1_candidates line 12: 1 -> 2 in `if eligible.size < num_candidates - 1:`": (
            "with one eligible item too few, `rng.choice(..., replace=False)` raises the required ValueError itself"
        ),
        **dict.fromkeys(
            [f"ex1_candidates line 14: {change} {_CANDIDATES_MESSAGE}" for change in ("1 -> 0", "1 -> 2", "Sub -> Add")]
            + [f"ex4_history_prompt line 12: {change} {_PROMPT_MESSAGE}"
               for change in ("1 -> 0", "1 -> 2", "USub dropped")],
            "the wording of the error message is not graded: any ValueError is correct",
        ),
        "ex6_aggregate_orders line 8: 1 -> 0 in `tied = (scores[None, :] == scores[:, None]).sum(axis=1)`": (
            "the matrix of equal pairs is symmetric: its column sums are its row sums"
        ),
    },
    "08_training": {
        "ex1_batches line 3: 1 -> 0 in `if batch_size < 1:`": (
            "the statement asks for no check; a batch size of 0 then makes `range` raise a ValueError anyway"
        ),
        **dict.fromkeys(
            [f"ex2_popularity line 5: {change} in `if not total > 0:`" for change in ("0 -> -1", "Gt -> GtE")],
            "only counts whose powers sum to 0 reach the changed branch, and the statement does not define them "
            "(the reference's check is an extra)",
        ),
        "ex4_sampled_softmax line 7: 0 -> -1 in "
        "`log_norm = top[:, 0] + np.log(np.exp(corrected - top).sum(axis=1))`": (
            "`top` keeps one column (keepdims): its first column is its last"
        ),
        "ex5_adamw line 13: Add -> Sub in `return param - lr * m_hat / (np.sqrt(v_hat) + eps), m, v`": (
            "eps = 1e-8 added or subtracted moves the step by a relative 1e-8 or less where sqrt(v_hat) is "
            "not tiny; no tolerance a correct answer needs can tell the two apart"
        ),
    },
    "10_ecommerce": {
        "ex3_category_cap line 7: 0 -> -1 in `if per_category.get(category, 0) < cap:`": (
            "the default only matters for a category's first item, where -1 < cap and 0 < cap agree for every "
            "cap >= 1; a cap of 0 is outside the exercise (it would ask for no item per category)"
        ),
    },
    "11_social": {
        "ex4_topic_cap line 8: 0 -> -1 in `if counts.get(topic, 0) < max_per_topic:`": (
            "the default only matters for a topic's first post, where -1 < cap and 0 < cap agree for every "
            "cap >= 1; a cap of 0 is outside the exercise"
        ),
    },
    "12_music_video": {
        "ex5_rerank line 5: 1 -> 2 in `per_artist = np.zeros(artist.max() + 1)`": (
            "one more counter than there are artists: the extra one is never read"
        ),
    },
    "13_system_performance": {
        "ex2_quantize line 4: 0.0 -> 1.0 in `largest = float(np.abs(x).max()) if x.size else 0.0`": (
            "only an empty vector reaches this branch, and the statement defines no scale for it (it names "
            "the all-zero vector); the reference merely avoids max() of nothing"
        ),
        "ex2_quantize line 6: 127 -> 128 in `q = np.clip(np.round(x / scale), -127, 127).astype(np.int8)`": (
            "with scale = max|x| / 127, round(x / scale) already lies in [-127, 127]: the clip never acts"
        ),
        "ex2_quantize line 6: 127 -> 128 in `q = np.clip(np.round(x / scale), -127, 127).astype(np.int8)` (#2)": (
            "the same clip bound on the other side: it never acts"
        ),
        "ex4_lru line 12: 0 -> -1 in `if capacity > 0:`": (
            "with capacity 0 the key is stored and evicted at once, so no later request can hit it: the "
            "guard only saves that work"
        ),
        "ex4_lru line 12: Gt -> GtE in `if capacity > 0:`": "the same guard: capacity 0 stores and evicts at once",
        "ex5_percentile line 5: 1 -> 0 in `return float(ordered[max(rank, 1) - 1])` (#2)": (
            "for 0 < p <= 100, the statement's range, ceil(p / 100 * n) >= 1 already; only p = 0 would differ"
        ),
    },
    "18_simulated_users": {
        'ex2_score_completion line 10: 1 -> 0 in `return {"year": bool(found) and int(found.group(1)) == int(year),`': (
            "the pattern is one capture group and nothing else, so group(0) and group(1) are the same text"
        ),
        "ex7_rank_change line 4: 1 -> 0 in `higher = (scores[None, :] > scores[:, None]).sum(axis=1)`": (
            "counting lower instead of higher scores turns every rank r into n + 1 - r for both score vectors "
            "alike: the absolute rank differences are unchanged"
        ),
        "ex7_rank_change line 5: 1 -> 0 in `tied = (scores[None, :] == scores[:, None]).sum(axis=1)`": (
            "the equality matrix is symmetric: its row and column sums are the same"
        ),
        "ex7_rank_change line 6: 1 -> 0 in `return higher + (tied + 1) / 2`": (
            "every rank of both vectors moves by the same -1/2: the differences are unchanged"
        ),
        "ex7_rank_change line 6: 1 -> 2 in `return higher + (tied + 1) / 2`": (
            "every rank of both vectors moves by the same +1/2: the differences are unchanged"
        ),
        "ex7_rank_change line 6: Add -> Sub in `return higher + (tied + 1) / 2` (#2)": (
            "(tied - 1) / 2 moves every rank of both vectors by the same -1: the differences are unchanged"
        ),
    },
    "14_trustworthy": {
        "ex2_fedavg line 10: 0 -> -1 in `for name in client_params[0]`": (
            "every client holds the same parameter names: the last client's keys are the first's"
        ),
        "ex5_mmr line 6: 0 -> -1 in `penalty = similarity[chosen[0]].copy()`": (
            "`chosen` holds one item at that point: its first is its last"
        ),
        "ex6_ucb line 5: 0 -> -1 in `untried = np.flatnonzero(counts == 0)`": (
            "with no arm marked untried, an unshown arm's bound is 0/0 + sqrt(.../0) = NaN, and np.argmax "
            "returns the first NaN: the lowest-numbered unshown arm, as the statement asks"
        ),
    },
    "17_adapting_lm": {
        "ex2_auc line 6: 0 -> -1 in `if len(liked) == 0 or len(disliked) == 0:`": (
            "the guard then never fires, but with an empty class the pair count is 0 and NumPy's 0.0 / 0 "
            "returns the same NaN (with a RuntimeWarning)"
        ),
        "ex2_auc line 6: 0 -> -1 in `if len(liked) == 0 or len(disliked) == 0:` (#2)": (
            "as above for the disliked side: the division by a pair count of 0 returns the same NaN"
        ),
        "ex2_auc line 6: Or -> And in `if len(liked) == 0 or len(disliked) == 0:`": (
            "with one class empty the guard is skipped, and the division by a pair count of 0 returns the "
            "same NaN"
        ),
        "ex5_select_history line 5: Mult -> Div in "
        "`norms = np.linalg.norm(vectors, axis=1) * np.linalg.norm(candidate)`": (
            "dividing by |c| instead of multiplying scales every similarity by the same 1/|c|^2 > 0, "
            "so the order of the history positions, and the answer, is unchanged"
        ),
    },
    "15_semantic_ids": {
        "ex1_residual_kmeans line 12: .sum -> .mean in "
        "`distances = ((residual[:, None, :] - codebooks[level][None]) ** 2).sum(-1)`": (
            "the mean is the sum divided by the dimension: the nearest centroid is the same"
        ),
        "ex1_residual_kmeans line 9: 1 -> 2 in `fitted = KMeans(n_clusters=k, n_init=1, random_state=seed + level)`": (
            "a second k-means start gives another local optimum, which the tests accept as any correct "
            "answer's k-means would be (they check the residual construction, not one clustering)"
        ),
    },
    "16_scaling": {
        "ex2_gated_output line 6: 1e-05 -> 2e-05 in `return (mixed - mean) / torch.sqrt(variance + 1e-5) * u`": (
            "the layer norm's epsilon moves the output by about 1e-5 relative, inside every tolerance a "
            "correct answer (torch's LayerNorm included) needs"
        ),
        "ex5_fit_power_law line 7: .min -> .max in `scale = compute.min()`": (
            "compute is rescaled only to condition the fit; A is scaled back, so any positive scale fits "
            "the same curve"
        ),
        "ex5_fit_power_law line 12: .min -> .max in `floor = loss.min()`": (
            "a looser upper bound on E: the least-squares optimum has E below the smallest loss either way"
        ),
        **dict.fromkeys(
            [f"ex5_fit_power_law line 13: {change} in {_FIT_START}"
             for change in (".max -> .min", "0.5 -> 1.0", "1e-06 -> 2e-06", "Mult -> Div", "Sub -> Add",
                            "max -> min")]
            + [f"ex5_fit_power_law line 13: {change} in {_FIT_START} (#2)" for change in ("0.9 -> 1.8", "Mult -> Div")]
            + [f"ex5_fit_power_law line 16: {change} in {_FIT_BOUNDS}"
               for change in ("10.0 -> 20.0", "1e-06 -> 2e-06", "20000 -> 19999", "20000 -> 20001")],
            "the optimiser's start, bounds and evaluation budget: curve_fit reaches the same least-squares "
            "optimum from any of them on the tests' data, which is what the statement asks for",
        ),
        "ex6_compute_optimal line 5: FloorDiv -> Div in "
        "`epochs = min(int(budget // (6 * size * tokens_per_epoch)), max_epochs)`": (
            "int() truncates a positive quotient to the same whole number of epochs as floor division"
        ),
    },
}
