"""recsys_helpers.adaptation: prompts, scores, LoRA pieces, distillation and the text-map SASRec (no LLM loaded)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from recsys_helpers.adaptation import (
    LETTERS,
    DistilledSASRec,
    TextItemTable,
    TextMapSASRec,
    auc,
    encode_right_padded,
    listing_message,
    lora_forward,
    lora_num_parameters,
    lower_states,
    pair_scores,
    ranking_distillation_loss,
    select_history,
    tallrec_message,
    upper_states,
    yes_probability,
)


def test_tallrec_message_splits_at_the_threshold_in_history_order():
    text = tallrec_message(["A", "B", "C", "D"], [4, 3, 5, 1], "T")
    assert text == "Liked: A; C. Disliked: B; D. Will the user like T? Answer Yes or No."
    assert tallrec_message(["A"], [5], "T").startswith("Liked: A. Disliked: none.")
    assert "Liked: none." in tallrec_message(["A"], [2], "T")
    assert tallrec_message(["A", "B"], [4, 5], "T", threshold=4).startswith("Liked: B. Disliked: A.")
    for bad in (([], [], "T"), (["A"], [1, 2], "T"), (["A"], [4], " ")):
        with pytest.raises(ValueError):
            tallrec_message(*bad)


def test_listing_message_letters_and_limits():
    text = listing_message(["X", "Y"], ["a", "b", "c"])
    assert "I recently watched: X; Y." in text and "\nA. a\nB. b\nC. c\n" in text
    assert text.endswith("Answer with its letter.")
    with pytest.raises(ValueError):
        listing_message(["X"], ["c"] * (len(LETTERS) + 1))
    with pytest.raises(ValueError):
        listing_message([], ["a"])


def test_yes_probability_is_a_stable_sigmoid_of_the_gap():
    logits = np.array([[2.0, 0.0, 1.0], [1000.0, 5.0, -1000.0]])
    got = yes_probability(logits, 0, 2)
    assert got.shape == (2,)
    assert got[0] == pytest.approx(1 / (1 + math.exp(-1.0)))
    assert got[1] == pytest.approx(1.0) and np.isfinite(got).all()
    assert isinstance(yes_probability(np.array([0.0, 0.0]), 0, 1), float)


def test_auc_matches_the_pair_count_with_ties():
    rng = np.random.default_rng(0)
    scores, labels = np.round(rng.normal(size=60), 1), rng.integers(0, 2, 60)
    pos, neg = scores[labels == 1], scores[labels == 0]
    brute = np.mean([(p > n) + 0.5 * (p == n) for p in pos for n in neg])
    assert auc(scores, labels) == pytest.approx(brute)
    assert auc([0.9, 0.8, 0.3, 0.1], [1, 0, 1, 0]) == pytest.approx(0.75)
    assert math.isnan(auc([1.0, 2.0], [1, 1]))
    with pytest.raises(ValueError):
        auc([1.0, 2.0], [1])


def test_pair_scores_reads_one_entry_per_pair():
    matrix = np.arange(12.0).reshape(3, 4)
    assert pair_scores(matrix, [0, 2, 1], [3, 0, 1]).tolist() == [3.0, 8.0, 5.0]
    with pytest.raises(ValueError):
        pair_scores(matrix, [0, 1], [1])


def test_select_history_cosine_order_and_ties():
    history = np.array([[10.0, 1.0], [0.1, 0.1], [0.0, 3.0], [1.0, 1.0]])
    assert select_history(history, np.array([1.0, 1.0]), 2).tolist() == [1, 3]
    assert select_history(history, np.array([1.0, 1.0]), 9).tolist() == [0, 1, 2, 3]
    same = np.array([[1.0, 0.0], [2.0, 0.0], [0.0, 1.0]])
    assert select_history(same, np.array([1.0, 0.0]), 1).tolist() == [1]  # the more recent one
    with pytest.raises(ValueError):
        select_history(history, np.array([1.0, 1.0, 1.0]), 1)
    with pytest.raises(ValueError):
        select_history(history, np.array([1.0, 1.0]), 0)


def test_lora_forward_and_parameter_count():
    rng = np.random.default_rng(1)
    x, w = rng.normal(size=(3, 5)), rng.normal(size=(4, 5))
    a, b = rng.normal(size=(2, 5)), rng.normal(size=(4, 2))
    assert np.allclose(lora_forward(x, w, a, np.zeros((4, 2)), 16), x @ w.T)
    assert np.allclose(lora_forward(x, w, a, b, 16), x @ w.T + 8 * x @ a.T @ b.T)
    with pytest.raises(ValueError):
        lora_forward(x, w, a, np.zeros((2, 4)), 16)
    # SmolLM2-135M: q (576 -> 576) and v (576 -> 192) in each block, rank 8, 30 blocks
    assert lora_num_parameters([(576, 576), (192, 576)] * 30, 8) == 30 * 8 * (1152 + 768)


def test_ranking_distillation_loss_is_weighted_log_softmax():
    logits = torch.tensor([[1000.0, 0.0, -1000.0], [0.0, 0.0, 0.0]])
    loss = ranking_distillation_loss(logits, torch.tensor([[0, 1], [2, 2]]), torch.tensor([1.0, 1.0]))
    assert float(loss) == pytest.approx((500.0 + math.log(3)) / 2)
    scaled = ranking_distillation_loss(logits, [[0, 1], [2, 2]], [[2.0, 2.0], [5.0, 5.0]])
    assert float(scaled) == pytest.approx(float(loss))
    with pytest.raises(ValueError):
        ranking_distillation_loss(logits, [[0, 1]], [1.0, 1.0])
    with pytest.raises(ValueError):
        ranking_distillation_loss(logits, [[0, 1], [1, 2]], [1.0, -1.0])


def _sequences(num_items=12, users=30, seed=0):
    rng = np.random.default_rng(seed)
    return [list(rng.integers(0, num_items, rng.integers(3, 9))) for _ in range(users)]


SETTINGS = dict(hidden=8, num_blocks=1, num_heads=1, dropout=0.0, max_len=6, epochs=2, batch_size=8, lr=1e-2,
                seed=0)


def test_distilled_sasrec_trains_and_keeps_sasrecs_size():
    sequences = _sequences()
    teacher = np.tile(np.arange(4), (len(sequences), 1))
    model = DistilledSASRec(12, teacher_sequences=sequences, teacher_items=teacher, teacher_weights=np.ones(4),
                            distill_weight=5.0, distill_batch=8, **SETTINGS).fit(sequences)
    scores = model.score_next(sequences[:3])
    assert scores.shape == (3, 12) and np.isfinite(scores).all()
    from recsys_helpers.models.sequential import SASRec

    assert model.num_parameters == SASRec(12, **SETTINGS).fit(sequences).num_parameters
    with pytest.raises(ValueError):
        DistilledSASRec(12, teacher_sequences=sequences, teacher_items=teacher[:2], teacher_weights=np.ones(4))


def test_text_map_sasrec_has_no_per_item_parameter_and_scores_unseen_items():
    rng = np.random.default_rng(2)
    vectors = rng.normal(size=(12, 5)).astype(np.float32)
    sequences = [[i for i in s if i < 9] for s in _sequences()]  # items 9-11 never seen
    sequences = [s for s in sequences if len(s) > 1]
    for kind in ("linear", "mlp"):
        model = TextMapSASRec(vectors, kind=kind, **SETTINGS).fit(sequences)
        scores = model.score_next(sequences[:2])
        assert scores.shape == (2, 12) and np.isfinite(scores).all()
        assert np.unique(scores[0, 9:]).size == 3  # unseen items get distinct scores from their text
        table = model.network_.item_embedding
        assert isinstance(table, TextItemTable) and torch.all(table.weight[0] == 0)
        assert not model.network_.output_bias.requires_grad
    with pytest.raises(ValueError):
        TextMapSASRec(vectors, kind="cubic")


def test_text_map_sasrec_trains_the_same_twice_on_two_threads():
    """Two fits from one seed give identical scores: the table's rows for repeated tokens must be added in a fixed
    order (``self.weight[tokens]``'s backward adds them in a thread-dependent order: chapter 17's figures moved)."""
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(400, 96)).astype(np.float32)
    sequences = [list(rng.integers(0, 400, rng.integers(5, 40))) for _ in range(300)]
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        runs = [
            TextMapSASRec(vectors, kind="mlp", hidden=32, max_len=40, epochs=2, batch_size=64, seed=3)
            .fit(sequences)
            .score_next(sequences[:50])
            for _ in range(2)
        ]
    finally:
        torch.set_num_threads(threads)
    assert np.array_equal(runs[0], runs[1])


class _TinyTokenizer:
    pad_token_id = 0

    def __call__(self, text, add_special_tokens=False):
        return {"input_ids": [1 + (ord(c) % 50) for c in text]}


def test_right_padding_and_split_forward_match_the_whole_model():
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=64, hidden_size=16, intermediate_size=32, num_hidden_layers=4,
                         num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=64)
    model = LlamaForCausalLM(config).eval()
    ids, last = encode_right_padded(_TinyTokenizer(), ["abcdef", "xy", "hello"])
    assert ids.shape == (3, 6) and last.tolist() == [5, 1, 4] and ids[1, 2:].eq(0).all()
    with torch.no_grad():
        whole = model.model(input_ids=ids).last_hidden_state[torch.arange(3), last]
        split = upper_states(model, lower_states(model, ids, 2), 2, last)
        alone = model.model(input_ids=ids[1:2, :2]).last_hidden_state[0, -1]
    assert torch.allclose(whole, split, atol=1e-5)
    assert torch.allclose(whole[1], alone, atol=1e-5)  # right padding changes nothing before it
    with pytest.raises(ValueError):
        encode_right_padded(_TinyTokenizer(), [""])
