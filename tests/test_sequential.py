"""Tests of the next-item models (GRU4Rec, SASRec, masked-item), their training windows and the
next-item metrics of recsys_helpers.evaluation (chapter 05)."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch

from recsys_helpers.evaluation import (
    evaluate_full_ranking,
    evaluate_next_item,
    next_item_ranks,
    rank_metrics,
    top_k_items,
)
from recsys_helpers.metrics import hit_rate_at_k, ndcg_at_k, reciprocal_rank_at_k
from recsys_helpers.models.sequential import (
    GRU4Rec,
    MaskedItemModel,
    SASRec,
    SequentialRecommender,
    build_sequences,
    causal_attention_mask,
    pad_sequences,
    training_windows,
)
from recsys_helpers.preprocessing import interaction_matrix
from recsys_helpers.split import leave_last_out

torch.set_num_threads(1)

NUM_ITEMS = 20
MODELS = {
    "GRU4Rec": lambda **settings: GRU4Rec(NUM_ITEMS, hidden=32, dropout=0.1, **settings),
    "SASRec": lambda **settings: SASRec(NUM_ITEMS, hidden=32, num_blocks=2, num_heads=2, dropout=0.1, **settings),
    "MaskedItemModel": lambda **settings: MaskedItemModel(
        NUM_ITEMS, hidden=32, num_blocks=2, num_heads=2, dropout=0.1, mask_prob=0.3, **settings
    ),
}
# Enough to learn the planted pattern in a second or two per model on one thread.
PLANTED_FIT = {
    "GRU4Rec": dict(epochs=10, batch_size=32, lr=5e-3, max_len=12, seed=0),
    "SASRec": dict(epochs=10, batch_size=32, lr=5e-3, max_len=12, seed=0),
    "MaskedItemModel": dict(epochs=20, batch_size=32, lr=5e-3, max_len=12, seed=0),
}


def cycle_sequences(num_sequences, seed, *, lengths=(4, 12)):
    """Planted pattern: item i is always followed by item (i + 1) % NUM_ITEMS; random start and length.

    Lengths stay below NUM_ITEMS, so no item repeats within a sequence."""
    rng = np.random.default_rng(seed)
    sequences = []
    for _ in range(num_sequences):
        start, length = rng.integers(NUM_ITEMS), rng.integers(*lengths)
        sequences.append([int((start + j) % NUM_ITEMS) for j in range(length)])
    return sequences


TRAIN = cycle_sequences(300, seed=0)
TEST = cycle_sequences(100, seed=1)
TEST_HISTORIES = [s[:-1] for s in TEST]
TEST_TARGETS = np.array([s[-1] for s in TEST])


@pytest.fixture(scope="module")
def planted():
    """Each model trained once on the planted pattern, shared by the tests below."""
    return {name: MODELS[name](**PLANTED_FIT[name]).fit(TRAIN) for name in MODELS}


# --------------------------------------------------------------------------- sequences and masks
def test_build_sequences_orders_by_time_and_breaks_ties_by_row_order():
    frame = pd.DataFrame({
        "user_idx": [2, 0, 2, 2, 0, 2],
        "item_idx": [7, 1, 5, 6, 3, 8],
        "timestamp": [30, 5, 10, 30, 1, 20],
    })
    assert build_sequences(frame) == {0: [3, 1], 2: [5, 8, 7, 6]}
    # the item leave_last_out holds out is the one that ends the user's sequence
    train, test = leave_last_out(frame)
    last = {int(u): int(i) for u, i in zip(test["user_idx"], test["item_idx"])}
    assert last == {user: items[-1] for user, items in build_sequences(frame).items()}
    assert build_sequences(train) == {0: [3], 2: [5, 8, 7]}


def test_build_sequences_rejects_unencoded_ids():
    with pytest.raises(ValueError, match="missing column"):
        build_sequences(pd.DataFrame({"user_id": [1], "item_id": [2], "timestamp": [3]}))
    with pytest.raises(ValueError, match="integer indices"):
        build_sequences(pd.DataFrame({"user_idx": [0], "item_idx": ["a"], "timestamp": [3]}))


def test_pad_sequences_left_pads_shifts_and_keeps_the_most_recent_items():
    tokens = pad_sequences([[0, 1], [5, 6, 7, 8], []], 3)
    assert tokens.dtype == torch.long
    assert tokens.tolist() == [[0, 1, 2], [7, 8, 9], [0, 0, 0]]
    assert pad_sequences({10: [3]}, 2).tolist() == [[0, 4]]  # a mapping: its values


@pytest.mark.parametrize("bad, max_len, match", [
    ([[1, -2]], 3, "negative"),
    ([[1.5]], 3, "integer"),
    ([[[1, 2]]], 3, "flat"),
    ([[1]], 0, "max_len"),
    ("abc", 3, "list"),
])
def test_pad_sequences_rejects_bad_input(bad, max_len, match):
    with pytest.raises(ValueError, match=match):
        pad_sequences(bad, max_len)


@pytest.mark.parametrize("stride", [1, 2, 3, 4])
@pytest.mark.parametrize("first_target", [1, 0])
def test_training_windows_make_every_position_a_target_exactly_once(stride, first_target):
    sequences = [[5, 3, 8, 1, 9, 2, 7, 4, 6, 0, 11], [1, 2], [4], [], list(range(9))]
    inputs, targets = training_windows(sequences, 4, stride=stride, first_target=first_target)
    assert inputs.shape == targets.shape and inputs.shape[1] == 4
    counted = {}
    for row_inputs, row_targets in zip(inputs.tolist(), targets.tolist()):
        assert all(t == -100 for t in row_targets[:4 - stride])  # context columns
        for column, target in enumerate(row_targets):
            if target == -100:
                continue
            token = row_inputs[column]
            assert token != 0
            if first_target:  # the input at a target column is the item before it
                counted[(token - 1, target)] = counted.get((token - 1, target), 0) + 1
            else:
                assert token - 1 == target
                counted[target] = counted.get(target, 0) + 1
    expected = {}
    for sequence in sequences:
        for t in range(first_target, len(sequence)):
            key = (sequence[t - 1], sequence[t]) if first_target else sequence[t]
            expected[key] = expected.get(key, 0) + 1
    assert counted == expected
    # the newest window holds the last max_len positions with full context
    assert inputs[0].tolist() == ([8, 5, 7, 1] if first_target else [5, 7, 1, 12])


def test_a_long_history_gives_several_windows_and_all_its_targets():
    history = list(range(30))
    inputs, targets = training_windows([history], 10)
    assert (targets != -100).sum() == 29 and len(inputs) == 3
    with pytest.raises(ValueError, match="stride must be at most max_len"):
        training_windows([history], 10, stride=11)


def test_causal_mask_blocks_exactly_the_future():
    mask = causal_attention_mask(5)
    assert mask.dtype == torch.bool
    rows, cols = np.indices((5, 5))
    np.testing.assert_array_equal(mask.numpy(), cols > rows)
    with pytest.raises(ValueError, match="length"):
        causal_attention_mask(0)


# --------------------------------------------------------------------------- model structure
def states(model, sequences, width):
    """Final hidden states of the fitted network (evaluation mode) for sequences padded to ``width``."""
    model.network_.eval()
    with torch.no_grad():
        return model.network_(pad_sequences(sequences, width))


def test_sasrec_outputs_do_not_depend_on_future_items(planted):
    model = planted["SASRec"]
    sequence = [3, 4, 5, 6, 7, 8, 9, 10]
    changed = sequence.copy()
    changed[5] = 15  # column 4 + 5 = 9 of the 12-wide padded matrix
    before, after = model.hidden_states([sequence, changed])
    np.testing.assert_array_equal(before[:9].numpy(), after[:9].numpy())
    assert not torch.allclose(before[9:], after[9:])


def test_gru_is_causal_and_the_masked_model_is_bidirectional(planted):
    sequence = [3, 4, 5, 6, 7, 8]
    changed = sequence[:4] + [15, 8]
    gru = states(planted["GRU4Rec"], [sequence, changed], 12)
    np.testing.assert_allclose(gru[0, :10].numpy(), gru[1, :10].numpy(), atol=1e-6)
    masked = states(planted["MaskedItemModel"], [sequence, changed], 12)
    assert not torch.allclose(masked[0, 6:10], masked[1, 6:10])  # earlier positions see the later item


@pytest.mark.parametrize("name", list(MODELS))
def test_padding_does_not_change_the_outputs_of_real_positions(planted, name):
    model = planted[name]
    sequences = [[1, 2, 3], [4, 5, 6, 7, 8, 9, 10, 11]]
    narrow, wide = states(model, sequences, 8), states(model, sequences, 12)
    np.testing.assert_allclose(narrow[0, -3:].numpy(), wide[0, -3:].numpy(), atol=1e-5)
    np.testing.assert_allclose(narrow[1].numpy(), wide[1, -8:].numpy(), atol=1e-5)
    # a history scores the same alone or in a batch with longer ones
    np.testing.assert_allclose(model.score_next(sequences[:1]), model.score_next(sequences)[:1], atol=1e-5)


# --------------------------------------------------------------------------- learning
@pytest.mark.parametrize("name", list(MODELS))
def test_each_model_learns_the_planted_successor(planted, name):
    model = planted[name]
    scores = model.score_next(TEST_HISTORIES)
    assert scores.shape == (len(TEST), NUM_ITEMS)
    assert evaluate_next_item(scores, TEST_TARGETS, k=1, exclude=TEST_HISTORIES)["hit_rate"] > 0.9
    assert model.recommend_next([[4, 5, 6]], k=1).tolist() == [[7]]


def test_sasrec_beats_popularity(planted):
    counts = np.bincount(np.concatenate(TRAIN), minlength=NUM_ITEMS).astype(float)
    popularity = evaluate_next_item(np.tile(counts, (len(TEST), 1)), TEST_TARGETS, k=10, exclude=TEST_HISTORIES)
    sasrec = evaluate_next_item(
        planted["SASRec"].score_next(TEST_HISTORIES), TEST_TARGETS, k=10, exclude=TEST_HISTORIES
    )
    assert sasrec["ndcg"] > popularity["ndcg"] + 0.5
    assert sasrec["hit_rate"] > popularity["hit_rate"]


@pytest.mark.parametrize("name", list(MODELS))
def test_same_seed_gives_identical_scores(name):
    fit = dict(epochs=2, batch_size=64, lr=5e-3, max_len=8)
    state = torch.get_rng_state()
    first = MODELS[name](seed=3, **fit).fit(TRAIN).score_next(TEST_HISTORIES)
    assert torch.equal(state, torch.get_rng_state())  # the global torch RNG is left alone
    second = MODELS[name](seed=3, **fit).fit(TRAIN).score_next(TEST_HISTORIES)
    other = MODELS[name](seed=4, **fit).fit(TRAIN).score_next(TEST_HISTORIES)
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(first, other)


def test_validation_keeps_the_best_epoch_and_patience_stops_early():
    validation = (TEST_HISTORIES, TEST_TARGETS)
    model = SASRec(NUM_ITEMS, hidden=16, num_blocks=1, epochs=40, batch_size=64, lr=1e-2, max_len=8, seed=0,
                   patience=2, monitor="ndcg").fit(TRAIN, validation=validation)
    values = [record["val_ndcg"] for record in model.history_]
    assert values[0] < max(values)  # it did learn from epoch to epoch
    assert len(values) < 40  # stopped early: a perfect NDCG cannot improve
    assert model.best_epoch_ == int(np.argmax(values)) + 1
    assert len(values) == model.best_epoch_ + 2
    final = evaluate_next_item(model.score_next(TEST_HISTORIES), TEST_TARGETS, exclude=TEST_HISTORIES)["ndcg"]
    assert final == max(values)  # the best epoch's weights were restored
    assert model.num_parameters == sum(p.numel() for p in model.network_.parameters())


# --------------------------------------------------------------------------- metrics
@pytest.mark.parametrize("seed", range(5))
def test_evaluate_next_item_agrees_with_the_per_list_metrics(seed):
    rng = np.random.default_rng(seed)
    num_rows, num_items, k = 40, 30, 7
    scores = rng.integers(0, 6, size=(num_rows, num_items)).astype(float)  # many ties
    exclude = sp.random(num_rows, num_items, density=0.3, random_state=seed, format="lil")
    targets = rng.integers(0, num_items, size=num_rows)
    exclude[np.arange(num_rows), targets] = 0  # a seen target can never be recommended
    exclude = exclude.tocsr()
    exclude.eliminate_zeros()
    result = evaluate_next_item(scores, targets, k=k, exclude=exclude)
    top = top_k_items(scores, k, exclude=exclude)
    for name, metric in (("ndcg", ndcg_at_k), ("hit_rate", hit_rate_at_k), ("mrr", reciprocal_rank_at_k)):
        expected = np.mean([metric(top[r].tolist(), {targets[r]}, k) for r in range(num_rows)])
        assert result[name] == pytest.approx(expected, abs=1e-12)
    assert result["num_sequences"] == num_rows
    # the same exclusion given as one list of items per row
    as_lists = [exclude[r].indices.tolist() for r in range(num_rows)]
    assert evaluate_next_item(scores, targets, k=k, exclude=as_lists) == result


def test_ties_rank_the_lower_item_index_first_as_top_k_items_does():
    scores = np.array([[0.5, 0.5, 0.5, 0.9, 0.5]])
    # item 3 is ahead of everything; among the tied 0.5s the lower index comes first
    assert next_item_ranks(np.repeat(scores, 5, axis=0), [3, 0, 1, 2, 4]).tolist() == [1, 2, 3, 4, 5]
    assert top_k_items(scores, 5).tolist() == [[3, 0, 1, 2, 4]]
    # excluding a tied item of lower index moves the target up by one
    assert next_item_ranks(scores, [2], exclude=[[0]]).tolist() == [3]
    # a constant scorer ranks items by index, so only item 0 is a hit at k = 1
    constant = np.zeros((3, 4))
    assert evaluate_next_item(constant, [0, 1, 3], k=1)["hit_rate"] == pytest.approx(1 / 3)


@pytest.mark.parametrize("seed", range(4))
def test_ties_against_the_target_count_every_tied_item_ahead(seed):
    rng = np.random.default_rng(seed)
    scores = rng.integers(0, 4, size=(20, 30)).astype(float)  # many ties
    targets = rng.integers(0, 30, size=20)
    exclude = [rng.choice(30, size=5, replace=False) for _ in range(20)]
    ranks = next_item_ranks(scores, targets, exclude=exclude, ties="against the target")
    for row, (target, excluded) in enumerate(zip(targets, exclude)):
        if target in excluded:
            assert np.isinf(ranks[row])
            continue
        kept = np.setdiff1d(np.arange(30), excluded)
        assert ranks[row] == (scores[row, kept] >= scores[row, target]).sum()  # the target itself counts 1
    default = next_item_ranks(scores, targets, exclude=exclude)
    assert (ranks >= default).all() and (ranks > default).any()
    with pytest.raises(ValueError, match="ties must be one of"):
        next_item_ranks(scores, targets, ties="pessimistic")


def test_rank_metrics_are_the_one_relevant_item_formulas():
    ranks = np.array([1, 2, 10, 11, np.inf])
    frame = rank_metrics(ranks, k=10)
    assert frame["hit_rate"].tolist() == [1, 1, 1, 0, 0]
    np.testing.assert_allclose(frame["ndcg"], [1, 1 / np.log2(3), 1 / np.log2(11), 0, 0])
    np.testing.assert_allclose(frame["mrr"], [1, 0.5, 0.1, 0, 0])
    for bad, match in (([0, 1], ">= 1"), ([np.nan], ">= 1"), ([[1]], "1-D")):
        with pytest.raises(ValueError, match=match):
            rank_metrics(bad, k=10)
    with pytest.raises(ValueError, match="positive integer"):
        rank_metrics([1], k=0)


def test_an_excluded_target_is_a_miss():
    ranks = next_item_ranks([[0.9, 0.5, 0.1]], [0], exclude=[[0]])
    assert np.isinf(ranks).all()
    assert evaluate_next_item([[0.9, 0.5, 0.1]], [0], k=3, exclude=[[0]])["hit_rate"] == 0.0


@pytest.mark.parametrize("scores, targets, kwargs, match", [
    (np.zeros(4), [0], {}, "2-D"),
    (np.zeros((2, 4)), [0], {}, "one item per row"),
    (np.zeros((2, 4)), [0, 4], {}, r"\[0, 4\)"),
    (np.zeros((2, 4)), [0.0, 1.0], {}, "integer"),
    (np.full((1, 4), np.nan), [0], {}, "NaN"),
    (np.zeros((2, 4)), [0, 1], {"k": 5}, "k must"),
    (np.zeros((2, 4)), [0, 1], {"k": 0}, "k must"),
    (np.zeros((2, 4)), [0, 1], {"exclude": sp.csr_matrix((3, 4))}, "exclude has shape"),
    (np.zeros((2, 4)), [0, 1], {"exclude": [[1]]}, "exclude has 1 rows"),
])
def test_evaluate_next_item_rejects_bad_input(scores, targets, kwargs, match):
    with pytest.raises(ValueError, match=match):
        evaluate_next_item(scores, targets, **kwargs)


# --------------------------------------------------------------------------- bad model input
@pytest.mark.parametrize("sequences, settings, validation, match", [
    ([[0, 20]], {}, None, r"outside \[0, 20\)"),
    ([[0, -1]], {}, None, "negative"),
    ([[1], [2]], {}, None, "no training sequence has a target"),
    ([], {}, None, "no training sequence has a target"),
    ([[0, 1]], {"patience": 2}, None, "patience needs validation"),
    ([[0, 1]], {"monitor": "auc"}, ([[0]], [1]), "monitor must be one of"),
    ([[0, 1]], {}, ([[0]], [1, 2]), "one target per sequence"),
    ([[0, 1]], {}, ([[0]], [25]), "targets must lie"),
    ([[0, 1]], {}, [[0]], "validation must be a pair"),
])
def test_fit_rejects_bad_input(sequences, settings, validation, match):
    model = SASRec(NUM_ITEMS, hidden=8, num_blocks=1, **{"epochs": 1, "max_len": 4, **settings})
    with pytest.raises(ValueError, match=match):
        model.fit(sequences, validation)


@pytest.mark.parametrize("settings, match", [
    ({"epochs": 0}, "epochs"),
    ({"batch_size": 1.5}, "batch_size"),
    ({"lr": 0}, "lr"),
    ({"max_len": 0}, "max_len"),
    ({"stride": 9, "max_len": 4}, "stride must be at most max_len"),
    ({"metric": "ndcg"}, "unknown training setting"),
])
def test_constructor_rejects_bad_settings(settings, match):
    with pytest.raises(ValueError, match=match):
        SASRec(NUM_ITEMS, hidden=8, num_blocks=1, **settings)


def test_constructors_and_unfitted_models_complain():
    with pytest.raises(ValueError, match="num_heads"):
        SASRec(NUM_ITEMS, hidden=10, num_heads=3)
    with pytest.raises(ValueError, match="num_items"):
        GRU4Rec(1)
    with pytest.raises(ValueError, match="dropout"):
        GRU4Rec(NUM_ITEMS, dropout=1.0)
    with pytest.raises(ValueError, match="mask_prob"):
        MaskedItemModel(NUM_ITEMS, mask_prob=0.0)
    with pytest.raises(RuntimeError, match="not fitted"):
        SASRec(NUM_ITEMS).score_next([[1]])
    with pytest.raises(RuntimeError, match="not fitted"):
        SASRec(NUM_ITEMS).num_parameters
    with pytest.raises(ValueError, match="model must be"):
        SequentialRecommender(object())


# --------------------------------------------------------------------------- full-ranking adapter
def test_adapter_matches_the_next_item_protocol(planted):
    model = planted["SASRec"]
    rows = [(user, item, t) for user, seq in enumerate(TEST) for t, item in enumerate(seq)]
    frame = pd.DataFrame(rows, columns=["user_idx", "item_idx", "timestamp"])
    train, test = leave_last_out(frame)
    recommender = SequentialRecommender(model).fit(train, num_users=len(TEST), fit_model=False)
    scores = recommender.score()
    np.testing.assert_allclose(scores, model.score_next(TEST_HISTORIES))
    test_matrix = interaction_matrix(test, len(TEST), NUM_ITEMS)
    full = evaluate_full_ranking(scores, recommender.train_, test_matrix, k=5, metrics=["ndcg", "hit_rate"])
    direct = evaluate_next_item(scores, TEST_TARGETS, k=5, exclude=TEST_HISTORIES)
    assert full["ndcg"] == pytest.approx(direct["ndcg"]) and full["hit_rate"] == pytest.approx(direct["hit_rate"])
    top = recommender.recommend([0, 1], k=3)
    assert not any(item in TEST_HISTORIES[u] for u, items in zip([0, 1], top) for item in items)
    assert top[:, 0].tolist() == [TEST_TARGETS[0], TEST_TARGETS[1]]
