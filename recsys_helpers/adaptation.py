"""Adapting a language model to recommendation: prompts, scores, LoRA, transfer into small models.

The pieces chapter 17 builds, for reuse:

- **TALLRec's question** (Bao et al., RecSys 2023): a user's recent films split into liked and
  disliked (rating > 3), and "will the user like the target?" answered Yes or No
  (:func:`tallrec_message`); the answer's probability from the two logits (:func:`yes_probability`)
  and the area under the ROC curve of any pair scores (:func:`auc`).
- **LlamaRec's verbalizer** (Yue et al., 2023): candidates listed under letters A, B, …, scored by
  the model's next-token logits of the letters (:func:`listing_message`).
- **ReLLa's retrieval** (Lin et al., WWW 2024): the k history items most similar to the candidate
  instead of the k most recent (:func:`select_history`).
- **LoRA** (Hu et al., ICLR 2022): the low-rank update (:func:`lora_forward`), its parameter count
  (:func:`lora_num_parameters`), a peft set-up on chosen blocks (:func:`add_lora`), and the cost
  lever of running the frozen lower blocks once (:func:`lower_states`, :func:`upper_states`).
- **Transfer into small models**: a ranking-distillation loss (DLLM2Rec-style,
  :func:`ranking_distillation_loss`) and a SASRec trained with it (:class:`DistilledSASRec`); a
  SASRec whose item table is a learned map of text vectors (AlphaRec-style, :class:`TextMapSASRec`),
  which can score items nobody has rated.

Nothing here downloads or needs a GPU; the language-model functions take a loaded transformers
causal LM (chapter 07's :func:`recsys_helpers.llm.load_language_model`).

Introduced in chapter 17 (Adapting a language model to recommendation).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from recsys_helpers.checks import check_item_sequences
from recsys_helpers.metrics import roc_auc_score
from recsys_helpers.models.sequential import IGNORE, SASRec, _TransformerNet

__all__ = [
    "LETTERS",
    "tallrec_message",
    "listing_message",
    "yes_probability",
    "auc",
    "pair_scores",
    "select_history",
    "lora_forward",
    "lora_num_parameters",
    "ranking_distillation_loss",
    "add_lora",
    "lora_state",
    "load_lora_state",
    "encode_right_padded",
    "lower_states",
    "upper_states",
    "DistilledSASRec",
    "TextItemTable",
    "TextMapSASRec",
]

LETTERS = "ABCDEFGHIJKLMNOPQRST"


# --------------------------------------------------------------------------- prompts
def tallrec_message(titles: Sequence[str], ratings: Sequence[float], target: str, *, threshold: float = 3) -> str:
    """TALLRec's question for one (history, target) pair, as one user message.

    Parameters
    ----------
    titles, ratings : sequences of equal length, oldest first
        The films of the history and the user's ratings of them.
    target : str
        The film the question is about.
    threshold : float, default 3
        A rating above it counts as liked (TALLRec: rating > 3).

    Returns
    -------
    str
        ``"Liked: a; b. Disliked: c. Will the user like <target>? Answer Yes or No."``, each list
        in history order, ``"none"`` for an empty list.

    Raises
    ------
    ValueError
        Lengths differ, the history is empty, or the target is empty.
    """
    titles, ratings = list(titles), list(ratings)
    if len(titles) != len(ratings) or not titles:
        raise ValueError(f"need a non-empty history with one rating per title, got {len(titles)} titles and "
                         f"{len(ratings)} ratings")
    if not isinstance(target, str) or not target.strip():
        raise ValueError("target must be a non-empty title")
    liked = [t for t, r in zip(titles, ratings) if r > threshold]
    disliked = [t for t, r in zip(titles, ratings) if r <= threshold]
    return (f"Liked: {'; '.join(liked) or 'none'}. Disliked: {'; '.join(disliked) or 'none'}. "
            f"Will the user like {target}? Answer Yes or No.")


def listing_message(history: Sequence[str], candidates: Sequence[str]) -> str:
    """LlamaRec's question: the recent titles, then the candidates under letters A, B, ….

    Parameters
    ----------
    history : sequence of str, oldest first
    candidates : sequence of str, at most 20

    Returns
    -------
    str
        Ends with "Answer with its letter." The answer is read from the next-token logits of the
        letters (see the chapter), so the letters must each be one token.
    """
    history, candidates = list(history), list(candidates)
    if not history or not candidates or len(candidates) > len(LETTERS):
        raise ValueError(f"need a history and 1..{len(LETTERS)} candidates, got {len(history)} and "
                         f"{len(candidates)}")
    listing = "\n".join(f"{letter}. {title}" for letter, title in zip(LETTERS, candidates))
    return (f"I recently watched: {'; '.join(history)}.\nCandidates:\n{listing}\n"
            "Which candidate will I watch next? Answer with its letter.")


# --------------------------------------------------------------------------- scores
def yes_probability(logits, yes_id: int, no_id: int) -> np.ndarray:
    """P("Yes") among the two answers, from next-token logits.

    Parameters
    ----------
    logits : array (n, vocab) or (vocab,)
    yes_id, no_id : int
        Token ids of the two answers.

    Returns
    -------
    ndarray (n,) or float in (0, 1)
        ``exp(l_yes) / (exp(l_yes) + exp(l_no))`` = sigmoid(l_yes - l_no); the rest of the
        vocabulary plays no part.
    """
    logits = np.asarray(logits, dtype=np.float64)
    from scipy.special import expit

    result = expit(logits[..., yes_id] - logits[..., no_id])  # stable for any size of logits
    return float(result) if result.ndim == 0 else result


def auc(scores, labels) -> float:
    """Area under the ROC curve: P(a random positive outscores a random negative), ties count 1/2.

    Parameters
    ----------
    scores : array (n,) of float
    labels : array (n,) of 0/1 (or bool)

    Returns
    -------
    float in [0, 1]; NaN when one class is absent (so a bootstrap resample can be left out).
    Otherwise it is chapter 02's :func:`recsys_helpers.metrics.roc_auc_score`.
    """
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels).astype(bool)
    if scores.shape != labels.shape or scores.ndim != 1:
        raise ValueError(f"scores and labels must be 1-D of the same length, got {scores.shape} and {labels.shape}")
    if labels.all() or not labels.any():
        return float("nan")
    return roc_auc_score(labels.astype(np.float64), scores)


def pair_scores(score_matrix, users, items) -> np.ndarray:
    """One score per (user, item) pair from a (num_users, num_items) score matrix.

    This is how a ranking model answers TALLRec's yes/no question: its score of the target item
    for that user; only the order of these scores matters to the AUC.
    """
    score_matrix = np.asarray(score_matrix)
    users, items = np.asarray(users, dtype=np.int64), np.asarray(items, dtype=np.int64)
    if users.shape != items.shape:
        raise ValueError(f"users and items must have the same shape, got {users.shape} and {items.shape}")
    return score_matrix[users, items].astype(np.float64)


def select_history(history_vectors, candidate_vector, k: int) -> np.ndarray:
    """ReLLa's semantic behaviour retrieval: the k history positions most similar to the candidate.

    Parameters
    ----------
    history_vectors : array (n, d), oldest first
    candidate_vector : array (d,)
    k : int, >= 1

    Returns
    -------
    int array (min(k, n),) of positions, in **history order** (oldest first), chosen by cosine
    similarity (ties: the more recent position wins).
    """
    history_vectors = np.asarray(history_vectors, dtype=np.float64)
    candidate_vector = np.asarray(candidate_vector, dtype=np.float64)
    if history_vectors.ndim != 2 or candidate_vector.shape != history_vectors.shape[1:]:
        raise ValueError(f"history_vectors (n, d) and candidate_vector (d,) expected, got "
                         f"{history_vectors.shape} and {candidate_vector.shape}")
    if int(k) < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    norms = np.linalg.norm(history_vectors, axis=1) * np.linalg.norm(candidate_vector)
    similarity = history_vectors @ candidate_vector / np.maximum(norms, 1e-12)
    n = len(similarity)
    order = np.lexsort((-np.arange(n), -similarity))  # most similar first, recent first on ties
    return np.sort(order[:min(int(k), n)])


# --------------------------------------------------------------------------- LoRA
def lora_forward(x, weight, a, b, alpha: float):
    """A LoRA linear layer: ``x W^T + (alpha / r) x A^T B^T`` with r = A's rows.

    Shapes: x (n, d_in), weight (d_out, d_in) frozen, a (r, d_in), b (d_out, r) trained; returns
    (n, d_out). With b = 0 (LoRA's initialisation) the layer is exactly the frozen one.
    """
    x, weight, a, b = (np.asarray(v, dtype=np.float64) for v in (x, weight, a, b))
    rank = a.shape[0]
    if weight.shape[1] != a.shape[1] or b.shape != (weight.shape[0], rank):
        raise ValueError(f"shapes do not fit: W {weight.shape}, A {a.shape}, B {b.shape}")
    return x @ weight.T + (alpha / rank) * (x @ a.T) @ b.T


def lora_num_parameters(shapes, rank: int) -> int:
    """Trained parameters of LoRA with rank ``rank`` on linear layers of the given (d_out, d_in)."""
    return int(sum(rank * (d_in + d_out) for d_out, d_in in shapes))


def add_lora(model, *, rank: int = 8, alpha: float = 16, modules=("q_proj", "v_proj"), blocks=None, seed: int = 0):
    """Wrap a transformers causal LM with peft LoRA adapters; only the adapters are trainable.

    Parameters
    ----------
    model : transformers causal LM (Llama-style: ``model.model.layers``)
    rank, alpha : LoRA rank r and scale alpha (the update is multiplied by alpha / r)
    modules : names of the linear layers that get an adapter
    blocks : sequence of block indices, optional (default: every block)
    seed : int, seeds the random initialisation of the A matrices

    Returns
    -------
    peft.PeftModel; call ``.unload()`` on its ``base_model`` to get the plain model back.
    """
    import warnings

    from peft import LoraConfig, get_peft_model

    torch.manual_seed(seed)
    config = LoraConfig(r=rank, lora_alpha=alpha, lora_dropout=0.0, target_modules=list(modules),
                        layers_to_transform=None if blocks is None else [int(b) for b in blocks],
                        task_type="CAUSAL_LM")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return get_peft_model(model, config)


def lora_state(model) -> dict:
    """A copy of the trainable (adapter) tensors, to reset the adapters later."""
    return {name: p.detach().clone() for name, p in model.named_parameters() if p.requires_grad}


def load_lora_state(model, state: dict) -> None:
    """Write back tensors saved by :func:`lora_state`."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name in state:
                p.copy_(state[name])


def encode_right_padded(tokenizer, texts: Sequence[str]):
    """Token ids padded on the **right**, and the index of each row's last real token.

    With right padding and a causal model, the real tokens never see the padding, so no
    attention mask is needed and positions are simply 0, 1, 2, ….
    """
    rows = [tokenizer(t, add_special_tokens=False)["input_ids"] for t in texts]
    if not rows or any(len(r) == 0 for r in rows):
        raise ValueError("every text must give at least one token")
    width = max(len(r) for r in rows)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    ids = torch.full((len(rows), width), pad, dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, :len(r)] = torch.tensor(r)
    return ids, torch.tensor([len(r) - 1 for r in rows])


def _decoder(model):
    inner = model
    for _ in range(4):  # PeftModel -> LoraModel -> CausalLM -> base model with .layers
        if hasattr(inner, "layers") and hasattr(inner, "norm"):
            return inner
        inner = getattr(inner, "model", None) or getattr(inner, "base_model", None)
        if inner is None:
            break
    raise ValueError("expected a Llama-style causal LM with model.layers and model.norm")


def lower_states(model, ids, upto: int) -> torch.Tensor:
    """Hidden states after the first ``upto`` blocks, (batch, length, hidden), without gradients.

    If only blocks ``upto`` and later carry adapters, these states never change during training:
    compute them once and train on :func:`upper_states`.
    """
    decoder = _decoder(model)
    with torch.no_grad():
        hidden = decoder.embed_tokens(ids)
        positions = torch.arange(ids.shape[1], device=ids.device)[None].expand(ids.shape[0], -1)
        rotary = decoder.rotary_emb(hidden, positions)
        for layer in decoder.layers[:upto]:
            hidden = layer(hidden, attention_mask=None, position_ids=positions, position_embeddings=rotary)
            hidden = hidden[0] if isinstance(hidden, tuple) else hidden
    return hidden


def upper_states(model, hidden, start: int, last_index) -> torch.Tensor:
    """Blocks ``start`` and later plus the final norm, at each row's last real token: (batch, hidden).

    Gradients flow into any adapter of those blocks; multiply by the output embedding
    (``model.lm_head``) for next-token logits.
    """
    decoder = _decoder(model)
    positions = torch.arange(hidden.shape[1], device=hidden.device)[None].expand(hidden.shape[0], -1)
    rotary = decoder.rotary_emb(hidden, positions)
    for layer in decoder.layers[start:]:
        hidden = layer(hidden, attention_mask=None, position_ids=positions, position_embeddings=rotary)
        hidden = hidden[0] if isinstance(hidden, tuple) else hidden
    rows = torch.arange(hidden.shape[0], device=hidden.device)
    return decoder.norm(hidden[rows, torch.as_tensor(last_index, device=hidden.device)])


# --------------------------------------------------------------------------- distillation
def ranking_distillation_loss(logits, teacher_items, weights):
    """DLLM2Rec-style ranking distillation: the student's log-softmax on the teacher's top items.

    Parameters
    ----------
    logits : tensor (n, num_items), the student's scores
    teacher_items : long tensor (n, k), the teacher's top-k items per row, best first
    weights : tensor (n, k) or (k,), >= 0, how much each listed item counts (e.g. decaying with
        the teacher's rank, times the teacher's confidence); each row is normalised to sum 1

    Returns
    -------
    scalar tensor: mean over rows of ``-sum_j w_j log softmax(logits)[teacher_items_j]``.
    """
    logits = torch.as_tensor(logits)
    teacher_items = torch.as_tensor(teacher_items, dtype=torch.long, device=logits.device)
    weights = torch.as_tensor(weights, dtype=logits.dtype, device=logits.device)
    if teacher_items.ndim != 2 or teacher_items.shape[0] != logits.shape[0]:
        raise ValueError(f"teacher_items must be (n, k) with n = {logits.shape[0]}, got {tuple(teacher_items.shape)}")
    weights = weights.expand(teacher_items.shape)
    if (weights < 0).any():
        raise ValueError("weights must be >= 0")
    weights = weights / weights.sum(dim=1, keepdim=True).clamp_min(1e-12)
    log_p = torch.log_softmax(logits, dim=1).gather(1, teacher_items)
    return -(weights * log_p).sum(dim=1).mean()


class DistilledSASRec(SASRec):
    """SASRec trained with next-item cross-entropy plus a ranking-distillation term.

    Parameters
    ----------
    num_items : int
    teacher_sequences : list of item sequences (the histories the teacher saw)
    teacher_items : int array (num_rows, k), the teacher's top-k next items per history, best first
    teacher_weights : float array (num_rows, k) or (k,)
    distill_weight : float, default 0.5 — the term's weight in the loss
    distill_batch : int, default 64 — teacher rows drawn per optimizer step
    **settings : as for :class:`~recsys_helpers.models.sequential.SASRec`

    Serving cost is SASRec's: the teacher is used at training time only.
    """

    def __init__(self, num_items: int, *, teacher_sequences, teacher_items, teacher_weights,
                 distill_weight: float = 0.5, distill_batch: int = 64, **settings):
        super().__init__(num_items, **settings)
        rows = check_item_sequences(teacher_sequences, num_items=num_items, name="teacher_sequences")
        items = np.asarray(teacher_items, dtype=np.int64)
        if items.ndim != 2 or len(items) != len(rows) or items.min() < 0 or items.max() >= num_items:
            raise ValueError("teacher_items must be (len(teacher_sequences), k) item indices")
        self.teacher_tokens_ = None
        self._teacher_rows = rows
        self.teacher_items = torch.as_tensor(items)
        self.teacher_weights = torch.as_tensor(np.broadcast_to(np.asarray(teacher_weights, dtype=np.float32),
                                                               items.shape).copy())
        self.distill_weight = float(distill_weight)
        self.distill_batch = int(distill_batch)

    def _loss(self, network, batch):
        from recsys_helpers.models.sequential import pad_sequences

        inputs, targets = batch
        used = targets != IGNORE
        loss = nn.functional.cross_entropy(network.logits(network(inputs)[used]), targets[used])
        if self.teacher_tokens_ is None:
            self.teacher_tokens_ = pad_sequences(self._teacher_rows, self.max_len)
            self._generator = torch.Generator().manual_seed(int(self.training.seed or 0))
        device = inputs.device
        drawn = torch.randint(0, len(self.teacher_tokens_), (self.distill_batch,), generator=self._generator)
        hidden = network(self.teacher_tokens_[drawn].to(device))[:, -1]
        extra = ranking_distillation_loss(network.logits(hidden), self.teacher_items[drawn].to(device),
                                          self.teacher_weights[drawn].to(device))
        return loss + self.distill_weight * extra


class TextItemTable(nn.Module):
    """An item table computed from fixed text vectors: row 0 (padding) is zero, row i+1 = f(text_i).

    ``kind="linear"``: f is one linear map (AlphaRec's finding is that this already works);
    ``kind="mlp"``: Linear -> GELU -> Linear with ``2 * hidden`` units in between.
    Behaves like ``nn.Embedding`` for SASRec: ``table(tokens)`` and ``table.weight``.
    """

    def __init__(self, text_vectors, hidden: int, kind: str = "linear"):
        super().__init__()
        vectors = torch.as_tensor(np.asarray(text_vectors, dtype=np.float32))
        if vectors.ndim != 2:
            raise ValueError(f"text_vectors must be (num_items, d), got {tuple(vectors.shape)}")
        self.register_buffer("text", torch.cat([torch.zeros(1, vectors.shape[1]), vectors]))
        if kind == "linear":
            self.map = nn.Linear(vectors.shape[1], hidden, bias=False)
        elif kind == "mlp":
            self.map = nn.Sequential(nn.Linear(vectors.shape[1], 2 * hidden), nn.GELU(),
                                     nn.Linear(2 * hidden, hidden))
        else:
            raise ValueError(f"kind must be 'linear' or 'mlp', got {kind!r}")
        self.kind = kind

    @property
    def weight(self) -> torch.Tensor:
        mapped = self.map(self.text[1:])
        return torch.cat([torch.zeros_like(mapped[:1]), mapped])

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        # nn.functional.embedding, not self.weight[tokens]: the backward of advanced indexing adds
        # the rows of repeated tokens in a thread-dependent order on the CPU, so two runs differed
        return nn.functional.embedding(tokens, self.weight)


class TextMapSASRec(SASRec):
    """SASRec whose item table is a learned map of text vectors (no parameter belongs to one item).

    The per-item output bias is switched off (it would be an id parameter, and an item never
    seen in training would keep a bias pushed down by the softmax). An item nobody has rated is
    scored from its text like any other.

    Parameters
    ----------
    text_vectors : array (num_items, d)
    kind : "linear" or "mlp"
    **settings : as for SASRec
    """

    def __init__(self, text_vectors, *, kind: str = "linear", **settings):
        vectors = np.asarray(text_vectors, dtype=np.float32)
        super().__init__(len(vectors), **settings)
        self.text_vectors, self.kind = vectors, kind
        TextItemTable(vectors[:2], 2, kind)  # validates kind early

    def _build(self) -> nn.Module:
        network = super()._build()
        assert isinstance(network, _TransformerNet)
        network.item_embedding = TextItemTable(self.text_vectors, self.hidden, self.kind)
        network.output_bias.requires_grad_(False)
        return network
