"""Surviving mutants of the reference solutions that cannot change an answer (``make mutants``).

chapter -> {the mutant's description, as course/grading/mutants.py prints it: why no test can kill it}.
A survivor that is a real mistake gets a test instead; tests/test_mutants.py fails while a recorded
survivor is in neither place, and when an entry here no longer names a recorded survivor.
"""

EQUIVALENT: dict[str, dict[str, str]] = {
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
}
