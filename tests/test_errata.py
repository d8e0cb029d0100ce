"""book/errata.md: every entry is complete, the counts its introduction states are the entries it holds,
every chapter section an entry points to exists (so a renumbered chapter cannot leave a dead reference),
and every measured number a correction quotes is a figure the chapters it points to recorded (so a
re-run that moves a figure cannot leave the page quoting the old one: review finding X-3).

An entry is ``**place** — the claim`` followed by ``: what is right`` and ``: *Shown in:* …`` (a chapter
link) or ``: *Evidence:* …`` (the source, where no chapter shows it).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from conftest import EXECUTED, ROOT, recorded_figures, skip_unless_all
from course.publish.release import MACHINE_FIGURE

PAGE = ROOT / "book" / "errata.md"
DOCUMENTS = ("000", "001", "002", "003", "004")
ENTRY = re.compile(
    r"^\*\*(?P<place>[^*]+)\*\* — (?P<claim>.+)\n: (?P<right>.+)\n: \*(?P<lead>Shown in|Evidence):\* (?P<where>.+)$",
    re.M,
)
CHAPTER_LINK = re.compile(r"\[([^\]]*)\]\(chapters/([A-Za-z0-9_]+)\.ipynb\)")
SECTION = re.compile(r"§(\d+(?:\.\d+)?)(?:[–-](\d+(?:\.\d+)?))?")
HEADING = re.compile(r"^#{2,4} (\d+(?:\.\d+)?)\.? ", re.M)
#: A measured number as the page prints it: a decimal such as 0.317, -0.021 or 5.8 (points).
DECIMAL = re.compile(r"(?<![\w.§])[-−]?\d*\.\d+(?![\w.])")


def sections() -> dict[str, str]:
    """The page's ``## `` sections, by heading (the text before the first one under "")."""
    text = re.sub(r"<!--.*?-->", "", PAGE.read_text(encoding="utf-8"), flags=re.S)
    parts = re.split(r"^## (.+)$", text, flags=re.M)
    return {"": parts[0], **dict(zip(parts[1::2], parts[2::2]))}


def entries(body: str) -> list[re.Match]:
    found = list(ENTRY.finditer(body))
    terms = [line for line in body.splitlines() if line.startswith("**") and " — " in line]
    assert len(found) == len(terms), f"an entry lacks its correction or its evidence line: {terms[:3]}"
    return found


def notebook(stem: str) -> Path:
    paths = sorted(ROOT.glob(f"solutions/{stem}/{stem}.ipynb")) + sorted(ROOT.glob(f"appendices/{stem}/{stem}.ipynb"))
    assert paths, f"chapters/{stem}.ipynb names no chapter or appendix"
    return paths[0]


def headings(stem: str) -> set[str]:
    cells = json.loads(notebook(stem).read_text(encoding="utf-8"))["cells"]
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    return set(HEADING.findall(text))


def document_section(heading: str) -> str | None:
    match = re.match(r"Document (\d{3}):", heading)
    return match.group(1) if match else None


def test_entries_are_complete_and_unique():
    seen = Counter()
    for heading, body in sections().items():
        for entry in entries(body):
            seen[(entry["place"], entry["claim"])] += 1
            if entry["lead"] == "Shown in":
                assert CHAPTER_LINK.search(entry["where"]), f"'Shown in' without a chapter link: {entry['place']}"
    assert [key for key, n in seen.items() if n > 1] == []


def test_introduction_states_the_counts():
    parts = sections()
    intro = " ".join(parts[""].split())
    per_document = {document_section(h): len(entries(b)) for h, b in parts.items() if document_section(h)}
    assert sorted(per_document) == list(DOCUMENTS)
    citations = [e["place"][:3] for e in entries(parts["Citations"])]
    total = sum(per_document.values()) + len(citations)
    stated = (f"The page holds {total} errors: {per_document['000']} in document 000, "
              + ", ".join(f"{per_document[d]} in {d}" for d in DOCUMENTS[1:-1])
              + f", {per_document['004']} in 004, and {len(citations)} wrong references")
    assert stated in intro
    by_document = Counter(citations)
    assert ", ".join(f"{by_document[d]} in {d}" for d in DOCUMENTS if by_document[d]) in intro


@pytest.mark.parametrize("heading", [h for h in sections() if h])
def test_chapter_sections_exist(heading):
    body = sections()[heading]
    for label, stem in CHAPTER_LINK.findall(body):
        numbers = {n for pair in SECTION.findall(label) for n in pair if n}
        missing = numbers - headings(stem)
        assert not missing, f"[{label}](chapters/{stem}.ipynb): no section {sorted(missing)} in {notebook(stem)}"


def numbers_of(value) -> list[float]:
    """Every number in a recorded figure (a number, or one inside a list, tuple or dict)."""
    if isinstance(value, bool):
        return []
    if isinstance(value, (int, float)):
        return [float(value)]
    if isinstance(value, (list, tuple)):
        return [n for v in value for n in numbers_of(v)]
    if isinstance(value, dict):
        return [n for v in value.values() for n in numbers_of(v)]
    return []


def quotes(printed: str, figures: list[float]) -> bool:
    """``printed`` (e.g. "0.317", "−0.021", "5.8" points) is one of ``figures`` at its precision."""
    value, decimals = float(printed.replace("−", "-")), len(printed.split(".")[1])
    return any(
        round(scaled, decimals) == round(value, decimals) for f in figures for scaled in (f, -f, 100 * f, -100 * f)
    )


def test_measured_numbers_in_corrections_are_recorded_figures():
    """A decimal in a correction whose evidence is a chapter must be a figure that chapter recorded
    (machine timings excluded: they change per run); a sentence citing a publication is exempt."""
    unmatched, checked = [], 0
    for body in sections().values():
        for entry in entries(body):
            stems = sorted({stem for _, stem in CHAPTER_LINK.findall(entry["where"])})
            if entry["lead"] != "Shown in" or not stems:
                continue
            missing = [s for s in stems if not (EXECUTED / f"{s}.ipynb").exists()]
            if missing:
                skip_unless_all(f"chapters {missing} are not executed")
            figures = [
                n
                for stem in stems
                for name, value in recorded_figures(stem).items()
                if not MACHINE_FIGURE.search(name)
                for n in numbers_of(value)
            ]
            for sentence in re.split(r"(?<=[.;])\s+", entry["right"]):
                if "{cite}" in sentence:
                    continue
                for printed in DECIMAL.findall(sentence):
                    checked += 1
                    if not quotes(printed, figures):
                        unmatched.append(f"{entry['place']}: {printed} is no recorded figure of {stems}")
    assert checked > 50, f"only {checked} numbers checked: has the page's format changed?"
    assert not unmatched, "\n".join(unmatched)
