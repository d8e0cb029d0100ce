"""Semantic IDs (chapter 15): residual k-means, code statistics, prefix trees, beam search, the generator."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from recsys_helpers.semantic_ids import (
    RQVAE,
    SemanticIdGenerator,
    beam_step,
    codebook_perplexity,
    collision_rate,
    dedupe_codes,
    prefix_tree,
    reconstruct,
    residual_kmeans,
)


def clustered(seed=0, n=300, dim=6):
    rng = np.random.default_rng(seed)
    coarse = rng.normal(scale=5.0, size=(4, dim))
    fine = rng.normal(scale=1.0, size=(3, dim))
    labels = rng.integers(0, 4, n), rng.integers(0, 3, n)
    return coarse[labels[0]] + fine[labels[1]] + rng.normal(scale=0.01, size=(n, dim)), labels


def test_residual_kmeans_codes_are_nearest_centroids_of_each_residual():
    vectors, _ = clustered()
    codes, books = residual_kmeans(vectors, levels=3, k=4, seed=0)
    assert codes.shape == (300, 3) and books.shape == (3, 4, 6) and codes.dtype == np.int64
    residual = vectors.copy()
    errors = []
    for level in range(3):
        distances = ((residual[:, None, :] - books[level][None]) ** 2).sum(-1)
        assert np.array_equal(distances.argmin(axis=1), codes[:, level])
        residual -= books[level][codes[:, level]]
        errors.append((residual ** 2).sum())
    assert errors[0] > errors[1] >= errors[2]
    assert np.allclose(vectors - reconstruct(codes, books), residual)


def test_residual_kmeans_separates_a_two_level_structure():
    vectors, (coarse, fine) = clustered(1)
    codes, _ = residual_kmeans(vectors, levels=2, k=4, seed=0)
    # level 0 recovers the coarse clusters up to relabelling
    pairs = set(zip(codes[:, 0].tolist(), coarse.tolist()))
    assert len(pairs) == 4
    with pytest.raises(ValueError, match="at least k"):
        residual_kmeans(vectors[:3], k=4)


def test_perplexity_collisions_and_dedupe():
    codes = np.array([[0, 1], [0, 1], [1, 1], [2, 0], [0, 1]])
    assert codebook_perplexity(codes, 3) == pytest.approx([np.exp(-(0.6 * np.log(0.6) + 2 * 0.2 * np.log(0.2))),
                                                          np.exp(-(0.2 * np.log(0.2) + 0.8 * np.log(0.8)))])
    assert codebook_perplexity(np.arange(8)[:, None], 8) == pytest.approx([8.0])
    assert collision_rate(codes) == pytest.approx(0.6)
    full = dedupe_codes(codes)
    assert full.tolist() == [[0, 1, 0], [0, 1, 1], [1, 1, 0], [2, 0, 0], [0, 1, 2]]
    assert collision_rate(full) == 0.0
    with pytest.raises(ValueError, match="non-negative"):
        dedupe_codes([[0, -1]])


def test_prefix_tree_lists_every_prefix():
    codes = [[1, 2, 0], [1, 0, 0], [3, 2, 1], [1, 2, 1]]
    tree = prefix_tree(codes)
    assert tree == {(): [1, 3], (1,): [0, 2], (3,): [2], (1, 2): [0, 1], (1, 0): [0], (3, 2): [1]}


def test_beam_step_matches_exhaustive_search_and_respects_the_mask():
    g = torch.Generator().manual_seed(0)
    scores = torch.randn(2, 3, generator=g)
    log_probs = torch.randn(2, 3, 5, generator=g).log_softmax(-1)
    allowed = torch.rand(2, 3, 5, generator=g) > 0.3
    new, parents, tokens = beam_step(scores, log_probs, 4, allowed)
    for row in range(2):
        pool = sorted(
            ((float(scores[row, b] + log_probs[row, b, t]), b, t)
             for b, t in itertools.product(range(3), range(5)) if allowed[row, b, t]),
            key=lambda x: -x[0],
        )[:4]
        assert [(b, t) for _, b, t in pool] == list(zip(parents[row].tolist(), tokens[row].tolist()))
        assert np.allclose([s for s, *_ in pool], new[row].numpy())
    tied = beam_step(torch.zeros(1, 2), torch.zeros(1, 2, 2), 3)
    assert tied[1].tolist() == [[0, 0, 1]] and tied[2].tolist() == [[0, 1, 0]]


@pytest.fixture(scope="module")
def generator():
    rng = np.random.default_rng(0)
    codes = dedupe_codes(rng.integers(0, 4, size=(30, 2)))
    sequences = [list(rng.integers(0, 30, size=12)) for _ in range(40)]
    model = SemanticIdGenerator(codes, vocab_sizes=[4, 4, 8], hidden=16, max_len=8, epochs=2, seed=0)
    return model.fit(sequences), sequences


def test_generator_scores_are_exact_item_log_probabilities(generator):
    model, sequences = generator
    scores = model.score_next(sequences[:3])
    assert scores.shape == (3, 30)
    total = np.exp(scores).sum(axis=1)
    assert np.all(total <= 1 + 1e-5) and np.all(total > 0)
    network = model.network_.eval()
    with torch.no_grad():
        hidden = network(model._scoring_tokens(check(sequences[:1])))[:, -1]
        code = torch.as_tensor(model.codes[5])[None]
        manual = sum(float(network.step_log_probs(hidden, code[:, :lv])[0, code[0, lv]]) for lv in range(3))
    assert scores[0, 5] == pytest.approx(manual, abs=1e-5)


def check(rows):
    return [np.asarray(r) for r in rows]


def test_generate_constrained_returns_the_top_items_and_unconstrained_may_not(generator):
    model, sequences = generator
    scores = model.score_next(sequences[:4])
    items, beam_scores = model.generate(sequences[:4], beam=30, constrained=True)
    assert (items >= 0).all() and sorted(items[0].tolist()) == list(range(30))
    assert np.allclose(beam_scores, np.take_along_axis(scores, items, axis=1), atol=1e-5)
    free, _ = model.generate(sequences[:4], beam=40, constrained=False)
    assert (free < 0).any()  # 4 x 4 x 8 = 128 tuples, 30 of them items


def test_generator_rejects_duplicate_codes():
    with pytest.raises(ValueError, match="dedupe_codes"):
        SemanticIdGenerator([[0, 1], [0, 1]])


def test_rqvae_is_seeded_and_returns_codes():
    vectors, _ = clustered(2, n=120)
    first = RQVAE(6, hidden=16, latent=4, levels=2, k=4).fit(vectors, epochs=3, seed=1)
    second = RQVAE(6, hidden=16, latent=4, levels=2, k=4).fit(vectors, epochs=3, seed=1)
    assert np.array_equal(first.codes(vectors), second.codes(vectors))
    assert first.codes(vectors).shape == (120, 2)
    with pytest.raises(RuntimeError, match="not fitted"):
        RQVAE(6).codes(vectors)
