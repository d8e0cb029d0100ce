"""TensorFlow/Keras versions of matrix factorization and NeuMF, with the same interface.

:class:`KerasMF` (BPR for implicit feedback, or MSE with biases for explicit ratings) and
:class:`KerasNeuMF` mirror :class:`recsys_helpers.models.mf.BPRMF`,
:class:`recsys_helpers.models.mf.MatrixFactorization` and :class:`recsys_helpers.models.neumf.NeuMF`:
same model, loss, negative sampling (the same NumPy sampler and shuffling, so the same batches for
the same seed), initialisation scale and optimizer (Adam with decoupled weight decay). Only the
framework differs, so chapter 04 can compare the two on equal terms. Weights are initialised by
different random generators, so the two frameworks give close but not identical results.

TensorFlow is imported inside ``fit`` (it takes seconds), after setting ``TF_CPP_MIN_LOG_LEVEL=3``
unless the variable is already set; importing this module imports neither TensorFlow nor PyTorch.
Keras 3 must run on its TensorFlow backend (the default).

Introduced in chapter 04 (Embeddings and neural collaborative filtering).
"""

from __future__ import annotations

import math
import os
import random

import numpy as np
import scipy.sparse as sp

from recsys_helpers.base import Recommender, check_interactions
from recsys_helpers.checks import (
    check_choice,
    check_neumf_config,
    check_non_negative_float,
    check_non_negative_int,
    check_positive_float,
    check_positive_int,
)
from recsys_helpers.sampling import NegativeSampler, positive_pairs

__all__ = ["KerasMF", "KerasNeuMF", "import_tensorflow"]

KERAS_MF_LOSSES = ("bpr", "mse")


def import_tensorflow():
    """Import and return ``(tensorflow, keras)`` quietly; check that Keras uses TensorFlow.

    Introduced in chapter 04 (Embeddings and neural collaborative filtering).
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    # isort: split
    import keras  # after TensorFlow, as always before

    if keras.backend.backend() != "tensorflow":
        raise RuntimeError(f"the Keras models need KERAS_BACKEND=tensorflow, got {keras.backend.backend()!r}")
    return tf, keras


class _KerasRecommender(Recommender):
    """Shared fit/score glue: hooks ``_build``, ``_batches``, ``_loss`` and ``_score_block``."""

    score_chunk = 1024

    def __init__(self, *, epochs, lr, batch_size, weight_decay, init_std, seed):
        self.epochs = check_positive_int("epochs", epochs)
        self.lr = check_positive_float("lr", lr)
        self.batch_size = check_positive_int("batch_size", batch_size)
        self.weight_decay = check_non_negative_float("weight_decay", weight_decay)
        self.init_std = check_positive_float("init_std", init_std)
        self.seed = check_non_negative_int("seed", seed)

    def _check_train(self, interactions) -> sp.csr_matrix:
        matrix = check_interactions(interactions)
        if matrix.nnz == 0:
            raise ValueError("interactions has no non-zero entry to learn from")
        return matrix

    def _pair_batches(self, rng: np.random.Generator):
        order = rng.permutation(self._pos_users.size)
        for start in range(0, order.size, self.batch_size):
            yield order[start:start + self.batch_size]

    def fit(self, interactions) -> "_KerasRecommender":
        """Train on a (num_users, num_items) matrix; return ``self``. ``history_`` holds the losses."""
        train = self._check_train(interactions)
        tf, keras = import_tensorflow()
        # Keras' initialisers draw their seeds from Python's and TensorFlow's global generators,
        # which set_random_seed reseeds (NumPy's too); Python's and NumPy's states are put back
        # after the fit, TensorFlow's stays seeded.
        python_state, numpy_state = random.getstate(), np.random.get_state()
        keras.utils.set_random_seed(self.seed)
        try:
            self._fit_seeded(tf, keras, train)
        finally:
            random.setstate(python_state)
            np.random.set_state(numpy_state)
        return self

    def _fit_seeded(self, tf, keras, train) -> None:
        rng = np.random.default_rng(self.seed)
        self._pos_users, self._pos_items, self._pos_values = positive_pairs(train)
        self._sampler = NegativeSampler(train)
        self.num_users_, self.num_items_ = train.shape
        self.train_ = train
        self.model_ = self._build(tf, keras)
        optimizer = keras.optimizers.Adam(learning_rate=self.lr, weight_decay=self.weight_decay or None)
        variables = self.model_.trainable_variables
        optimizer.build(variables)

        # One trace for every batch size: users and items int64, the third array per subclass.
        third = tf.int64 if getattr(self, "loss", None) == "bpr" else tf.float32
        signature = [tf.TensorSpec([None], tf.int64), tf.TensorSpec([None], tf.int64), tf.TensorSpec([None], third)]

        @tf.function(input_signature=signature)
        def step(*batch):
            with tf.GradientTape() as tape:
                loss = self._loss(tf, self.model_, batch)
            optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
            return loss

        self.history_ = []
        for epoch in range(1, self.epochs + 1):
            losses = [float(step(*batch)) for batch in self._batches(rng)]
            if not all(math.isfinite(v) for v in losses):
                raise FloatingPointError(f"loss is not finite at epoch {epoch}: lower lr or check the inputs")
            self.history_.append({"epoch": epoch, "loss": float(np.mean(losses))})

    def score(self, users=None) -> np.ndarray:
        """Scores of shape (len(users), num_items), float64; higher = more recommendable."""
        users = self._users(users)
        if users.size == 0:
            return np.empty((0, self.num_items_))
        blocks = [self._score_block(users[start:start + self.score_chunk])
                  for start in range(0, users.size, self.score_chunk)]
        return np.concatenate(blocks).astype(np.float64)


class KerasMF(_KerasRecommender):
    """Matrix factorization in Keras: BPR on implicit feedback or biased MSE on explicit ratings.

    ``loss="bpr"`` is :class:`recsys_helpers.models.mf.BPRMF` (score ``p_u · q_i``, one sampled
    negative per observed pair); ``loss="mse"`` is :class:`recsys_helpers.models.mf.MatrixFactorization`
    (``mu + b_u + b_i + p_u · q_i`` fitted to the stored ratings; ``score`` = predicted ratings).

    Parameters
    ----------
    loss : {"bpr", "mse"}, default "bpr"
    dim : int, default 32
    epochs : int, default 40
    lr : float, default 0.01
    batch_size : int, default 256
    weight_decay : float, default 3.0
        Decoupled weight decay of Keras' Adam (same meaning as PyTorch's AdamW).
    init_std : float, default 0.1
    seed : int, default 0

    Attributes
    ----------
    model_ : keras.Model
    history_ : list of dict with ``epoch`` and ``loss``
    user_embeddings_, item_embeddings_ : ndarray

    Introduced in chapter 04 (Embeddings and neural collaborative filtering).
    """

    def __init__(self, loss: str = "bpr", *, dim: int = 32, epochs: int = 40, lr: float = 0.01,
                 batch_size: int = 256, weight_decay: float = 3.0, init_std: float = 0.1, seed: int = 0):
        super().__init__(epochs=epochs, lr=lr, batch_size=batch_size, weight_decay=weight_decay,
                         init_std=init_std, seed=seed)
        self.loss = check_choice("loss", loss, KERAS_MF_LOSSES)
        self.dim = check_positive_int("dim", dim)

    def _build(self, tf, keras):
        normal = keras.initializers.RandomNormal(stddev=self.init_std)
        explicit = self.loss == "mse"
        mean = float(self._pos_values.mean()) if explicit else 0.0
        self.mean_rating_ = mean if explicit else None

        class MF(keras.Model):
            def __init__(inner, num_users, num_items, dim):
                super().__init__()
                inner.user = keras.layers.Embedding(num_users, dim, embeddings_initializer=normal)
                inner.item = keras.layers.Embedding(num_items, dim, embeddings_initializer=normal)
                if explicit:
                    inner.user_bias = keras.layers.Embedding(num_users, 1, embeddings_initializer="zeros")
                    inner.item_bias = keras.layers.Embedding(num_items, 1, embeddings_initializer="zeros")

            def call(inner, inputs):
                users, items = inputs
                scores = tf.reduce_sum(inner.user(users) * inner.item(items), axis=-1)
                if explicit:
                    scores = (scores + mean + tf.squeeze(inner.user_bias(users), -1)
                              + tf.squeeze(inner.item_bias(items), -1))
                return scores

        model = MF(self.num_users_, self.num_items_, self.dim)
        model((np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.int64)))  # create the weights
        return model

    def _batches(self, rng):
        for index in self._pair_batches(rng):
            users = self._pos_users[index]
            if self.loss == "bpr":
                yield users, self._pos_items[index], self._sampler(users, rng)
            else:
                yield users, self._pos_items[index], self._pos_values[index]

    def _loss(self, tf, model, batch):
        if self.loss == "bpr":
            users, positives, negatives = batch
            return -tf.reduce_mean(tf.math.log_sigmoid(model((users, positives)) - model((users, negatives))))
        users, items, ratings = batch
        return tf.reduce_mean(tf.square(model((users, items)) - ratings))

    @property
    def user_embeddings_(self) -> np.ndarray:
        return np.asarray(self.model_.user.embeddings)

    @property
    def item_embeddings_(self) -> np.ndarray:
        return np.asarray(self.model_.item.embeddings)

    def _score_block(self, users):
        scores = self.user_embeddings_[users] @ self.item_embeddings_.T
        if self.loss == "mse":
            user_bias = np.asarray(self.model_.user_bias.embeddings)[users]
            item_bias = np.asarray(self.model_.item_bias.embeddings).T
            scores = scores + self.mean_rating_ + user_bias + item_bias
        return scores

    def predict(self, users, items) -> np.ndarray:
        """Predicted scores (ratings with ``loss="mse"``) of the pairs (users[n], items[n]), shape (n,)."""
        users = self._users(users)
        items = np.asarray(items, dtype=np.int64).ravel()
        if items.shape != users.shape:
            raise ValueError(f"users and items must have the same length, got {users.size} and {items.size}")
        if items.size and (items.min() < 0 or items.max() >= self.num_items_):
            raise ValueError(f"item indices must be in [0, {self.num_items_}), got min {items.min()} max {items.max()}")
        return np.asarray(self.model_((users, items))).astype(np.float64)


class KerasNeuMF(_KerasRecommender):
    """NeuMF / GMF / MLP in Keras; the twin of :class:`recsys_helpers.models.neumf.NeuMF`.

    Parameters
    ----------
    mode : {"neumf", "gmf", "mlp"}, default "neumf"
    dim : int, default 16
        GMF embedding size.
    mlp_layers : sequence of int, default (32, 16, 8)
        MLP widths, input first; ``mlp_layers[0]`` must be even (half user, half item embedding).
    num_negatives : int, default 4
    epochs : int, default 20
    lr : float, default 0.01
    batch_size : int, default 256
    weight_decay : float, default 1.0
    init_std : float, default 0.1
    seed : int, default 0

    ``score`` returns logits.

    Introduced in chapter 04 (Embeddings and neural collaborative filtering).
    """

    score_chunk = 256

    def __init__(self, mode: str = "neumf", *, dim: int = 16, mlp_layers=(32, 16, 8), num_negatives: int = 4,
                 epochs: int = 20, lr: float = 0.01, batch_size: int = 256, weight_decay: float = 1.0,
                 init_std: float = 0.1, seed: int = 0):
        super().__init__(epochs=epochs, lr=lr, batch_size=batch_size, weight_decay=weight_decay,
                         init_std=init_std, seed=seed)
        self.mlp_layers = check_neumf_config(mode, mlp_layers)
        self.mode = mode
        self.dim = check_positive_int("dim", dim)
        self.num_negatives = check_positive_int("num_negatives", num_negatives)

    def _build(self, tf, keras):
        normal = keras.initializers.RandomNormal(stddev=self.init_std)
        mode, dim, layers = self.mode, self.dim, self.mlp_layers

        class NeuMFNet(keras.Model):
            def __init__(inner, num_users, num_items):
                super().__init__()
                if mode in ("neumf", "gmf"):
                    inner.gmf_user = keras.layers.Embedding(num_users, dim, embeddings_initializer=normal)
                    inner.gmf_item = keras.layers.Embedding(num_items, dim, embeddings_initializer=normal)
                if mode in ("neumf", "mlp"):
                    inner.mlp_user = keras.layers.Embedding(num_users, layers[0] // 2, embeddings_initializer=normal)
                    inner.mlp_item = keras.layers.Embedding(num_items, layers[0] // 2, embeddings_initializer=normal)
                    inner.mlp = [keras.layers.Dense(width, activation="relu") for width in layers[1:]]
                inner.output_layer = keras.layers.Dense(1)

            def call(inner, inputs):
                users, items = inputs
                parts = []
                if mode in ("neumf", "gmf"):
                    parts.append(inner.gmf_user(users) * inner.gmf_item(items))
                if mode in ("neumf", "mlp"):
                    hidden = tf.concat([inner.mlp_user(users), inner.mlp_item(items)], axis=-1)
                    for layer in inner.mlp:
                        hidden = layer(hidden)
                    parts.append(hidden)
                return tf.squeeze(inner.output_layer(tf.concat(parts, axis=-1)), -1)

        model = NeuMFNet(self.num_users_, self.num_items_)
        model((np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.int64)))  # create the weights
        return model

    def _batches(self, rng):
        for index in self._pair_batches(rng):
            users = self._pos_users[index]
            negatives = self._sampler(users, rng, self.num_negatives)
            all_users = np.concatenate([users, np.repeat(users, self.num_negatives)])
            all_items = np.concatenate([self._pos_items[index], negatives.ravel()])
            labels = np.concatenate([np.ones(users.size), np.zeros(negatives.size)]).astype(np.float32)
            yield all_users, all_items, labels

    def _loss(self, tf, model, batch):
        users, items, labels = batch
        return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=model((users, items))))

    def _score_block(self, users):
        pair_users = np.repeat(users, self.num_items_)
        pair_items = np.tile(np.arange(self.num_items_), users.size)
        return np.asarray(self.model_((pair_users, pair_items))).reshape(users.size, self.num_items_)
