"""Every comparative verdict in the prose cites a recorded figure (issue 17's mechanism).

A sentence of a chapter's prose that says one thing is better, worse, level with, ahead of or faster
than another, or that something beats, overfits, tracks or improves, must quote at least one figure
the chapter recorded (a ``{glue:...}`` role): the comparison it rests on. The preferred form quotes
the verdict itself, recorded with :func:`recsys_helpers.recording.record_verdict`, whose words are
chosen by the interval and so cannot claim more than it allows.

Not verdicts: a sentence whose subject is a source document (the claim under examination), a
question, and the direction of a metric ("higher is better"). ``UNCITED_AT_MOST`` was a ratchet
for the chapters written before the mechanism; every chapter is at 0 now, and a new chapter
enters with 0.
"""

from __future__ import annotations

import json
import re

import pytest

from conftest import ROOT

VERDICT = re.compile(
    r"\b(better|worse|beats?|beaten|outperforms?|overfits?|overfitting|faster|slower|tracks|improves?|improved"
    r"|level with|ahead of|wins|loses to)\b",
    re.IGNORECASE,
)
CITED = re.compile(r"\{glue(?::\w+)?\}`")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z*(`{$])|\n\s*\n")
#: A sentence whose subject is one of the five source documents reports the claim under examination
#: ("000 §2.3.2 says large batches overfit"); the chapter's verdict on it is a sentence of its own.
SOURCE_CLAIM = re.compile(
    r"^(?:Documents? )?00[0-4]\b.{0,60}?\b(?:says?|adds?|presents?|claims?|writes?|argues?)\b", re.DOTALL
)
#: The direction of a score ("higher is better") defines a metric; it compares nothing.
DEFINITION = re.compile(r"\b(?:higher|lower) is better\b", re.IGNORECASE)

#: Uncited verdict sentences per chapter, counted when the mechanism landed; lower as chapters are fixed.
UNCITED_AT_MOST = {
    "01_basics": 0,
    "02_evaluation": 0,
    "03_deep_learning": 0,
    "04_embeddings_ncf": 0,
    "05_sequential": 0,
    "06_pretrained_lm": 0,
    "07_generative_llm": 0,
    "08_training": 0,
    "09_tuning": 0,
    "10_ecommerce": 0,
    "11_social": 0,
    "12_music_video": 0,
    "13_system_performance": 0,
    "14_trustworthy": 0,
    "15_semantic_ids": 0,
    "16_scaling": 0,
    "17_adapting_lm": 0,
    "18_simulated_users": 0,
    "A_tools": 0,
}


def sources() -> dict[str, object]:
    found = sorted((ROOT / "solutions").glob("*/*.ipynb")) + sorted((ROOT / "appendices").glob("*/*.ipynb"))
    return {path.stem: path for path in found if path.stem == path.parent.name}


def prose_sentences(path) -> list[str]:
    """The sentences of a notebook's markdown cells, with fenced code and display math removed."""
    sentences = []
    for cell in json.loads(path.read_text())["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        text = "".join(cell["source"])
        text = re.sub(r"```.*?```|\$\$.*?\$\$", " ", text, flags=re.DOTALL)
        sentences += [s.strip() for s in SENTENCE_END.split(text) if s.strip()]
    return sentences


def uncited_verdicts(path) -> list[str]:
    return [
        s
        for s in prose_sentences(path)
        if VERDICT.search(DEFINITION.sub("", s))
        and not CITED.search(s)
        and not SOURCE_CLAIM.search(s)
        and not s.endswith("?")  # a question (a section's heading) claims nothing
    ]


def test_every_chapter_has_a_limit():
    assert set(sources()) == set(UNCITED_AT_MOST), "add the new chapter to UNCITED_AT_MOST with 0"


@pytest.mark.parametrize("chapter", sorted(UNCITED_AT_MOST))
def test_verdict_sentences_cite_a_recorded_figure(chapter):
    path = sources().get(chapter)
    if path is None:
        pytest.skip(f"{chapter} has no source notebook")
    uncited = uncited_verdicts(path)
    limit = UNCITED_AT_MOST[chapter]
    listing = "\n".join(f"  - {s[:160]}" for s in uncited)
    assert len(uncited) <= limit, (
        f"{chapter}: {len(uncited)} verdict sentences quote no recorded figure (at most {limit}):\n{listing}\n"
        "Quote the comparison (record_interval) or its verdict (record_verdict) in the sentence."
    )
    assert len(uncited) == limit, f"{chapter} now has {len(uncited)} uncited verdicts: lower UNCITED_AT_MOST to it"


def test_the_check_finds_an_uncited_verdict_and_accepts_a_cited_one(tmp_path):
    notebook = {"cells": [{"cell_type": "markdown", "source": [
        "SASRec beats EASE on this split. The transition model {glue:text}`05_verdict` SASRec.\n",
        "```python\nbetter = 1\n```\nThe width is 64.",
    ]}]}
    path = tmp_path / "x.ipynb"
    path.write_text(json.dumps(notebook))
    assert uncited_verdicts(path) == ["SASRec beats EASE on this split."]


def test_a_source_document_claim_and_a_metric_direction_are_not_verdicts(tmp_path):
    notebook = {"cells": [{"cell_type": "markdown", "source": [
        "## Batch size\n\n000 §2.3.2 says large batches overfit. Here large batches overfit.\n\n",
        "Validation NDCG (higher is better) picks the epoch. NDCG is better here than recall.\n\n",
        "## Do some users get worse lists?\n\n",
        "Here, unlike 000 §2.3.2 says, EASE beats SASRec.",
    ]}]}
    path = tmp_path / "x.ipynb"
    path.write_text(json.dumps(notebook))
    assert uncited_verdicts(path) == [
        "Here large batches overfit.",
        "NDCG is better here than recall.",
        "Here, unlike 000 §2.3.2 says, EASE beats SASRec.",
    ]
