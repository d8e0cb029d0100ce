"""Chapter 13: compression, retrieval, caching, serving, online updates and DDP figures hold."""

from __future__ import annotations

import numpy as np
import pytest

from recsys_helpers.data import load_movielens_100k
from recsys_helpers.preprocessing import encode_interactions, interaction_matrix, to_implicit
from recsys_helpers.serving import LRUCache
from recsys_helpers.split import per_user_random_split

CHAPTER = "13_system_performance"
NUM_USERS, NUM_ITEMS = 943, 1682


def test_model_and_protocol(recorded):
    assert recorded["13_num_test_users"] == 931  # chapter 02's protocol: users with a positive test item
    assert 0.15 < recorded["13_ndcg_base"] < 0.5


def test_pruning_sizes_follow_the_csr_format(recorded):
    dim, rows = 64, NUM_USERS + NUM_ITEMS
    for sparsity, key in ((0.5, "13_prune50_size"), (0.9, "13_prune90_size")):
        kept = rows * dim - round(sparsity * rows * dim)  # per table, rounded per table below
        expected = (8 * kept + 4 * (rows + 2)) / (4 * rows * dim)
        assert recorded[key] == pytest.approx(expected, rel=2e-3)
    assert recorded["13_prune50_size"] > 1.0  # half the weights pruned, nothing saved
    for tag in ("13_ci_prune50", "13_ci_prune90"):
        assert recorded[f"{tag}_low"] <= recorded[f"{tag}_difference"] <= recorded[f"{tag}_high"]
    assert recorded["13_ci_prune90_high"] < 0  # 90% pruning costs NDCG


def test_int8_quantisation_is_nearly_free(recorded):
    assert recorded["13_int8_size"] == pytest.approx(0.25 + 1 / 64)  # int8 values + one float32 scale per row
    assert (
        recorded["13_ci_int8_low"] <= 0 <= recorded["13_ci_int8_high"] or abs(recorded["13_ci_int8_difference"]) < 2e-3
    )
    assert abs(recorded["13_int8_ndcg"] - recorded["13_ndcg_base"]) < 3e-3
    assert abs(recorded["13_dyn_ndcg"] - recorded["13_ndcg_base"]) < 5e-3
    assert recorded["13_fp32_ms"] > 0 and recorded["13_dyn_ms"] > 0
    assert recorded["13_dyn_qscheme"].startswith("per_tensor")  # one scale for the whole table (prose, §3)


def test_int8_speed_verdict_follows_its_interval(recorded):
    low, high = recorded["13_dyn_speedup_low"], recorded["13_dyn_speedup_high"]
    assert 0 < low <= recorded["13_dyn_speedup"] <= high and recorded["13_dyn_repeats"] >= 20
    expected = ("is faster than" if low > 1 else "is slower than" if high < 1
                else "cannot be told apart in speed from")
    assert recorded["13_dyn_verdict"] == expected, (low, high)


def test_dimension_trade_off(recorded):
    assert recorded["13_dim64_ndcg"] == recorded["13_ndcg_base"]
    assert recorded["13_dim8_ndcg"] < recorded["13_dim64_ndcg"]
    assert recorded["13_ci_dim_low"] > 0  # 64 dimensions beat 8 beyond the noise of the users
    assert recorded["13_ci_dim32_low"] <= recorded["13_ci_dim32_high"]


THREE_SEED_WORDS = ("is ahead of", "falls behind", "cannot be told apart from")  # above / below / inside zero


@pytest.mark.parametrize("verdict, prefix", [
    ("13_verdict_dim8_3", "13_ci_dim8_3"),
    ("13_verdict_dim32_3", "13_ci_dim32_3"),
    ("13_verdict_incremental3_frozen", "13_ci_incremental3_frozen"),
    ("13_verdict_full3_incremental", "13_ci_full3_incremental"),
])
def test_three_seed_verdicts_follow_their_intervals(recorded, verdict, prefix):
    low, high = recorded[f"{prefix}_low"], recorded[f"{prefix}_high"]
    assert low <= recorded[f"{prefix}_difference"] <= high
    above, below, inside = THREE_SEED_WORDS
    assert recorded[verdict] == (above if low > 0 else below if high < 0 else inside), (verdict, low, high)


def test_seed_ranges_are_recorded(recorded):
    for dim in (8, 32, 64):  # the chapter's seed is one of the three
        assert recorded[f"13_dim{dim}_seed_min"] <= recorded[f"13_dim{dim}_ndcg"] <= recorded[f"13_dim{dim}_seed_max"]
    for slug in ("frozen", "incremental", "full"):
        assert 0 <= recorded[f"13_{slug}_seed_min"] < recorded[f"13_{slug}_seed_max"] <= 1  # the seeds differ
    # a difference of three-run means lies between the extremes the seed ranges allow
    for prefix, a, b in (("13_ci_dim8_3", "dim64", "dim8"), ("13_ci_dim32_3", "dim64", "dim32"),
                         ("13_ci_incremental3_frozen", "incremental", "frozen"),
                         ("13_ci_full3_incremental", "full", "incremental")):
        difference = recorded[f"{prefix}_difference"]
        low = recorded[f"13_{a}_seed_min"] - recorded[f"13_{b}_seed_max"]
        high = recorded[f"13_{a}_seed_max"] - recorded[f"13_{b}_seed_min"]
        assert low - 1e-9 <= difference <= high + 1e-9, (prefix, low, difference, high)
    assert recorded["13_ci_incremental3_frozen_num_users"] == recorded["13_ci_incremental_frozen_num_users"]
    assert recorded["13_ci_dim8_3_num_users"] == recorded["13_num_test_users"]


def test_retrieval(recorded):
    assert recorded["13_exact_ms_10000"] < recorded["13_exact_ms_100000"] < recorded["13_exact_ms_1000000"]
    assert recorded["13_exact_mb_1m"] == pytest.approx(1_000_000 * 32 * 4 / 1e6)
    assert recorded["13_exact_qps_1m"] == pytest.approx(1e3 / recorded["13_exact_ms_1000000"])
    assert recorded["13_ivfpq_mb"] < recorded["13_exact_mb_1m"] / 3  # 16-byte codes against 128-byte vectors
    assert 0.3 < recorded["13_ivfpq_best_recall"] < recorded["13_rerank_best_recall"] <= 1.0
    assert recorded["13_rerank_best_ms"] < recorded["13_exact_ms_1000000"]
    assert 0.6 < recorded["13_hnsw_best_recall"] <= 1.0
    assert recorded["13_hnsw_mb"] > 100_000 * 32 * 4 / 1e6  # full vectors plus the graph
    assert recorded["13_real_hnsw_recall"] > 0.9


def test_cache_hit_rates_recomputed(recorded):
    hit_rates = [recorded[f"13_hit_rate_{c}"] for c in (10, 50, 100, 200, 400)]
    assert all(0 < a < b < 1 for a, b in zip(hit_rates, hit_rates[1:]))
    data = load_movielens_100k()
    encoded, users, items = encode_interactions(data.ratings)
    train_ratings, _ = per_user_random_split(encoded, test_fraction=0.2, seed=42)
    train = interaction_matrix(to_implicit(train_ratings), len(users), len(items))
    rank = np.argsort(-np.diff(train.indptr), kind="stable")
    weights = 1.0 / np.arange(1, len(users) + 1)
    stream = rank[np.random.default_rng(42).choice(len(users), size=20_000, p=weights / weights.sum())]
    cache = LRUCache(50)
    for user in stream.tolist():
        if cache.get(user) is None:
            cache.put(user, True)
    assert recorded["13_hit_rate_50"] == pytest.approx(cache.hits / len(stream))
    assert 0 < recorded["13_hit_rate_50_08"] < recorded["13_hit_rate_50"]  # a flatter stream hits less


def test_service_load(recorded):
    for index in ("exact", "ann"):
        for cache in ("nocache", "cache"):
            tag = f"13_{index}_{cache}"
            assert 0 < recorded[f"{tag}_p50"] <= recorded[f"{tag}_p99"]
            assert recorded[f"{tag}_p99_low"] <= recorded[f"{tag}_p99"] <= recorded[f"{tag}_p99_high"]
            assert recorded[f"{tag}_rps"] > 0
    assert recorded["13_ann_nocache_rps"] > recorded["13_exact_nocache_rps"]
    assert recorded["13_num_requests"] == 2_000 and recorded["13_p99_tail"] == 20


def test_online_updates(recorded):
    for tag in ("13_ci_incremental_frozen", "13_ci_full_incremental"):
        assert recorded[f"{tag}_low"] <= recorded[f"{tag}_difference"] <= recorded[f"{tag}_high"]
        assert recorded[f"{tag}_num_users"] > 30
    assert recorded["13_cost_incremental"] < recorded["13_cost_full"]


def test_data_parallel_matches_single_process(recorded):
    assert recorded["13_ddp_max_diff"] < 1e-5
    assert (
        recorded["13_ddp_speedup"]
        == pytest.approx(recorded["13_ddp_single_seconds"] / recorded["13_ddp_double_seconds"])
    )
    assert recorded["13_grad_mb"] == pytest.approx(4 * 64 * (NUM_USERS + NUM_ITEMS) / 1e6)


def test_single_machine_arithmetic(recorded):
    assert recorded["13_billion_seconds"] == pytest.approx(1e9 / recorded["13_rows_per_second"])
    assert recorded["13_billion_gb"] == pytest.approx(recorded["13_bytes_per_row"])
    assert recorded["13_blas_threads"] >= 1
    assert recorded["13_run_seconds"] > 0


def test_the_open_loop_at_three_rates(recorded):
    assert recorded["13_open_requests"] == 600
    closed = recorded["13_exact_nocache_rps"]
    for share in (25, 50, 75):
        tag = f"13_open_{share}"
        assert recorded[f"{tag}_rps"] == pytest.approx(share / 100 * closed)
        assert 0 < recorded[f"{tag}_p50"] <= recorded[f"{tag}_p99"]
        assert recorded[f"{tag}_p99_low"] <= recorded[f"{tag}_p99"] <= recorded[f"{tag}_p99_high"]
    gap_low = recorded["13_open_75_p99_low"] - recorded["13_exact_nocache_p99_high"]
    gap_high = recorded["13_open_75_p99_high"] - recorded["13_exact_nocache_p99_low"]
    words = "above" if gap_low > 0 else "below" if gap_high < 0 else "not distinguishable from"
    assert recorded["13_verdict_open_closed_p99"] == words
