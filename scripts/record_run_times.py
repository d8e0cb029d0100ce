"""Record how long each chapter took in the last `make execute` into benchmarks/chapters.json.

The budgets (90 s per chapter, 180 s for chapters 07 and 17, 120 s for chapter 18, on an idle 2-core
machine) are checked here, by a person reading the record, rather than by a timed test. Run it right
after a `make execute` on an idle machine: ``python scripts/record_run_times.py [--note "fresh clone, .ci/run"]``.
`make execute` runs single-threaded chapters two at a time; each chapter's ``alongside`` lists the
chapters that shared the machine with it (empty: measured alone). ``EXECUTE_JOBS=1 make execute``
measures every chapter alone.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUDGET_SECONDS = {"07_generative_llm": 180.0, "17_adapting_lm": 180.0, "18_simulated_users": 120.0}
DEFAULT_BUDGET = 90.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--note", default="", help="how the run was made (fresh clone, load, ...)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "chapters.json")
    args = parser.parse_args()
    records = sorted((ROOT / "book" / "chapters").glob("*.json"))
    if not records:
        raise SystemExit("no book/chapters/*.json: run `make execute` first")
    chapters = {}
    for path in records:
        record = json.loads(path.read_text())
        budget = BUDGET_SECONDS.get(record["chapter"], DEFAULT_BUDGET)
        chapters[record["chapter"]] = {
            "seconds": record["seconds"],
            "budget_seconds": budget,
            "within_budget": record["seconds"] < budget,
            "alongside": record.get("alongside", []),
        }
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True).stdout.strip()
    out = {
        "recorded": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "commit": commit,
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "note": args.note,
        "total_seconds": round(sum(c["seconds"] for c in chapters.values()), 1),
        "chapters": chapters,
    }
    args.out.write_text(json.dumps(out, indent=1) + "\n")
    over = [name for name, c in chapters.items() if not c["within_budget"]]
    shared = sum(bool(c["alongside"]) for c in chapters.values())
    print(f"{len(chapters)} notebooks ({shared} measured alongside another), {out['total_seconds']} s "
          f"in all; over budget: {over or 'none'}")


if __name__ == "__main__":
    main()
