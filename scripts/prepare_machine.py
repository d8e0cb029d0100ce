"""Once per machine: the work no chapter should pay for on its first run.

- matplotlib's font cache (its first import scans the system's fonts);
- SmolLM2-135M's GGUF de-quantised to float32 weights, into :mod:`recsys_helpers.llm`'s cache,
  with a progress bar in the terminal (chapters 07, 10, 11, 12 and 14 then read the cache);
- the catalogues encoded with all-MiniLM-L6-v2 into :mod:`recsys_helpers.text`'s cache: the
  MovieLens film sentences of chapters 06 and 12, the display titles of chapter 07, and the posts
  and topic names of chapter 11's simulated platform (its world at the parameters of the student
  notebook's parameters cell, so the two cannot drift apart).

``make install``, ``make execute`` and ``make lab`` run it (``make prepare`` alone); what is already
in the caches is checked, not recomputed or loaded (a few seconds), so a cache folder deleted since
the installation is filled again before any chapter runs. Chapters work without it,
only slower on their first run. Caches live under ``$RECSYS_CACHE_DIR`` or
``$XDG_CACHE_HOME/recsys_helpers`` (default ``~/.cache/recsys_helpers``).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def step(name: str, started: float) -> None:
    print(f"  {name}: {time.perf_counter() - started:.1f} s", flush=True)


def main() -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from recsys_helpers.text import default_cache_dir

    print(f"Preparing this machine's caches in {default_cache_dir()} (once):", flush=True)

    started = time.perf_counter()
    import matplotlib.font_manager  # noqa: F401 -- its first import builds the font cache

    step("matplotlib font cache", started)

    started = time.perf_counter()
    from recsys_helpers.llm import converted_weights_folder, file_sha256, find_gguf, load_language_model

    gguf = find_gguf()
    if (converted_weights_folder(file_sha256(gguf)) / "model.safetensors").is_file():
        step(f"SmolLM2-135M already de-quantised ({gguf.name})", started)
    else:
        llm = load_language_model(progress=True)
        step(f"SmolLM2-135M ({llm.num_parameters:,} parameters) de-quantised from the GGUF and cached", started)

    started = time.perf_counter()
    from recsys_helpers.data import load_movielens_100k
    from recsys_helpers.text import LazySentenceEncoder, TextEmbedder, display_title, film_sentence

    items = load_movielens_100k().items
    sentences = [film_sentence(*row) for row in zip(items["title"], items["year"], items["genres"])]
    titles = [display_title(title) for title in items["title"]]
    posts = social_texts()
    embedder = TextEmbedder(LazySentenceEncoder())  # MiniLM is loaded only if a text is missing
    embedder.embed(sentences + titles + posts)
    step(f"MiniLM vectors of {len(items):,} films' sentences and titles and chapter 11's {len(posts):,} "
         f"posts and topics ({embedder.last_num_encoded:,} encoded, {embedder.last_num_cached:,} from the cache)",
         started)
    return 0


def social_texts() -> list[str]:
    """Chapter 11's post texts and topic names, from its world at the notebook's default parameters."""
    import papermill

    from recsys_helpers.worlds.social import SocialConfig, simulate_social

    notebook = ROOT / "notebooks" / "11_social" / "11_social.ipynb"
    defaults = {name: spec["default"] for name, spec in papermill.inspect_notebook(str(notebook)).items()}
    world = simulate_social(SocialConfig(num_users=int(defaults["NUM_USERS"]), seed=int(defaults["SEED"])))
    return world.posts["text"].tolist() + sorted(world.posts["topic"].unique())


if __name__ == "__main__":
    sys.exit(main())
