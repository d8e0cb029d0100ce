"""Tests of recsys_helpers.text: the disk cache of text embeddings, its keys and its input checks."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys_helpers.text import (
    CACHE_ENV_VAR,
    TextEmbedder,
    default_cache_dir,
    embed_texts,
    item_texts,
    model_identity,
    text_key,
)


class CountingEncoder:
    """A fake sentence encoder: deterministic vectors from the text, and a count of encoded texts."""

    def __init__(self, model_id: str = "fake-encoder-v1", dim: int = 4):
        self.model_id = model_id
        self.dim = dim
        self.calls = 0
        self.texts_encoded: list[str] = []

    def encode(self, texts, **options):
        assert options.get("show_progress_bar") is False  # notebooks must stay quiet
        self.calls += 1
        self.texts_encoded += list(texts)
        rows = []
        for text in texts:
            rng = np.random.default_rng(sum(text.encode()) + len(text) * 1000)
            rows.append(rng.normal(size=self.dim))
        return np.array(rows)


TITLES = ["Toy Story", "GoldenEye", "Four Rooms", "Get Shorty"]


def test_vectors_are_float32_in_input_order(tmp_path):
    encoder = CountingEncoder()
    vectors = TextEmbedder(encoder, cache_dir=tmp_path).embed(TITLES)
    assert vectors.dtype == np.float32 and vectors.shape == (4, encoder.dim)
    expected = np.asarray(CountingEncoder().encode(TITLES, show_progress_bar=False), dtype=np.float32)
    np.testing.assert_array_equal(vectors, expected)


def test_second_call_reads_the_cache_without_encoding(tmp_path):
    encoder = CountingEncoder()
    first = TextEmbedder(encoder, cache_dir=tmp_path).embed(TITLES)
    assert encoder.calls == 1
    embedder = TextEmbedder(encoder, cache_dir=tmp_path)  # a new object: the cache is on disk
    second = embedder.embed(list(reversed(TITLES)))
    assert encoder.calls == 1, "the second call must not call the encoder"
    assert embedder.last_num_encoded == 0 and embedder.last_num_cached == 4
    np.testing.assert_array_equal(second, first[::-1])


def test_changed_title_re_encodes_only_that_item(tmp_path):
    encoder = CountingEncoder()
    embedder = TextEmbedder(encoder, cache_dir=tmp_path)
    before = embedder.embed(TITLES)
    changed = TITLES[:2] + ["Four Rooms (1995)"] + TITLES[3:]
    after = embedder.embed(changed)
    assert encoder.texts_encoded == TITLES + ["Four Rooms (1995)"]
    assert embedder.last_num_encoded == 1 and embedder.last_num_cached == 3
    np.testing.assert_array_equal(after[[0, 1, 3]], before[[0, 1, 3]])
    assert not np.allclose(after[2], before[2])


def test_duplicates_are_encoded_once(tmp_path):
    encoder = CountingEncoder()
    vectors = TextEmbedder(encoder, cache_dir=tmp_path).embed(["Heat", "Heat", "Casino"])
    assert encoder.texts_encoded == ["Heat", "Casino"]
    np.testing.assert_array_equal(vectors[0], vectors[1])


def test_keys_change_with_model_and_text():
    assert text_key("model-a", "Heat") == text_key("model-a", "Heat")
    assert text_key("model-a", "Heat") != text_key("model-b", "Heat")
    assert text_key("model-a", "Heat") != text_key("model-a", "Heat ")
    # the separator keeps (model, text) pairs apart that plain concatenation would merge
    assert text_key("ab", "c") != text_key("a", "bc")
    assert len(text_key("m", "t")) == 64


def test_another_model_does_not_read_these_vectors(tmp_path):
    first, second = CountingEncoder("model-a"), CountingEncoder("model-b")
    TextEmbedder(first, cache_dir=tmp_path).embed(TITLES)
    other = TextEmbedder(second, cache_dir=tmp_path)
    other.embed(TITLES)
    assert second.calls == 1 and other.last_num_encoded == 4
    assert other.cache_file != TextEmbedder(first, cache_dir=tmp_path).cache_file


def test_cache_dir_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_ENV_VAR, str(tmp_path / "from-env"))
    assert default_cache_dir() == tmp_path / "from-env"
    embedder = TextEmbedder(CountingEncoder())
    embedder.embed(["Heat"])
    assert embedder.cache_file.is_relative_to(tmp_path / "from-env")
    assert embedder.cache_file.exists()
    monkeypatch.delenv(CACHE_ENV_VAR)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "recsys_helpers"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_cache_dir() == Path.home() / ".cache" / "recsys_helpers"


def test_normalize_gives_unit_rows(tmp_path):
    vectors = embed_texts(TITLES, CountingEncoder(), cache_dir=tmp_path, normalize=True)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-6)


@pytest.mark.parametrize(
    "texts, message",
    [
        ("Toy Story", "single string"),
        ([], "empty"),
        (["Toy Story", None], r"texts\[1\] is NoneType"),
        (["Toy Story", 3], r"texts\[1\] is int"),
        (["Toy Story", "  "], r"texts\[1\] is empty or blank"),
        (42, "sequence of strings"),
    ],
)
def test_bad_texts_are_rejected(tmp_path, texts, message):
    with pytest.raises(ValueError, match=message):
        TextEmbedder(CountingEncoder(), cache_dir=tmp_path).embed(texts)


def test_bad_encoders_and_options_are_rejected(tmp_path):
    with pytest.raises(ValueError, match="encode"):
        TextEmbedder(object(), model_id="x", cache_dir=tmp_path)

    class Anonymous:
        def encode(self, texts, **options):
            return np.ones((len(texts), 2))

    with pytest.raises(ValueError, match="model_id"):
        TextEmbedder(Anonymous(), cache_dir=tmp_path)
    with pytest.raises(ValueError, match="batch_size"):
        TextEmbedder(CountingEncoder(), cache_dir=tmp_path, batch_size=0)

    class WrongShape(CountingEncoder):
        def encode(self, texts, **options):
            return np.ones((len(texts) + 1, 2))

    with pytest.raises(ValueError, match="shape"):
        TextEmbedder(WrongShape(), cache_dir=tmp_path).embed(["a", "b"])

    class NotFinite(CountingEncoder):
        def encode(self, texts, **options):
            return np.full((len(texts), 2), np.nan)

    with pytest.raises(ValueError, match="NaN"):
        TextEmbedder(NotFinite(), cache_dir=tmp_path).embed(["a"])


def test_dimension_change_under_the_same_model_id_is_an_error(tmp_path):
    TextEmbedder(CountingEncoder("same", dim=4), cache_dir=tmp_path).embed(["a"])
    with pytest.raises(ValueError, match="dimensional"):
        TextEmbedder(CountingEncoder("same", dim=3), cache_dir=tmp_path).embed(["b"])


def test_corrupt_cache_file_is_named(tmp_path):
    embedder = TextEmbedder(CountingEncoder(), cache_dir=tmp_path)
    embedder.embed(["a"])
    embedder.cache_file.write_bytes(b"not an npz file")
    with pytest.raises(ValueError, match="delete the file"):
        embedder.embed(["a"])


def test_model_identity():
    assert model_identity(CountingEncoder("named")) == "named"
    with pytest.raises(ValueError, match="model_id"):
        model_identity(object())


def test_item_texts_fills_the_template():
    items = pd.DataFrame(
        {"title": ["Toy Story", "Heat"], "year": [1995, 1995], "genres": [["Animation", "Comedy"], ["Crime"]]}
    )
    assert item_texts(items) == ["Toy Story", "Heat"]
    assert item_texts(items, template="{title} ({year}). Genres: {genres}") == [
        "Toy Story (1995). Genres: Animation, Comedy",
        "Heat (1995). Genres: Crime",
    ]
    with pytest.raises(ValueError, match="no column"):
        item_texts(items, template="{plot}")
    with pytest.raises(ValueError, match="row 1"):
        item_texts(pd.DataFrame({"title": ["Heat", None]}))


def test_real_model_encodes_offline_quickly(tmp_path):
    """all-MiniLM-L6-v2 from the installed package: 384 unit-length dims, similar titles closer, and the
    same float32 vector for a text whatever batch and thread count encoded it."""
    script = (
        "import time, numpy as np, torch; torch.set_num_threads(2)\n"
        "from recsys_helpers.text import TextEmbedder, load_sentence_encoder\n"
        "start = time.perf_counter()\n"
        "encoder = load_sentence_encoder()\n"
        f"embedder = TextEmbedder(encoder, cache_dir={str(tmp_path)!r})\n"
        "v = embedder.embed(['Star Wars', 'Star Trek: First Contact', 'Sense and Sensibility'])\n"
        "assert v.shape == (3, 384) and v.dtype == np.float32, v.shape\n"
        "assert np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-4)\n"
        "assert v[0] @ v[1] > v[0] @ v[2]\n"
        "again = embedder.embed(['Star Wars']); assert embedder.last_num_encoded == 0\n"
        "assert np.array_equal(again[0], v[0])\n"
        "print(round(time.perf_counter() - start, 2))\n"
        # a vector must not depend on the batch it was encoded in (padding, shapes) nor on the threads:
        # in float32 26 of these 80 titles move in their last bits (1.3e-7), and trained models amplify it
        "words = 'star war trek heat casino toy story sense sensibility return king night day love city'.split()\n"
        "titles = [' '.join(words[n * k % 15] for k in range(1 + n % 9)) + f' ({1950 + n})' for n in range(80)]\n"
        "together = encoder.encode(titles, batch_size=64).astype(np.float32)\n"
        "torch.set_num_threads(1)\n"
        "alone = np.concatenate([encoder.encode(titles[i : i + 3], batch_size=3) for i in range(0, 80, 3)])\n"
        "assert np.array_equal(together, alone.astype(np.float32)), np.abs(together - alone).max()\n"
    )
    # a fresh interpreter: the model load is measured from scratch and no network is reachable
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "", f"the encoder wrote to stderr: {done.stderr}"
    # speed is recorded, not asserted (shared CI cores): about 4 s for load + encode when idle
    print(f"model load + encode: {done.stdout.strip()} s, with imports {time.perf_counter() - start:.1f} s")


def test_lazy_encoder_loads_the_model_only_on_a_cache_miss(tmp_path, monkeypatch):
    from recsys_helpers import text as text_module

    loads = []

    def fake_load(*, device="cpu"):
        loads.append(device)
        return CountingEncoder()

    monkeypatch.setattr(text_module, "load_sentence_encoder", fake_load)
    first = text_module.LazySentenceEncoder()
    assert first.model_id == text_module.minilm_model_id() and first.model is None
    TextEmbedder(first, cache_dir=tmp_path).embed(TITLES)
    assert loads == ["cpu"]
    second = text_module.LazySentenceEncoder()
    embedder = TextEmbedder(second, cache_dir=tmp_path)
    embedder.embed(TITLES)
    assert loads == ["cpu"] and second.model is None and embedder.last_num_encoded == 0
