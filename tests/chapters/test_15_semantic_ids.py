"""Chapter 15: the tokenizer's figures recomputed, the baselines recomputed, every verdict checked
against its recorded interval, and the prose's statements about codes, decoding and new items."""

from __future__ import annotations

import math

import numpy as np
import pytest

from recsys_helpers.baselines import PopularityRecommender
from recsys_helpers.data import load_movielens_100k
from recsys_helpers.evaluation import per_user_metrics
from recsys_helpers.models.sequential import build_sequences
from recsys_helpers.preprocessing import encode_interactions, interaction_matrix, shuffle_time_ties
from recsys_helpers.semantic_ids import (
    codebook_perplexity,
    collision_rate,
    dedupe_codes,
    reconstruct,
    residual_kmeans,
)
from recsys_helpers.split import leave_last_out
from recsys_helpers.text import LazySentenceEncoder, TextEmbedder, film_sentence

CHAPTER = "15_semantic_ids"
SEED, K, LEVELS, CODES, LATENT = 0, 10, 3, 64, 48
VERDICTS = {"ahead of", "behind", "not distinguishable from"}


@pytest.fixture(scope="module")
def catalogue():
    data = load_movielens_100k()
    frame, users, items = encode_interactions(data.ratings)
    films = data.items.set_index("item_id").loc[items.classes_]
    texts = [film_sentence(t, y, g) for t, y, g in zip(films["title"], films["year"], films["genres"])]
    vectors = TextEmbedder(LazySentenceEncoder()).embed(texts, normalize=True)
    centred = vectors - vectors.mean(axis=0)
    _, singular, components = np.linalg.svd(centred, full_matrices=False)
    return frame, films, centred @ components[:LATENT].T, singular


@pytest.fixture(scope="module")
def quantised(catalogue):
    return residual_kmeans(catalogue[2], levels=LEVELS, k=CODES, seed=SEED)


def test_tokenizer_figures_recomputed(recorded, catalogue, quantised):
    """Sections 1-2: variance kept, reconstruction error per level, perplexity, collisions."""
    _, _, latent, singular = catalogue
    assert recorded["15_variance_kept"] == pytest.approx((singular[:LATENT] ** 2).sum() / (singular ** 2).sum())
    codes, books = quantised
    total = (latent ** 2).sum()
    errors = [((latent - reconstruct(codes[:, :lv], books[:lv])) ** 2).sum() / total for lv in (1, 2, 3)]
    for level, error in enumerate(errors, start=1):
        assert recorded[f"15_rq_error_{level}"] == pytest.approx(error, rel=1e-9)
    perplexity = codebook_perplexity(codes, CODES)
    for level in range(LEVELS):
        assert recorded[f"15_rq_perplexity_{level + 1}"] == pytest.approx(perplexity[level], rel=1e-9)
    assert recorded["15_rq_collision"] == pytest.approx(collision_rate(codes))
    full = dedupe_codes(codes)
    assert recorded["15_max_extra"] == full[:, -1].max() and recorded["15_vocab_extra"] == full[:, -1].max() + 1
    assert collision_rate(full) == 0.0  # "after TIGER's fourth token every film has its own tuple"
    # the text: each level refines the last; neither quantiser reproduces a vector well with 18 bits
    assert errors[0] > errors[1] > errors[2] > 0.2 and recorded["15_pq_error"] > 0.2
    # "uses its codebooks widely at every level"
    assert min(perplexity) > CODES / 2
    # "similar films land on the same tuple"
    assert 0 < recorded["15_rq_collision"] < 0.5 and recorded["15_max_extra"] >= 1


def test_rqvae_verdict_follows_its_figures(recorded):
    """Section 3: 'collapse' only when random init leaves the least used codebook at under half of k-means init's."""
    collapsed = recorded["15_vae_random_perplexity_min"] < 0.5 * recorded["15_vae_kmeans_perplexity_min"]
    assert recorded["15_vae_verdict"] == ("collapse" if collapsed else "do not collapse")
    for slug in ("kmeans", "random"):
        assert 1 <= recorded[f"15_vae_{slug}_perplexity_min"] <= CODES
        assert 0 <= recorded[f"15_vae_{slug}_collision"] <= 1


def test_codes_group_films_by_genre(recorded, catalogue, quantised):
    """Section 4, recomputed: same-first-code pairs share a genre more often than random pairs."""
    _, films, _, _ = catalogue
    codes = quantised[0]
    names = sorted({g for gs in films["genres"] for g in gs})
    genre = np.array([[g in gs for g in names] for gs in films["genres"]])
    rng = np.random.default_rng(SEED)
    first, second = rng.integers(0, len(films), (2, 2_000_000))
    distinct = first != second
    same = distinct & (codes[first, 0] == codes[second, 0])
    shares = [
        (genre[first[mask][:20_000]] & genre[second[mask][:20_000]]).any(axis=1).mean() for mask in (same, distinct)
    ]
    assert recorded["15_genre_same_code"] == pytest.approx(shares[0]) and recorded["15_genre_random"] == pytest.approx(
        shares[1]
    )
    assert recorded["15_genre_gap"] == pytest.approx(shares[0] - shares[1])
    assert recorded["15_genre_gap_low"] > 0  # "the first code groups films by content"


@pytest.fixture(scope="module")
def protocol(catalogue):
    frame = catalogue[0]
    num_users, num_items = frame["user_idx"].nunique(), frame["item_idx"].nunique()
    history, test = leave_last_out(shuffle_time_ties(frame, seed=SEED))
    sequences = build_sequences(history)
    histories = [sequences[u] for u in range(num_users)]
    targets = test.set_index("user_idx").loc[np.arange(num_users), "item_idx"].to_numpy()
    return history, histories, targets, interaction_matrix(history, num_users, num_items), num_items


def test_simple_baselines_recomputed(recorded, protocol):
    """Section 5: popularity and item-to-item transitions on the shuffled-ties protocol."""
    _, histories, targets, matrix, num_items = protocol
    popularity = PopularityRecommender().fit(matrix).score()
    counts = np.zeros((num_items, num_items))
    for sequence in map(np.asarray, histories):
        np.add.at(counts, (sequence[:-1], sequence[1:]), 1.0)
    transitions = counts[[h[-1] for h in histories]] + popularity / (popularity.max() + 1.0)
    for slug, scores in (("popularity", popularity), ("transitions", transitions)):
        metrics = per_user_metrics(scores, targets, k=K, exclude=matrix)
        assert recorded[f"15_{slug}_ndcg"] == pytest.approx(metrics["ndcg"].mean(), abs=1e-12)
        assert recorded[f"15_{slug}_hr"] == pytest.approx(metrics["hit_rate"].mean(), abs=1e-12)
    assert recorded["15_num_test_users"] == 943


def test_sequential_numbering_leak_recomputed(recorded, protocol):
    """Section 9: numbered on the whole data, the test film often follows the last film's number."""
    _, histories, targets, _, num_items = protocol

    def numbers(sequences):
        seen = list(dict.fromkeys(int(i) for s in sequences for i in s))
        order = seen + sorted(set(range(num_items)) - set(seen))
        number = np.empty(num_items, dtype=np.int64)
        number[order] = np.arange(num_items)
        return number

    whole = numbers([h + [int(t)] for h, t in zip(histories, targets)])
    last = np.array([h[-1] for h in histories])
    assert recorded["15_seq_leak_full"] == pytest.approx(float((whole[targets] == whole[last] + 1).mean()))
    assert recorded["15_seq_leak_full"] > recorded["15_seq_leak_train"]


@pytest.mark.parametrize(
    "key, a, b",
    [
        ("sid_sasrec", "sid", "sasrec"),
        ("sid_random", "sid", "random"),
        ("sid_sequential", "sid", "sequential"),
        ("sid_transitions", "sid", "transitions"),
        ("sasrec_transitions", "sasrec", "transitions"),
        ("sid_popularity", "sid", "popularity"),
    ],
)
def test_every_verdict_follows_its_interval(recorded, key, a, b):
    """Sections 7 and 9: the glued verdict word is the one the paired interval allows."""
    low, difference, high = (recorded[f"15_diff_{key}{s}"] for s in ("_low", "", "_high"))
    assert low <= difference <= high
    assert difference == pytest.approx(recorded[f"15_{a}_ndcg"] - recorded[f"15_{b}_ndcg"], abs=1e-12)
    expected = "ahead of" if low > 0 else "behind" if high < 0 else "not distinguishable from"
    assert recorded[f"15_verdict_{key}"] == expected


def test_model_figures_are_consistent(recorded):
    for slug in ("sid", "sasrec", "random", "sequential", "transitions", "popularity"):
        ndcg, hr = recorded[f"15_{slug}_ndcg"], recorded[f"15_{slug}_hr"]
        assert 0 <= ndcg <= hr <= 1
        assert recorded[f"15_{slug}_ndcg_low"] <= ndcg <= recorded[f"15_{slug}_ndcg_high"]
    # "the model never holds a parameter that belongs to one film": far fewer parameters than SASRec
    assert recorded["15_gen_params"] < recorded["15_sasrec_params"]


def test_decoding_figures(recorded):
    """Section 7: the tree removes invalid tuples; without it part of the probability names no film."""
    assert recorded["15_invalid_tree"] == 0.0
    assert 0 <= recorded["15_invalid_free"] <= recorded["15_invalid_users"] <= 1
    assert 0 <= recorded["15_invalid_beam"] <= 1
    # "that mass is spread thin": the share of invalid slots stays below the invalid probability
    assert 0 < recorded["15_invalid_mass"] < 1 and recorded["15_invalid_free"] < recorded["15_invalid_mass"]
    assert 0 < recorded["15_beam_agreement"] <= 1


def test_new_items(recorded):
    """Section 8: split size, verdicts from intervals, and how often new films are recommended."""
    assert recorded["15_new_items"] == round(0.2 * recorded["15_num_items"])
    assert 0 < recorded["15_new_users"] < recorded["15_num_test_users"]
    for key, other in (("sasrec", "sasrec"), ("text", "text")):
        low, difference, high = (recorded[f"15_new_{key}{s}"] for s in ("_low", "", "_high"))
        assert low <= difference <= high
        assert difference == pytest.approx(recorded["15_new_sid_ndcg"] - recorded[f"15_new_{other}_ndcg"], abs=1e-12)
        expected = "ahead of" if low > 0 else "behind" if high < 0 else "not distinguishable from"
        assert recorded[f"15_verdict_new_{key}"] == expected
    for key in ("random", "text"):
        low, difference, high = (recorded[f"15_newonly_{key}{s}"] for s in ("_low", "", "_high"))
        assert low <= difference <= high
        assert difference == pytest.approx(
            recorded["15_newonly_sid_ndcg"] - recorded[f"15_newonly_{key}_ndcg"], abs=1e-12
        )
        expected = "ahead of" if low > 0 else "behind" if high < 0 else "not distinguishable from"
        assert recorded[f"15_verdict_newonly_{key}"] == expected
    # "it ranks them behind the rated ones": new films get less than their fifth of the top-10 slots
    assert 0 <= recorded["15_new_sid_share"] < 0.2 and recorded["15_new_text_share"] <= 1


def test_run_time_recorded(recorded):
    assert math.isfinite(recorded["15_run_seconds"]) and recorded["15_run_seconds"] > 0
    assert set(recorded[k] for k in recorded if k.startswith("15_verdict_")) <= VERDICTS
