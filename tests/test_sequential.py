"""Tests of the next-item models (GRU4Rec, SASRec, masked-item) and their helpers (chapter 05)."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch

from recsys_helpers.evaluation import evaluate_full_ranking, top_k_items
from recsys_helpers.metrics import hit_rate_at_k, ndcg_at_k, reciprocal_rank_at_k
from recsys_helpers.models.sequential import (
    GRU4Rec,
    MaskedItemModel,
    SASRec,
    SequentialRecommender,
    build_sequences,
    causal_attention_mask,
    evaluate_next_item,
    next_item_ranks,
    pad_sequences,
)
from recsys_helpers.preprocessing import interaction_matrix
from recsys_helpers.split import leave_last_out

torch.set_num_threads(1)

NUM_ITEMS = 20
MODELS = {
    "GRU4Rec": lambda: GRU4Rec(NUM_ITEMS, hidden=32, dropout=0.1),
    "SASRec": lambda: SASRec(NUM_ITEMS, hidden=32, num_blocks=2, num_heads=2, dropout=0.1),
    "MaskedItemModel": lambda: MaskedItemModel(NUM_ITEMS, hidden=32, num_blocks=2, num_heads=2, dropout=0.1, mask_prob=0.3),
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
    return {name: MODELS[name]().fit(TRAIN, **PLANTED_FIT[name]) for name in MODELS}


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
    sasrec = evaluate_next_item(planted["SASRec"].score_next(TEST_HISTORIES), TEST_TARGETS, k=10, exclude=TEST_HISTORIES)
    assert sasrec["ndcg"] > popularity["ndcg"] + 0.5
    assert sasrec["hit_rate"] > popularity["hit_rate"]


@pytest.mark.parametrize("name", list(MODELS))
def test_same_seed_gives_identical_scores(name):
    fit = dict(epochs=2, batch_size=64, lr=5e-3, max_len=8)
    state = torch.get_rng_state()
    first = MODELS[name]().fit(TRAIN, seed=3, **fit).score_next(TEST_HISTORIES)
    assert torch.equal(state, torch.get_rng_state())  # the global torch RNG is left alone
    second = MODELS[name]().fit(TRAIN, seed=3, **fit).score_next(TEST_HISTORIES)
    other = MODELS[name]().fit(TRAIN, seed=4, **fit).score_next(TEST_HISTORIES)
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(first, other)


def test_validation_keeps_the_best_epoch_and_patience_stops_early():
    validation = (TEST_HISTORIES, TEST_TARGETS)
    model = SASRec(NUM_ITEMS, hidden=16, num_blocks=1).fit(
        TRAIN, epochs=40, batch_size=64, lr=1e-2, max_len=8, seed=0, validation=validation, patience=2, metric="ndcg"
    )
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
@pytest.mark.parametrize("sequences, kwargs, match", [
    ([[0, 20]], {}, r"outside \[0, 20\)"),
    ([[0, -1]], {}, "negative"),
    ([[1], [2]], {}, "at least 2 items"),
    ([], {}, "at least 2 items"),
    ([[0, 1]], {"epochs": 0}, "epochs"),
    ([[0, 1]], {"batch_size": 1.5}, "batch_size"),
    ([[0, 1]], {"lr": 0}, "lr"),
    ([[0, 1]], {"max_len": 0}, "max_len"),
    ([[0, 1]], {"patience": 2}, "patience needs validation"),
    ([[0, 1]], {"metric": "auc", "validation": ([[0]], [1])}, "metric"),
    ([[0, 1]], {"validation": ([[0]], [1, 2])}, "one target per sequence"),
    ([[0, 1]], {"validation": ([[0]], [25])}, "targets must lie"),
])
def test_fit_rejects_bad_input(sequences, kwargs, match):
    with pytest.raises(ValueError, match=match):
        SASRec(NUM_ITEMS, hidden=8, num_blocks=1).fit(sequences, **{"epochs": 1, "max_len": 4, **kwargs})


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
